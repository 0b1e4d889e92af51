"""Ethernet frames as subscriber control traffic arrives: VLAN tags, ethertype and the protocol kind.

Why here and not in each service: the access interface of a frame is decided by its VLAN tags (802.1Q,
802.1ad QinQ) exactly as VPP's ``ethernet-input`` decides it, and a reply must carry the same tags; DHCP,
PPPoE and ND all need that, so one decoder serves them. Only what the packet path needs is decoded (L2
header, tags, and the few L3/L4 bytes that say which service a frame is for); payloads stay bytes.
"""

from __future__ import annotations

import enum
import struct
from typing import NamedTuple

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
ETH_P_PPPOE_DISCOVERY = 0x8863
ETH_P_PPPOE_SESSION = 0x8864
#: Tag protocol identifiers ``ethernet-input`` treats as a VLAN tag (``ethernet_frame_is_tagged`` in
#: VPP's ``src/vnet/ethernet/packet.h`` also accepts the legacy 0x9100/0x9200 QinQ values).
TAG_TPIDS = frozenset((ETH_P_8021Q, ETH_P_8021AD, 0x9100, 0x9200))

IPPROTO_UDP = 17
IPPROTO_ICMPV6 = 58
DHCPV4_SERVER_PORT = 67
DHCPV6_SERVER_PORT = 547
ICMPV6_ND_TYPES = frozenset((133, 134, 135, 136, 137))  # RS, RA, NS, NA, redirect

ETH_HEADER = 14
BROADCAST = b"\xff" * 6
_TAG = struct.Struct("!HH")


class Protocol(enum.Enum):
    """What a service subscribes to; the value is the label in metrics and logs. (No ARP: VPP answers ARP
    itself and reports learnt neighbours as ``ip_neighbor_event_v2``, docs/packet-path.md.)"""

    DHCPV4 = "dhcpv4"
    DHCPV6 = "dhcpv6"
    PPPOE_DISCOVERY = "pppoe-discovery"
    PPPOE_SESSION = "pppoe-session"  # PPP control (LCP, authentication, IPCP/IPv6CP) in a session
    ND = "nd"  # ICMPv6 router/neighbour discovery (RS, RA, NS, NA, redirect)


class VlanTag(NamedTuple):
    """One 802.1Q/802.1ad tag: ``tpid`` 0x8100 (C-tag) or 0x88a8 (S-tag), VLAN id and priority.

    (Named tuples rather than dataclasses: one is made per tag of every punted frame.)"""

    tpid: int
    vid: int
    pcp: int = 0

    def encode(self) -> bytes:
        return _TAG.pack(self.tpid, (self.pcp << 13) | self.vid)


class EthernetHeader(NamedTuple):
    """The L2 header of a frame: addresses, tags outermost first, the inner ethertype and where L3 starts."""

    dst: bytes
    src: bytes
    tags: tuple[VlanTag, ...]
    ethertype: int
    l3_offset: int


class FrameError(ValueError):
    """A frame too short or malformed to be attributed (counted as ``malformed``)."""


def parse_ethernet(frame: bytes) -> EthernetHeader:
    """Decode the Ethernet header and every VLAN tag (any number; VPP classifies on the first two)."""
    n = len(frame)
    if n < ETH_HEADER:
        raise FrameError(f"{n}-byte frame")
    ethertype = (frame[12] << 8) | frame[13]
    if ethertype not in TAG_TPIDS:
        return EthernetHeader(frame[0:6], frame[6:12], (), ethertype, ETH_HEADER)
    offset = ETH_HEADER
    tags: list[VlanTag] = []
    while ethertype in TAG_TPIDS:
        if n < offset + 4:
            raise FrameError("truncated VLAN tag")
        tci = (frame[offset] << 8) | frame[offset + 1]
        tags.append(VlanTag(ethertype, tci & 0x0FFF, tci >> 13))
        ethertype = (frame[offset + 2] << 8) | frame[offset + 3]  # the next ethertype follows the TCI
        offset += 4
        if len(tags) > 8:
            raise FrameError("more than 8 VLAN tags")
    return EthernetHeader(frame[0:6], frame[6:12], tuple(tags), ethertype, offset)


def classify(frame: bytes, eth: EthernetHeader) -> Protocol | None:
    """The service a frame is for, or None for anything else (dropped as ``unclassified``)."""
    et = eth.ethertype
    off = eth.l3_offset
    if et == ETH_P_IP:
        if len(frame) < off + 20 or frame[off + 9] != IPPROTO_UDP:
            return None
        ihl = (frame[off] & 0x0F) * 4
        if len(frame) < off + ihl + 4:
            return None
        dport = (frame[off + ihl + 2] << 8) | frame[off + ihl + 3]
        return Protocol.DHCPV4 if dport == DHCPV4_SERVER_PORT else None
    if et == ETH_P_IPV6:
        if len(frame) < off + 44:
            return None
        nh = frame[off + 6]
        if nh == IPPROTO_UDP:
            dport = (frame[off + 42] << 8) | frame[off + 43]
            return Protocol.DHCPV6 if dport == DHCPV6_SERVER_PORT else None
        if nh == IPPROTO_ICMPV6:
            return Protocol.ND if frame[off + 40] in ICMPV6_ND_TYPES else None
        return None
    if et == ETH_P_PPPOE_DISCOVERY:
        return Protocol.PPPOE_DISCOVERY
    if et == ETH_P_PPPOE_SESSION:
        return Protocol.PPPOE_SESSION
    return None


def encode_tags(tags: tuple[VlanTag, ...]) -> bytes:
    return b"".join(t.encode() for t in tags)


def build_frame(dst: bytes, src: bytes, tags: tuple[VlanTag, ...], ethertype: int, payload: bytes) -> bytes:
    """An Ethernet frame with ``tags`` (outermost first) in front of ``ethertype`` and ``payload``."""
    if len(dst) != 6 or len(src) != 6:
        raise FrameError("MAC addresses are 6 bytes")
    return b"".join((dst, src, encode_tags(tags), struct.pack("!H", ethertype), payload))
