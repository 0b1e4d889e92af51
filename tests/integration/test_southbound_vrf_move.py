"""Moving an interface that has addresses into another VRF (or into / out of the global table).

VPP refuses ``sw_interface_set_table`` while the interface has an address of that family
(ADDRESS_FOUND_FOR_INTERFACE, -114). A user only changes the ``vrf`` leaf and expects the agent to
remove the addresses, move the binding and add them back -- per family -- all or nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from _southbound_helpers import IF, VRFS, AgentStack, addrs, port, subif, vpp_snapshot

from agent.errors import AgentError

P0 = "GigabitEthernet0/8/0"
SUB = f"{P0}.100"
VRF_LEAF = f"{IF}/interface[name='{SUB}']/bng-vrf:vrf"

BASE: list[tuple[str, Any]] = [
    (
        VRFS,
        {
            "vrf": [
                {"name": "red", "table-id": 10},
                {"name": "blue", "table-id": 20},
                {"name": "v4only", "table-id": 30, "ipv6": False},
            ]
        },
    ),
    (
        IF,
        {
            "interface": [
                port(P0),
                subif(P0, 100, **{"bng-vrf:vrf": "red"}, **addrs("100.64.1.1/24", "2001:db8:1::1/64")),
                {
                    "name": "loopback1",
                    "type": "iana-if-type:softwareLoopback",
                    "bng-vrf:vrf": "red",
                    **addrs("100.64.255.1/32", "2001:db8:ff::1/128"),
                },
                # VPP 26.06 refuses unnumbered across tables (interface.c vnet_sw_interface_check_table_same,
                # -74): the borrower is in its lender's VRF
                subif(
                    P0,
                    101,
                    **{"bng-vrf:vrf": "red"},
                    **{"ietf-ip:ipv4": {"bng-interfaces:unnumbered": {"use-interface": "loopback1"}}},
                ),
            ]
        },
    ),
]


@pytest.fixture
async def stack(vppsim_factory: Callable[..., Any], tmp_path: Path) -> AsyncIterator[tuple[AgentStack, Any]]:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    await st.commit(updates=BASE)
    yield st, sim
    await st.stop()


def _sub(snap: dict[str, Any]) -> dict[str, Any]:
    return dict(snap["interfaces"][SUB])


async def test_changing_only_the_vrf_leaf_moves_addresses_with_it(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    before = _sub(await vpp_snapshot(sim.api_socket))
    assert before["tables"] == [10, 10]
    assert before["addresses"] == ["100.64.1.1/24", "2001:db8:1::1/64"]

    await st.commit(updates=[(VRF_LEAF, "blue")])
    snap = await vpp_snapshot(sim.api_socket)
    assert _sub(snap)["tables"] == [20, 20]
    assert _sub(snap)["addresses"] == before["addresses"]
    # the connected routes follow the addresses into the new table
    assert "20/100.64.1.0/24" in snap["routes"] and "10/100.64.1.0/24" not in snap["routes"]
    assert "20/2001:db8:1::/64" in snap["routes"] and "10/2001:db8:1::/64" not in snap["routes"]

    # into the global table (the vrf leaf removed) and back into a VRF
    await st.commit(deletes=[VRF_LEAF])
    snap = await vpp_snapshot(sim.api_socket)
    assert _sub(snap)["tables"] == [0, 0] and _sub(snap)["addresses"] == before["addresses"]
    assert "0/100.64.1.0/24" in snap["routes"]
    await st.commit(updates=[(VRF_LEAF, "red")])
    snap = await vpp_snapshot(sim.api_socket)
    assert _sub(snap) == before
    assert (await st.sb.reconcile()).write_calls == 0


async def test_families_move_independently(stack: tuple[AgentStack, Any]) -> None:
    """Only the family whose binding changes loses and regains its addresses."""
    st, sim = stack
    await st.commit(updates=[(VRF_LEAF, "v4only")])
    snap = await vpp_snapshot(sim.api_socket)
    assert _sub(snap)["tables"] == [30, 0]
    assert _sub(snap)["addresses"] == ["100.64.1.1/24", "2001:db8:1::1/64"]
    # v4only gains IPv6: the IPv6 address is moved, the IPv4 one is not touched
    ipv6_on = [(f"{VRFS}/vrf[name='v4only']/ipv6", True)]
    keys = {line.split()[1] for line in await _dry_run(st, ipv6_on)}
    await st.discard()
    assert f"address/{SUB}/2001:db8:1::1/64" in keys and f"binding/{SUB}/ipv6" in keys
    assert f"address/{SUB}/100.64.1.1/24" not in keys and f"binding/{SUB}/ipv4" not in keys
    await st.commit(updates=ipv6_on)
    snap = await vpp_snapshot(sim.api_socket)
    assert _sub(snap)["tables"] == [30, 30]
    assert _sub(snap)["addresses"] == ["100.64.1.1/24", "2001:db8:1::1/64"]
    assert (await st.sb.reconcile()).write_calls == 0


async def test_moving_an_unnumbered_interface(stack: tuple[AgentStack, Any]) -> None:
    """An unnumbered interface borrows its lender's addresses, and VPP wants both in the same tables
    (vnet_sw_interface_check_table_same): lender and borrower move to another VRF in one commit."""
    st, sim = stack
    await st.commit(
        updates=[
            (f"{IF}/interface[name='{P0}.101']/bng-vrf:vrf", "blue"),
            (f"{IF}/interface[name='loopback1']/bng-vrf:vrf", "blue"),
        ]
    )
    snap = await vpp_snapshot(sim.api_socket)
    assert snap["interfaces"][f"{P0}.101"]["tables"] == [20, 20]
    loop = next(e for e in snap["interfaces"].values() if e["tag"] == "bng-agent:loopback1")
    assert loop["tables"] == [20, 20] and loop["addresses"] == ["100.64.255.1/32", "2001:db8:ff::1/128"]
    assert (await st.sb.reconcile()).write_calls == 0


@pytest.mark.parametrize(
    "fault",
    [
        ("sw_interface_add_del_address", 1),  # the first address removal
        ("sw_interface_set_table", 1),  # after the addresses are gone
        ("sw_interface_set_table", 3),  # the first binding to the new table
        ("overlap", 0),  # VPP refuses re-adding the IPv4 address in the new table (last wave)
    ],
)
async def test_a_failure_anywhere_in_the_move_restores_everything(
    stack: tuple[AgentStack, Any], fault: tuple[str, int]
) -> None:
    st, sim = stack
    message, nth = fault
    other = sim.client("other-team")
    loop = None
    if message == "overlap":
        # someone else holds an overlapping address in table 20 (blue)
        loop = other.api.create_loopback().sw_if_index
        assert other.api.sw_interface_set_table(sw_if_index=loop, is_ipv6=False, vrf_id=20).retval == 0
        assert (
            other.api.sw_interface_add_del_address(
                sw_if_index=loop, is_add=True, prefix="100.64.1.9/24"
            ).retval
            == 0
        )
    before = await vpp_snapshot(sim.api_socket)
    running_before = st.ds.running.json()
    if message != "overlap":
        if nth > 1:
            sim.ctl("delay", message=message, count=nth - 1, seconds=0)
        sim.ctl("fail", message=message, count=1, retval=-7)
    with pytest.raises(AgentError) as info:
        await st.commit(updates=[(VRF_LEAF, "blue")])
    sim.ctl("clear_faults")
    assert info.value.tag == "operation-failed", str(info.value)
    expected = "sw_interface_add_del_address" if message == "overlap" else message
    assert info.value.details[0].info["vpp-message"] == expected
    assert await vpp_snapshot(sim.api_socket) == before
    assert st.ds.running.json() == running_before
    await st.discard()
    if loop is not None:
        assert other.api.delete_loopback(sw_if_index=loop).retval == 0
    await st.commit(updates=[(VRF_LEAF, "blue")])
    assert _sub(await vpp_snapshot(sim.api_socket))["tables"] == [20, 20]


async def _dry_run(st: AgentStack, updates: list[tuple[str, Any]]) -> list[str]:
    from _southbound_helpers import SESSION

    st.ds.edit_gnmi("candidate", deletes=[], replaces=[], updates=updates, session=SESSION)
    plan = await st.txn.dry_run(SESSION)
    return list(plan.describe())
