"""Proxy-ARP on real VPP 26.06: tests/integration/test_proxyarp_vppsim.py's bodies (the switch, the shared
ranges, reconcile, the neighbour limits), and the data plane itself: an ARP request for another host of
the subnet, written into an af_packet port's veth, is answered by VPP with its own MAC only when the
port proxies ARP; the requester then sits in VPP's ARP cache, which the ARP cache metric reports."""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _southbound_helpers import IF, AgentStack, addrs, port, subif
from test_proxyarp_vppsim import (
    stack,
    test_a_vrf_interface_proxies_in_its_table,
    test_neighbor_limits_are_set_and_reset_to_vpps_defaults,
    test_reconcile_restores_what_was_removed_behind_the_agents_back,
    test_the_range_follows_the_lenders_address,
    test_unnumbered_access_interfaces_share_the_lenders_range,
)

from agent.features.proxyarp.metrics import NeighborMetrics

__all__ = [
    "stack",
    "test_a_vrf_interface_proxies_in_its_table",
    "test_neighbor_limits_are_set_and_reset_to_vpps_defaults",
    "test_reconcile_restores_what_was_removed_behind_the_agents_back",
    "test_the_range_follows_the_lenders_address",
    "test_unnumbered_access_interfaces_share_the_lenders_range",
]

P0 = "GigabitEthernet0/8/0"
CLIENT_MAC = bytes.fromhex("020000aa0001")
ETH_P_ARP = 0x0806


def arp_request(sender_ip: str, target_ip: str, vlan: int | None = None) -> bytes:
    tag = struct.pack("!HH", 0x8100, vlan) if vlan is not None else b""
    eth = b"\xff" * 6 + CLIENT_MAC + tag + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + CLIENT_MAC + socket.inet_aton(sender_ip)
    return eth + arp + bytes(6) + socket.inet_aton(target_ip)


SOL_PACKET, PACKET_AUXDATA, TP_STATUS_VLAN_VALID = 263, 8, 0x10
AUXDATA = struct.Struct("=IIIHHHH")  # struct tpacket_auxdata (linux/if_packet.h)


def _received_vlan(frame: bytes, ancillary: list[tuple[int, int, bytes]]) -> tuple[bytes, int | None]:
    """The frame without its 802.1Q tag, and the tag's VLAN: inline, or (veth strips it, as a NIC with
    VLAN offload does) from the packet socket's auxdata."""
    if frame[12:14] == b"\x81\x00":
        return frame[:12] + frame[16:], struct.unpack("!H", frame[14:16])[0] & 0xFFF
    for level, kind, data in ancillary:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(data) >= AUXDATA.size:
            status, _, _, _, _, tci, _ = AUXDATA.unpack_from(data)
            if status & TP_STATUS_VLAN_VALID:
                return frame, tci & 0xFFF
    return frame, None


def ask(
    peer: str, sender_ip: str, target_ip: str, timeout: float = 2.0, vlan: int | None = None
) -> bytes | None:
    """Send one ARP request into VPP's port (from its veth peer, 802.1Q-tagged with ``vlan``); the sender
    MAC of VPP's reply for ``target_ip`` in the same VLAN, or None if none came within ``timeout``."""
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003)) as s:
        s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        s.bind((peer, 0))
        s.settimeout(0.2)
        s.send(arp_request(sender_ip, target_ip, vlan))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                frame, ancillary, _, _ = s.recvmsg(2048, socket.CMSG_SPACE(AUXDATA.size))
            except TimeoutError:
                continue
            if frame[6:12] == CLIENT_MAC:
                continue  # our own request, seen on the way out
            frame, got_vlan = _received_vlan(frame, ancillary)
            if got_vlan != vlan or frame[12:14] != struct.pack("!H", ETH_P_ARP):
                continue
            op = struct.unpack("!H", frame[20:22])[0]
            if op == 2 and frame[28:32] == socket.inet_aton(target_ip) and frame[32:38] == CLIENT_MAC:
                return frame[22:28]
    return None


async def test_vpp_answers_arp_for_the_subnet_only_with_proxy_arp(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    vpp = vppsim_factory(ports=1)
    st = AgentStack(vpp.api_socket, tmp_path / "data")
    await st.start()
    try:
        ipv4 = {"address": [{"ip": "100.64.0.1", "prefix-length": 24}]}
        await st.commit(updates=[(IF, {"interface": [port(P0, **{"ietf-ip:ipv4": ipv4})]})])
        peer = vpp.peer(P0)
        # without proxy-ARP VPP answers only for its own address
        own = await asyncio.to_thread(ask, peer, "100.64.0.20", "100.64.0.1")
        assert own is not None and own != bytes(6)
        assert await asyncio.to_thread(ask, peer, "100.64.0.20", "100.64.0.50") is None
        await st.commit(
            updates=[(f"{IF}/interface[name='{P0}']/ietf-ip:ipv4", {"bng-interfaces:proxy-arp": True})]
        )
        # now for any other host of the subnet, with the port's own MAC
        assert await asyncio.to_thread(ask, peer, "100.64.0.20", "100.64.0.50") == own
        assert await asyncio.to_thread(ask, peer, "100.64.0.20", "100.64.1.50") is None  # outside the range
        # the requester was learnt: the ARP cache metric counts it on the port
        metrics = NeighborMetrics(lambda: st.sb.conn, st.sb.names.name_of)
        assert await metrics.poll()
        assert metrics.entries.get(("ipv4", P0), 0) >= 1, metrics.entries
        assert metrics.limits["ipv4"] == 50000
        await st.commit(deletes=[f"{IF}/interface[name='{P0}']/ietf-ip:ipv4/bng-interfaces:proxy-arp"])
        assert await asyncio.to_thread(ask, peer, "100.64.0.21", "100.64.0.51") is None
    finally:
        await st.stop()


async def test_an_unnumbered_access_vlan_proxies_its_lenders_subnet(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """The IPoE case: a tagged access VLAN unnumbered to a loopback (100.64.0.1/22) answers ARP for the
    other subscribers of the loopback's subnet, tagged with its VLAN."""
    vpp = vppsim_factory(ports=1)
    st = AgentStack(vpp.api_socket, tmp_path / "data")
    await st.start()
    try:
        loop = {"name": "loop0", "type": "iana-if-type:softwareLoopback", **addrs("100.64.0.1/22")}
        ipv4 = {"bng-interfaces:unnumbered": {"use-interface": "loop0"}, "bng-interfaces:proxy-arp": True}
        access = subif(P0, 100, **{"ietf-ip:ipv4": ipv4})
        await st.commit(updates=[(IF, {"interface": [port(P0), loop, access]})])
        peer = vpp.peer(P0)
        mac = await asyncio.to_thread(ask, peer, "100.64.1.20", "100.64.2.50", 2.0, 100)
        assert mac is not None and mac != bytes(6)
        assert (
            await asyncio.to_thread(ask, peer, "100.64.1.20", "100.64.2.50", 1.0, 101) is None
        )  # no VLAN 101
    finally:
        await st.stop()
