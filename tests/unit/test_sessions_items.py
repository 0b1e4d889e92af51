"""A session's VPP items: the fast sub-interface builder equals the interfaces feature's own flattening of
the same sub-interface, and the routes and states decide what is programmed."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from agent.features.registry import ROOTS
from agent.sessions.api import Lease, PolicyAttr, PolicyOrigin, PolicyValue, Session, SessionKey, SessionState
from agent.sessions.items import session_items, subif_items, subif_items_via_config
from agent.sessions.templates import AccessConfig
from agent.vpp.config import ConfigIndex

P1 = "GigabitEthernet0/9/0"


def config(ipv6: bool, tag_type: str) -> tuple[ConfigIndex, AccessConfig]:
    doc: dict[str, Any] = {
        "bng-vrf:vrfs": {"vrf": [{"name": "cust", "table-id": 10, "ipv6": ipv6}]},
        "bng-subscribers:subscribers": {
            "session-templates": {"template": [{"name": "t", "vrf": "cust", "unnumbered-interface": "lo0"}]},
            "access-interfaces": {
                "access-interface": [
                    {
                        "interface": P1,
                        "session-template": "t",
                        "vlan-model": "per-subscriber",
                        "vlan-range": [
                            {"id": 1, "outer-vlan-min": 100, "outer-vlan-max": 100,
                             "outer-tag-type": tag_type, "inner-vlan-min": 1, "inner-vlan-max": 99},
                            {"id": 2, "outer-vlan-min": 200, "outer-vlan-max": 300},
                        ],
                        "ipoe": {},
                    }
                ]
            },
        },
    }  # fmt: skip
    idx = ConfigIndex.from_json(doc, ROOTS)
    return idx, AccessConfig.from_entry(doc["bng-subscribers:subscribers"])


def session(outer: int, inner: int | None, vrf: str | None = "cust") -> Session:
    sub = outer if inner is None else outer * 10000 + inner
    return Session(
        id=1,
        key=SessionKey(P1, outer, inner, "02:00:00:00:00:01"),
        type="ipoe",
        state=SessionState.ACTIVE,
        template="t",
        interface=f"{P1}.{sub}",
        started=0.0,
        updated=0.0,
        last_seen=0.0,
        ipv4=Lease(ipaddress.IPv4Address("100.64.0.9"), None),
        policy={PolicyAttr.VRF: PolicyValue(vrf, PolicyOrigin.TEMPLATE)} if vrf else {},
    )


@pytest.mark.parametrize("ipv6", [True, False])
@pytest.mark.parametrize("tag_type", ["dot1ad", "dot1q"])
@pytest.mark.parametrize(("outer", "inner"), [(100, 7), (250, None)])
@pytest.mark.parametrize("vrf", ["cust", None, "missing"])
@pytest.mark.parametrize("unnumbered", ["loop0", None])
def test_fast_subif_items_equal_the_interfaces_features(
    ipv6: bool, tag_type: str, outer: int, inner: int | None, vrf: str | None, unnumbered: str | None
) -> None:
    idx, access = config(ipv6, tag_type)
    s = session(outer, inner, vrf)
    ai = access.interfaces[P1]
    fast = subif_items(s, vrf, unnumbered, ai, idx)
    ref = subif_items_via_config(s, vrf, unnumbered, ai, idx)
    assert fast == ref and [i.owner for i in fast] == [i.owner for i in ref]


def test_only_active_sessions_have_items_and_routes_follow_the_vrf() -> None:
    idx, access = config(True, "dot1ad")
    s = session(100, 7)
    keys = [it.key for it in session_items(s, access, idx)]
    assert keys[0] == f"interface/{P1}.1000007" and keys[-1] == "route/vrf:cust/100.64.0.9/32"
    assert all(it.origin == "session" for it in session_items(s, access, idx))
    init = Session(**{**{f: getattr(s, f) for f in s.__dataclass_fields__}, "state": SessionState.INIT})
    assert session_items(init, access, idx) == []
