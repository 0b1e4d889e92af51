"""Commits through the transaction manager end up in VPP exactly as the configuration says."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from _southbound_helpers import GLOBAL, IF, VRFS, AgentStack, addrs, port, route, subif, vpp_snapshot

P0, P1, P2, P3 = (
    "GigabitEthernet0/8/0",
    "GigabitEthernet0/9/0",
    "GigabitEthernet0/a/0",
    "GigabitEthernet0/b/0",
)
ONE_TAG, TWO_TAGS, DOT1AD, EXACT = 2, 4, 8, 16


def bng_config() -> dict[str, Any]:
    interfaces = [
        port(P0, **{"bng-interfaces:bond-member": {"bond": "BondEthernet0"}}),
        port(P1, **{"bng-interfaces:bond-member": {"bond": "BondEthernet0", "lacp-passive": True}}),
        port(P2, **{"bng-interfaces:mtu": 9000}),
        port(P3, enabled=False),
        {
            "name": "BondEthernet0",
            "type": "iana-if-type:ieee8023adLag",
            "bng-interfaces:bond": {"mode": "lacp", "load-balance": "l34"},
            **addrs("192.0.2.2/30", "2001:db8:ffff::2/64"),
        },
        {"name": "loopback0", "type": "iana-if-type:softwareLoopback", **addrs("100.64.0.1/32")},
        subif(
            "BondEthernet0", 100, **{"bng-vrf:vrf": "internet"}, **addrs("100.64.1.1/24", "2001:db8:1::1/64")
        ),
        subif(P2, 200, **{"bng-interfaces:mtu": 1500, "bng-vrf:vrf": "voice"}, **addrs("10.20.0.1/24")),
        subif(P2, 3000042, vlan=300, inner=42, **{"bng-vrf:vrf": "internet"}, **addrs("100.65.0.1/24")),
    ]
    vrfs = [
        {
            "name": "internet",
            "table-id": 10,
            "static-routes": {
                "ipv4-route": [
                    route("0.0.0.0/0", ("100.64.1.254", 3, 0), ("100.64.1.253", 1, 0)),
                    route("198.18.0.0/15", ("100.64.1.254", 1, 0), ("100.65.0.254", 1, 10)),
                ],
                "ipv6-route": [route("2001:db8:100::/48", ("2001:db8:1::fe", 1, 0))],
            },
        },
        {"name": "voice", "table-id": 20, "ipv6": False},
    ]
    global_routes = {
        "static-routes": {
            "ipv4-route": [
                route("203.0.113.0/24", ("192.0.2.1", 1, 0)),
                {"prefix": "198.51.100.0/24", "special-next-hop": "blackhole"},
            ]
        }
    }
    return {
        IF: {"interface": interfaces},
        VRFS: {"vrf": vrfs},
        GLOBAL: global_routes,
    }


@pytest.fixture
async def stack(vppsim_factory: Callable[..., Any], tmp_path: Path) -> AsyncIterator[tuple[AgentStack, Any]]:
    sim = vppsim_factory(ports=4)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    yield st, sim
    await st.stop()


async def commit_all(st: AgentStack) -> None:
    cfg = bng_config()
    await st.commit(updates=[(k, v) for k, v in cfg.items()])


async def test_commit_programs_every_object(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    await commit_all(st)
    snap = await vpp_snapshot(sim.api_socket)
    ifs = snap["interfaces"]

    bond = ifs["BondEthernet0"]
    assert bond["tag"] == "bng-agent:BondEthernet0" and bond["admin_up"]
    assert bond["addresses"] == ["192.0.2.2/30", "2001:db8:ffff::2/64"]
    assert snap["bonds"]["BondEthernet0"] == {"mode": 5, "lb": 1, "members": [P0, P1]}

    loops = [n for n, e in ifs.items() if e["tag"] == "bng-agent:loopback0"]
    assert len(loops) == 1 and loops[0].startswith("loop")
    assert ifs[loops[0]]["addresses"] == ["100.64.0.1/32"]

    s100 = ifs["BondEthernet0.100"]
    assert s100["sub"] == {
        "parent": "BondEthernet0",
        "sub_id": 100,
        "flags": ONE_TAG | EXACT,
        "outer": 100,
        "inner": 0,
    }
    assert s100["tables"] == [10, 10] and s100["admin_up"] and s100["tag"] == "bng-agent:BondEthernet0.100"
    assert s100["addresses"] == ["100.64.1.1/24", "2001:db8:1::1/64"]

    s200 = ifs[f"{P2}.200"]
    assert s200["mtu"] == 1500 and s200["tables"] == [20, 0]  # voice has no IPv6 table
    qinq = ifs[f"{P2}.3000042"]
    assert qinq["sub"] == {
        "parent": P2,
        "sub_id": 3000042,
        "flags": TWO_TAGS | DOT1AD | EXACT,
        "outer": 300,
        "inner": 42,
    }

    assert ifs[P2]["admin_up"] and not ifs[P3]["admin_up"]  # enabled=false keeps the port down
    assert (10, False, "bng-agent:internet") in snap["tables"] and (10, True, "bng-agent:internet") in snap[
        "tables"
    ]
    assert (20, False, "bng-agent:voice") in snap["tables"] and (20, True, "bng-agent:voice") not in snap[
        "tables"
    ]

    routes = snap["routes"]
    assert routes["10/0.0.0.0/0"] == sorted(
        [("100.64.1.253", None, 1, 0, 0), ("100.64.1.254", None, 3, 0, 0)], key=str
    )  # UCMP 3:1
    assert routes["10/198.18.0.0/15"] == sorted(
        [("100.64.1.254", None, 1, 0, 0), ("100.65.0.254", None, 1, 10, 0)], key=str
    )  # preference 10 = backup path
    assert routes["10/2001:db8:100::/48"] == [("2001:db8:1::fe", None, 1, 0, 0)]
    assert routes["0/203.0.113.0/24"] == [("192.0.2.1", None, 1, 0, 0)]
    assert routes["0/198.51.100.0/24"] == [(None, None, 1, 0, 2)]  # FIB_API_PATH_TYPE_DROP

    report = await st.sb.reconcile()
    assert report.write_calls == 0 and report.steps == []


async def test_changes_are_applied_in_place_or_by_recreate(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    await commit_all(st)
    s100 = f"{IF}/interface[name='BondEthernet0.100']"
    await st.commit(
        updates=[
            (f"{s100}/bng-interfaces:sub-interface/encapsulation/single-tagged/tag-type", "dot1ad"),
            (
                f"{VRFS}/vrf[name='internet']/static-routes/ipv4-route[prefix='0.0.0.0/0']/next-hop[id='1']/weight",
                5,
            ),
            (f"{IF}/interface[name='{P3}']/enabled", True),
        ]
    )
    snap = await vpp_snapshot(sim.api_socket)
    s = snap["interfaces"]["BondEthernet0.100"]
    assert s["sub"]["flags"] == ONE_TAG | DOT1AD | EXACT  # re-created with the new TPID ...
    assert s["addresses"] == ["100.64.1.1/24", "2001:db8:1::1/64"] and s["tables"] == [
        10,
        10,
    ]  # ... with its children
    assert snap["routes"]["10/0.0.0.0/0"] == sorted(
        [("100.64.1.253", None, 5, 0, 0), ("100.64.1.254", None, 3, 0, 0)], key=str
    )
    assert snap["interfaces"][P3]["admin_up"]

    # moving an interface to another VRF: addresses leave, binding changes, addresses come back
    await st.commit(updates=[(f"{IF}/interface[name='{P2}.3000042']/bng-vrf:vrf", "voice")])
    snap = await vpp_snapshot(sim.api_socket)
    assert snap["interfaces"][f"{P2}.3000042"]["tables"] == [20, 0]
    assert snap["interfaces"][f"{P2}.3000042"]["addresses"] == ["100.65.0.1/24"]

    # removing the bond (its sub-interface and members first) leaves the ports as plain ports
    await st.commit(
        deletes=[
            f"{IF}/interface[name='BondEthernet0.100']",
            f"{IF}/interface[name='BondEthernet0']",
            f"{IF}/interface[name='{P0}']/bng-interfaces:bond-member",
            f"{IF}/interface[name='{P1}']/bng-interfaces:bond-member",
            f"{VRFS}/vrf[name='internet']/static-routes",
        ]
    )
    snap = await vpp_snapshot(sim.api_socket)
    assert "BondEthernet0" not in snap["interfaces"] and "BondEthernet0.100" not in snap["interfaces"]
    assert snap["bonds"] == {}
    assert not any(
        k.startswith("10/0.0.0.0/0") and ("100.64.1.254", None, 3, 0, 0) in v
        for k, v in snap["routes"].items()
    )
    report = await st.sb.reconcile()
    assert report.write_calls == 0, report.steps


async def test_dry_run_lists_vpp_calls_in_dependency_order(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    before = await vpp_snapshot(sim.api_socket)
    cfg = bng_config()
    st.ds.edit_gnmi("candidate", deletes=[], replaces=[], updates=list(cfg.items()), session=_session())
    plan = await st.txn.dry_run(_session())
    lines = plan.describe()
    assert await vpp_snapshot(sim.api_socket) == before  # a dry run sends nothing

    def first(fragment: str) -> int:
        return next(i for i, line in enumerate(lines) if fragment in line)

    assert first("ip_table_add_del") < first("sw_interface_set_table")
    assert first("create interface/BondEthernet0 ") < first("create member/")
    assert first("create interface/BondEthernet0 ") < first("create interface/BondEthernet0.100")
    assert first("create binding/BondEthernet0.100/ipv4") < first("create address/BondEthernet0.100/")
    assert first(f"create mtu/{P2} ") < first(f"create mtu/{P2}.200")
    assert first("create_subif(sw_if_index=<BondEthernet0>, sub_id=100") >= 0
    await st.discard()

    # and for a delete, members are detached before the bond goes
    await commit_all(st)
    st.ds.edit_gnmi(
        "candidate",
        deletes=[
            f"{IF}/interface[name='BondEthernet0.100']",
            f"{IF}/interface[name='BondEthernet0']",
            f"{IF}/interface[name='{P0}']/bng-interfaces:bond-member",
            f"{IF}/interface[name='{P1}']/bng-interfaces:bond-member",
        ],
        replaces=[],
        updates=[],
        session=_session(),
    )
    lines = (await st.txn.dry_run(_session())).describe()
    detach = max(i for i, line in enumerate(lines) if "bond_detach_member" in line)
    assert detach < next(i for i, line in enumerate(lines) if "bond_delete" in line)
    assert next(i for i, line in enumerate(lines) if "delete_subif" in line) < next(
        i for i, line in enumerate(lines) if "bond_delete" in line
    )


def _session() -> Any:
    from _southbound_helpers import SESSION

    return SESSION
