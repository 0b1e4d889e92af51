"""VPP's debug CLI, the ``show`` commands an operator runs, printed as VPP 26.06 prints them.

Reached two ways, as on a real node: the ``cli_inband`` API message (what ``vppctl`` and vpp-papi's
``cli_inband`` use) and ``bng-vppsim ctl cli <command>``. Column layouts follow VPP's format strings,
which pad with vppinfra's ``format`` justification (``src/vppinfra/format.c`` ``justify``: ``%=Ns``
centres with the odd space on the left, ``%-Ns`` pads right, ``%Nd`` pads left; a longer value is cut
to the width). A command VPP does not have is answered as VPP answers it: retval 0 and the parse error
as text (``src/vlib/cli.c``: ``"<parent>: unknown input `<rest>'"``) -- VPP has no ``show vlan``, for
example; sub-interface tags are in ``sw_interface_dump`` (and ``bng-vppsim ctl vlans``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from vppsim.emulator import Emulator
from vppsim.features.interfaces.state import Interface
from vppsim.features.routes.state import PATH_TYPE_DROP, PATH_TYPE_LOCAL, Route, Table

VERSION = "26.06-release"
BUILD_DATE = "2026-06-24T00:00:00"


def centre(text: str, width: int) -> str:
    """vppinfra's ``%=<width>s``: the odd padding space goes to the left; longer text is cut."""
    text = text[:width]
    n = width - len(text)
    right = n // 2
    return " " * (n - right) + text + " " * right


def show_version() -> str:
    # vpe_cli.c show_vpe_version_command_fn (the short form)
    return f"vpp v{VERSION} built by vppsim on vppsim at {BUILD_DATE}\n"


def left(text: str, width: int) -> str:
    """vppinfra's ``%-<width>s``: padded right, a longer value cut to the width."""
    return f"{text[:width]:<{width}}"


# --------------------------------------------------------------------------------- show interface
# src/vnet/interface_format.c format_vnet_sw_interface: header "%=32s%=5s%=10s%=21s%=16s%=16s",
# rows "%-32U%=5d%=10U%=21U" then the non-zero counters, each "%-16v%16Ld", continued lines indented to
# the counter column (format_vnet_sw_interface_cntrs uses format_get_indent).
_COUNTER_COLUMN = 32 + 5 + 10 + 21


def _interface_row(emu: Emulator, i: Interface) -> str:
    state = "up" if i.admin_up else "down"  # format_vnet_sw_interface_flags
    mtu = "/".join(str(m) for m in i.mtu)  # format_vnet_sw_interface_mtu: L3/IP4/IP6/MPLS
    row = f"{left(i.name, 32)}{centre(str(i.sw_if_index), 5)}{centre(state, 10)}{centre(mtu, 21)}"
    counters: list[str] = []
    if emu.stats is not None and emu.stats.is_published(i.sw_if_index):
        for name, values in emu.stats.interface_counters(i.sw_if_index):
            if values[0] == 0:  # "Only display non-zero counters."
                continue
            if len(values) == 2:
                counters.append(f"{left(name + ' packets', 16)}{values[0]:>16}")
                counters.append(f"{left(name + ' bytes', 16)}{values[1]:>16}")
            else:
                counters.append(f"{left(name, 16)}{values[0]:>16}")
    if not counters:
        return row
    indent = "\n" + " " * _COUNTER_COLUMN
    return row + indent.join(counters)


def _selected(emu: Emulator, names: list[str]) -> list[Interface] | str:
    """Interfaces named on the command line (in the order given), else every one sorted by name
    (``show_sw_interfaces``: ``vec_sort_with_function (sorted_sis, sw_interface_name_compare)``)."""
    if not names:
        return sorted(emu.interfaces.all(), key=lambda x: x.name)
    out = []
    for n in names:
        intf = emu.interfaces.by_name(n)
        if intf is None:
            return f"show interface: unknown input `{' '.join(names[names.index(n) :])}'\n"
        out.append(intf)
    return out


