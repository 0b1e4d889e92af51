"""All or nothing: when VPP refuses any call of a commit, VPP, running and the name map stay as before.

vppsim's control channel makes the next call(s) of a chosen message fail with a chosen retval. One commit
below sends every kind of call the agent makes (creates, deletes, updates, in several dependency waves),
so failing each message in turn fails the commit at many different positions of its plan.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from _southbound_helpers import GLOBAL, IF, VRFS, AgentStack, addrs, port, route, subif, vpp_snapshot

from agent.errors import AgentError

P0, P1, P2 = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0", "GigabitEthernet0/a/0"

BASE = {
    IF: {
        "interface": [
            port(P2),
            subif(P2, 50, **addrs("10.50.0.1/24")),
            subif(P2, 51, **{"bng-interfaces:mtu": 1400}),
        ]
    },
    GLOBAL: {"static-routes": {"ipv4-route": [route("203.0.113.0/24", ("10.50.0.254", 1, 0))]}},
}

CHANGE_UPDATES: list[tuple[str, Any]] = [
    (
        IF,
        {
            "interface": [
                port(P0, **{"bng-interfaces:bond-member": {"bond": "BondEthernet0"}}),
                port(P1, **{"bng-interfaces:bond-member": {"bond": "BondEthernet0"}}),
                {
                    "name": "BondEthernet0",
                    "type": "iana-if-type:ieee8023adLag",
                    "bng-interfaces:bond": {"mode": "xor", "load-balance": "l23"},
                },
                subif(
                    "BondEthernet0",
                    10,
                    **{"bng-vrf:vrf": "cust"},
                    **addrs("100.64.10.1/24", "2001:db8:a::1/64"),
                ),
                {"name": "loopback7", "type": "iana-if-type:softwareLoopback", **addrs("100.64.255.1/32")},
                subif(
                    P2, 60, **{"ietf-ip:ipv4": {"bng-interfaces:unnumbered": {"use-interface": "loopback7"}}}
                ),
                port(P2, **{"bng-interfaces:mtu": 8000}),
                subif(P2, 51, **{"bng-interfaces:mtu": 1300}),
            ]
        },
    ),
    (
        VRFS,
        {
            "vrf": [
                {
                    "name": "cust",
                    "table-id": 77,
                    "static-routes": {"ipv4-route": [route("0.0.0.0/0", ("100.64.10.254", 2, 0))]},
                }
            ]
        },
    ),
    (f"{GLOBAL}/static-routes/ipv4-route[prefix='203.0.113.0/24']/next-hop[id='0']/weight", 9),
]
CHANGE_DELETES = [f"{IF}/interface[name='{P2}.50']"]

# (message, retval VPP would give) -- every message the commit above sends
FAILURES = [
    ("ip_table_add_del", -3),
    ("bond_create2", -147),
    ("bond_add_member", -2),
    ("create_subif", -68),
    ("create_loopback", -31),
    ("sw_interface_tag_add_del", -7),
    ("sw_interface_set_flags", -2),
    ("sw_interface_set_mtu", -7),
    ("sw_interface_set_table", -3),
    ("sw_interface_add_del_address", -105),
    ("sw_interface_set_unnumbered", -2),
    ("ip_route_add_del", -52),
    ("delete_subif", -98),
]


@pytest.fixture
async def stack(vppsim_factory: Callable[..., Any], tmp_path: Path) -> AsyncIterator[tuple[AgentStack, Any]]:
    sim = vppsim_factory(ports=4)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    await st.commit(updates=list(BASE.items()))
    yield st, sim
    await st.stop()


async def test_every_failure_position_leaves_vpp_and_running_unchanged(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    before = await vpp_snapshot(sim.api_socket)
    running_before = st.ds.running.json()
    names_before = st.sb.names.as_dict()
    for message, retval in FAILURES:
        sim.ctl("fail", message=message, count=1, retval=retval)
        with pytest.raises(AgentError) as info:
            await st.commit(updates=CHANGE_UPDATES, deletes=CHANGE_DELETES)
        err = info.value
        assert err.tag == "operation-failed", str(err)
        assert err.details[0].info["vpp-message"] == message, (message, str(err))
        assert err.details[0].info["vpp-retval"] == str(retval)
        assert message in str(err) and str(retval) in str(err)
        assert await vpp_snapshot(sim.api_socket) == before, f"VPP changed after {message} failed"
        assert st.ds.running.json() == running_before
        assert st.sb.names.as_dict().keys() == names_before.keys()
        sim.ctl("clear_faults")
        await st.discard()
    # nothing was left half-applied: a resync finds nothing to do, and the commit then goes through
    assert (await st.sb.reconcile()).write_calls == 0
    await st.commit(updates=CHANGE_UPDATES, deletes=CHANGE_DELETES)
    after = await vpp_snapshot(sim.api_socket)
    assert after["interfaces"]["BondEthernet0.10"]["tables"] == [77, 77]
    assert after["interfaces"][P2]["mtu"] == 8000 and after["interfaces"][f"{P2}.51"]["mtu"] == 1300
    assert f"{P2}.50" not in after["interfaces"]


async def test_failed_undo_is_reported_and_repaired_by_reconcile(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    before = await vpp_snapshot(sim.api_socket)
    # the first address call fails the commit, the second one fails the undo of a removed address
    sim.ctl("fail", message="sw_interface_add_del_address", count=2, retval=-105)
    with pytest.raises(AgentError) as info:
        await st.commit(updates=CHANGE_UPDATES, deletes=[*CHANGE_DELETES, f"{IF}/interface[name='{P2}.51']"])
    sim.ctl("clear_faults")
    await st.discard()
    assert info.value.tag in ("operation-failed", "rollback-failed")
    report = await st.sb.reconcile()
    assert await vpp_snapshot(sim.api_socket) == before
    if info.value.tag == "rollback-failed":
        assert report.write_calls > 0  # the reconcile did the repair


async def test_commit_without_vpp_fails_cleanly(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    running_before = st.ds.running.json()
    sim.stop()
    with pytest.raises(AgentError) as info:
        await st.commit(updates=CHANGE_UPDATES)
    assert "VPP" in str(info.value)
    assert st.ds.running.json() == running_before
    await st.discard()
    # a change VPP does not hold (a description) needs no VPP and is committed
    await st.commit(updates=[(f"{IF}/interface[name='{P2}.51']/description", "while VPP is down")])
    assert "while VPP is down" in st.ds.running.json()


async def test_vpp_refusing_the_kth_address_of_a_wave_reverts_the_others(
    stack: tuple[AgentStack, Any],
) -> None:
    """VPP itself refuses call k of n (an overlapping address someone else configured, ADDRESS_IN_USE)
    while the other calls of the same wave are in flight; for every k VPP ends up as before."""
    st, sim = stack
    n = 12
    change = [
        (
            IF,
            {
                "interface": [
                    port(P1),
                    *[subif(P1, 200 + i, **addrs(f"10.{100 + i}.0.1/24")) for i in range(n)],
                ]
            },
        )
    ]
    c = sim.client("other-team")
    running_before = st.ds.running.json()
    for k in range(n):
        loop = c.api.create_loopback().sw_if_index
        assert (
            c.api.sw_interface_add_del_address(
                sw_if_index=loop, is_add=True, prefix=f"10.{100 + k}.0.9/24"
            ).retval
            == 0
        )
        before = await vpp_snapshot(sim.api_socket)
        with pytest.raises(AgentError) as info:
            await st.commit(updates=change)
        assert info.value.details[0].info["vpp-message"] == "sw_interface_add_del_address"
        assert info.value.details[0].info["vpp-retval"] == "-105"
        # VPP's name and text for the number (src/vnet/error.h), in error-info and in the message
        assert info.value.details[0].info["vpp-error"] == "ADDRESS_IN_USE"
        assert info.value.details[0].info["vpp-error-text"] == "Address in use"
        assert "returned -105 ADDRESS_IN_USE (Address in use)" in info.value.message
        assert info.value.path == f"address/{P1}.{200 + k}/10.{100 + k}.0.1/24"
        assert await vpp_snapshot(sim.api_socket) == before, f"VPP changed when address {k} was refused"
        assert st.ds.running.json() == running_before
        await st.discard()
        assert c.api.delete_loopback(sw_if_index=loop).retval == 0
    await st.commit(updates=change)
    snap = await vpp_snapshot(sim.api_socket)
    assert all(
        snap["interfaces"][f"{P1}.{200 + i}"]["addresses"] == [f"10.{100 + i}.0.1/24"] for i in range(n)
    )


async def test_after_a_failed_undo_the_next_commit_repairs_vpp_first(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    before = await vpp_snapshot(sim.api_socket)
    # routes go last, so everything else is applied when the route fails; undoing the new loopback then
    # fails too (delete_loopback is only sent by the undo)
    sim.ctl("fail", message="ip_route_add_del", count=1, retval=-52)
    sim.ctl("fail", message="delete_loopback", count=1, retval=-2)
    with pytest.raises(AgentError) as info:
        await st.commit(updates=CHANGE_UPDATES)
    assert info.value.tag == "rollback-failed", str(info.value)
    assert "delete_loopback" in str(info.value)
    sim.ctl("clear_faults")
    await st.discard()
    left = await vpp_snapshot(sim.api_socket)
    extra = set(left["interfaces"]) - set(before["interfaces"])
    assert len(extra) == 1 and extra.pop().startswith("loop")  # the undo's leftover (maybe untagged)
    await st.commit(updates=[(f"{IF}/interface[name='{P2}.51']/description", "next commit")])
    assert await vpp_snapshot(sim.api_socket) == before  # repaired before the (VPP-neutral) commit
    assert (await st.sb.reconcile()).write_calls == 0


async def test_vpp_crashing_in_the_middle_of_a_commit(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    before = await vpp_snapshot(sim.api_socket)
    running_before = st.ds.running.json()
    connects = st.link.connects
    sim.ctl("delay", message="sw_interface_set_table", count=1, seconds=5)  # holds the commit mid-way
    commit = asyncio.create_task(st.commit(updates=CHANGE_UPDATES))
    await asyncio.sleep(0.5)
    assert not commit.done()
    await asyncio.to_thread(sim.crash)
    with pytest.raises(AgentError):
        await asyncio.wait_for(commit, 20)
    assert st.ds.running.json() == running_before
    await st.discard()
    sim.start()  # VPP comes back empty; the agent reconnects and programs running again
    await st.wait_reconnected(connects)
    assert await vpp_snapshot(sim.api_socket) == before
