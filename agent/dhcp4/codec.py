"""DHCPv4 messages (RFC 2131/2132), the Relay Agent Information option (RFC 3046) and the IPv4/UDP
headers around them: decode with strict bounds, encode.

Pure functions over bytes, no I/O. Every byte comes from a subscriber or a server and is untrusted: a
message that is too short, too long, has a bad magic cookie, an option running past the end, a bad
IPv4/UDP length or checksum raises :class:`DhcpError` with a short ``reason`` (a bounded Prometheus
label); nothing else is raised for any input (tests/unit/test_dhcp4_codec.py fuzzes it).
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address

BOOTREQUEST, BOOTREPLY = 1, 2
MAGIC = b"\x63\x82\x53\x63"
FIXED = 236  # op .. file
MIN_MESSAGE = FIXED + 4  # plus the magic cookie
#: Longest message handled: an Ethernet MTU less the IPv4 and UDP headers. Larger messages exist only
#: fragmented, and VPP's punt socket cuts frames at 2048 bytes (punt_socket_rx_fd); they are dropped.
MAX_MESSAGE = 1500 - 20 - 8
#: RFC 2131 section 2: a BOOTP message is at least 300 bytes on the wire (older clients need it).
BOOTP_MIN = 300
BROADCAST_FLAG = 0x8000
SERVER_PORT, CLIENT_PORT = 67, 68

OPT_PAD, OPT_END = 0, 255
OPT_SUBNET_MASK = 1
OPT_REQUESTED_IP = 50
OPT_LEASE_TIME = 51
OPT_OVERLOAD = 52
OPT_MESSAGE_TYPE = 53
OPT_SERVER_ID = 54
OPT_MAX_SIZE = 57
OPT_CLIENT_ID = 61
OPT_RAI = 82

# RFC 3046 / 3527 / 5107 sub-options of option 82
RAI_CIRCUIT_ID = 1
RAI_REMOTE_ID = 2
RAI_LINK_SELECTION = 5
RAI_SERVER_ID_OVERRIDE = 11

_FIXED = struct.Struct("!BBBBIHH4s4s4s4s16s64s128s")
_IP = struct.Struct("!BBHHHBBH4s4s")
_UDP = struct.Struct("!HHHH")


class MessageType(enum.IntEnum):
    """Option 53 values (RFC 2132 section 9.6)."""

    DISCOVER = 1
    OFFER = 2
    REQUEST = 3
    DECLINE = 4
    ACK = 5
    NAK = 6
    RELEASE = 7
    INFORM = 8


class DhcpError(ValueError):
    """A message that cannot be handled; ``reason`` is a short fixed label (counted per reason)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Message:
    """A decoded DHCP message. ``options`` keeps every option in wire order (code, value), repeated
    codes concatenated as RFC 3396 says; PAD and END are not kept."""

    op: int
    htype: int
    hlen: int
    hops: int
    xid: int
    secs: int
    flags: int
    ciaddr: IPv4Address
    yiaddr: IPv4Address
    siaddr: IPv4Address
    giaddr: IPv4Address
    chaddr: bytes  # 16 bytes as on the wire
    sname: bytes = b"\0" * 64
    file: bytes = b"\0" * 128
    options: tuple[tuple[int, bytes], ...] = field(default=())

    @property
    def mac(self) -> bytes:
        """The client hardware address (the first ``hlen`` bytes of chaddr, at most 16)."""
        return self.chaddr[: min(self.hlen, 16)]

    def option(self, code: int) -> bytes | None:
        for c, v in self.options:
            if c == code:
                return v
        return None

    @property
    def message_type(self) -> MessageType | None:
        v = self.option(OPT_MESSAGE_TYPE)
        if v is None or len(v) != 1:
            return None
        try:
            return MessageType(v[0])
        except ValueError:
            return None

    def address_option(self, code: int) -> IPv4Address | None:
        v = self.option(code)
        return IPv4Address(v) if v is not None and len(v) == 4 else None

    def u32_option(self, code: int) -> int | None:
        v = self.option(code)
        return int.from_bytes(v, "big") if v is not None and len(v) == 4 else None

    def with_options(self, options: tuple[tuple[int, bytes], ...], **fields: object) -> Message:
        return replace(self, options=options, **fields)  # type: ignore[arg-type]


