"""Full operational reads of the interfaces subtree: the fast path answers exactly what the slow one did.

The telemetry provider hands the registry its whole-list document in parts (``JsonParts``), which the
registry parses once per snapshot in worker threads and merges part by part into each read's copy of
running. The reference here is the path every full read took before: the document built as Python
dicts (``interfaces_json``), given to the registry as one JSON text, parsed per read and merged in one
``lyd_merge_siblings``. Both are read through the same public calls NETCONF uses (``Datastores.read``
for ``<get>``, ``get_data`` for ``<get-data>`` with its parameters), on a few hundred interfaces, half of
them configured, while counters move (traffic), carriers go down and up, interfaces come and go,
addresses change and the VPP connection drops -- and the replies must be identical, byte for byte.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from lxml import etree

from agent.datastore.nmda import DataQuery, get_data
from agent.datastore.operational import JsonParts
from agent.datastore.store import Datastores
from agent.model.context import load_model_set
from agent.telemetry import operational as oper
from agent.telemetry.counters import all_columns
from agent.telemetry.segment import CounterTable
from agent.telemetry.service import Telemetry
from agent.telemetry.snapshot import AgentCounters, InterfaceInfo, Inventory, Snapshot

N = 300
IFS = "/ietf-interfaces:interfaces"
IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"


def name_of(i: int) -> str:
    return f"GigabitEthernet0/8/0.{i}" if i % 10 else f"GigabitEthernet0/{i // 10}/0"


def running_json() -> str:
    """Every other interface configured (some with addresses, some disabled), plus one VPP lacks."""
    ifs: list[dict[str, Any]] = []
    for i in range(1, N + 1, 2):
        entry: dict[str, Any] = {"name": name_of(i), "type": "iana-if-type:ethernetCsmacd"}
        entry["description"] = f"customer {i}"
        if i % 3 == 0:
            entry["enabled"] = False
        if i % 5 == 0:
            entry["ietf-ip:ipv4"] = {"address": [{"ip": f"10.{i // 256}.{i % 256}.1", "prefix-length": 24}]}
        ifs.append(entry)
    ifs.append({"name": "GigabitEthernet0/99/0", "type": "iana-if-type:ethernetCsmacd"})
    return json.dumps({"ietf-interfaces:interfaces": {"interface": ifs}})


def snapshot(step: int, *, connected: bool = True) -> Snapshot:
    """The node after ``step`` seconds of traffic; every step some carriers flip, one interface goes
    away and another appears, and some addresses change."""
    present = [i for i in range(1, N + 1) if i != 17 + step] + [N + 1 + step]
    size = max(present) + 1
    names: list[str | None] = [None] * size
    names[0] = "local0"
    for i in present:
        names[i] = name_of(i)
    cols = {
        c: [(i * (k + 1) * 1000 + step * 7919 * (i % 13)) * (1 << (k % 3) * 12) for i in range(size)]
        for k, c in enumerate(all_columns())
    }
    cols["rx-error"] = [(1 << 32) + i * step for i in range(size)]  # counter32 leaves wrap
    cols["rx:bytes"][3] = (1 << 64) + step  # and counter64 ones (no reader yields this; the sum could)
    table = CounterTable(names, cols, {"/sys/boottime": 1_700_000_000 + step}, 1 + step, time.time())
    ifs = {
        i: InterfaceInfo(
            i,
            name_of(i),
            name_of(i) if i % 4 else f"vpp-if{i}",
            admin_up=i % 3 != 0,
            link_up=(i + step) % 4 != 0,
            speed_kbps=10_000_000 if i % 10 == 0 else 1_000_000,
            mac=f"02:00:00:00:{i >> 8:02x}:{i & 255:02x}" if i % 2 else "00:00:00:00:00:00",
            link_mtu=9000 if i % 10 == 0 else 1500,
            sup_sw_if_index=i - i % 10,
            managed=i % 7 == 0,
        )
        for i in present
    }
    addrs = {
        i: (f"10.{i // 256}.{i % 256}.1/24", f"2001:db8:{i:x}::{step + 1}/64")
        for i in present
        if (i + step) % 6 == 0
    }
    addrs[5] = ("192.0.2.1/24", "192.0.2.129/25")
    return Snapshot(table, Inventory(ifs, (), addrs, ()), AgentCounters(vpp_connected=connected), time.time())


@pytest.fixture(scope="module")
def model() -> Any:
    return load_model_set()


@pytest.fixture(params=[250, 7], ids=["parts-250", "parts-7"])
def stores(
    request: pytest.FixtureRequest, model: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Datastores, Datastores, Telemetry]]:
    """(fast, reference, telemetry): the agent's provider, and the old whole-text one, same snapshot."""
    monkeypatch.setattr(oper, "PART_SIZE", request.param)
    fast, ref = Datastores(model), Datastores(model)
    for ds in (fast, ref):
        ds.set_running(running_json())
    tel = Telemetry("/nonexistent/stats.sock")
    tel.snapshot = snapshot(0)
    tel.serve_operational(fast)
    assert tel.agent_state_handle is not None
    fast.operational.unregister(tel.agent_state_handle)  # only the interfaces are compared
    ref.operational.register(IFS, lambda: json.dumps(oper.interfaces_json(tel.snapshot)))
    try:
        yield fast, ref, tel
    finally:
        tel._executor.shutdown(wait=False)


