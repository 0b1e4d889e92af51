"""Subscriber sessions translated by their VRF's NAT instance, through the NAT feature's session hook
(agent/features/nat/session.py) and the wiring ``bng-agent run`` uses (SubscriberService, the
operational ``sessions`` list) on vppsim: a 1:1 session whose template names a nat44-ed instance gets
its sub-interface into ``nat44_interface_dump`` as inside; a CoA moving it to a det44 instance swaps that
for det44's inside feature and the session's operational data shows the port block VPP's
``det44_forward`` gives; a shared-VLAN session is covered by its configured access interface; an
unknown instance or another VRF is refused with nothing programmed; leaving removes the feature."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _southbound_helpers import AgentStack, vpp_snapshot
from test_sessions_vppsim import P0, P1, SUBS, config
from vpp_papi import VPPApiClient

from agent.app.subscribers import SubscriberWiring
from agent.features.nat.session import NAT_HOOK
from agent.sessions.api import InvalidRequest, PolicyAttr, PolicyOrigin, SessionKey, TerminateCause
from agent.sessions.service import SubscriberService
from agent.vpp.api import api_json_files

NAT = "/ietf-nat:nat"
INSIDE = 0x20  # nat_types.api NAT_IS_INSIDE
SUBIF = f"{P1}.1000007"


def _pool(prefix: str) -> list[dict[str, Any]]:
    return [{"id": 1, "external-ip-address-pool": [{"pool-id": 1, "external-ip-pool": prefix}]}]


NAT_CONFIG = {
    "instances": {
        "instance": [
            # VRF cust, the shared access interface P0 inside
            {
                "id": 1,
                "bng-nat:vrf": "cust",
                "bng-nat:inside-interface": [P0],
                "policy": _pool("198.51.100.0/30"),
            },
            # det44 (VPP's det44 has one inside VRF: here the default one)
            {
                "id": 2,
                "bng-nat:mode": "deterministic",
                "policy": [
                    {
                        "id": 1,
                        "subscriber-match": [{"match-id": 1, "subnet": "100.64.0.0/24"}],
                        "external-ip-address-pool": [{"pool-id": 1, "external-ip-pool": "192.0.2.0/28"}],
                    }
                ],
            },
            {"id": 3, "policy": _pool("198.51.100.8/30")},  # nat44-ed in the default VRF
            {"id": 4, "bng-nat:vrf": "cust", "policy": _pool("198.51.100.12/30")},  # cust, no inside
        ]
    }
}


def with_nat() -> list[tuple[str, Any]]:
    """P0 (shared, VRF cust) with template gold naming instance 1; P1 (1:1) with template plain: the
    default VRF and the det44 instance 2."""
    out: list[tuple[str, Any]] = []
    for path, value in config():
        if path == SUBS:
            value["session-templates"]["template"][0]["nat-instance"] = 1
            value["session-templates"]["template"].append({"name": "plain", "nat-instance": 2})
            value["access-interfaces"]["access-interface"][1]["session-template"] = "plain"
        out.append((path, value))
    return [*out, (NAT, NAT_CONFIG)]


def det44_forward(api_socket: str, address: str) -> tuple[str, int, int]:
    c = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=api_socket)
    c.connect("test-det44")
    try:
        r = c.api.det44_forward(in_addr=address)
        assert r.retval == 0, r
        return str(r.out_addr), int(r.out_port_lo), int(r.out_port_hi)
    finally:
        c.disconnect()


async def test_a_sessions_nat_instance_puts_its_sub_interface_inside(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    service = SubscriberService(tmp_path / "subs", st.sb, hooks=[NAT_HOOK], fsync=False)
    wiring = SubscriberWiring(service, None)
    try:
        await st.commit(updates=with_nat())
        await service.start()
        m = service.manager
        q = await m.open(SessionKey(P1, 100, 7, "02:00:00:00:00:07"))
        q = await m.bind_ipv4(q.id, ipaddress.IPv4Address("100.64.0.7"), 3600)
        shared = await m.open(SessionKey(P0, None, None, "02:00:00:00:00:08"))
        shared = await m.bind_ipv4(shared.id, ipaddress.IPv4Address("100.64.0.8"), 3600)
        nat = (await vpp_snapshot(sim.api_socket))["nat"]
        # the 1:1 session's own sub-interface det44-inside; the shared one rides on configured P0
        assert nat["det44_interfaces"] == [(SUBIF, True, False)]
        assert nat["interfaces"] == [(P0, INSIDE)]
        assert (await st.sb.reconcile()).write_calls == 0  # reconcile reads the session's feature back

        # its block in the operational data is the one VPP's det44_forward gives
        out, lo, hi = det44_forward(sim.api_socket, "100.64.0.7")
        doc = wiring.operational(None)["bng-subscribers:subscribers"]["sessions"]["session"]
        entries = {e["id"]: e for e in doc}
        assert entries[str(q.id)]["nat"] == {
            "instance": 2,
            "mode": "deterministic",
            "outside-address": out,
            "port-range": {"start": lo, "end": hi},
        }
        assert entries[str(shared.id)]["nat"] == {"instance": 1, "mode": "dynamic"}

        # refused, nothing changed: an instance that does not exist, one of another VRF
        with pytest.raises(InvalidRequest, match="NAT instance '9' is not configured"):
            await m.set_policy(q.id, {PolicyAttr.NAT: "9"}, PolicyOrigin.COA)
        with pytest.raises(InvalidRequest, match="translates VRF cust but the session is in VRF default"):
            await m.set_policy(q.id, {PolicyAttr.NAT: "1"}, PolicyOrigin.COA)
        assert m.get(q.id) == q
        assert (await vpp_snapshot(sim.api_socket))["nat"]["det44_interfaces"] == [(SUBIF, True, False)]

        # a CoA to the default VRF's nat44-ed instance: nat44-ed's inside feature instead of det44's
        q = await m.set_policy(q.id, {PolicyAttr.NAT: "3"}, PolicyOrigin.COA)
        nat = (await vpp_snapshot(sim.api_socket))["nat"]
        assert nat["interfaces"] == [(P0, INSIDE), (SUBIF, INSIDE)]
        assert nat["det44_interfaces"] == []
        assert (await st.sb.reconcile()).write_calls == 0

        await m.release(q.id, TerminateCause.RELEASE)
        await m.release(shared.id, TerminateCause.RELEASE)
        nat = (await vpp_snapshot(sim.api_socket))["nat"]
        assert nat["interfaces"] == [(P0, INSIDE)] and nat["det44_interfaces"] == []
        assert st.sb.runtime_state() == {}
    finally:
        await service.stop()
        await st.stop()


async def test_a_shared_vlan_session_needs_its_access_interface_inside(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    service = SubscriberService(tmp_path / "subs", st.sb, hooks=[NAT_HOOK], fsync=False)
    try:
        await st.commit(updates=with_nat())
        await service.start()
        m = service.manager
        s = await m.open(SessionKey(P0, None, None, "02:00:00:00:00:09"))
        s = await m.bind_ipv4(s.id, ipaddress.IPv4Address("100.64.0.9"), 3600)
        with pytest.raises(InvalidRequest, match=f"shared VLAN {P0}: NAT instance 4 covers it only"):
            await m.set_policy(s.id, {PolicyAttr.NAT: "4"}, PolicyOrigin.RADIUS)
        assert m.get(s.id) == s
    finally:
        await service.stop()
        await st.stop()
