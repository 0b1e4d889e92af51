"""The DHCPv6 relay end to end with real components, on vppsim (and on real VPP 26.06 in the lane,
tests/vpp/test_vpp_dhcp6.py): dhcpcd in a namespace on a veth into a
vppsim port asks for an address (IA_NA) and a delegated prefix (IA_PD) after VPP's RA says M=1; VPP punts
its SOLICIT/REQUEST (ff02::1:2, through the relay feature's mroute) to the agent, which relays them to Kea
(kea-dhcp6 in another namespace) and Kea's replies back; the client configures the address, the session
holds address and prefix, and VPP routes the prefix via the subscriber's address. dhcpcd's Release removes
the session and the routes."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from _dhcp6_helpers import Dhcpcd, Kea6Server
from _packetio_helpers import Netns
from _southbound_helpers import IF, AgentStack, port, vpp_snapshot

from agent.dhcp6.config import relay_config
from agent.dhcp6.service import Dhcp6Service
from agent.dhcp6.sessions import SessionSink
from agent.packetio import DHCPV6_SERVER, PacketIO
from agent.sessions.manager import SessionManager
from agent.sessions.program import SessionProgrammer
from agent.vpp.connection import VppConnection

P0 = "GigabitEthernet0/8/0"
SUBS = "/bng-subscribers:subscribers"
SUBNET, POOL = "2001:db8:a::/64", "2001:db8:a::100-2001:db8:a::1ff"
PD = ipaddress.IPv6Network("2001:db8:100::/48")


def subscribers(kea: Kea6Server) -> dict[str, Any]:
    return {
        "access-interfaces": {
            "access-interface": [{"interface": P0, "session-template": "t", "ipoe": {"dhcpv6-relay": "g6"}}]
        },
        "session-templates": {"template": [{"name": "t", "ra-policy": "stateful"}]},
        "ra-policies": {
            "ra-policy": [
                {"name": "stateful", "address-mode": "dhcpv6-stateful", "max-interval": 4, "min-interval": 3}
            ]
        },
        "dhcpv6-relay": {
            "server-group": [
                {"name": "g6", "server": [str(kea.address)], "source-address": str(kea.relay_address)}
            ]
        },
    }


async def wait_for(fn: Callable[[], Any], timeout: float, what: str) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        got = fn()
        if got:
            return got
        if loop.time() > deadline:
            raise AssertionError(f"{what} within {timeout:g} s")
        await asyncio.sleep(0.2)


def vpp_state(sim: Any) -> Any:
    """vppsim's packet counters, or real VPP's error counters."""
    return sim.vppctl("show", "errors") if hasattr(sim, "peer") else sim.ctl("packet_status")


def client_global(ns: Netns) -> list[str]:
    out = subprocess.run(
        ns.exec("ip", "-6", "-j", "addr", "show", "dev", ns.peer), capture_output=True, check=True
    )
    return [
        a["local"]
        for d in json.loads(out.stdout or b"[]")
        for a in d.get("addr_info", [])
        if a.get("scope") == "global" and ipaddress.IPv6Address(a["local"]) in ipaddress.IPv6Network(SUBNET)
    ]


@pytest.fixture
async def lab(vppsim_factory: Callable[..., Any], tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    punt_dir = tempfile.mkdtemp(prefix="d6-", dir="/tmp")
    try:
        sim = vppsim_factory(ports=1, extra_args=("--punt-socket", f"{punt_dir}/vpp-punt.sock"))
    except ValueError:  # the real-VPP lane (tests/vpp): VPP's startup.conf has its punt { socket }
        sim = vppsim_factory(ports=1)
    real = hasattr(sim, "peer")  # tests/vpp's RealVpp: the port is af_packet on a veth it made
    ns = Netns(adopt=sim.peer(P0)) if real else Netns()
    kea: Kea6Server | None = None
    st = AgentStack(sim.api_socket, tmp_path / "data")
    conn = VppConnection(sim.api_socket, timeout=5)
    pio = PacketIO()
    svc: Dhcp6Service | None = None
    client: Dhcpcd | None = None
    try:
        kea = Kea6Server(tmp_path, SUBNET, POOL, str(PD.network_address), PD.prefixlen, 56)
        if not real:
            sim.ctl("back_port", name=P0, host_if=ns.host)
        await st.start()
        addr = {"ietf-ip:ipv6": {"address": [{"ip": "2001:db8:a::1", "prefix-length": 64}]}}
        await st.commit(updates=[(IF, {"interface": [port(P0, **addr)]}), (SUBS, subscribers(kea))])
        await conn.connect()
        await pio.refresh(conn)
        await pio.open_punt(conn, f"{punt_dir}/agent.sock", (DHCPV6_SERVER,))
        prog = SessionProgrammer(st.sb)
        mgr = SessionManager(prog.access, programmer=prog)
        svc = Dhcp6Service(pio, SessionSink(mgr))
        await svc.start()
        svc.configure(relay_config(json.loads(st.ds.running.json())))
        for key, value in (("disable_ipv6", "0"), ("accept_ra", "0")):
            subprocess.run(ns.exec("sysctl", "-qw", f"net.ipv6.conf.{ns.peer}.{key}={value}"), check=True)
        client = Dhcpcd(ns.ns, ns.peer, tmp_path)
        yield {"sim": sim, "ns": ns, "kea": kea, "st": st, "mgr": mgr, "svc": svc, "client": client}
    finally:
        if client is not None:
            client.stop()
        if svc is not None:
            await svc.stop()
        await pio.close()
        await conn.close()
        await st.stop()
        if kea is not None:
            kea.stop()
        ns.remove()
        subprocess.run(["rm", "-rf", punt_dir], check=False)


async def test_dhcpcd_gets_an_address_and_a_delegated_prefix_routed_to_it(lab: dict[str, Any]) -> None:
    ns, kea, mgr, client, svc = lab["ns"], lab["kea"], lab["mgr"], lab["client"], lab["svc"]
    sim = lab["sim"]

    def bound() -> Any:
        return next((s for s in mgr.list() if s.ipv6 and s.prefixes), None)

    try:
        s = await wait_for(bound, 40, "no session with an address and a delegated prefix")
    except AssertionError:
        raise AssertionError(
            f"relay {dict(svc.relay.received)} {dict(svc.relay.sent)} {dict(svc.relay.dropped)} "
            f"vpp {vpp_state(sim)}\ndhcpcd: {client.log_text()[-1500:]}"
            f"\nkea: {kea.log_text()[-1500:]}"
        ) from None
    address = s.ipv6[0].address
    prefix = s.prefixes[0].address
    assert address in ipaddress.IPv6Network(SUBNET) and prefix.prefixlen == 56 and prefix.subnet_of(PD)
    assert s.key.access_interface == P0 and s.key.mac is not None
    assert s.circuit.circuit_id == P0.encode()  # Interface-ID, kept for RADIUS and the replies
    # the client configured the address Kea gave, and dhcpcd reports the delegated prefix
    await wait_for(lambda: str(address) in client_global(ns), 15, "the client never configured its address")
    await wait_for(lambda: str(prefix) in client.log_text(), 15, "dhcpcd never reported the delegated prefix")
    # VPP routes the prefix to the subscriber (via its address) and has the address's host route
    snap = await vpp_snapshot(lab["sim"].api_socket)
    assert snap["routes"][f"0/{prefix}"] == [(str(address), P0, 1, 0, 0)]
    assert snap["routes"][f"0/{address}/128"] == [(str(address), P0, 1, 0, 0)]
    assert svc.relay.dropped == {}  # nothing malformed or unmatched on the way
    assert svc.relay.sent["advertise"] >= 1 and svc.relay.sent["reply"] >= 1

    client.release()
    await wait_for(lambda: mgr.get(s.id) is None, 20, "the session stayed after dhcpcd's Release")
    snap = await vpp_snapshot(lab["sim"].api_socket)
    assert f"0/{prefix}" not in snap["routes"] and f"0/{address}/128" not in snap["routes"]
