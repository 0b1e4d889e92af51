"""The operational ietf-interfaces subtree built from a snapshot, and the event bus.

The document must be valid for the agent's YANG set (libyang parses it strictly), carry RFC 7951
encodings (counter64 as strings, counter32 numbers that wrap), and the fast text writer must produce
exactly what the reference dict builder does.
"""

from __future__ import annotations

import dataclasses
import json
import time

import pytest

from agent.model.context import load_model_set
from agent.telemetry.events import EventBus, InterfaceStateEvent, VppConnectionEvent
from agent.telemetry.operational import date_and_time, interfaces_json, interfaces_text
from agent.telemetry.segment import CounterTable
from agent.telemetry.snapshot import AgentCounters, InterfaceInfo, Inventory, Snapshot


def snapshot(*, connected: bool = True) -> Snapshot:
    names: list[str | None] = ["local0", "GigabitEthernet0/8/0", None, "loop0", "GigabitEthernet0/8/0.100"]
    cols = {"rx:bytes": [0, 2**40, 0, 5, 9], "rx-error": [0, 2**32 + 7, 0, 0, 0], "drops": [0, 1, 0, 0, 3]}
    cols["rx-miss"] = [0, 2, 0, 0, 0]
    table = CounterTable(
        names, cols, {"/sys/boottime": 1_700_000_000, "/sys/last_stats_clear": 0}, 3, time.time()
    )
    ifs = {
        1: InterfaceInfo(
            1,
            "GigabitEthernet0/8/0",
            "GigabitEthernet0/8/0",
            True,
            True,
            1_000_000,
            "02:00:00:00:00:01",
            9000,
            1,
        ),
        3: InterfaceInfo(3, "lo'op\"0", "loop0", True, True, 0, "de:ad:00:00:00:00", 9000, 3, managed=True),
        4: InterfaceInfo(
            4,
            "GigabitEthernet0/8/0.100",
            "GigabitEthernet0/8/0.100",
            True,
            False,
            1_000_000,
            "00:00:00:00:00:00",
            9000,
            1,
            "red",
            True,
        ),
    }
    inv = Inventory(ifs, (), {4: ("10.0.0.1/24", "2001:db8::1/64", "10.0.1.1/24")}, ())
    return Snapshot(table, inv, AgentCounters(vpp_connected=connected), time.time())


def test_document_is_valid_yang_with_rfc7951_encodings() -> None:
    model = load_model_set()
    text = interfaces_text(snapshot())
    tree = model.ctx.parse_data_mem(text, "json", parse_only=True, strict=True)
    assert tree is not None
    try:
        back = json.loads(tree.print_mem("json", with_siblings=True))
    finally:
        tree.free()
    entries = {e["name"]: e for e in back["ietf-interfaces:interfaces"]["interface"]}
    eth = entries["GigabitEthernet0/8/0"]
    assert eth["oper-status"] == "up" and eth["speed"] == "1000000000"
    assert eth["statistics"]["in-octets"] == str(2**40)
    assert eth["statistics"]["in-errors"] == 7  # counter32 wrapped
    assert eth["statistics"]["in-discards"] == 3  # drops + rx-miss
    assert eth["statistics"]["discontinuity-time"].startswith(date_and_time(1_700_000_000)[:16])
    sub = entries["GigabitEthernet0/8/0.100"]
    assert sub["oper-status"] == "down"  # admin up, no carrier
    assert "phys-address" not in sub
    assert [a["ip"] for a in sub["ietf-ip:ipv4"]["address"]] == ["10.0.0.1", "10.0.1.1"]
    assert sub["ietf-ip:ipv6"]["address"] == [{"ip": "2001:db8::1", "prefix-length": 64}]
    loop = entries["lo'op\"0"]
    assert loop["bng-interfaces:vpp-state"] == {
        "sw-if-index": 3, "link-speed": 0, "link-mtu": 9000, "managed": True, "vpp-name": "loop0"
    }  # fmt: skip
    assert "local0" not in entries


def test_text_writer_equals_reference_builder() -> None:
    for snap in (snapshot(), snapshot(connected=False)):
        assert json.loads(interfaces_text(snap)) == interfaces_json(snap)
    assert json.loads(interfaces_text(snapshot(), {"loop0"})) == {
        "ietf-interfaces:interfaces": {"interface": []}
    }
    only = json.loads(interfaces_text(snapshot(), {"GigabitEthernet0/8/0"}))
    assert [e["name"] for e in only["ietf-interfaces:interfaces"]["interface"]] == ["GigabitEthernet0/8/0"]


def test_disconnected_vpp_reports_unknown() -> None:
    doc = interfaces_json(snapshot(connected=False))
    assert {e["oper-status"] for e in doc["ietf-interfaces:interfaces"]["interface"]} == {"unknown"}


async def test_bus_fans_out_filters_and_bounds_each_subscriber() -> None:
    bus = EventBus()
    everything = bus.subscribe()
    only_vpp = bus.subscribe(kinds={"vpp-connection"})
    slow = bus.subscribe(maxsize=2)
    up = InterfaceStateEvent("eth0", 1, "up", True, "down")
    for _ in range(3):
        bus.publish(up)
    bus.publish(VppConnectionEvent(False, 1, reason="socket closed"))
    assert slow.overflowed == 2  # the slow consumer lost its own events, nobody else did
    got = [await everything.get(timeout=1) for _ in range(4)]
    assert got[:3] == [up] * 3 and isinstance(got[3], VppConnectionEvent)
    assert isinstance(await only_vpp.get(timeout=1), VppConnectionEvent)
    assert await only_vpp.get(timeout=0.05) is None
    everything.close()
    assert bus.subscribers == 2
    seen = [e async for e in everything]
    assert seen == []  # close ends iteration
    slow.close()  # its queue is full: closing still ends its iteration
    assert [e async for e in slow] == [up]


def test_interface_event_as_gnmi_changes() -> None:
    ev = InterfaceStateEvent("Gi0/8/0.100", 4, "down", True, "up")
    (ch,) = ev.changes()
    assert (
        ch.op == "modify"
        and ch.path == "/ietf-interfaces:interfaces/interface[name='Gi0/8/0.100']/oper-status"
    )
    assert (ch.old, ch.new) == ("up", "down")
    gone = dataclasses.replace(ev, deleted=True)
    assert gone.changes()[0].op == "delete"
    assert VppConnectionEvent(True, 2).changes() == []


@pytest.mark.parametrize("seconds", [0.0, 1_700_000_000.5])
def test_date_and_time_is_utc(seconds: float) -> None:
    text = date_and_time(seconds)
    assert text.endswith("Z") and len(text) == 20