def show_interface(emu: Emulator, args: list[str]) -> str:
    """``show interface [<name> ...]`` (src/vnet/interface_cli.c ``show_sw_interfaces``)."""
    chosen = _selected(emu, args)
    if isinstance(chosen, str):
        return chosen
    header = (
        f"{centre('Name', 32)}{centre('Idx', 5)}{centre('State', 10)}"
        f"{centre('MTU (L3/IP4/IP6/MPLS)', 21)}{centre('Counter', 16)}{centre('Count', 16)}"
    )
    return "\n".join([header, *(_interface_row(emu, i) for i in chosen)]) + "\n"


def fib_index(emu: Emulator, is_ip6: bool, table_id: int) -> int:
    """The table's index in its family's FIB pool: table 0 is index 0, then tables in creation order
    (``fib_table_create_and_lock`` takes the next pool slot)."""
    family = [t for t in emu.fib.tables.values() if t.is_ip6 == is_ip6]
    family.sort(key=lambda t: t.table_id != 0)  # stable: table 0 first, the rest as created
    for n, t in enumerate(family):
        if t.table_id == table_id:
            return n
    return 0


def show_interface_address(emu: Emulator, args: list[str]) -> str:
    """``show interface address`` as ``src/vnet/interface_cli.c`` prints it: interfaces sorted by name;
    an unnumbered one gets ``"<name> (dn): \\n  unnumbered, use <lender>"`` (note the space before the
    newline) followed by the lender's addresses (``foreach_ip_interface_address`` honours
    unnumbered); ``table-id``/``fib-idx`` are printed only outside table 0."""
    chosen = _selected(emu, args)
    if isinstance(chosen, str):
        return chosen
    out = []
    for i in chosen:
        state = "up" if i.admin_up else "dn"
        source = i
        if i.unnumbered_via is not None and (lender := emu.interfaces.get(i.unnumbered_via)) is not None:
            out.append(f"{i.name} ({state}): \n  unnumbered, use {lender.name}")
            source = lender
        else:
            out.append(f"{i.name} ({state}):")
        for fam, is_ip6 in (("ip4", False), ("ip6", True)):
            table = source.table_v6 if is_ip6 else source.table_v4
            for a in source.addresses:
                if isinstance(a, ipaddress.IPv6Interface) != is_ip6:
                    continue
                if table:
                    out.append(f"  L3 {a} {fam} table-id {table} fib-idx {fib_index(emu, is_ip6, table)}")
                else:
                    out.append(f"  L3 {a}")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------- show ip fib
def _table_header(emu: Emulator, t: Table) -> str:
    """``ip4_show_fib`` (src/vnet/fib/ip4_fib.c; ip6_show_fib alike): name, fib_index, the flow-hash
    config (``format_ip_flow_hash_config``, VPP's default set), epoch, flags and the lock sources."""
    locks = "" if t.table_id == 0 else "API:1, "
    if t.interface_locks:
        locks += f"interface:{t.interface_locks}, "
    if t.table_id == 0:
        locks = "default-route:1, " + locks
    return (
        f"{t.name}, fib_index:{fib_index(emu, t.is_ip6, t.table_id)}, "
        f"flow hash:[src dst sport dport proto flowlabel ] epoch:0 flags:none locks:[{locks}]"
    )


def _summary(t: Table) -> list[str]:
    """The summary rows: ``ip4_show_fib`` (ip4_fib.c) walks the prefix lengths 0..32 and prints
    ``"%20d%16d"``; ``ip6_fib_table_show`` (ip6_fib.c) walks 128..0 and prints ``"%=20d%=16lld"``. Both
    start with ``"%=20s%=16s"`` of "Prefix length", "Count"."""
    lines = [f"{centre('Prefix length', 20)}{centre('Count', 16)}"]
    counts: dict[int, int] = {}
    for prefix in t.routes:
        counts[prefix.prefixlen] = counts.get(prefix.prefixlen, 0) + 1
    if t.is_ip6:
        for plen in sorted(counts, reverse=True):
            lines.append(f"{centre(str(plen), 20)}{centre(str(counts[plen]), 16)}")
    else:
        for plen in sorted(counts):
            lines.append(f"{plen:>20}{counts[plen]:>16}")
    return lines


