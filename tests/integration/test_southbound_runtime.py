"""Run-time items (the session manager's source) on vppsim: programmed beside configuration through the
same descriptors and executor, pending while what they need is missing, never removed by a reconcile."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from _southbound_helpers import IF, AgentStack, port, subif, vpp_snapshot

from agent.errors import AgentError
from agent.features.interfaces import keys
from agent.features.interfaces.values import AddressValue
from agent.vpp.audit import DriftAuditor
from agent.vpp.items import Item, Value

P0 = "GigabitEthernet0/8/0"


def session_address(intf: str, prefix: str) -> Item[Value]:
    return Item(
        keys.address(intf, prefix), AddressValue(intf, prefix), (keys.interface(intf),), intf, "session"
    )


@pytest.fixture
async def stack(vppsim_factory: Callable[..., Any], tmp_path: Path) -> AsyncIterator[tuple[AgentStack, Any]]:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    await st.commit(updates=[(IF, {"interface": [port(P0), subif(P0, 7)]})])
    yield st, sim
    await st.stop()


async def test_session_items_live_beside_configuration(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    on7 = session_address(f"{P0}.7", "100.64.0.1/32")
    on8 = session_address(f"{P0}.8", "100.64.0.2/32")
    assert await st.sb.submit([on7, on8]) == {on7.key: "applied", on8.key: "pending"}
    snap = await vpp_snapshot(sim.api_socket)
    assert snap["interfaces"][f"{P0}.7"]["addresses"] == ["100.64.0.1/32"]
    assert f"{P0}.8" not in snap["interfaces"]
    # a reconcile keeps them: they are the agent's, even though no configuration names them
    assert (await st.sb.reconcile()).write_calls == 0
    # the configuration adds the sub-interface the pending item waits for: it is programmed after the commit
    await st.commit(updates=[(IF, {"interface": [subif(P0, 8)]})])
    assert st.sb.runtime_state() == {on7.key: "applied", on8.key: "applied"}
    assert (await vpp_snapshot(sim.api_socket))["interfaces"][f"{P0}.8"]["addresses"] == ["100.64.0.2/32"]
    # the configuration deletes it again: the item waits once more, and the rest stays
    await st.commit(deletes=[f"{IF}/interface[name='{P0}.8']"])
    assert st.sb.runtime_state() == {on7.key: "applied", on8.key: "pending"}
    assert st.ds.running.json().count("100.64") == 0  # never part of configuration
    # withdrawn by its source
    await st.sb.submit(remove=[on7.key, on8.key])
    assert (await vpp_snapshot(sim.api_socket))["interfaces"][f"{P0}.7"]["addresses"] == []
    assert st.sb.runtime_state() == {}


async def test_vpp_refusing_a_session_item_changes_nothing(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    before = await vpp_snapshot(sim.api_socket)
    sim.ctl("fail", message="sw_interface_add_del_address", count=1, retval=-105)
    with pytest.raises(AgentError) as info:
        await st.sb.submit([session_address(f"{P0}.7", "100.64.0.1/32")])
    assert info.value.details[0].info["vpp-message"] == "sw_interface_add_del_address"
    assert info.value.details[0].info["vpp-retval"] == "-105"
    assert await vpp_snapshot(sim.api_socket) == before
    assert st.sb.runtime_state() == {}


async def test_a_drift_audit_counts_session_items_as_the_agents(stack: tuple[AgentStack, Any]) -> None:
    """The audit compares VPP with everything the agent programmed: a session's address is not drift,
    and one VPP lost is put back."""
    st, sim = stack
    on7 = session_address(f"{P0}.7", "100.64.0.1/32")
    await st.sb.submit([on7])
    auditor = DriftAuditor(st.sb)
    assert (await auditor.audit()).steps == []
    c = sim.client("someone")
    sw = next(d.sw_if_index for d in c.api.sw_interface_dump() if str(d.interface_name) == f"{P0}.7")
    assert (
        c.api.sw_interface_add_del_address(sw_if_index=sw, is_add=False, prefix="100.64.0.1/32").retval == 0
    )
    result = await auditor.audit()
    assert [s.key for s in result.steps] == [on7.key] and result.action == "repaired"
    assert (await vpp_snapshot(sim.api_socket))["interfaces"][f"{P0}.7"]["addresses"] == ["100.64.0.1/32"]
