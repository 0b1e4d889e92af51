"""The interface families in Prometheus text format, written directly.

prometheus-client formats each sample through generic code (label sorting, escaping, float formatting):
about 65 µs a sample, ten seconds for the 150,000 series of 10,000 interfaces. The interface families are
regular -- same labels, integer values -- so they are written here with one pre-escaped label string per
interface and ``str.join``. ``SnapshotCollector(include_interfaces=True)`` produces the same samples the
slow way; a unit test checks that both parse to identical families.
"""

from __future__ import annotations

from agent.telemetry.catalog import INTERFACES, Family
from agent.telemetry.counters import column_name
from agent.telemetry.snapshot import Snapshot

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n"})


def escape(value: str) -> str:
    """A label value escaped for the text format (backslash, double quote, newline)."""
    if "\\" in value or '"' in value or "\n" in value:
        return value.translate(_ESCAPES)
    return value


def _header(f: Family) -> str:
    name = f"{f.name}_info" if f.kind == "info" else f.sample_name
    kind = "gauge" if f.kind == "info" else f.kind
    doc = f.help.replace("\\", "\\\\").replace("\n", "\\n")
    return f"# HELP {name} {doc}\n# TYPE {name} {kind}\n"


def interface_text(snap: Snapshot, max_interfaces: int) -> tuple[str, int]:
    """The text of every interface family and how many interfaces the cap left out."""
    rows = snap.interface_rows()
    omitted = max(0, len(rows) - max_interfaces)
    rows = rows[:max_interfaces]
    table = snap.counters
    n = len(table.names) if table is not None else 0
    cols = table.columns if table is not None else {}
    zero = [0] * n

    def col(name: str) -> list[int]:
        return cols.get(name) or zero

    fams = {f.name: f for f in INTERFACES.families}
    labels = [f'interface="{escape(r.name)}",vrf="{escape(r.vrf)}"' for r in rows]
    out: list[str] = []

    def emit(name: str, values: list[str]) -> None:
        out.append(_header(fams[name]))
        out.append("".join(values))

    up = snap.agent.vpp_connected  # while VPP is gone no interface is up
    emit(
        "bng_interface_oper_up",
        [
            f"bng_interface_oper_up{{{lb}}} {int(up and r.oper_status == 'up')}\n"
            for lb, r in zip(labels, rows, strict=True)
        ],
    )
    emit(
        "bng_interface_admin_up",
        [f"bng_interface_admin_up{{{lb}}} {int(r.admin_up)}\n" for lb, r in zip(labels, rows, strict=True)],
    )
    emit(
        "bng_interface_speed_bytes_per_second",
        [
            f"bng_interface_speed_bytes_per_second{{{lb}}} {r.speed_kbps * 125}\n"
            for lb, r in zip(labels, rows, strict=True)
        ],
    )
    emit(
        "bng_interface_mtu_bytes",
        [f"bng_interface_mtu_bytes{{{lb}}} {r.link_mtu}\n" for lb, r in zip(labels, rows, strict=True)],
    )
    emit(
        "bng_interface",
        [
            f'bng_interface_info{{{lb},vpp_name="{escape(r.vpp_name)}",sw_if_index="{r.sw_if_index}"}} 1\n'
            for lb, r in zip(labels, rows, strict=True)
        ],
    )
    counted = [(lb, r.sw_if_index) for lb, r in zip(labels, rows, strict=True) if r.sw_if_index < n]
    for fam, sources in (
        ("bng_interface_receive_bytes", [col(column_name("rx", "bytes"))]),
        ("bng_interface_transmit_bytes", [col(column_name("tx", "bytes"))]),
        ("bng_interface_receive_discards", [col("drops"), col("rx-no-buf"), col("rx-miss")]),
        ("bng_interface_receive_errors", [col("rx-error")]),
        ("bng_interface_transmit_errors", [col("tx-error")]),
    ):
        sample = f"{fam}_total"
        if len(sources) == 1:
            src = sources[0]
            emit(fam, [f"{sample}{{{lb}}} {src[i]}\n" for lb, i in counted])
        else:
            emit(fam, [f"{sample}{{{lb}}} {sum(s[i] for s in sources)}\n" for lb, i in counted])
    for direction, prefix in (("receive", "rx"), ("transmit", "tx")):
        fam = f"bng_interface_{direction}_packets"
        lines: list[str] = []
        for cast in ("unicast", "multicast", "broadcast"):
            src = col(column_name(f"{prefix}-{cast}", "packets"))
            lines += [f'{fam}_total{{{lb},cast="{cast}"}} {src[i]}\n' for lb, i in counted]
        emit(fam, lines)
    members = [
        f'bng_bond_member_active{{bond="{escape(m.bond)}",member="{escape(m.member)}"}} {int(m.active)}\n'
        for m in snap.inventory.members
    ]
    emit("bng_bond_member_active", members)
    return "".join(out), omitted
