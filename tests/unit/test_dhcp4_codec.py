"""The DHCPv4 codec against scapy's encoder, and against every way a message can be broken: truncated at
every length, oversized, bad cookie, an option past the end, bad IPv4/UDP headers, random bytes. Each is
a :class:`DhcpError` with a reason, never another exception."""

from __future__ import annotations

import contextlib
import random
from ipaddress import IPv4Address

import pytest
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.packet import raw

from agent.dhcp4 import codec
from agent.dhcp4.codec import DhcpError, MessageType

MAC = bytes.fromhex("020000000001")


def discover(**opts: object) -> bytes:
    options = [("message-type", "discover"), *opts.items(), "end"]
    return raw(BOOTP(chaddr=MAC, xid=0x1234, flags=0x8000) / DHCP(options=options))


def test_decode_matches_scapy_and_encode_round_trips() -> None:
    data = discover(hostname=b"cpe", requested_addr="10.0.0.7")
    m = codec.decode(data)
    assert (m.op, m.xid, m.flags, m.mac) == (1, 0x1234, 0x8000, MAC)
    assert m.message_type is MessageType.DISCOVER
    assert m.option(12) == b"cpe" and m.address_option(50) == IPv4Address("10.0.0.7")
    again = codec.decode(codec.encode(m))
    assert again == m
    parsed = BOOTP(codec.encode(m.with_options(m.options, giaddr=IPv4Address("192.0.2.1"), hops=1)))
    assert parsed.giaddr == "192.0.2.1" and parsed.hops == 1
    assert len(codec.encode(m)) >= codec.BOOTP_MIN  # padded for old clients


def test_long_options_are_split_and_joined_again() -> None:
    m = codec.decode(discover())
    big = m.with_options((*m.options, (43, bytes(range(256)) * 2)))
    assert codec.decode(codec.encode(big)).option(43) == bytes(range(256)) * 2  # RFC 3396


def test_overloaded_file_and_sname_fields_are_read() -> None:
    m = codec.decode(discover())
    wire = bytearray(codec.encode(m.with_options(((53, b"\x01"), (52, b"\x03")))))
    wire[108:112] = bytes((12, 2)) + b"hi"  # file area: host name
    wire[44:48] = bytes((60, 2)) + b"vc"  # sname area: vendor class
    got = codec.decode(bytes(wire))
    assert got.option(12) == b"hi" and got.option(60) == b"vc" and got.option(52) is None


@pytest.mark.parametrize("cut", range(0, 300, 7))
def test_truncated_messages_are_refused(cut: int) -> None:
    data = discover(hostname=b"x" * 40)
    if cut >= len(data):
        return
    try:
        codec.decode(data[:cut])
    except DhcpError as e:
        assert e.reason in ("truncated", "truncated-option")
    else:
        assert cut >= codec.MIN_MESSAGE  # options cut at an option boundary are still a message


def test_oversized_bad_cookie_bad_op_and_option_past_the_end() -> None:
    data = discover()
    with pytest.raises(DhcpError, match="oversized"):
        codec.decode(data + b"\0" * 1500)
    with pytest.raises(DhcpError, match="bad-cookie"):
        codec.decode(data[:236] + b"\0\0\0\0" + data[240:])
    with pytest.raises(DhcpError, match="bad-op"):
        codec.decode(b"\x07" + data[1:])
    with pytest.raises(DhcpError, match="truncated-option"):
        codec.decode(data[:240] + bytes((12, 200)) + b"abc")
    m = codec.decode(data)
    with pytest.raises(DhcpError, match="oversized"):
        codec.encode(m.with_options(((53, b"\x01"), (43, b"x" * 1400))))


def test_option82_sub_options() -> None:
    subs = ((1, b"eth0:100"), (2, MAC), (5, bytes((10, 0, 0, 1))))
    assert codec.decode_rai(codec.encode_rai(subs)) == subs
    with pytest.raises(DhcpError, match="bad-option82"):
        codec.decode_rai(b"\x01\x09short")
    with pytest.raises(DhcpError, match="bad-option82"):
        codec.decode_rai(b"\x01")


def test_ipv4_udp_headers() -> None:
    payload = discover()
    pkt = codec.encode_udp4(IPv4Address("10.0.0.1"), IPv4Address("255.255.255.255"), 67, 68, payload)
    s = IP(pkt)
    assert s[UDP].sport == 67 and s[UDP].dport == 68 and raw(s[UDP].payload) == payload
    assert IP(raw(s)).chksum == s.chksum  # scapy agrees with both checksums
    dg = codec.decode_udp4(pkt, udp_checksum=True)
    assert (dg.src, dg.dport, dg.payload) == (IPv4Address("10.0.0.1"), 68, payload)
    broken = bytearray(pkt)
    broken[-1] ^= 0xFF
    with pytest.raises(DhcpError, match="bad-udp-checksum"):
        codec.decode_udp4(bytes(broken), udp_checksum=True)
    assert codec.decode_udp4(bytes(broken)).payload[-1] != payload[-1]  # VPP checked it already
    bad_ip = bytearray(pkt)
    bad_ip[8] ^= 1  # TTL without a new header checksum
    with pytest.raises(DhcpError, match="bad-ip-checksum"):
        codec.decode_udp4(bytes(bad_ip))
    with pytest.raises(DhcpError, match="bad-ip-length"):
        codec.decode_udp4(pkt[:40])
    frag = raw(IP(src="10.0.0.1", dst="10.0.0.2", flags="MF") / UDP(sport=68, dport=67) / payload)
    with pytest.raises(DhcpError, match="fragment"):
        codec.decode_udp4(frag)
    with pytest.raises(DhcpError, match="not-udp"):
        codec.decode_udp4(raw(IP(src="10.0.0.1", dst="10.0.0.2", proto=6) / (b"\0" * 20)))


def test_random_bytes_raise_only_dhcp_errors() -> None:
    rng = random.Random(14)
    base = discover(hostname=b"h" * 30)
    for _ in range(20_000):
        if rng.random() < 0.5:
            data = bytearray(base)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            data = data[: rng.randint(0, len(data))]
        else:
            data = bytearray(rng.randbytes(rng.randint(0, 600)))
            data[236:240] = codec.MAGIC
        for fn in (codec.decode, codec.decode_udp4):
            with contextlib.suppress(DhcpError):
                fn(bytes(data))