SUBTREE = etree.fromstring(
    f'<filter xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
    f'<interfaces xmlns="{IF_NS}"><interface><statistics/></interface></interfaces></filter>'
)
QUERIES = [
    DataQuery("operational"),
    DataQuery("operational", with_origin=True),
    DataQuery("operational", config_filter=False),
    DataQuery("operational", config_filter=True),
    DataQuery("operational", origin_filter=("ietf-origin:system",)),
    DataQuery("operational", max_depth=3),
    DataQuery("operational", with_defaults="report-all"),
]


def replies(ds: Datastores) -> list[str]:
    out = [
        ds.read("operational", config_only=False, fmt=fmt, with_defaults=wd)
        for fmt in ("xml", "json")
        for wd in (None, "report-all", "trim")
    ]
    out.append(ds.read("operational", xpath=f"{IFS}/interface/statistics", config_only=False, fmt="json"))
    out.append(ds.read("operational", subtree=SUBTREE, config_only=False, fmt="xml"))
    one = f"{IFS}/interface[name='{name_of(5)}']"
    out.append(ds.read("operational", xpath=one, config_only=False, fmt="json"))
    out += [asyncio.run(get_data(ds, q, fmt)) for q in QUERIES for fmt in ("xml", "json")]
    return out


def test_full_reads_equal_the_reference_while_the_node_changes(
    stores: tuple[Datastores, Datastores, Telemetry],
) -> None:
    fast, ref, tel = stores
    seen: list[str] = []
    for step, connected in ((0, True), (1, True), (2, True), (3, False), (4, True)):
        tel.snapshot = snapshot(step, connected=connected)
        want = replies(ref)
        assert replies(fast) == want
        assert replies(fast) == want  # again: from the trees parsed for this snapshot
        doc = json.loads(fast.read("operational", config_only=False, fmt="json"))
        entries = {e["name"]: e for e in doc["ietf-interfaces:interfaces"]["interface"]}
        # N in VPP (one gone, one new), the port only configured, and the one gone if it is configured
        assert len(entries) == N + 1 + (17 + step) % 2
        seen.append(entries[name_of(3)]["statistics"]["in-octets"])
        assert entries[name_of(1)]["description"] == "customer 1"  # configuration merged in
        want_oper = "unknown" if not connected else ("down" if (4 + step) % 4 == 0 else "up")
        assert entries[name_of(4)]["oper-status"] == want_oper
    assert len(set(seen)) == len(seen)  # counters moved at every step and every read saw it
    # VPP reports no interface at all (a fresh VPP before the first dump)
    tel.snapshot = Snapshot(None, Inventory(), AgentCounters(vpp_connected=True), time.time())
    assert replies(fast) == replies(ref)


def test_a_part_libyang_rejects_drops_the_whole_document(model: Any) -> None:
    """As with one text: a document that does not parse contributes nothing (not a partial list)."""
    ds = Datastores(model)
    good = '{"ietf-interfaces:interfaces":{"interface":[{"name":"a","oper-status":"up"}]}}'
    bad = '{"ietf-interfaces:interfaces":{"interface":[{"name":"b","oper-status":"sideways"}]}}'
    doc = JsonParts([good, bad], good)
    handle = ds.operational.register(IFS, lambda: doc)
    assert ds.read("operational", config_only=False, fmt="json") == "{}"
    ds.operational.unregister(handle)
    good_doc = JsonParts([good, good.replace('"a"', '"b"')], good)
    ds.operational.register(IFS, lambda: good_doc)
    got = json.loads(ds.read("operational", config_only=False, fmt="json"))
    assert [e["name"] for e in got["ietf-interfaces:interfaces"]["interface"]] == ["a", "b"]


def test_the_scoped_read_of_one_interface_stays_a_plain_text(
    stores: tuple[Datastores, Datastores, Telemetry],
) -> None:
    """A read naming one interface builds one entry (no parts, nothing cached in its place)."""
    _, _, tel = stores
    text = tel.operational_for([f"{IFS}/interface[name='{name_of(5)}']"])
    assert not isinstance(text, JsonParts)
    assert [e["name"] for e in json.loads(text)["ietf-interfaces:interfaces"]["interface"]] == [name_of(5)]
    whole = tel.operational_for(None)
    assert isinstance(whole, JsonParts) and tel.operational_for(None) is whole
    merged: list[Any] = []
    for part in whole.parts:
        merged += json.loads(part)["ietf-interfaces:interfaces"]["interface"]
    assert merged == json.loads(whole)["ietf-interfaces:interfaces"]["interface"]
    assert json.loads(whole) == oper.interfaces_json(tel.snapshot)


def test_fixed_text_follows_interface_changes() -> None:
    """The per-interface text kept between polls is rebuilt when what it shows changes."""
    snap = snapshot(0)
    first = json.loads(oper.interfaces_text(snap))
    info = snap.inventory.interfaces[8]
    moved = dataclasses.replace(info, mac="02:00:00:00:aa:bb", link_mtu=1400, link_up=not info.link_up)
    ifs = {**snap.inventory.interfaces, 8: moved}
    addrs = {**snap.inventory.addresses, 8: ("198.51.100.1/24",)}
    inv = dataclasses.replace(snap.inventory, interfaces=ifs, addresses=addrs)
    changed = dataclasses.replace(snap, inventory=inv)
    second = json.loads(oper.interfaces_text(changed))
    assert second == oper.interfaces_json(changed) and second != first
    entry = next(e for e in second["ietf-interfaces:interfaces"]["interface"] if e["name"] == name_of(8))
    assert entry["phys-address"] == "02:00:00:00:aa:bb"
    assert entry["ietf-ip:ipv4"] == {"address": [{"ip": "198.51.100.1", "prefix-length": 24}]}