def _parse_options(data: bytes, out: dict[int, bytearray], order: list[int]) -> bool:
    """Options of one area into ``out``; True when END was seen. Raises on an option past the end."""
    i, n = 0, len(data)
    while i < n:
        code = data[i]
        if code == OPT_PAD:
            i += 1
            continue
        if code == OPT_END:
            return True
        if i + 1 >= n:
            raise DhcpError("truncated-option", f"option {code} has no length")
        length = data[i + 1]
        end = i + 2 + length
        if end > n:
            raise DhcpError("truncated-option", f"option {code} runs past the end")
        if code not in out:
            out[code] = bytearray()
            order.append(code)
        out[code] += data[i + 2 : end]
        i = end
    return False


def decode(data: bytes) -> Message:
    """A DHCP message (the UDP payload). Options overloaded into ``file``/``sname`` (option 52) are
    read too; a message without END in its options area is accepted (many clients pad instead)."""
    n = len(data)
    if n < MIN_MESSAGE:
        raise DhcpError("truncated", f"{n} bytes")
    if n > MAX_MESSAGE:
        raise DhcpError("oversized", f"{n} bytes")
    if data[FIXED:MIN_MESSAGE] != MAGIC:
        raise DhcpError("bad-cookie")
    f = _FIXED.unpack_from(data)
    op, htype, hlen = f[0], f[1], f[2]
    if op not in (BOOTREQUEST, BOOTREPLY):
        raise DhcpError("bad-op", str(op))
    if hlen > 16:
        raise DhcpError("bad-hlen", str(hlen))
    opts: dict[int, bytearray] = {}
    order: list[int] = []
    _parse_options(data[MIN_MESSAGE:], opts, order)
    overload = opts.get(OPT_OVERLOAD)
    if overload is not None:
        if len(overload) != 1 or overload[0] not in (1, 2, 3):
            raise DhcpError("bad-overload")
        if overload[0] & 1:
            _parse_options(f[13], opts, order)
        if overload[0] & 2:
            _parse_options(f[12], opts, order)
    return Message(
        op=op,
        htype=htype,
        hlen=hlen,
        hops=f[3],
        xid=f[4],
        secs=f[5],
        flags=f[6],
        ciaddr=IPv4Address(f[7]),
        yiaddr=IPv4Address(f[8]),
        siaddr=IPv4Address(f[9]),
        giaddr=IPv4Address(f[10]),
        chaddr=f[11],
        sname=f[12] if overload is None or not overload[0] & 2 else b"\0" * 64,
        file=f[13] if overload is None or not overload[0] & 1 else b"\0" * 128,
        options=tuple((c, bytes(opts[c])) for c in order if c != OPT_OVERLOAD),
    )


def encode(msg: Message, *, pad_to: int = BOOTP_MIN) -> bytes:
    """The wire form; options longer than 255 bytes are split (RFC 3396). Raises ``oversized`` when the
    result would exceed :data:`MAX_MESSAGE` (the caller counts it and drops the message)."""
    parts = [
        _FIXED.pack(
            msg.op,
            msg.htype,
            msg.hlen,
            msg.hops,
            msg.xid,
            msg.secs,
            msg.flags,
            msg.ciaddr.packed,
            msg.yiaddr.packed,
            msg.siaddr.packed,
            msg.giaddr.packed,
            msg.chaddr.ljust(16, b"\0")[:16],
            msg.sname.ljust(64, b"\0")[:64],
            msg.file.ljust(128, b"\0")[:128],
        ),
        MAGIC,
    ]
    for code, value in msg.options:
        if not value:
            parts.append(bytes((code, 0)))
        for i in range(0, len(value), 255):
            chunk = value[i : i + 255]
            parts.append(bytes((code, len(chunk))) + chunk)
    parts.append(bytes((OPT_END,)))
    out = b"".join(parts)
    if len(out) > MAX_MESSAGE:
        raise DhcpError("oversized", f"{len(out)} bytes after relaying")
    if len(out) < pad_to:
        out += b"\0" * (pad_to - len(out))
    return out


