"""Sessions programmed into vppsim through the southbound: a QinQ (1:1) session gets its own tagged
sub-interface in the template's VRF, unnumbered to the gateway loopback, with a host route; a shared-VLAN
session gets a host route on the access interface; leaving removes both; an agent restart restores the
sessions from the log and reconciles VPP without re-creating what VPP kept."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _southbound_helpers import IF, VRFS, AgentStack, addrs, port, vpp_snapshot
from vpp_papi import VPPApiClient

from agent.sessions.api import SessionKey, SessionState, TerminateCause
from agent.sessions.manager import SessionManager
from agent.sessions.program import SessionProgrammer
from agent.sessions.wal import SessionLog
from agent.vpp.api import api_json_files

P0, P1 = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"
SUBS = "/bng-subscribers:subscribers"
DTAG_FLAGS = 0x4 | 0x8 | 0x10  # two tags, dot1ad, exact match (interface_types.api sub_if_flags)


def config() -> list[tuple[str, Any]]:
    shared = {
        "bng-vrf:vrf": "cust",
        "ietf-ip:ipv4": {"bng-interfaces:unnumbered": {"use-interface": "loop0"}},
    }
    return [
        (VRFS, {"vrf": [{"name": "cust", "table-id": 10}]}),
        (
            IF,
            {
                "interface": [
                    {
                        "name": "loop0",
                        "type": "iana-if-type:softwareLoopback",
                        "bng-vrf:vrf": "cust",
                        **addrs("100.64.0.1/32"),
                    },
                    port(P0, **shared),
                    port(P1),
                ]
            },
        ),
        (
            SUBS,
            {
                "session-templates": {
                    "template": [{"name": "gold", "vrf": "cust", "unnumbered-interface": "loop0"}]
                },
                "access-interfaces": {
                    "access-interface": [
                        {"interface": P0, "session-template": "gold", "ipoe": {}},
                        {
                            "interface": P1,
                            "session-template": "gold",
                            "vlan-model": "per-subscriber",
                            "vlan-range": [
                                {
                                    "id": 1,
                                    "outer-vlan-min": 100,
                                    "outer-vlan-max": 100,
                                    "inner-vlan-min": 1,
                                    "inner-vlan-max": 4000,
                                }
                            ],
                            "ipoe": {},
                        },
                    ]
                },
            },
        ),
    ]


def _delete_route(api_socket: str, prefix: str, table: int) -> None:
    c = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=api_socket)
    c.connect("test-drift")
    try:
        r = c.api.ip_route_add_del(is_add=False, route={"table_id": table, "prefix": prefix, "n_paths": 0})
        assert r.retval == 0, r
    finally:
        c.disconnect()


def manager(st: AgentStack, wal: SessionLog | None = None) -> tuple[SessionManager, SessionProgrammer]:
    prog = SessionProgrammer(st.sb)
    return SessionManager(prog.access, programmer=prog, persistence=wal), prog


async def test_sessions_appear_in_vpp_and_leave_it(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    try:
        await st.commit(updates=config())
        m, _ = manager(st)
        q = await m.open(SessionKey(P1, 100, 7, "02:00:00:00:00:07"))
        q = await m.bind_ipv4(q.id, ipaddress.IPv4Address("100.64.0.7"), 3600)
        s = await m.open(SessionKey(P0, None, None, "02:00:00:00:00:08"))
        s = await m.bind_ipv4(s.id, ipaddress.IPv4Address("100.64.0.8"), 3600)
        snap = await vpp_snapshot(sim.api_socket)
        sub = snap["interfaces"][f"{P1}.1000007"]
        assert sub["sub"] == {"parent": P1, "sub_id": 1000007, "flags": DTAG_FLAGS, "outer": 100, "inner": 7}
        assert sub["tag"] == f"bng-agent:{P1}.1000007" and sub["admin_up"] and sub["tables"] == [10, 10]
        assert snap["routes"]["10/100.64.0.7/32"] == [("100.64.0.7", f"{P1}.1000007", 1, 0, 0)]
        assert snap["routes"]["10/100.64.0.8/32"] == [("100.64.0.8", P0, 1, 0, 0)]
        assert st.ds.running.json().count("100.64.0.7") == 0  # not configuration
        assert (await st.sb.reconcile()).write_calls == 0  # VPP agrees with config + sessions
        await m.release(q.id, TerminateCause.RELEASE)
        await m.release(s.id, TerminateCause.ADMIN)
        snap = await vpp_snapshot(sim.api_socket)
        assert f"{P1}.1000007" not in snap["interfaces"]
        assert not any(k.startswith("10/100.64.0.7") or k.startswith("10/100.64.0.8") for k in snap["routes"])
        assert st.sb.runtime_state() == {}
    finally:
        await st.stop()


async def test_restart_restores_sessions_and_reconciles_vpp(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    wal = SessionLog(tmp_path / "sessions")
    wal.load()
    wal.start()
    m, _ = manager(st, wal)
    try:
        await st.commit(updates=config())
        ids = []
        for n in range(1, 21):
            s = await m.open(SessionKey(P1, 100, n, f"02:00:00:00:01:{n:02x}"))
            await m.bind_ipv4(s.id, ipaddress.IPv4Address(f"100.64.1.{n}"), 3600)
            ids.append(s.id)
        before = await vpp_snapshot(sim.api_socket)
    finally:
        await wal.close()
        await st.stop()
    # VPP loses one session's route while the agent is down
    await asyncio.to_thread(_delete_route, sim.api_socket, "100.64.1.5/32", 10)
    # the agent starts again: log -> manager -> southbound (pending) -> first reconcile
    st2 = AgentStack(sim.api_socket, tmp_path / "data")
    wal2 = SessionLog(tmp_path / "sessions")
    loaded = wal2.load()
    m2, prog2 = manager(st2, wal2)
    m2.restore(loaded.sessions, loaded.next_id)
    prog2.preload(m2.list())
    await st2.start()
    try:
        assert [s.id for s in m2.list()] == ids and all(s.state is SessionState.ACTIVE for s in m2.list())
        assert set(st2.sb.runtime_state().values()) == {"applied"}
        assert st2.sb.last_report is not None and st2.sb.last_report.repairs == 1  # only the lost route
        assert await vpp_snapshot(sim.api_socket) == before
    finally:
        await st2.stop()
