"""Subscriber sessions' policers through the session manager's QoS hook (agent/features/qos/session.py)
on vppsim: a 1:1 VLAN session with the template's profile gets a policer on its sub-interface; a CoA
changing its profile updates that policer in place (same VPP index), and so does an edit of the profile
in configuration (``SessionProgrammer.refresh``, which the agent runs after commits under
``/bng-qos:qos``); leaving removes it; a shared-VLAN
session gets none (VPP's interface policer would police the whole VLAN)."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _southbound_helpers import AgentStack, vpp_snapshot
from test_sessions_vppsim import P0, P1, SUBS, config

from agent.features.qos import keys
from agent.features.qos.session import QOS_HOOK
from agent.sessions.api import PolicyAttr, PolicyOrigin, SessionKey, TerminateCause
from agent.sessions.manager import SessionManager
from agent.sessions.program import SessionProgrammer
from agent.sessions.service import SubscriberService

QOS = "/bng-qos:qos"
PROFILES = [
    {"name": "res-10m", "type": "1r2c", "cir": "10000", "cbs": 125000},
    {"name": "res-50m", "type": "1r2c", "cir": "50000", "cbs": 625000},
]


def with_qos() -> list[tuple[str, Any]]:
    out = [(QOS, {"profile": PROFILES})]
    for path, value in config():
        if path == SUBS:
            value["session-templates"]["template"][0]["qos-input-profile"] = "res-10m"
        out.append((path, value))
    return out


def policers(snap: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {p[0]: p[1:] for p in snap["policers"]}


async def test_a_sessions_policer_follows_its_policy(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    try:
        await st.commit(updates=with_qos())
        prog = SessionProgrammer(st.sb, hooks=[QOS_HOOK])
        m = SessionManager(prog.access, programmer=prog)
        q = await m.open(SessionKey(P1, 100, 7, "02:00:00:00:00:07"))
        q = await m.bind_ipv4(q.id, ipaddress.IPv4Address("100.64.0.7"), 3600)
        shared = await m.open(SessionKey(P0, None, None, "02:00:00:00:00:08"))
        shared = await m.bind_ipv4(shared.id, ipaddress.IPv4Address("100.64.0.8"), 3600)
        name = f"bng-agent:{P1}.1000007/in"
        got = policers(await vpp_snapshot(sim.api_socket))
        assert list(got) == [name]  # the shared-VLAN session has none
        assert got[name][:5] == (0, 10000, 0, 125000, 0)
        key = keys.policer(f"{P1}.1000007", keys.INPUT)
        index = st.sb.names.handles[key]

        # a CoA moves the subscriber to 50 Mbit/s: one policer_update, same policer
        writes = st.sb.conn.writes
        await m.set_policy(q.id, {PolicyAttr.QOS_INPUT: "res-50m"}, PolicyOrigin.COA)
        assert st.sb.conn.writes - writes == 1
        assert policers(await vpp_snapshot(sim.api_socket))[name][:5] == (0, 50000, 0, 625000, 0)
        assert st.sb.names.handles[key] == index
        assert QOS_HOOK.validate(PolicyAttr.QOS_INPUT, "nope", st.sb.config) is not None
        assert (await st.sb.reconcile()).write_calls == 0

        # the profile itself edited in configuration: the session's policer follows (refresh), in place
        await st.commit(updates=[(QOS, {"profile": [{**PROFILES[1], "cir": "60000"}]})])
        assert await prog.refresh(m.list()) == 1
        assert policers(await vpp_snapshot(sim.api_socket))[name][:5] == (0, 60000, 0, 625000, 0)
        assert st.sb.names.handles[key] == index
        assert await prog.refresh(m.list()) == 0

        await m.release(q.id, TerminateCause.RELEASE)
        await m.release(shared.id, TerminateCause.RELEASE)
        assert policers(await vpp_snapshot(sim.api_socket)) == {}
        assert key not in st.sb.names.handles
    finally:
        await st.stop()


async def test_the_subscriber_service_refreshes_sessions_after_a_profile_commit(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """The wiring ``bng-agent run`` uses: SubscriberService with the QoS hook following the commits."""
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    service = SubscriberService(tmp_path / "subs", st.sb, hooks=[QOS_HOOK], fsync=False)
    try:
        await st.commit(updates=with_qos())
        await service.start()
        service.follow_config(st.txn, ("/bng-qos:qos",))
        m = service.manager
        q = await m.open(SessionKey(P1, 100, 9, "02:00:00:00:00:09"))
        await m.bind_ipv4(q.id, ipaddress.IPv4Address("100.64.0.9"), 3600)
        name = f"bng-agent:{P1}.1000009/in"
        assert policers(await vpp_snapshot(sim.api_socket))[name][1] == 10000
        await st.commit(updates=[(QOS, {"profile": [{**PROFILES[0], "cir": "12000"}]})])
        deadline = asyncio.get_running_loop().time() + 10
        while policers(await vpp_snapshot(sim.api_socket))[name][1] != 12000:
            assert asyncio.get_running_loop().time() < deadline, "the session's policer was not refreshed"
            await asyncio.sleep(0.05)
    finally:
        await service.stop()
        await st.stop()
