"""RFC 5176 packets on the wire: parse a CoA-Request or Disconnect-Request, check its authenticators,
and build the ACK or NAK.

Kept free of I/O and sessions so it can be tested byte for byte. Why its own small codec rather than
pyrad's: the checks RFC 5176 needs (the Request Authenticator over a zero vector, the
Message-Authenticator computed with a zero vector, a reply signed against the request's vector) must
run on the exact bytes received, before any attribute is decoded or trusted.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import struct
from dataclasses import dataclass

HEADER = 20
ZERO16 = b"\x00" * 16
MESSAGE_AUTHENTICATOR = 80
ERROR_CAUSE = 101


class Code(enum.IntEnum):
    """Packet codes (RFC 5176 section 2)."""

    DISCONNECT_REQUEST = 40
    DISCONNECT_ACK = 41
    DISCONNECT_NAK = 42
    COA_REQUEST = 43
    COA_ACK = 44
    COA_NAK = 45


REQUESTS = (Code.DISCONNECT_REQUEST, Code.COA_REQUEST)
ACK = {Code.DISCONNECT_REQUEST: Code.DISCONNECT_ACK, Code.COA_REQUEST: Code.COA_ACK}
NAK = {Code.DISCONNECT_REQUEST: Code.DISCONNECT_NAK, Code.COA_REQUEST: Code.COA_NAK}


class ErrorCause(enum.IntEnum):
    """Error-Cause values (RFC 5176 section 3.5)."""

    RESIDUAL_SESSION_CONTEXT_REMOVED = 201
    UNSUPPORTED_ATTRIBUTE = 401
    MISSING_ATTRIBUTE = 402
    NAS_IDENTIFICATION_MISMATCH = 403
    INVALID_REQUEST = 404
    UNSUPPORTED_SERVICE = 405
    ADMINISTRATIVELY_PROHIBITED = 501
    SESSION_CONTEXT_NOT_FOUND = 503
    SESSION_CONTEXT_NOT_REMOVABLE = 504
    RESOURCES_UNAVAILABLE = 506


class Malformed(ValueError):
    """The datagram is not a RADIUS packet (short, bad length, an attribute overrunning it)."""


@dataclass(frozen=True, slots=True)
class Request:
    """A parsed request: code, identifier, the Request Authenticator, and the attributes in order."""

    code: int
    ident: int
    authenticator: bytes
    attributes: tuple[tuple[int, bytes], ...]
    raw: bytes

    def first(self, attr: int) -> bytes | None:
        for t, v in self.attributes:
            if t == attr:
                return v
        return None


def parse(data: bytes) -> Request:
    """Split a datagram into header and attributes; raises :class:`Malformed` for framing errors (RFC
    2865 section 3: such packets are silently discarded)."""
    if len(data) < HEADER:
        raise Malformed("shorter than a RADIUS header")
    code, ident, length = struct.unpack_from("!BBH", data)
    if length < HEADER or length > 4096 or length > len(data):
        raise Malformed(f"length field {length} does not fit the datagram of {len(data)} octets")
    data = data[:length]  # octets past Length are padding (RFC 2865 section 3)
    attrs: list[tuple[int, bytes]] = []
    pos = HEADER
    while pos < length:
        if pos + 2 > length:
            raise Malformed("truncated attribute header")
        t, alen = data[pos], data[pos + 1]
        if alen < 2 or pos + alen > length:
            raise Malformed(f"attribute {t} length {alen} overruns the packet")
        attrs.append((t, data[pos + 2 : pos + alen]))
        pos += alen
    return Request(code, ident, data[4:20], tuple(attrs), data)


def request_authenticator_ok(req: Request, secret: bytes) -> bool:
    """RFC 5176 section 2.3: MD5(Code + Identifier + Length + 16 zero octets + Attributes + Secret)."""
    expect = hashlib.md5(req.raw[:4] + ZERO16 + req.raw[HEADER:] + secret).digest()
    return hmac.compare_digest(expect, req.authenticator)


def message_authenticator_ok(req: Request, secret: bytes) -> bool | None:
    """RFC 5176 section 3.3 with RFC 3579 section 3.2: HMAC-MD5 over the packet with the authenticator
    and the Message-Authenticator's value zeroed. ``None`` when the attribute is absent."""
    pos = HEADER
    buf = bytearray(req.raw)
    buf[4:20] = ZERO16
    found: bytes | None = None
    while pos < len(buf):
        t, alen = buf[pos], buf[pos + 1]
        if t == MESSAGE_AUTHENTICATOR:
            if alen != 18 or found is not None:
                return False
            found = bytes(buf[pos + 2 : pos + 18])
            buf[pos + 2 : pos + 18] = ZERO16
        pos += alen
    if found is None:
        return None
    expect = hmac.new(secret, bytes(buf), hashlib.md5).digest()
    return hmac.compare_digest(expect, found)


def reply(req: Request, code: Code, secret: bytes, attributes: list[tuple[int, bytes]]) -> bytes:
    """An ACK or NAK to ``req``: a Message-Authenticator when the request carried one (computed over
    the request's authenticator, RFC 3579 3.2), then the Response Authenticator (RFC 5176 2.3)."""
    sign = req.first(MESSAGE_AUTHENTICATOR) is not None
    body = b"".join(struct.pack("!BB", t, len(v) + 2) + v for t, v in attributes)
    if sign:
        body += struct.pack("!BB", MESSAGE_AUTHENTICATOR, 18) + ZERO16
    head = struct.pack("!BBH", code, req.ident, HEADER + len(body))
    if sign:
        mac = hmac.new(secret, head + req.authenticator + body, hashlib.md5).digest()
        body = body[:-16] + mac
    auth = hashlib.md5(head + req.authenticator + body + secret).digest()
    return head + auth + body


def error_cause(cause: ErrorCause) -> tuple[int, bytes]:
    return (ERROR_CAUSE, struct.pack("!I", cause))
