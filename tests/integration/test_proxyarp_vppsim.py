"""Proxy-ARP and the neighbour limits programmed into vppsim through commits, read back with vpp-papi.

What an operator sees: the interface's ``arp-proxy`` switch, one range per served subnet in the
interface's table, a range shared by many access interfaces that stays until the last of them stops
proxying, reconcile repairing what someone removed behind the agent's back, and the limits reset to
VPP's defaults when their configuration goes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from _southbound_helpers import IF, VRFS, AgentStack, addrs, port, subif, vpp_snapshot

from agent.features.proxyarp.metrics import NeighborMetrics

P0 = "GigabitEthernet0/8/0"
LIMITS = "/bng-interfaces:neighbor-limits"


def access(sub_id: int, **ipv4: Any) -> dict[str, Any]:
    return subif(P0, sub_id, **{"ietf-ip:ipv4": {"bng-interfaces:proxy-arp": True, **ipv4}})


def unnumbered(sub_id: int) -> dict[str, Any]:
    return access(sub_id, **{"bng-interfaces:unnumbered": {"use-interface": "lo1"}})


@pytest.fixture
async def stack(vppsim_factory: Callable[..., Any], tmp_path: Path) -> AsyncIterator[tuple[Any, AgentStack]]:
    sim = vppsim_factory(ports=1)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    loop = {"name": "lo1", "type": "iana-if-type:softwareLoopback", **addrs("100.64.0.1/22")}
    await st.commit(updates=[(IF, {"interface": [port(P0), loop]})])
    try:
        yield sim, st
    finally:
        await st.stop()


async def test_unnumbered_access_interfaces_share_the_lenders_range(stack: tuple[Any, AgentStack]) -> None:
    sim, st = stack
    await st.commit(updates=[(IF, {"interface": [unnumbered(100), unnumbered(101)]})])
    snap = await vpp_snapshot(sim.api_socket)
    assert snap["proxy_arp"] == [f"{P0}.100", f"{P0}.101"]
    assert snap["proxy_arp_ranges"] == [(0, "100.64.0.1", "100.64.3.254")]  # hosts of 100.64.0.0/22

    # one access interface stops proxying: the subnet's range is still needed by the other
    await st.commit(deletes=[f"{IF}/interface[name='{P0}.100']/ietf-ip:ipv4/bng-interfaces:proxy-arp"])
    snap = await vpp_snapshot(sim.api_socket)
    assert snap["proxy_arp"] == [f"{P0}.101"]
    assert snap["proxy_arp_ranges"] == [(0, "100.64.0.1", "100.64.3.254")]

    # the last one goes (with its interface): the switch is turned off first, then the range is removed
    await st.commit(deletes=[f"{IF}/interface[name='{P0}.101']"])
    snap = await vpp_snapshot(sim.api_socket)
    assert snap["proxy_arp"] == [] and snap["proxy_arp_ranges"] == []
    assert f"{P0}.101" not in snap["interfaces"]


async def test_the_range_follows_the_lenders_address(stack: tuple[Any, AgentStack]) -> None:
    sim, st = stack
    await st.commit(updates=[(IF, {"interface": [unnumbered(100)]})])
    lo = f"{IF}/interface[name='lo1']/ietf-ip:ipv4/address[ip='100.64.0.1']"
    await st.commit(
        deletes=[lo],
        updates=[
            (
                f"{IF}/interface[name='lo1']/ietf-ip:ipv4",
                {"address": [{"ip": "10.9.0.1", "prefix-length": 24}]},
            )
        ],
    )
    assert (await vpp_snapshot(sim.api_socket))["proxy_arp_ranges"] == [(0, "10.9.0.1", "10.9.0.254")]


async def test_a_vrf_interface_proxies_in_its_table(stack: tuple[Any, AgentStack]) -> None:
    sim, st = stack
    own = access(200, address=[{"ip": "10.20.0.1", "prefix-length": 24}])
    await st.commit(
        updates=[
            (VRFS, {"vrf": [{"name": "cust", "table-id": 7}]}),
            (IF, {"interface": [{**own, "bng-vrf:vrf": "cust"}]}),
        ]
    )
    assert (await vpp_snapshot(sim.api_socket))["proxy_arp_ranges"] == [(7, "10.20.0.1", "10.20.0.254")]
    # a dry run of removing the VRF shows the range leaving before its table
    await st.commit(deletes=[f"{IF}/interface[name='{P0}.200']", f"{VRFS}/vrf[name='cust']"])
    snap = await vpp_snapshot(sim.api_socket)
    assert snap["proxy_arp_ranges"] == [] and all(t[0] != 7 for t in snap["tables"])


async def test_reconcile_restores_what_was_removed_behind_the_agents_back(
    stack: tuple[Any, AgentStack],
) -> None:
    sim, st = stack
    await st.commit(updates=[(IF, {"interface": [unnumbered(100)]})])
    before = await vpp_snapshot(sim.api_socket)
    c = sim.client()
    idx = {str(i.interface_name): i.sw_if_index for i in c.api.sw_interface_dump(sw_if_index=0xFFFFFFFF)}
    c.api.proxy_arp_intfc_enable_disable(sw_if_index=idx[f"{P0}.100"], enable=False)
    c.api.proxy_arp_add_del(is_add=False, proxy={"table_id": 0, "low": "100.64.0.1", "hi": "100.64.3.254"})
    # and a range someone else made: reported, never touched
    c.api.proxy_arp_add_del(is_add=True, proxy={"table_id": 0, "low": "192.0.2.10", "hi": "192.0.2.20"})
    report = await st.sb.reconcile()
    assert report.repairs == 2, report.steps
    snap = await vpp_snapshot(sim.api_socket)
    assert snap["proxy_arp"] == before["proxy_arp"]
    assert snap["proxy_arp_ranges"] == [(0, "100.64.0.1", "100.64.3.254"), (0, "192.0.2.10", "192.0.2.20")]
    assert {
        "kind": "proxy-arp-range",
        "table_id": 0,
        "low": "192.0.2.10",
        "hi": "192.0.2.20",
    } in report.unmanaged
    assert (await st.sb.reconcile()).write_calls == 0


async def test_neighbor_limits_are_set_and_reset_to_vpps_defaults(stack: tuple[Any, AgentStack]) -> None:
    sim, st = stack
    await st.commit(updates=[(LIMITS, {"ipv4": {"max-entries": 4096, "max-age": 300, "recycle": True}})])
    assert (await vpp_snapshot(sim.api_socket))["neighbor_limits"] == [(4096, 300, True), (50000, 0, False)]
    # the ARP cache metric reports the bound (and no neighbours: nothing has sent traffic)
    metrics = NeighborMetrics(lambda: st.sb.conn, st.sb.names.name_of)
    assert await metrics.poll()
    assert metrics.limits == {"ipv4": 4096, "ipv6": 50000} and metrics.entries == {}
    assert ("bng_neighbor_cache_limit", ("ipv4",), 4096) in list(metrics.samples())
    await st.commit(updates=[(f"{LIMITS}/ipv4", {"max-entries": 8192})])
    assert (await vpp_snapshot(sim.api_socket))["neighbor_limits"][0] == (8192, 300, True)
    await st.commit(deletes=[f"{LIMITS}/ipv4"])
    assert (await vpp_snapshot(sim.api_socket))["neighbor_limits"] == [(50000, 0, False), (50000, 0, False)]
