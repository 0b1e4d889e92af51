"""``/bng-agent:agent-state`` and the ``bng-agent`` notifications, checked against the YANG with libyang.

The agent-state container is what an operator reads over NETCONF/gNMI to know whether the agent is
talking to VPP and how its commits went; the two notifications are what a controller subscribed to the
NETCONF stream receives. Every document here is parsed strictly by libyang with the agent's model set, so
an encoding the YANG does not allow fails the test.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import libyang
import pytest

from agent.datastore.store import Datastores
from agent.model.context import load_model_set
from agent.netconf import notify
from agent.telemetry.agent_state import agent_state_json, agent_state_leaves
from agent.telemetry.events import AgentStateEvent, InterfaceStateEvent, VppConnectionEvent
from agent.telemetry.service import Telemetry
from agent.telemetry.snapshot import AgentCounters


@pytest.fixture(scope="module")
def model() -> Any:
    return load_model_set()


@dataclass
class FakeStats:
    commits: int = 3
    failed: int = 1


@dataclass
class FakeTxn:
    stats: FakeStats = field(default_factory=FakeStats)
    last_commit_id: int = 17


@dataclass
class FakeSouthbound:
    in_sync: bool = True
    last_report: Any = None
    unmanaged: list[dict[str, Any]] = field(
        default_factory=lambda: [{"kind": "interface", "name": "tap0"}, {"kind": "ip-table", "table_id": 9}]
    )


def test_agent_state_document_is_valid_yang(model: Any) -> None:
    c = AgentCounters(
        vpp_connected=False,
        vpp_state="disconnected",
        vpp_connects=2,
        vpp_disconnects=2,
        vpp_version="26.06-release",
        vpp_last_change=1_800_000_000.0,
        vpp_last_error="VPP connection lost: socket closed",
        commits=2**40,
        commit_failures=5,
        last_commit_id=99,
        resyncs=2,
        resync_repairs=12,
        unmanaged=3,
    )
    text = json.dumps(agent_state_json(c))
    node = model.ctx.parse_data_mem(text, "json", parse_only=True, strict=True)
    try:
        back = json.loads(node.print_mem("json"))
    finally:
        node.free()
    vpp = back["bng-agent:agent-state"]["vpp"]
    assert vpp["connection-state"] == "disconnected"
    assert vpp["last-change"] == "2027-01-15T08:00:00+00:00"  # libyang's canonical form of ...Z
    assert vpp["last-error"] == "VPP connection lost: socket closed"
    assert back["bng-agent:agent-state"]["transactions"]["commits"] == str(2**40)  # counter64: a string
    assert back["bng-agent:agent-state"]["unmanaged-vpp-objects"] == 3


def test_served_from_the_operational_datastore_live(model: Any) -> None:
    ds = Datastores(model)
    txn = FakeTxn()
    tel = Telemetry("/nonexistent/stats.sock", txn=txn, southbound=FakeSouthbound())
    try:
        tel.serve_operational(ds)

        def read() -> dict[str, Any]:
            text = ds.read("operational", xpath="/bng-agent:agent-state", config_only=False, fmt="json")
            return json.loads(text)["bng-agent:agent-state"]  # type: ignore[no-any-return]

        state = read()
        assert state["vpp"]["connection-state"] == "disconnected"  # no VPP link at all
        assert state["vpp"]["in-sync"] is False  # in sync needs a connection
        assert "last-change" not in state["vpp"] and "last-error" not in state["vpp"]
        assert state["transactions"] == {
            "commits": "3",
            "commit-failures": "1",
            "last-commit-id": "17",
            "resyncs": 0,
            "resync-repairs": "0",
        }
        assert state["unmanaged-vpp-objects"] == 2
        # no poll in between: a commit is visible in the next read
        txn.stats.commits, txn.last_commit_id = 4, 18
        assert read()["transactions"]["last-commit-id"] == "18"
    finally:
        tel._executor.shutdown(wait=False)


async def test_only_changed_leaves_are_published() -> None:
    txn = FakeTxn()
    tel = Telemetry("/nonexistent/stats.sock", txn=txn, southbound=FakeSouthbound())
    try:
        sub = tel.bus.subscribe(kinds={"agent-state"})
        tel._publish_agent_state()  # the baseline: nothing to compare with, nothing published
        tel._publish_agent_state()  # nothing changed
        assert await sub.get(timeout=0.05) is None
        txn.stats.commits, txn.last_commit_id = 4, 18
        tel._publish_agent_state()
        ev = await sub.get(timeout=1)
        assert isinstance(ev, AgentStateEvent)
        got = {(c.op, c.path, c.old, c.new) for c in ev.changes()}
        assert got == {
            ("modify", "/bng-agent:agent-state/transactions/commits", "3", "4"),
            ("modify", "/bng-agent:agent-state/transactions/last-commit-id", "17", "18"),
        }
    finally:
        tel._executor.shutdown(wait=False)


def test_leaves_cover_the_whole_container() -> None:
    leaves = agent_state_leaves(AgentCounters(vpp_last_change=1.0, vpp_last_error="x"))
    assert set(leaves) == {
        "/bng-agent:agent-state/vpp/" + n
        for n in (
            "connection-state",
            "vpp-version",
            "connects",
            "disconnects",
            "in-sync",
            "last-change",
            "last-error",
        )
    } | {
        "/bng-agent:agent-state/transactions/" + n
        for n in ("commits", "commit-failures", "last-commit-id", "resyncs", "resync-repairs")
    } | {"/bng-agent:agent-state/unmanaged-vpp-objects"}


def parse_notification(model: Any, body: str) -> dict[str, Any]:
    msg = notify.wrap(body, 1_800_000_000.5).decode()
    node = model.ctx.parse_op_mem("xml", msg, libyang.DataType.NOTIF_NETCONF)
    try:
        return json.loads(node.print_mem("json"))  # type: ignore[no-any-return]
    finally:
        node.free()


def test_notifications_are_valid_yang(model: Any) -> None:
    got = parse_notification(model, notify.oper_status_change("GigabitEthernet0/8/0", "down", True, "up"))
    assert got == {
        "bng-agent:oper-status-change": {
            "name": "GigabitEthernet0/8/0",
            "oper-status": "down",
            "admin-status": "up",
            "previous-oper-status": "up",
        }
    }
    got = parse_notification(
        model, notify.vpp_connection_change("disconnected", "connected", "26.06", 1, "socket <closed>")
    )
    assert got == {
        "bng-agent:vpp-connection-change": {
            "connection-state": "disconnected",
            "vpp-version": "26.06",
            "connects": 1,
            "previous-state": "connected",
            "reason": "socket <closed>",
        }
    }
    with pytest.raises(libyang.LibyangError):
        parse_notification(model, notify.oper_status_change("x", "sideways", True, "up"))


async def test_relay_turns_bus_events_into_notifications(model: Any) -> None:
    events: list[Any] = [
        InterfaceStateEvent("new0", 5, "up", True, None),  # appeared: not a status change
        InterfaceStateEvent("Gi0", 1, "down", True, "up", time=1_800_000_000.0),
        InterfaceStateEvent("gone0", 6, "down", False, "up", deleted=True),
        VppConnectionEvent(False, 1, reason="socket closed", vpp_version="26.06", previous_state="connected"),
        VppConnectionEvent(True, 2, vpp_version="26.06", previous_state="connecting"),
    ]

    async def source() -> AsyncIterator[Any]:
        for ev in events:
            yield ev
            await asyncio.sleep(0)

    sent: list[tuple[str, str, dict[str, Any], float | None]] = []

    def publish(module: str, name: str, body: str, ts: float | None) -> None:
        sent.append((module, name, parse_notification(model, body), ts))

    await asyncio.wait_for(notify.relay_telemetry(source(), publish), 5)
    assert [(m, n) for m, n, _, _ in sent] == [
        ("bng-agent", "oper-status-change"),
        ("bng-agent", "vpp-connection-change"),
        ("bng-agent", "vpp-connection-change"),
    ]
    assert sent[0][2]["bng-agent:oper-status-change"]["name"] == "Gi0" and sent[0][3] == 1_800_000_000.0
    down, up = sent[1][2]["bng-agent:vpp-connection-change"], sent[2][2]["bng-agent:vpp-connection-change"]
    assert down["connection-state"] == "disconnected" and down["reason"] == "socket closed"
    assert up == {
        "connection-state": "connected",
        "vpp-version": "26.06",
        "connects": 2,
        "previous-state": "connecting",
    }


@dataclass
class RefusedLink:
    """A VPP link that gave up before connecting (VppLink.fatal: an API definition mismatch)."""

    conn: Any = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    fatal: Any = None
    connects: int = 0


@dataclass
class Mismatch:
    message: str = "VPP API mismatch: sw_interface_dump CRC 0x1 != 0x2"


async def test_a_refused_vpp_shows_its_error_without_ever_connecting(model: Any) -> None:
    link = RefusedLink()
    tel = Telemetry("/nonexistent/stats.sock", link=link, txn=FakeTxn(), southbound=FakeSouthbound())
    try:
        ds = Datastores(model)
        tel.serve_operational(ds)
        await tel._link_step()
        tel._publish_agent_state()  # the baseline (start() and every poll set it in the agent)
        sub = tel.bus.subscribe(kinds={"agent-state", "vpp-connection"})
        link.fatal = Mismatch()
        await tel._link_step()
        text = ds.read("operational", xpath="/bng-agent:agent-state/vpp", config_only=False, fmt="json")
        vpp = json.loads(text)["bng-agent:agent-state"]["vpp"]
        assert vpp["connection-state"] == "disconnected" and vpp["connects"] == 0
        assert vpp["last-error"] == Mismatch.message
        ev = await sub.get(timeout=1)
        assert isinstance(ev, AgentStateEvent)  # the new error reaches gNMI; no connection event
        assert [(c.path, c.new) for c in ev.changes()] == [
            ("/bng-agent:agent-state/vpp/last-error", Mismatch.message)
        ]
        assert await sub.get(timeout=0.05) is None
    finally:
        tel._executor.shutdown(wait=False)
