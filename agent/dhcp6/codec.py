"""DHCPv6 messages (RFC 8415 section 8-9, 21) as the relay needs them: strict and bounded.

Decoding never trusts a length: every option is checked against what is left of its container, nesting
(relay messages in relay messages, options in IA options) is bounded, and anything wrong raises
:class:`Dhcp6Error` with a short ``reason`` that the relay counts (``bng_dhcpv6_dropped_total{reason}``).
Only what the relay reads is decoded into fields; every option is kept as raw bytes too, so the relay
forwards messages exactly as they came.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from ipaddress import IPv6Address, IPv6Network

CLIENT_PORT = 546
SERVER_PORT = 547

SOLICIT, ADVERTISE, REQUEST, CONFIRM, RENEW, REBIND, REPLY, RELEASE, DECLINE = 1, 2, 3, 4, 5, 6, 7, 8, 9
RECONFIGURE, INFORMATION_REQUEST, RELAY_FORW, RELAY_REPL = 10, 11, 12, 13
NAMES = {
    SOLICIT: "solicit",
    ADVERTISE: "advertise",
    REQUEST: "request",
    CONFIRM: "confirm",
    RENEW: "renew",
    REBIND: "rebind",
    REPLY: "reply",
    RELEASE: "release",
    DECLINE: "decline",
    RECONFIGURE: "reconfigure",
    INFORMATION_REQUEST: "information-request",
    RELAY_FORW: "relay-forw",
    RELAY_REPL: "relay-repl",
}
#: what a client may send (RFC 8415 section 16: anything else from a client is discarded)
FROM_CLIENT = frozenset({SOLICIT, REQUEST, CONFIRM, RENEW, REBIND, RELEASE, DECLINE, INFORMATION_REQUEST})
#: what a server may send to a client inside a Relay-Reply
TO_CLIENT = frozenset({ADVERTISE, REPLY, RECONFIGURE})

OPT_CLIENTID, OPT_SERVERID, OPT_IA_NA, OPT_IA_TA, OPT_IAADDR = 1, 2, 3, 4, 5
OPT_RELAY_MSG, OPT_STATUS_CODE, OPT_INTERFACE_ID, OPT_IA_PD, OPT_IAPREFIX = 9, 13, 18, 25, 26
OPT_REMOTE_ID = 37
STATUS_SUCCESS = 0

#: the largest message accepted (RFC 8415 leaves it to the link MTU; a relay adds ~100 bytes per hop)
MAX_MESSAGE = 4096
#: RFC 8415 section 7.6 HOP_COUNT_LIMIT
HOP_COUNT_LIMIT = 8
MAX_OPTIONS = 128
MAX_IA_OPTIONS = 32
INFINITY = 0xFFFFFFFF
#: RFC 4649 Remote-ID enterprise number sent with the client MAC: 0 is not assigned; the project has none
#: of its own, so the Reserved value 0 is avoided and IANA's "example" PEN 32473 (RFC 5612) is used
REMOTE_ID_ENTERPRISE = 32473

_OPT = struct.Struct("!HH")


class Dhcp6Error(ValueError):
    """A message the relay refuses; ``reason`` is the counter label."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Binding:
    """One address (IA_NA/IAADDR) or delegated prefix (IA_PD/IAPREFIX) a server gave."""

    iaid: int
    prefix: IPv6Network  # /128 for an address
    preferred: int
    valid: int
    delegated: bool


@dataclass(slots=True)
class Message:
    """A client/server message (``msg_type`` not 12/13): transaction id and options in wire order."""

    msg_type: int
    xid: int
    options: list[tuple[int, bytes]] = field(default_factory=list)

    def get(self, code: int) -> bytes | None:
        for c, v in self.options:
            if c == code:
                return v
        return None

    def encode(self) -> bytes:
        return bytes([self.msg_type]) + self.xid.to_bytes(3, "big") + encode_options(self.options)


@dataclass(slots=True)
class RelayMessage:
    """A Relay-Forward or Relay-Reply (RFC 8415 section 9)."""

    msg_type: int
    hop_count: int
    link_address: IPv6Address
    peer_address: IPv6Address
    options: list[tuple[int, bytes]] = field(default_factory=list)

    def get(self, code: int) -> bytes | None:
        for c, v in self.options:
            if c == code:
                return v
        return None

    def encode(self) -> bytes:
        head = bytes([self.msg_type, self.hop_count]) + self.link_address.packed + self.peer_address.packed
        return head + encode_options(self.options)


def encode_options(options: list[tuple[int, bytes]]) -> bytes:
    out = bytearray()
    for code, value in options:
        if len(value) > 0xFFFF:
            raise Dhcp6Error("option-too-long", f"option {code}: {len(value)} bytes")
        out += _OPT.pack(code, len(value)) + value
    return bytes(out)


