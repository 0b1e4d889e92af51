"""The subscriber manager's contract (agent/sessions/api.py) on the in-memory table: sessions open from
the access configuration, bind and renew leases, change policy with its origin, leave with a cause, and
every change reaches watchers in order."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

import pytest

from agent.sessions.api import (
    AddressInUse,
    InvalidRequest,
    NotAccessInterface,
    PolicyAttr,
    PolicyOrigin,
    PolicyValue,
    Session,
    SessionClosed,
    SessionEvent,
    SessionFilter,
    SessionKey,
    SessionLimit,
    SessionState,
    TerminateCause,
    UnknownSession,
    WatchOverflow,
    normalise_mac,
)
from agent.sessions.manager import SessionManager
from agent.sessions.templates import AccessConfig

P0 = "GigabitEthernet0/8/0"
CONFIG: dict[str, Any] = {
    "access-interfaces": {
        "access-interface": [
            {"interface": P0, "session-template": "gold", "ipoe": {}, "max-sessions": 3},
            {
                "interface": "GigabitEthernet0/9/0",
                "session-template": "gold",
                "vlan-model": "per-subscriber",
                "vlan-range": [
                    {
                        "id": 1,
                        "outer-vlan-min": 100,
                        "outer-vlan-max": 199,
                        "inner-vlan-min": 1,
                        "inner-vlan-max": 4000,
                    }
                ],
                "ipoe": {},
            },
        ]
    },
    "session-templates": {
        "template": [
            {"name": "gold", "vrf": "cust", "qos-input-profile": "up-50m", "unnumbered-interface": "loop0"}
        ]
    },
}


def key(n: int = 1, iface: str = P0, outer: int | None = None, inner: int | None = None) -> SessionKey:
    return SessionKey(iface, outer, inner, normalise_mac(f"02:00:00:00:00:{n:02x}"))


def manager(clock: list[float] | None = None) -> SessionManager:
    now = clock or [1000.0]
    return SessionManager(AccessConfig.from_entry(CONFIG), clock=lambda: now[0])


async def test_open_gives_template_policy_and_bind_makes_it_active() -> None:
    m = manager()
    s = await m.open(key())
    assert s.state is SessionState.INIT and s.id == 1 and s.interface == P0
    assert s.policy[PolicyAttr.VRF] == PolicyValue("cust", PolicyOrigin.TEMPLATE)
    assert await m.open(key()) == s  # a second DISCOVER finds the same session
    a = ipaddress.IPv4Address("100.64.0.10")
    s = await m.bind_ipv4(s.id, a, 3600)
    assert s.state is SessionState.ACTIVE and s.ipv4 is not None and s.ipv4.expires == 4600.0
    assert m.by_address(a, "cust") == s and m.by_address(a) is None  # addresses are per VRF
    assert m.lookup(key()) == s and m.get(s.id) == s


async def test_qinq_session_gets_its_own_sub_interface_name() -> None:
    m = manager()
    s = await m.open(key(iface="GigabitEthernet0/9/0", outer=100, inner=7))
    assert s.interface == "GigabitEthernet0/9/0.1000007"
    with pytest.raises(NotAccessInterface, match="no vlan-range"):
        await m.open(key(iface="GigabitEthernet0/9/0", outer=300, inner=7))
    with pytest.raises(NotAccessInterface, match="not an access interface"):
        await m.open(key(iface="GigabitEthernet0/a/0"))


async def test_limits_and_address_conflicts() -> None:
    m = manager()
    ids = [(await m.open(key(n))).id for n in range(3)]
    with pytest.raises(SessionLimit, match="maximum of 3"):
        await m.open(key(9))
    a = ipaddress.IPv4Address("100.64.0.1")
    await m.bind_ipv4(ids[0], a, 60)
    with pytest.raises(AddressInUse):
        await m.bind_ipv4(ids[1], a, 60)
    assert m.get(ids[1]).state is SessionState.INIT  # type: ignore[union-attr]
    with pytest.raises(InvalidRequest):
        await m.bind_ipv4(ids[1], ipaddress.IPv6Address("2001:db8::1"), 60)  # type: ignore[arg-type]
    with pytest.raises(UnknownSession):
        await m.renew(999, 60)


async def test_ipv6_addresses_and_prefixes_and_lookup_inside_a_prefix() -> None:
    m = manager()
    s = await m.open(key())
    s = await m.add_ipv6(s.id, ipaddress.IPv6Address("2001:db8::10"), 100)
    s = await m.add_prefix(s.id, ipaddress.IPv6Network("2001:db8:100::/56"), 100)
    s = await m.add_prefix(s.id, ipaddress.IPv6Network("2001:db8:100::/56"), 200)  # renewal, not a second
    assert len(s.prefixes) == 1 and s.prefixes[0].expires == 1200.0 and s.state is SessionState.ACTIVE
    assert m.by_address(ipaddress.IPv6Address("2001:db8:100:ff::1"), "cust") == s
    s2 = await m.remove_address(s.id, ipaddress.IPv6Address("2001:db8::10"))
    assert s2 is not None and not s2.ipv6
    assert await m.remove_address(s.id, ipaddress.IPv6Network("2001:db8:100::/56")) is None  # last: gone
    assert m.get(s.id) is None and m.by_address(ipaddress.IPv6Address("2001:db8:100::1"), "cust") is None


async def test_policy_origin_and_fallback_to_template() -> None:
    m = manager()
    s = await m.open(key())
    s = await m.set_policy(
        s.id, {PolicyAttr.QOS_INPUT: "up-100m", PolicyAttr.ACL_INGRESS: "web"}, PolicyOrigin.RADIUS
    )
    assert s.policy[PolicyAttr.QOS_INPUT] == PolicyValue("up-100m", PolicyOrigin.RADIUS)
    s = await m.set_policy(s.id, {PolicyAttr.QOS_INPUT: None, PolicyAttr.ACL_INGRESS: None}, PolicyOrigin.API)
    assert s.policy[PolicyAttr.QOS_INPUT] == PolicyValue("up-50m", PolicyOrigin.TEMPLATE)
    assert PolicyAttr.ACL_INGRESS not in s.policy
    with pytest.raises(InvalidRequest, match="seconds"):
        await m.set_policy(s.id, {PolicyAttr.IDLE_TIMEOUT: "soon", PolicyAttr.VRF: "x"}, PolicyOrigin.COA)
    assert m.get(s.id) == s  # all or nothing


async def test_policy_check_refuses_unknown_values() -> None:
    m = SessionManager(
        AccessConfig.from_entry(CONFIG), policy_check=lambda a, v: None if v == "cust" else "no such VRF"
    )
    s = await m.open(key())
    with pytest.raises(InvalidRequest, match="no such VRF"):
        await m.set_policy(s.id, {PolicyAttr.VRF: "nope"}, PolicyOrigin.API)


async def test_events_in_order_with_replay_and_filter() -> None:
    m = manager()
    first = await m.open(key(1))
    got: list[SessionEvent] = []

    async def collect(n: int, **kw: Any) -> list[SessionEvent]:
        out = []
        async for ev in m.watch(**kw):
            out.append(ev)
            if len(out) == n:
                break
        return out

    everything = asyncio.create_task(collect(4))
    only_two = asyncio.create_task(collect(1, replay=False, selector=SessionFilter(mac=key(2).mac)))
    await asyncio.sleep(0)
    s2 = await m.open(key(2))
    await m.bind_ipv4(first.id, ipaddress.IPv4Address("100.64.0.5"), 60)
    await m.release(first.id, TerminateCause.RELEASE)
    got = await asyncio.wait_for(everything, 2)
    assert [(e.kind, e.session.id) for e in got] == [
        ("appeared", first.id),
        ("appeared", s2.id),
        ("changed", first.id),
        ("left", first.id),
    ]
    assert got[3].cause is TerminateCause.RELEASE and got[3].session.state is SessionState.CLOSING
    assert [e.seq for e in got[1:]] == [2, 3, 4]
    assert [e.session.id for e in await asyncio.wait_for(only_two, 2)] == [s2.id]
    assert len(m.hub) == 0  # finished watchers detach


async def test_slow_watcher_overflows_instead_of_blocking() -> None:
    m = manager()
    w = m.watch(replay=False, buffer=2)
    s = await m.open(key(1))
    for n in range(5):
        await m.renew(s.id, n)
    with pytest.raises(WatchOverflow):
        async for _ in w:
            pass


async def test_release_is_idempotent_and_closed_sessions_refuse_changes() -> None:
    m = manager()
    s = await m.open(key())
    assert await m.release(s.id, TerminateCause.ADMIN) is None
    assert await m.release(s.id, TerminateCause.ADMIN) is None
    with pytest.raises(UnknownSession):
        await m.renew(s.id, 10)
    assert not isinstance(s, SessionClosed)


async def test_disconnect_by_filter_counts() -> None:
    m = manager()
    for n in range(3):
        await m.open(key(n))
    assert await m.disconnect(SessionFilter(mac=key(1).mac)) == 1
    assert await m.disconnect(SessionFilter()) == 2
    assert m.list() == []


class FailingProgrammer:
    def __init__(self) -> None:
        self.calls: list[tuple[Session | None, Session | None]] = []
        self.fail = False

    async def program(self, old: Session | None, new: Session | None) -> None:
        self.calls.append((old, new))
        if self.fail:
            raise RuntimeError("VPP refused")


async def test_vpp_refusal_leaves_the_table_as_before() -> None:
    prog = FailingProgrammer()
    m = SessionManager(AccessConfig.from_entry(CONFIG), programmer=prog)
    s = await m.open(key())
    prog.fail = True
    with pytest.raises(RuntimeError):
        await m.bind_ipv4(s.id, ipaddress.IPv4Address("100.64.0.9"), 60)
    assert m.get(s.id) == s and m.by_address(ipaddress.IPv4Address("100.64.0.9"), "cust") is None
    with pytest.raises(RuntimeError):
        await m.release(s.id, TerminateCause.ADMIN)
    assert m.get(s.id) == s  # still there, still programmed