def _path_text(emu: Emulator, t: Table, route: Route, path: dict[str, object]) -> str:
    """One load-balance bucket as ``format_dpo_id`` prints what it points at: ``dpo-drop``
    (drop_dpo.c), ``dpo-receive: <addr> on <if>`` (receive_dpo.c), ``<proto>-glean: [src:<prefix>]
    <if>`` for an attached prefix (adj_glean.c), ``arp-<link>: via <nh> <if>`` for a next hop
    (adj_nbr.c format_adj_nbr_incomplete: vppsim resolves no neighbours, so every next hop is the
    incomplete adjacency VPP shows until ARP/ND answers)."""
    proto = "ip6" if t.is_ip6 else "ip4"
    link = "ipv6" if t.is_ip6 else "ipv4"
    kind = path.get("type")
    sw_if_index = path.get("sw_if_index")
    intf = emu.interfaces.get(int(sw_if_index)) if isinstance(sw_if_index, int) else None
    ifname = intf.name if intf is not None else ""
    if kind == PATH_TYPE_DROP:
        return f"[@0]: dpo-drop {proto}"
    if kind == PATH_TYPE_LOCAL:
        return f"[@2]: dpo-receive: {route.prefix.network_address} on {ifname}"
    nh = path.get("nh")
    address = nh.get("address") if isinstance(nh, dict) else None
    hop = next(iter(address.values()), None) if isinstance(address, dict) and address else None
    if hop in (None, "", "0.0.0.0", "::"):
        return f"[@4]: {link}-glean: [src:{route.prefix}] {ifname}"
    return f"[@3]: arp-{link}: via {hop}" + (f" {ifname}" if ifname else "")


def _table_routes(emu: Emulator, t: Table) -> list[str]:
    """Every entry, sorted by address then length (``fib_entry_cmp_for_sort``), each with its
    forwarding chain: ``unicast-ip4-chain``, the load-balance DPO (load_balance.c
    ``format_load_balance``) and one bucket per path. UCMP bucket normalisation
    (``ip_multipath_normalize_next_hops``) is not modelled: each path is one bucket, its weight
    shown."""
    lines = []
    chain = "unicast-ip6-chain" if t.is_ip6 else "unicast-ip4-chain"
    proto = "ip6" if t.is_ip6 else "ip4"
    routes = sorted(t.routes.values(), key=lambda r: (int(r.prefix.network_address), r.prefix.prefixlen))
    for n, route in enumerate(routes):
        lines.append(str(route.prefix))
        lines.append(f"  {chain}")
        buckets = max(len(route.paths), 1)
        lines.append(
            f"  [@0]: dpo-load-balance: [proto:{proto} index:{n} buckets:{buckets} uRPF:{n} to:[0:0]]"
        )
        for b, path in enumerate(route.paths):
            weight = path.get("weight", 1)
            suffix = f" weight:{weight}" if len(route.paths) > 1 else ""
            lines.append(f"    [{b}] {_path_text(emu, t, route, path)}{suffix}")
    return lines


