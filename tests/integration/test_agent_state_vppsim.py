"""The agent's own state and the ``bng-agent`` notifications, seen by a real NETCONF client.

The datastore/commit/southbound stack, telemetry and the NETCONF server run in-process against a real
vppsim (one asyncio loop on a background thread); ncclient subscribes to the NETCONF stream (RFC 5277
``<create-subscription>``) from the test thread. A cable pull on vppsim's control channel must arrive as
``oper-status-change``; a VPP crash and restart as two ``vpp-connection-change`` notifications, with
``/bng-agent:agent-state`` (read with ``<get-data>`` of ``ds:operational``) telling the same story.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from _southbound_helpers import IF, AgentStack, port
from lxml import etree
from ncclient import manager

from agent.netconf import NetconfServer
from agent.telemetry import Telemetry, start_telemetry

T = TypeVar("T")
P0, P1 = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"
PASSWORD = "agent-state-Secret-1"
AGENT_NS = "urn:bng-agent:yang:bng-agent"
NMDA_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
GET_AGENT_STATE = f"""
<get-data xmlns="{NMDA_NS}" xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores">
  <datastore>ds:operational</datastore>
  <xpath-filter xmlns:a="{AGENT_NS}">/a:agent-state</xpath-filter>
</get-data>"""


class Node:
    """AgentStack + telemetry + NETCONF server on a loop in a background thread."""

    def __init__(self, vppsim: Any, data_dir: Path) -> None:
        self.vppsim = vppsim
        self.data_dir = data_dir
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="agent-state-node", daemon=True)
        self.stack: AgentStack | None = None
        self.tel: Telemetry | None = None
        self.server: NetconfServer | None = None

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> None:
        self.thread.start()
        pw = self.data_dir / "admin-password"
        pw.write_text(PASSWORD + "\n")

        async def boot() -> None:
            st = AgentStack(self.vppsim.api_socket, self.data_dir / "agent")
            self.stack = st
            await st.start()
            self.tel = await start_telemetry(
                stats_socket=self.vppsim.stats_socket,
                link=st.link,
                southbound=st.sb,
                txn=st.txn,
                datastores=st.ds,
                interval=0.2,
            )
            self.server = NetconfServer(
                st.ds,
                st.txn,
                st.model,
                host="127.0.0.1",
                port=0,
                data_dir=self.data_dir / "netconf",
                admin_password_file=pw,
            )
            await self.server.start()
            self.server.follow_telemetry(self.tel.bus)
            await st.commit(updates=[(IF, {"interface": [port(P0), port(P1)]})])

        self.call(boot())

    def stop(self) -> None:
        async def shutdown() -> None:
            if self.server is not None:
                await self.server.stop()
            if self.tel is not None:
                await self.tel.stop()
            if self.stack is not None:
                await self.stack.stop()

        try:
            self.call(shutdown())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)

    def connect(self) -> Any:
        assert self.server is not None
        return manager.connect(
            host="127.0.0.1",
            port=self.server.port,
            username="admin",
            password=PASSWORD,
            hostkey_verify=False,
            look_for_keys=False,
            allow_agent=False,
            timeout=30,
        )


@pytest.fixture
def node(vppsim: Any, tmp_path: Path) -> Iterator[Node]:
    n = Node(vppsim, tmp_path)
    try:
        n.start()
        yield n
    finally:
        n.stop()


def next_notification(m: Any, name: str, timeout: float = 15.0) -> dict[str, str]:
    """The next ``bng-agent:<name>`` notification's leaves (others are skipped), within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = m.take_notification(block=True, timeout=max(0.1, deadline - time.monotonic()))
        if n is None:
            continue
        body = etree.fromstring(n.notification_xml.encode()).find(f"{{{AGENT_NS}}}{name}")
        if body is not None:
            return {etree.QName(c).localname: c.text or "" for c in body}
    raise AssertionError(f"no {name} notification within {timeout}s")


def agent_state(m: Any) -> dict[str, str]:
    """``/bng-agent:agent-state`` as ``vpp/connection-state -> value``."""
    reply = m.dispatch(etree.fromstring(GET_AGENT_STATE))
    top = etree.fromstring(reply.xml.encode()).find(f".//{{{AGENT_NS}}}agent-state")
    assert top is not None, reply.xml
    out: dict[str, str] = {}
    for el in top:
        name = etree.QName(el).localname
        if len(el) == 0:
            out[name] = el.text or ""
        for leaf in el:
            out[f"{name}/{etree.QName(leaf).localname}"] = leaf.text or ""
    return out


