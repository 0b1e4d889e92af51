"""VPP refusing a call for a reason of its own (no injected fault): the commit is reverted in full.

Someone else (an operator's script, another agent) holds what the commit needs: a port already in a bond
of theirs, a VLAN already taken by their sub-interface. VPP refuses, the agent undoes every call it
made, and VPP and running are exactly as before. These bodies also run on real VPP 26.06 in the lane
(tests/vpp/test_vpp_revert.py), so the retvals asserted here are VPP's, not the emulator's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from _southbound_helpers import IF, VRFS, AgentStack, addrs, port, subif, vpp_snapshot

from agent.errors import AgentError

P0, P1, P2 = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0", "GigabitEthernet0/a/0"
BOND_MODE_XOR, LB_L2 = 3, 0

CHANGE: list[tuple[str, Any]] = [
    (
        IF,
        {
            "interface": [
                port(P0, **{"bng-interfaces:bond-member": {"bond": "BondEthernet0"}}),
                port(P1, **{"bng-interfaces:bond-member": {"bond": "BondEthernet0"}}),
                {
                    "name": "BondEthernet0",
                    "type": "iana-if-type:ieee8023adLag",
                    "bng-interfaces:bond": {"mode": "lacp", "load-balance": "l34"},
                    **addrs("192.0.2.2/30"),
                },
                subif("BondEthernet0", 100, **{"bng-vrf:vrf": "cust"}, **addrs("100.64.1.1/24")),
                port(P2, **{"bng-interfaces:mtu": 8000}),
                subif(P2, 300, **addrs("10.30.0.1/24", "2001:db8:30::1/64")),
                {"name": "loopback3", "type": "iana-if-type:softwareLoopback", **addrs("100.64.255.3/32")},
            ]
        },
    ),
    (VRFS, {"vrf": [{"name": "cust", "table-id": 30}]}),
]


@pytest.fixture
async def stack(vppsim_factory: Callable[..., Any], tmp_path: Path) -> AsyncIterator[tuple[AgentStack, Any]]:
    sim = vppsim_factory(ports=3)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    yield st, sim
    await st.stop()


def index_of(client: Any, name: str) -> int:
    for i in client.api.sw_interface_dump(sw_if_index=0xFFFFFFFF):
        if str(i.interface_name) == name:
            return int(i.sw_if_index)
    raise AssertionError(f"VPP has no {name}")


async def refused(st: AgentStack, sim: Any) -> AgentError:
    """Commit CHANGE, expect VPP to refuse it, check nothing changed; return the commit's error."""
    before = await vpp_snapshot(sim.api_socket)
    running = st.ds.running.json()
    with pytest.raises(AgentError) as info:
        await st.commit(updates=CHANGE)
    assert await vpp_snapshot(sim.api_socket) == before
    assert st.ds.running.json() == running
    await st.discard()
    return info.value


async def test_a_port_in_someone_elses_bond_fails_the_commit_and_nothing_stays(
    stack: tuple[AgentStack, Any],
) -> None:
    st, sim = stack
    c = sim.client("other-team")
    theirs = c.api.bond_create2(
        mode=BOND_MODE_XOR, lb=LB_L2, id=9, use_custom_mac=False, mac_address=bytes(6)
    )
    assert theirs.retval == 0
    p1 = index_of(c, P1)
    assert c.api.bond_add_member(sw_if_index=p1, bond_sw_if_index=theirs.sw_if_index).retval == 0

    err = await refused(st, sim)
    # bonding/cli.c bond_add_member: "interface was already added as member" -> VNET_API_ERROR_VALUE_EXIST
    assert err.details[0].info["vpp-message"] == "bond_add_member"
    assert err.details[0].info["vpp-retval"] == "-81"
    assert err.path == f"member/{P1}"

    # once they let go of the port the same commit goes through
    assert c.api.bond_detach_member(sw_if_index=p1).retval == 0
    await st.commit(updates=CHANGE)
    snap = await vpp_snapshot(sim.api_socket)
    assert snap["bonds"]["BondEthernet0"]["members"] == [P0, P1]
    assert snap["interfaces"]["BondEthernet0.100"]["addresses"] == ["100.64.1.1/24"]


async def test_a_vlan_someone_else_holds_fails_the_commit_and_nothing_stays(
    stack: tuple[AgentStack, Any],
) -> None:
    st, sim = stack
    c = sim.client("other-team")
    # their sub-interface GigabitEthernet0/a/0.7 matches exactly VLAN 300, the VLAN of the agent's .300
    theirs = c.api.create_subif(sw_if_index=index_of(c, P2), sub_id=7, sub_if_flags=2 | 16, outer_vlan_id=300)
    assert theirs.retval == 0

    err = await refused(st, sim)
    # ethernet/node.c ethernet_sw_interface_add_del: "vlan is already in use"; vnet_create_sub_interface
    # (vnet/interface.c) turns that into VNET_API_ERROR_UNSPECIFIED
    assert err.details[0].info["vpp-message"] == "create_subif"
    assert err.details[0].info["vpp-retval"] == "-1"
    assert err.path == f"interface/{P2}.300"

    assert c.api.delete_subif(sw_if_index=theirs.sw_if_index).retval == 0
    await st.commit(updates=CHANGE)
    snap = await vpp_snapshot(sim.api_socket)
    assert snap["interfaces"][f"{P2}.300"]["addresses"] == ["10.30.0.1/24", "2001:db8:30::1/64"]