def show_fib(emu: Emulator, is_ip6: bool, args: list[str]) -> str:
    """``show ip[6] fib [summary] [table <id>]``; the tables in pool order."""
    summary = False
    table_id: int | None = None
    rest = list(args)
    while rest:
        word = rest.pop(0)
        if word in ("summary", "sum", "brief"):
            summary = True
        elif word == "table" and rest and rest[0].isdigit():
            table_id = int(rest.pop(0))
        else:
            # ip4_show_fib stops parsing at an unknown word and shows what it has
            break
    out: list[str] = []
    tables = [t for t in emu.fib.tables.values() if t.is_ip6 == is_ip6]
    tables.sort(key=lambda t: fib_index(emu, is_ip6, t.table_id))
    for t in tables:
        if table_id is not None and t.table_id != table_id:
            continue
        out.append(_table_header(emu, t))
        out += _summary(t) if summary else _table_routes(emu, t)
    return "\n".join(out) + ("\n" if out else "")


# ------------------------------------------------------------------------------------------- dispatch
def _words(text: str) -> list[str]:
    return text.split()


def _matches(words: list[str], pattern: list[str]) -> bool:
    """VPP's CLI accepts any unique prefix of each word (``sh int``); these are the ones vppsim knows."""
    if len(words) < len(pattern):
        return False
    return all(pattern[k].startswith(words[k]) and len(words[k]) >= 2 for k in range(len(pattern)))


# ------------------------------------------------------------------------------------ ACL plugin
def show_acl_tables(emu: Emulator, args: list[str]) -> str:
    # acl.c acl_show_aclplugin_tables_fn: the two switches first; "mask" then lists the mask types of
    # hash_lookup.c acl_plugin_show_tables_mask_type, which vppsim does not model (it has none)
    am = emu.acl
    return (
        f"Stats counters enabled for interface ACLs: {int(am.counters_enabled)}\n"
        "Use hash-based lookup for ACLs: 1\n"
        "Mask-type entries:\n"
    )


def show_acl_sessions(emu: Emulator, args: list[str]) -> str:
    # acl.c acl_plugin_show_sessions: totals, then per thread the add/del counts of every interface
    am = emu.acl
    adds, dels = sum(am.session_adds.values()), sum(am.session_dels.values())
    lines = [
        f"Sessions total: add {adds} - del {dels} = {adds - dels}",
        f"Sessions active: add {adds} - deact {dels} = {adds - dels}",
        f"Sessions being purged: deact {dels} - del {dels} = 0",
        "now: 0 clocks per second: 0",
        "",
        "",
        "Per-thread data:",
        "Thread #0:",
        "  connection add/del stats:",
    ]
    for i in emu.interfaces.all():
        a, d = am.session_adds.get(i.sw_if_index, 0), am.session_dels.get(i.sw_if_index, 0)
        lines.append(f"    sw_if_index {i.sw_if_index}: add {a} - del {d} = {a - d}; epoch chg: 0")
    return "\n".join(lines) + "\n"


COMMANDS: list[tuple[list[str], str, Callable[[Emulator, list[str]], str]]] = [
    (["show", "acl-plugin", "tables"], "show acl-plugin tables [mask]", show_acl_tables),
    (["show", "acl-plugin", "sessions"], "show acl-plugin sessions", show_acl_sessions),
    (["show", "version"], "show version", lambda emu, a: show_version()),
    (["show", "interface", "address"], "show interface address [<name> ...]", show_interface_address),
    (["show", "interface"], "show interface [<name> ...]", show_interface),
    (["show", "ip", "fib"], "show ip fib [summary] [table <id>]", lambda emu, a: show_fib(emu, False, a)),
    (["show", "ip6", "fib"], "show ip6 fib [summary] [table <id>]", lambda emu, a: show_fib(emu, True, a)),
]


def run(emu: Emulator, command: str) -> str:
    """The text VPP prints for ``command`` (retval is always 0 for ``cli_inband``)."""
    words = _words(command)
    for pattern, _, fn in COMMANDS:
        if _matches(words, pattern):
            return fn(emu, words[len(pattern) :])
    if not words:
        return ""
    if len(words) == 1:
        return f"unknown input `{words[0]}'\n"
    return f"{words[0]}: unknown input `{' '.join(words[1:])}'\n"


def help_lines() -> list[str]:
    return [usage for _, usage, _ in COMMANDS if usage]
