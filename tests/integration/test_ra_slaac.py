"""Router advertisements from the ra feature reach a real Linux host, which configures itself by SLAAC:
a network namespace on a veth into a VPP port (vppsim's veth-backed port here; af_packet on the same
veth in the real-VPP lane, tests/vpp/test_vpp_ra.py), the kernel's own IPv6 stack as the subscriber.

What the subscriber sees is asserted, not the agent's state: a global address from the advertised
prefix with the policy's lifetimes, a default route via VPP's link-local address with the policy's
router lifetime, and for a stateful policy the M/O flags that make it ask DHCPv6 instead (no SLAAC
address)."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _packetio_helpers import Netns
from _southbound_helpers import IF, AgentStack, port

from agent.features.ra.metrics import RaMetrics

P0 = "GigabitEthernet0/8/0"
SUBS = "/bng-subscribers:subscribers"
PREFIX = "2001:db8:a::/64"
ROUTER = "2001:db8:a::1"


def _sysctl(ns: Netns, key: str, value: str) -> None:
    subprocess.run(ns.exec("sysctl", "-qw", f"{key}={value}"), check=True, capture_output=True)


def host_ipv6_on(ns: Netns) -> None:
    """The namespace end as an ordinary IPv6 host: IPv6 on, router advertisements accepted, SLAAC."""
    for key, value in (("disable_ipv6", "0"), ("accept_ra", "1"), ("autoconf", "1"), ("forwarding", "0")):
        _sysctl(ns, f"net.ipv6.conf.{ns.peer}.{key}", value)
    # bounce the link so the kernel sends its router solicitations now (after DAD of its link-local)
    subprocess.run(ns.exec("ip", "link", "set", ns.peer, "down"), check=True)
    subprocess.run(ns.exec("ip", "link", "set", ns.peer, "up"), check=True)


def addresses(ns: Netns) -> list[dict[str, Any]]:
    out = subprocess.run(
        ns.exec("ip", "-6", "-j", "addr", "show", "dev", ns.peer), capture_output=True, check=True
    )
    data = json.loads(out.stdout or b"[]")
    return [a for d in data for a in d.get("addr_info", [])]


def default_routes(ns: Netns) -> list[dict[str, Any]]:
    out = subprocess.run(
        ns.exec("ip", "-6", "-j", "route", "show", "default"), capture_output=True, check=True
    )
    return list(json.loads(out.stdout or b"[]"))


async def wait_for(fn: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        got = fn()
        if got:
            return got
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} within {timeout:g} s")
        await asyncio.sleep(0.2)


def slaac_address(ns: Netns) -> dict[str, Any] | None:
    net = ipaddress.IPv6Network(PREFIX)
    for a in addresses(ns):
        if a.get("scope") == "global" and ipaddress.IPv6Address(a["local"]) in net and not a.get("tentative"):
            return a
    return None


def subscribers(policy: dict[str, Any]) -> dict[str, Any]:
    return {
        "access-interfaces": {"access-interface": [{"interface": P0, "session-template": "t", "ipoe": {}}]},
        "session-templates": {"template": [{"name": "t", "ra-policy": "p"}]},
        "ra-policies": {"ra-policy": [{"name": "p", **policy}]},
    }


ACCESS_PORT = port(P0, **{"ietf-ip:ipv6": {"address": [{"ip": ROUTER, "prefix-length": 64}]}})


@pytest.fixture
def lab(vppsim_factory: Callable[..., Any]) -> Iterator[tuple[Any, Netns]]:
    sim = vppsim_factory(ports=1)
    real = hasattr(sim, "peer")  # tests/vpp's RealVpp: the port is af_packet on a veth it made
    ns = Netns(adopt=sim.peer(P0)) if real else Netns()
    try:
        if not real:
            sim.ctl("back_port", name=P0, host_if=ns.host)
        yield sim, ns
    finally:
        ns.remove()


async def test_a_linux_host_configures_an_address_and_default_route_from_the_ras(
    lab: tuple[Any, Netns], tmp_path: Path
) -> None:
    sim, ns = lab
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    try:
        policy = {"max-interval": 4, "min-interval": 3, "router-lifetime": 1800}
        policy |= {"valid-lifetime": 7200, "preferred-lifetime": 3600}
        await st.commit(updates=[(IF, {"interface": [ACCESS_PORT]}), (SUBS, subscribers(policy))])
        host_ipv6_on(ns)
        addr = await wait_for(lambda: slaac_address(ns), 30, "no SLAAC address from the advertised prefix")
        assert addr["prefixlen"] == 64
        assert 7100 <= addr["valid_life_time"] <= 7200 and 3500 <= addr["preferred_life_time"] <= 3600
        routes = await wait_for(lambda: default_routes(ns), 10, "no default route from the RAs")
        gw = ipaddress.IPv6Address(routes[0]["gateway"])
        assert gw.is_link_local  # RFC 4861: RAs come from the router's link-local address
        assert routes[0]["dev"] == ns.peer
        # VPP has been counting the prefix lifetimes down while it advertised them (ip6_ra.c): a
        # reconcile still finds VPP as configured and sends nothing
        assert (await st.sb.reconcile()).write_calls == 0
        # VPP's counters: RAs went out and the host's solicitations were seen (bng_ra_* metrics)
        ra = RaMetrics(lambda: st.sb.conn, st.sb.names.name_of)
        await ra.poll()
        samples = {(n, lbl): v for n, lbl, v in ra.samples()}
        assert samples[("bng_ra_interfaces", ())] == 1
        assert samples[("bng_ra_advertisements_sent", (P0,))] >= 1
        assert samples[("bng_ra_solicitations_received", (P0,))] >= 1

        # the router lifetime goes to 0 ("not a default router"): the host drops its default route at
        # the next RA, and keeps its address
        await st.commit(updates=[(SUBS, subscribers(policy | {"router-lifetime": 0}))])
        await wait_for(lambda: not default_routes(ns), 30, "the default route stayed after lifetime 0")
        assert slaac_address(ns) is not None
    finally:
        await st.stop()


async def test_a_stateful_policy_gives_no_slaac_address(lab: tuple[Any, Netns], tmp_path: Path) -> None:
    sim, ns = lab
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    try:
        policy = {"address-mode": "dhcpv6-stateful", "max-interval": 4, "min-interval": 3}
        await st.commit(updates=[(IF, {"interface": [ACCESS_PORT]}), (SUBS, subscribers(policy))])
        host_ipv6_on(ns)
        # the RA still makes VPP the default router, but its prefix has A=0: addresses come from DHCPv6
        await wait_for(lambda: default_routes(ns), 30, "no default route from the RAs")
        await asyncio.sleep(2)
        assert slaac_address(ns) is None
    finally:
        await st.stop()