# ---------------------------------------------------------------------- option 82


def decode_rai(value: bytes) -> tuple[tuple[int, bytes], ...]:
    """Sub-options of a Relay Agent Information option, in order."""
    out: list[tuple[int, bytes]] = []
    i, n = 0, len(value)
    while i < n:
        if i + 1 >= n:
            raise DhcpError("bad-option82", "sub-option without length")
        code, length = value[i], value[i + 1]
        end = i + 2 + length
        if end > n:
            raise DhcpError("bad-option82", f"sub-option {code} runs past the end")
        out.append((code, value[i + 2 : end]))
        i = end
    return tuple(out)


def encode_rai(subs: tuple[tuple[int, bytes], ...]) -> bytes:
    """An option 82 value; each sub-option is cut to 255 bytes (a circuit-id format can make more)."""
    return b"".join(bytes((code, min(len(v), 255))) + v[:255] for code, v in subs)


# ---------------------------------------------------------------------- IPv4 / UDP


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return int(~s & 0xFFFF)


@dataclass(frozen=True, slots=True)
class Datagram:
    """A UDP datagram from an IPv4 packet."""

    src: IPv4Address
    dst: IPv4Address
    sport: int
    dport: int
    ttl: int
    payload: bytes


def decode_udp4(packet: bytes, *, udp_checksum: bool = False) -> Datagram:
    """An IPv4/UDP packet (as punted, after the L2 header); checks lengths, the header checksum and the
    protocol; the UDP checksum only when asked (``udp_checksum``): VPP's ``ip4-local`` has verified it
    before punting (``ip4_local_check_l4_csum``, src/vnet/ip/ip4_forward.c), and a frame whose
    checksum a sender left to offload (a veth, an af_packet port) carries a partial one that VPP knows
    to be good. Fragments are refused (DHCP is never fragmented on an access link)."""
    if len(packet) < 28:
        raise DhcpError("truncated", "shorter than IPv4 and UDP headers")
    vihl, _tos, total, _ident, frag, ttl, proto, _csum, src, dst = _IP.unpack_from(packet)
    ihl = (vihl & 0x0F) * 4
    if vihl >> 4 != 4 or ihl < 20:
        raise DhcpError("bad-ip-header")
    if total > len(packet) or total < ihl + 8:
        raise DhcpError("bad-ip-length", f"total length {total}, {len(packet)} bytes")
    if frag & 0x3FFF:
        raise DhcpError("fragment")
    if proto != 17:
        raise DhcpError("not-udp")
    if checksum(packet[:ihl]) != 0:
        raise DhcpError("bad-ip-checksum")
    sport, dport, ulen, ucsum = _UDP.unpack_from(packet, ihl)
    if ulen < 8 or ihl + ulen > total:
        raise DhcpError("bad-udp-length", str(ulen))
    udp = packet[ihl : ihl + ulen]
    if udp_checksum and ucsum and checksum(src + dst + struct.pack("!BBH", 0, 17, ulen) + udp) != 0:
        raise DhcpError("bad-udp-checksum")
    return Datagram(IPv4Address(src), IPv4Address(dst), sport, dport, ttl, udp[8:])


def encode_udp4(
    src: IPv4Address, dst: IPv4Address, sport: int, dport: int, payload: bytes, ttl: int = 64
) -> bytes:
    """An IPv4/UDP packet with both checksums (a zero UDP checksum is sent as 0xffff)."""
    ulen = 8 + len(payload)
    pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 17, ulen)
    ucsum = checksum(pseudo + _UDP.pack(sport, dport, ulen, 0) + payload) or 0xFFFF
    udp = _UDP.pack(sport, dport, ulen, ucsum) + payload
    header = _IP.pack(0x45, 0, 20 + ulen, 0, 0, ttl, 17, 0, src.packed, dst.packed)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + udp
