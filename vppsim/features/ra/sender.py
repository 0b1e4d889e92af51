"""Router advertisements on the wire, as ``src/vnet/ip6-nd/ip6_ra.c`` sends them: unsolicited ones
from the RA process (``ip6_ra_event_process`` wakes every second, ``ip6_ra_process_timer_event`` sends
an RA on every admin-up interface whose next multicast time has come), and solicited ones in answer to
a router solicitation (``icmp6_router_solicitation``).

The RA itself (``icmp6_router_solicitation`` builds both kinds): source the interface's link-local
address, hop limit 255, destination ff02::1 (or the solicitor with ``send_unicast``), the RA header
(hop limit 64, M/O flags, router lifetime, reachable time and retransmit timer 0), then the source
link-layer address option, the MTU option and one Prefix Information option per enabled prefix.
A solicited RA reuses the solicitation's Ethernet header (its VLAN tags too): destination the
solicitor's MAC, source the interface's. Solicited RAs closer than 3 s to the previous one are
dropped (``MIN_DELAY_BETWEEN_RAS``), counted in ``n_solicitations_dropped``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import struct
from typing import TYPE_CHECKING

from vppsim.features.ra.state import MIN_DELAY_BETWEEN_RAS, RaLink, link_local, now

if TYPE_CHECKING:
    from vppsim.emulator import Emulator
    from vppsim.features.interfaces.state import Interface

log = logging.getLogger("vppsim.ra")

ALL_NODES = ipaddress.IPv6Address("ff02::1")
ALL_NODES_MAC = bytes.fromhex("333300000001")
ETH_P_IPV6 = 0x86DD
ICMP6 = 58
RS, RA = 133, 134
OPT_SLLA, OPT_PREFIX, OPT_MTU = 1, 3, 5
TICK = 1.0  # ip6_ra_event_process: vlib_process_wait_for_event_or_clock (vm, 1.)


def checksum(src: ipaddress.IPv6Address, dst: ipaddress.IPv6Address, proto: int, body: bytes) -> int:
    """The ICMPv6/UDP checksum over the IPv6 pseudo-header (RFC 8200 8.1)."""
    data = src.packed + dst.packed + struct.pack("!IxxxB", len(body), proto) + body
    if len(data) % 2:
        data += b"\x00"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def port_mac(emu: Emulator, intf: Interface) -> bytes:
    port = emu.interfaces.get(intf.sup_sw_if_index) or intf
    return port.mac


def vlan_header(intf: Interface) -> bytes:
    """The tags ``ethernet`` rewrite puts on a frame leaving a sub-interface."""
    from vppsim.features.interfaces.state import SUB_IF_DOT1AD

    if not intf.is_sub or intf.number_of_tags == 0:
        return b""
    outer_tpid = 0x88A8 if intf.sub_flags & SUB_IF_DOT1AD else 0x8100
    if intf.number_of_tags == 1:
        return struct.pack("!HH", outer_tpid, intf.outer_vlan_id)
    return struct.pack("!HHHH", outer_tpid, intf.outer_vlan_id, 0x8100, intf.inner_vlan_id)


def build_ra(emu: Emulator, ra: RaLink, intf: Interface, dst: ipaddress.IPv6Address, t: float) -> bytes:
    """The IPv6 packet of one RA (no Ethernet header)."""
    mac = port_mac(emu, intf)
    src = link_local(mac)
    flags = (0x80 if ra.managed else 0) | (0x40 if ra.other else 0)
    body = struct.pack("!BBHBBHII", RA, 0, 0, ra.hop_limit, flags, ra.router_lifetime, 0, 0)
    if ra.ll_option:
        body += struct.pack("!BB", OPT_SLLA, 1) + mac
    if ra.link_mtu:
        body += struct.pack("!BBHI", OPT_MTU, 1, 0, ra.link_mtu)
    for p in ra.prefixes():
        if not p.enabled:
            continue
        valid, preferred = p.advertised(t)
        pflags = (0x80 if p.on_link else 0) | (0x40 if p.autonomous else 0)
        body += (
            struct.pack("!BBBBIII", OPT_PREFIX, 4, p.length, pflags, valid, preferred, 0) + p.address.packed
        )
    csum = checksum(src, dst, ICMP6, body)
    body = body[:2] + struct.pack("!H", csum) + body[4:]
    header = struct.pack("!IHBB", 6 << 28, len(body), ICMP6, 255) + src.packed + dst.packed
    return header + body


def _send(emu: Emulator, sw_if_index: int, frame: bytes) -> None:
    dp = emu.dataplane
    if dp is None:
        return
    try:
        dp.transmit(sw_if_index, frame)
    except LookupError as e:  # not backed, or down: VPP's interface-output drops it the same way
        log.debug("RA not sent: %s", e)


def send_unsolicited(emu: Emulator, ra: RaLink, intf: Interface, t: float) -> None:
    packet = build_ra(emu, ra, intf, ALL_NODES, t)
    eth = ALL_NODES_MAC + port_mac(emu, intf) + vlan_header(intf) + struct.pack("!H", ETH_P_IPV6)
    ra.n_advertisements_sent += 1
    _send(emu, intf.sw_if_index, eth + packet)


def tick(emu: Emulator) -> None:
    """One run of ``ip6_ra_process_timer_event``."""
    t = now()
    for ra in emu.ip6.ra_records():
        intf = emu.interfaces.get(ra.sw_if_index)
        if intf is None:
            continue
        if not intf.admin_up:
            ra.restart(t)
            continue
        if ra.send_radv and t >= ra.next_multicast_time:
            ra.next_multicast_time = t + emu.ip6.next_interval(ra)
            ra.last_multicast_time = t
            send_unsolicited(emu, ra, intf, t)


def schedule(emu: Emulator) -> None:
    """Run the RA process every second while some interface sends RAs (armed by ``ra_config``)."""
    if emu.ip6.timer_armed:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    emu.ip6.timer_armed = True

    def run() -> None:
        try:
            tick(emu)
        except Exception:  # never let one bad frame stop the process
            log.exception("RA process failed")
        if emu.ip6.sending():
            loop.call_later(TICK, run)
        else:
            emu.ip6.timer_armed = False

    loop.call_later(TICK, run)


def solicitation(emu: Emulator, sub: Interface, frame: bytes, off: int) -> str | None:
    """A router solicitation received on ``sub`` (``frame[off:]`` is its IPv6 packet): answer it.
    Returns the drop reason, or None when an RA went out."""
    ra = emu.ip6.get_ra(sub.sw_if_index)
    if ra is None or not ra.send_radv:
        return "router solicitation: RA not configured"  # ICMP6_ERROR_ROUTER_SOLICITATION_RADV_NOT_CONFIG
    src = ipaddress.IPv6Address(frame[off + 8 : off + 24])
    if not (src.is_unspecified or src.is_link_local):
        on_link = any(isinstance(a, ipaddress.IPv6Interface) and src in a.network for a in sub.addresses)
        if not on_link:
            return "router solicitation: source not on link"
    t = now()
    dropped = ra.last_radv_time != 0.0 and t - ra.last_radv_time < MIN_DELAY_BETWEEN_RAS
    if not dropped:
        ra.last_radv_time = t
    ra.n_solicitations_rcvd += 1
    if dropped:
        ra.n_solicitations_dropped += 1
        return "router solicitation: rate limited"
    dst = src if (ra.send_unicast and not src.is_unspecified) else ALL_NODES
    packet = build_ra(emu, ra, sub, dst, t)
    l2 = frame[6:12] + port_mac(emu, sub) + frame[12 : off - 2] + struct.pack("!H", ETH_P_IPV6)
    ra.n_advertisements_sent += 1
    _send(emu, sub.sw_if_index, l2 + packet)
    return None
