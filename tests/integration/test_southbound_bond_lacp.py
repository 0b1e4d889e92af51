"""Bond ``lacp-rate`` reaches VPP: it is set per member (``bond_add_member is_long_timeout``).

VPP has no call to change a member's timeout, so changing the rate detaches and re-attaches each member;
the default is VPP's own (the short timeout, ``fast``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from _southbound_helpers import IF, AgentStack, port, vpp_snapshot

from agent.errors import AgentError

P0, P1 = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"
BOND = "BondEthernet0"
RATE = f"{IF}/interface[name='{BOND}']/bng-interfaces:bond/lacp-rate"


def bond_config(**bond: Any) -> list[tuple[str, Any]]:
    return [
        (
            IF,
            {
                "interface": [
                    port(P0, **{"bng-interfaces:bond-member": {"bond": BOND}}),
                    port(P1, **{"bng-interfaces:bond-member": {"bond": BOND, "lacp-passive": True}}),
                    {"name": BOND, "type": "iana-if-type:ieee8023adLag", "bng-interfaces:bond": bond},
                ]
            },
        )
    ]


def members(sim: Any) -> dict[str, tuple[bool, bool]]:
    """member name -> (is_long_timeout, is_passive) as VPP reports them."""
    c = sim.client("lacp-check")
    out = {}
    for b in c.api.sw_bond_interface_dump(sw_if_index=0xFFFFFFFF):
        for m in c.api.sw_member_interface_dump(sw_if_index=b.sw_if_index):
            out[str(m.interface_name)] = (bool(m.is_long_timeout), bool(m.is_passive))
    return out


@pytest.fixture
async def stack(vppsim_factory: Callable[..., Any], tmp_path: Path) -> AsyncIterator[tuple[AgentStack, Any]]:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    yield st, sim
    await st.stop()


async def test_default_rate_is_vpps_short_timeout_and_slow_sets_long(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    await st.commit(updates=bond_config(mode="lacp"))
    assert members(sim) == {P0: (False, False), P1: (False, True)}

    await st.commit(updates=[(RATE, "slow")])
    assert members(sim) == {P0: (True, False), P1: (True, True)}  # passive kept
    assert (await st.sb.reconcile()).write_calls == 0

    await st.commit(updates=[(RATE, "fast")])
    assert members(sim) == {P0: (False, False), P1: (False, True)}
    # a rate change re-attaches members: the bond and its membership survive it
    assert (await vpp_snapshot(sim.api_socket))["bonds"][BOND]["members"] == [P0, P1]


async def test_rate_change_plan_detaches_then_reattaches_each_member(stack: tuple[AgentStack, Any]) -> None:
    st, _ = stack
    await st.commit(updates=bond_config(mode="lacp"))
    from _southbound_helpers import SESSION

    st.ds.edit_gnmi("candidate", deletes=[], replaces=[], updates=[(RATE, "slow")], session=SESSION)
    plan = [str(s) for s in (await st.txn.dry_run(SESSION)).steps]
    await st.discard()
    assert [line.split()[:2] for line in plan] == [
        ["delete", f"member/{P0}"],
        ["delete", f"member/{P1}"],
        ["create", f"member/{P0}"],
        ["create", f"member/{P1}"],
    ]
    assert all("is_long_timeout=True" in line for line in plan if line.startswith("create"))


async def test_a_non_lacp_bond_ignores_the_rate(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    await st.commit(updates=bond_config(mode="xor"))
    assert members(sim) == {P0: (False, False), P1: (False, True)}


async def test_failed_rate_change_leaves_members_as_they_were(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    await st.commit(updates=bond_config(mode="lacp"))
    before = members(sim)
    sim.ctl("delay", message="bond_add_member", count=1, seconds=0)
    sim.ctl("fail", message="bond_add_member", count=1, retval=-2)  # the second re-attach
    with pytest.raises(AgentError) as info:
        await st.commit(updates=[(RATE, "slow")])
    sim.ctl("clear_faults")
    await st.discard()
    assert info.value.details[0].info["vpp-message"] == "bond_add_member"
    assert members(sim) == before


async def test_a_sub_interface_on_a_bond_member_is_refused_before_vpp_sees_it(
    stack: tuple[AgentStack, Any],
) -> None:
    """VPP 26.06 would accept it and the sub-interface would never receive a frame (the bond takes
    them); validation, dry run and commit refuse it with the sub-interface's instance path, and no VPP
    call is made."""
    from _southbound_helpers import SESSION, subif

    st, sim = stack
    await st.commit(updates=bond_config(mode="lacp"))
    before = await vpp_snapshot(sim.api_socket)
    conn = st.sb.conn
    assert conn is not None
    writes = conn.writes
    st.ds.edit_gnmi(
        "candidate", updates=[(IF, {"interface": [subif(P0, 10)]})], deletes=[], replaces=[], session=SESSION
    )
    where = f"/ietf-interfaces:interfaces/interface[name='{P0}.10']/bng-interfaces:sub-interface"
    for attempt in (
        lambda: st.ds.validate_async("candidate"),
        lambda: st.txn.dry_run(SESSION),
        lambda: st.txn.commit(SESSION),
    ):
        with pytest.raises(AgentError) as info:
            await attempt()
        err = info.value
        assert err.path == where, (err.path, str(err))
        assert "cannot be a bond member" in err.message and "on the bond" in err.message
    assert conn.writes == writes
    assert await vpp_snapshot(sim.api_socket) == before
    await st.discard()
    # on the bond itself it is fine
    await st.commit(updates=[(IF, {"interface": [subif(BOND, 10)]})])
    assert f"{BOND}.10" in (await vpp_snapshot(sim.api_socket))["interfaces"]
    # the other way round: a port carrying a sub-interface cannot join the bond
    await st.commit(deletes=[f"{IF}/interface[name='{P1}']/bng-interfaces:bond-member"])
    await st.commit(updates=[(IF, {"interface": [subif(P1, 20)]})])
    with pytest.raises(AgentError) as info:
        await st.commit(updates=[(f"{IF}/interface[name='{P1}']/bng-interfaces:bond-member", {"bond": BOND})])
    assert (
        info.value.path
        == f"/ietf-interfaces:interfaces/interface[name='{P1}.20']/bng-interfaces:sub-interface"
    )