def decode_options(data: bytes, limit: int = MAX_OPTIONS) -> list[tuple[int, bytes]]:
    """``code, length, value`` records filling ``data`` exactly."""
    out: list[tuple[int, bytes]] = []
    off, n = 0, len(data)
    while off < n:
        if n - off < 4:
            raise Dhcp6Error("truncated-option", f"{n - off} bytes left at {off}")
        code, length = _OPT.unpack_from(data, off)
        off += 4
        if length > n - off:
            raise Dhcp6Error("truncated-option", f"option {code} says {length} bytes, {n - off} left")
        out.append((code, bytes(data[off : off + length])))
        off += length
        if len(out) > limit:
            raise Dhcp6Error("too-many-options", f"more than {limit}")
    return out


def decode(data: bytes) -> Message | RelayMessage:
    """One DHCPv6 message (the UDP payload)."""
    if len(data) > MAX_MESSAGE:
        raise Dhcp6Error("oversized", f"{len(data)} bytes")
    if len(data) < 4:
        raise Dhcp6Error("truncated-header", f"{len(data)} bytes")
    msg_type = data[0]
    if msg_type in (RELAY_FORW, RELAY_REPL):
        if len(data) < 34:
            raise Dhcp6Error("truncated-header", f"relay message of {len(data)} bytes")
        return RelayMessage(
            msg_type,
            data[1],
            IPv6Address(bytes(data[2:18])),
            IPv6Address(bytes(data[18:34])),
            decode_options(data[34:]),
        )
    if msg_type not in NAMES:
        raise Dhcp6Error("unknown-message-type", str(msg_type))
    return Message(msg_type, int.from_bytes(data[1:4], "big"), decode_options(data[4:]))


def bindings(msg: Message) -> list[Binding]:
    """The addresses and delegated prefixes of a server's Reply, skipping IAs and entries with a
    non-success status and entries with a valid lifetime of 0 (RFC 8415 18.2.10.1: those are being
    withdrawn)."""
    out: list[Binding] = []
    for code, value in msg.options:
        if code not in (OPT_IA_NA, OPT_IA_PD):
            continue
        if len(value) < 12:
            raise Dhcp6Error("malformed-IA", f"option {code} of {len(value)} bytes")
        iaid = int.from_bytes(value[0:4], "big")
        inner = decode_options(value[12:], MAX_IA_OPTIONS)
        if _status(inner) != STATUS_SUCCESS:
            continue
        for icode, ivalue in inner:
            if code == OPT_IA_NA and icode == OPT_IAADDR:
                if len(ivalue) < 24:
                    raise Dhcp6Error("malformed-IAADDR", f"{len(ivalue)} bytes")
                addr = IPv6Address(ivalue[0:16])
                preferred, valid = struct.unpack_from("!II", ivalue, 16)
                if _status(decode_options(ivalue[24:], MAX_IA_OPTIONS)) != STATUS_SUCCESS or valid == 0:
                    continue
                out.append(Binding(iaid, IPv6Network(f"{addr}/128"), preferred, valid, False))
            elif code == OPT_IA_PD and icode == OPT_IAPREFIX:
                if len(ivalue) < 25:
                    raise Dhcp6Error("malformed-IAPREFIX", f"{len(ivalue)} bytes")
                preferred, valid, plen = struct.unpack_from("!IIB", ivalue, 0)
                if plen > 128:
                    raise Dhcp6Error("malformed-IAPREFIX", f"prefix length {plen}")
                if _status(decode_options(ivalue[25:], MAX_IA_OPTIONS)) != STATUS_SUCCESS or valid == 0:
                    continue
                net = IPv6Network((IPv6Address(ivalue[9:25]), plen), strict=False)
                out.append(Binding(iaid, net, preferred, valid, True))
    return out


def released(msg: Message) -> list[Binding]:
    """The addresses and prefixes a client's Release or Decline names (lifetimes as the client sent)."""
    out: list[Binding] = []
    for code, value in msg.options:
        if code not in (OPT_IA_NA, OPT_IA_PD) or len(value) < 12:
            continue
        iaid = int.from_bytes(value[0:4], "big")
        for icode, ivalue in decode_options(value[12:], MAX_IA_OPTIONS):
            if code == OPT_IA_NA and icode == OPT_IAADDR and len(ivalue) >= 24:
                out.append(Binding(iaid, IPv6Network(f"{IPv6Address(ivalue[0:16])}/128"), 0, 0, False))
            elif code == OPT_IA_PD and icode == OPT_IAPREFIX and len(ivalue) >= 25 and ivalue[8] <= 128:
                net = IPv6Network((IPv6Address(ivalue[9:25]), ivalue[8]), strict=False)
                out.append(Binding(iaid, net, 0, 0, True))
    return out


def _status(options: list[tuple[int, bytes]]) -> int:
    for code, value in options:
        if code == OPT_STATUS_CODE:
            if len(value) < 2:
                raise Dhcp6Error("malformed-status-code", f"{len(value)} bytes")
            return int.from_bytes(value[0:2], "big")
    return STATUS_SUCCESS


def remote_id(mac: bytes, enterprise: int = REMOTE_ID_ENTERPRISE) -> bytes:
    """RFC 4649 Remote-ID option value: enterprise number, then the remote-id (the client MAC)."""
    return enterprise.to_bytes(4, "big") + mac
