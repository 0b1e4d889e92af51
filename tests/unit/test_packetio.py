"""The packet path's pure parts: frame decoding and classification, the access-interface table that
repeats VPP's sub-interface classification, the token bucket and the round-robin per-port queues."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dhcp6 import DHCP6_Solicit
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import ICMPv6ND_RS, IPv6
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether
from scapy.layers.ppp import PPPoED
from scapy.packet import raw

from agent.packetio import (
    AccessInterfaces,
    Frame,
    PacketIO,
    PacketIOConfig,
    Protocol,
    SubscriptionClosed,
    VlanTag,
)
from agent.packetio.frames import FrameError, build_frame, classify, parse_ethernet
from agent.packetio.interfaces import (
    SUB_IF_DEFAULT,
    SUB_IF_DOT1AD,
    SUB_IF_EXACT_MATCH,
    SUB_IF_ONE_TAG,
    SUB_IF_TWO_TAGS,
)
from agent.packetio.ratelimit import TokenBucket

MAC = "02:00:00:00:00:01"
DHCP4 = IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67) / BOOTP() / DHCP(options=["end"])


def test_tags_are_decoded_outermost_first() -> None:
    frame = raw(Ether(src=MAC) / Dot1AD(vlan=200, prio=5) / Dot1Q(vlan=300) / DHCP4)
    eth = parse_ethernet(frame)
    assert eth.tags == (VlanTag(0x88A8, 200, 5), VlanTag(0x8100, 300))
    assert eth.ethertype == 0x0800 and eth.l3_offset == 22
    assert eth.src == bytes.fromhex("020000000001")
    assert frame[eth.l3_offset :] == raw(DHCP4)


def test_build_frame_is_the_inverse_of_parse() -> None:
    tags = (VlanTag(0x88A8, 10), VlanTag(0x8100, 4094, 7))
    frame = build_frame(b"\xff" * 6, b"\x02" * 6, tags, 0x8863, b"payload")
    eth = parse_ethernet(frame)
    assert (eth.tags, eth.ethertype, frame[eth.l3_offset :]) == (tags, 0x8863, b"payload")
    assert raw(Ether(frame)[Dot1Q]) == frame[18:]  # scapy reads the same inner tag


@pytest.mark.parametrize("frame", [b"\x00" * 13, raw(Ether() / Dot1Q(vlan=1))[:16]])
def test_truncated_frames_are_refused(frame: bytes) -> None:
    with pytest.raises(FrameError):
        parse_ethernet(frame)


@pytest.mark.parametrize(
    ("pkt", "expected"),
    [
        (Ether() / DHCP4, Protocol.DHCPV4),
        (Ether() / Dot1Q(vlan=5) / DHCP4, Protocol.DHCPV4),
        (Ether() / IP() / UDP(sport=67, dport=68), None),  # a reply from a server is not ours
        (Ether() / IPv6(dst="ff02::1:2") / UDP(sport=546, dport=547) / DHCP6_Solicit(), Protocol.DHCPV6),
        (Ether() / IPv6(dst="ff02::2") / ICMPv6ND_RS(), Protocol.ND),
        (Ether() / PPPoED(), Protocol.PPPOE_DISCOVERY),
        (Ether() / ARP(), None),  # VPP answers ARP; the packet path has no ARP service
        (Ether() / IP() / UDP(dport=53), None),
    ],
)
def test_classify(pkt: Any, expected: Protocol | None) -> None:
    frame = raw(pkt)
    assert classify(frame, parse_ethernet(frame)) is expected


def _row(idx: int, sup: int, name: str, flags: int = 0, n: int = 0, outer: int = 0, inner: int = 0) -> Any:
    return SimpleNamespace(
        sw_if_index=idx,
        sup_sw_if_index=sup,
        interface_name=name,
        sub_if_flags=flags,
        sub_number_of_tags=n,
        sub_outer_vlan_id=outer,
        sub_inner_vlan_id=inner,
        l2_address=bytes.fromhex("525400120008") if idx == sup else b"",
    )


@pytest.fixture
def table() -> AccessInterfaces:
    t = AccessInterfaces()
    t.load(
        [
            _row(1, 1, "Gi0"),
            _row(2, 2, "Gi1"),
            _row(3, 1, "Gi0.100", SUB_IF_ONE_TAG | SUB_IF_EXACT_MATCH, 1, 100),
            _row(4, 1, "Gi0.101", SUB_IF_ONE_TAG, 1, 101),  # not exact: also takes QinQ frames
            _row(5, 1, "Gi0.200300", SUB_IF_TWO_TAGS | SUB_IF_DOT1AD | SUB_IF_EXACT_MATCH, 2, 200, 300),
            _row(6, 2, "Gi1.default", SUB_IF_DEFAULT),
            _row(7, 2, "Gi1.100", SUB_IF_ONE_TAG | SUB_IF_EXACT_MATCH, 1, 100),
        ],
        name_of=lambda i: {3: "access-100"}.get(i),
    )
    return t


def q(vid: int) -> VlanTag:
    return VlanTag(0x8100, vid)


def ad(vid: int) -> VlanTag:
    return VlanTag(0x88A8, vid)


def _name(acc: Any) -> str | None:
    return None if acc is None else acc.name


def test_match_follows_eth_identify_subint(table: AccessInterfaces) -> None:
    assert _name(table.match(1, ())) == "Gi0"
    assert _name(table.match(1, (q(100),))) == "access-100"  # the agent's name wins over VPP's
    assert _name(table.match(1, (q(100), q(5)))) is None  # exact match: one tag only
    assert _name(table.match(1, (q(101), q(5)))) == "Gi0.101"  # non-exact takes more tags
    assert _name(table.match(1, (ad(200), q(300)))) == "Gi0.200300"
    assert _name(table.match(1, (q(200), q(300)))) is None  # 802.1Q and 802.1ad VLANs are separate tables
    assert _name(table.match(1, (ad(200), q(300), q(1)))) is None
    assert _name(table.match(2, (q(999),))) == "Gi1.default"
    assert _name(table.match(2, (q(100),))) == "Gi1.100"


def test_sub_interface_tags_and_port(table: AccessInterfaces) -> None:
    acc = table.get(5)
    assert acc is not None
    assert acc.tags == (ad(200), q(300)) and acc.port == "Gi0" and acc.port_sw_if_index == 1
    assert acc.mac == bytes.fromhex("525400120008")
    default = table.get(6)
    assert default is not None and default.tags == ()


def test_a_tag_set_on_two_ports_is_ambiguous_on_the_control_plane_link(table: AccessInterfaces) -> None:
    assert _name(table.match_any_port((1, 2), (q(100),))) is None  # Gi0.100 and Gi1.100
    assert _name(table.match_any_port((1,), (q(100),))) == "access-100"
    assert _name(table.match_any_port((1, 2), (ad(200), q(300)))) is None  # Gi1's default takes it too


def test_token_bucket_allows_the_burst_then_the_rate() -> None:
    b = TokenBucket(rate=100, burst=10, now=0.0)
    assert sum(b.take(0.0) for _ in range(50)) == 10
    assert sum(b.take(0.5) for _ in range(100)) == 10  # 0.5 s at 100/s refills 50, capped at the burst
    assert sum(b.take(0.55) for _ in range(100)) == 5


async def test_subscription_serves_ports_round_robin(table: AccessInterfaces) -> None:
    pio = PacketIO(PacketIOConfig(queue_per_port=3))
    sub = pio.subscribe(Protocol.DHCPV4)
    frame = raw(Ether() / DHCP4)
    eth = parse_ethernet(frame)
    gi0, gi1 = table.get(1), table.get(2)
    assert gi0 is not None and gi1 is not None
    offered = [
        sub.offer(acc.port, Frame(frame, Protocol.DHCPV4, acc, eth, "punt", float(i)))
        for i, acc in enumerate([gi0, gi0, gi0, gi0, gi1])
    ]
    assert offered == [True, True, True, False, True]  # Gi0's queue holds 3
    order = [(await sub.get()).interface.name for _ in range(2)]
    order += [f.interface.name for f in await sub.get_batch(10)]
    assert order == ["Gi0", "Gi1", "Gi0", "Gi0"]
    with pytest.raises(ValueError, match="already subscribed"):
        pio.subscribe(Protocol.DHCPV4)
    waiter = asyncio.ensure_future(sub.get())
    await asyncio.sleep(0)
    sub.close()
    with pytest.raises(SubscriptionClosed):
        await waiter
    pio.subscribe(Protocol.DHCPV4)  # closing released the protocol