def wait_state(m: Any, leaf: str, want: str, timeout: float = 20.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    state: dict[str, str] = {}
    while time.monotonic() < deadline:
        state = agent_state(m)
        if state.get(leaf) == want:
            return state
        time.sleep(0.1)
    raise AssertionError(f"{leaf} stayed {state.get(leaf)!r}, expected {want!r}: {state}")


def test_cable_pull_is_an_oper_status_change_notification(node: Node) -> None:
    with node.connect() as m:
        m.create_subscription()
        node.vppsim.ctl("link", name=P0, up=False)
        got = next_notification(m, "oper-status-change")
        assert got == {"name": P0, "oper-status": "down", "admin-status": "up", "previous-oper-status": "up"}
        node.vppsim.ctl("link", name=P0, up=True)
        got = next_notification(m, "oper-status-change")
        assert got == {"name": P0, "oper-status": "up", "admin-status": "up", "previous-oper-status": "down"}


def test_filtered_subscription_gets_only_what_it_asked_for(node: Node) -> None:
    with node.connect() as m:
        m.create_subscription(filter=("subtree", f'<vpp-connection-change xmlns="{AGENT_NS}"/>'))
        node.vppsim.ctl("link", name=P1, up=False)
        node.vppsim.ctl("link", name=P1, up=True)
        n = m.take_notification(block=True, timeout=2)
        assert (
            n is None
            or etree.fromstring(n.notification_xml.encode()).find(f"{{{AGENT_NS}}}oper-status-change") is None
        )


def test_agent_state_reports_commits_and_the_vpp_link(vppsim: Any, tmp_path: Path) -> None:
    # an object someone else created in VPP before the agent connected: found, counted, left alone
    client = vppsim.client("operator")
    reply = client.api.create_loopback(mac_address="02:fe:00:00:00:01")
    assert reply.retval == 0
    node = Node(vppsim, tmp_path)
    try:
        node.start()
        assert node.stack is not None
        with node.connect() as m:
            state = wait_state(m, "vpp/connection-state", "connected")
            assert state["vpp/connects"] == "1" and state["vpp/disconnects"] == "0"
            assert state["vpp/vpp-version"]  # what VPP said in show_version
            assert state["vpp/in-sync"] == "true"
            assert state["transactions/last-commit-id"] == str(node.stack.txn.last_commit_id)
            assert int(state["transactions/commits"]) >= 1
            assert state["transactions/resyncs"] == "1"
            assert "vpp/last-change" in state and "vpp/last-error" not in state
            assert state["unmanaged-vpp-objects"] == str(len(node.stack.sb.unmanaged))
            assert any(u.get("name") == "loop0" for u in node.stack.sb.unmanaged)
            before = int(state["transactions/commits"])
            m.edit_config(
                target="candidate",
                config=f"""<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
                  <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface>
                    <name>{P0}</name><description>uplink</description></interface></interfaces></config>""",
            )
            m.commit()
            state = agent_state(m)  # no poll needed: counters are read when asked
            assert int(state["transactions/commits"]) == before + 1
            assert state["transactions/last-commit-id"] == str(node.stack.txn.last_commit_id)
    finally:
        node.stop()


def test_vpp_crash_and_restart_are_notified_and_readable(node: Node) -> None:
    with node.connect() as m:
        wait_state(m, "vpp/connection-state", "connected")
        m.create_subscription()
        node.vppsim.crash()
        down = next_notification(m, "vpp-connection-change")
        assert down["connection-state"] == "disconnected"
        assert down["previous-state"] == "connected"
        assert down["connects"] == "1"
        assert down["reason"].startswith("VPP connection lost")
        state = wait_state(m, "vpp/connection-state", "disconnected")
        assert state["vpp/disconnects"] == "1"
        assert state["vpp/last-error"].startswith("VPP connection lost")
        assert state["vpp/in-sync"] == "false"

        node.vppsim.start()
        up = next_notification(m, "vpp-connection-change", timeout=30)
        assert up["connection-state"] == "connected"
        assert up["previous-state"] in ("disconnected", "connecting")
        assert up["connects"] == "2" and up["vpp-version"]
        assert "reason" not in up
        state = wait_state(m, "vpp/connection-state", "connected")
        assert state["vpp/connects"] == "2" and state["transactions/resyncs"] == "2"
        assert state["vpp/last-error"].startswith("VPP connection lost")  # the last one, kept
