"""The NAT feature's session hook (agent/features/nat/session.py) without VPP: which items a session
whose policy names a NAT instance gets, what is refused (an instance not configured, another VRF, a
shared VLAN whose access interface is not inside) and the det44 block in the session's operational
data, equal to VPP's det44 arithmetic."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from agent.features import registry
from agent.features.nat import lookup
from agent.features.nat.session import NAT_HOOK, session_nat
from agent.features.nat.values import Det44InterfaceValue, Nat44InterfaceValue
from agent.sessions import oper
from agent.sessions.api import (
    InvalidRequest,
    Lease,
    PolicyAttr,
    PolicyOrigin,
    PolicyValue,
    Session,
    SessionKey,
    SessionState,
)
from agent.sessions.program import SessionProgrammer
from agent.vpp.config import ConfigIndex

ACCESS, INSIDE, OUT = "GigabitEthernet0/8/0", "GigabitEthernet0/a/0", "GigabitEthernet0/9/0"
SUBIF = f"{ACCESS}.1000007"
NAT: dict[str, Any] = {
    "instances": {
        "instance": [
            {
                "id": 1,
                "bng-nat:vrf": "cust",
                "bng-nat:inside-interface": [INSIDE],
                "bng-nat:outside-interface": [OUT],
                "policy": [
                    {
                        "id": 1,
                        "external-ip-address-pool": [{"pool-id": 1, "external-ip-pool": "198.51.100.0/30"}],
                    }
                ],
            },
            {
                "id": 2,
                "bng-nat:mode": "deterministic",
                "bng-nat:vrf": "cust",
                "policy": [
                    {
                        "id": 1,
                        "subscriber-match": [{"match-id": 1, "subnet": "100.64.0.0/24"}],
                        "external-ip-address-pool": [{"pool-id": 1, "external-ip-pool": "192.0.2.0/28"}],
                    }
                ],
            },
            {"id": 3, "enable": False},
            {"id": 4, "bng-nat:inside-interface": [ACCESS]},
        ]
    }
}
CFG = ConfigIndex.from_json(
    {"bng-vrf:vrfs": {"vrf": [{"name": "cust", "table-id": 10}]}, "ietf-nat:nat": NAT}, registry.ROOTS
)


def session(
    nat: str | None, vrf: str | None = "cust", shared: bool = False, addr: str = "100.64.0.77"
) -> Session:
    policy = {PolicyAttr.VRF: PolicyValue(vrf, PolicyOrigin.TEMPLATE)} if vrf else {}
    if nat is not None:
        policy[PolicyAttr.NAT] = PolicyValue(nat, PolicyOrigin.RADIUS)
    key = SessionKey(ACCESS, None if shared else 100, None if shared else 7, "02:00:00:00:00:07")
    return Session(
        id=1,
        key=key,
        type="ipoe",
        state=SessionState.ACTIVE,
        template="gold",
        interface=ACCESS if shared else SUBIF,
        started=0.0,
        updated=0.0,
        last_seen=0.0,
        ipv4=Lease(ipaddress.IPv4Address(addr), None),
        policy=policy,
    )


def test_a_one_to_one_session_gets_its_instances_inside_feature_on_its_sub_interface() -> None:
    (item,) = NAT_HOOK.items(session("1"), CFG)
    assert item.key == f"nat44-if/{SUBIF}/inside" and item.origin == "session"
    assert item.value == Nat44InterfaceValue(SUBIF, True)
    # after the plugin and the sub-interface's VRF binding (VPP sizes nat44-ed's per-VRF state from it)
    assert item.deps == ("nat44/plugin", f"interface/{SUBIF}", f"binding/{SUBIF}/ipv4")
    (det,) = NAT_HOOK.items(session("2"), CFG)
    assert det.key == f"det44-if/{SUBIF}/inside" and det.value == Det44InterfaceValue(SUBIF, True)
    assert "det44/plugin" in det.deps
    assert NAT_HOOK.items(session(None), CFG) == []
    # a shared VLAN: the access interface's inside feature is configuration, nothing per session
    assert NAT_HOOK.items(session("4", vrf=None, shared=True), CFG) == []


def test_refusals_name_the_instance_and_what_is_wrong() -> None:
    assert NAT_HOOK.validate(PolicyAttr.NAT, "1", CFG) is None
    assert "'9' is not configured" in str(NAT_HOOK.validate(PolicyAttr.NAT, "9", CFG))
    assert NAT_HOOK.validate(PolicyAttr.NAT, "3", CFG) is not None  # disabled
    assert NAT_HOOK.validate(PolicyAttr.VRF, "9", CFG) is None
    assert NAT_HOOK.check(session("1"), CFG) is None
    why = str(NAT_HOOK.check(session("1", vrf=None), CFG))
    assert "translates VRF cust but the session is in VRF default" in why
    why = str(NAT_HOOK.check(session("1", shared=True), CFG))
    assert f"shared VLAN {ACCESS}" in why and "inside-interface" in why
    assert NAT_HOOK.check(session("4", vrf=None, shared=True), CFG) is None


async def test_the_programmer_refuses_before_programming_anything() -> None:
    class _Sb:
        config = CFG

    prog = SessionProgrammer(_Sb(), hooks=[NAT_HOOK])  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest, match="session is in VRF default"):
        await prog.program(None, session("1", vrf=None))
    # an unchanged session is not re-judged (a renewal after the instance moved VRF still works)
    prog.check(session("1", vrf=None), session("1", vrf=None))


def test_det44_block_in_operational_data_equals_det44_forward() -> None:
    s = session("2", addr="100.64.0.77")
    want = lookup.forward(NAT, "100.64.0.77")
    nat = session_nat(s, CFG)
    assert nat == {
        "instance": 2,
        "mode": "deterministic",
        "outside-address": want["outside-address"],
        "port-range": {"start": want["port-low"], "end": want["port-high"]},
    }
    assert session_nat(session("1"), CFG) == {"instance": 1, "mode": "dynamic"}
    assert session_nat(session(None), CFG) is None
    # the leaves gNMI streams and the entry a get returns
    extra = {"nat": nat}
    leaves = oper.leaves(s, lambda _: extra)
    assert leaves["nat/port-range/start"] == want["port-low"] and leaves["nat/instance"] == 2
    assert oper.entry(s, lambda _: extra)["nat"]["outside-address"] == want["outside-address"]
