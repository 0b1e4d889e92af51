"""Building RADIUS requests and checking their answers (pyrad packets; no I/O, no sessions).

Why here and not in the client: the CoA/Disconnect listener and operator logins need the same encoding,
Message-Authenticator handling and attribute helpers.

BlastRADIUS (CVE-2024-3596): every Access-Request carries a Message-Authenticator (RFC 3579 3.2) as its
first attribute and an answer to one is accepted only with a valid Message-Authenticator of its own and
no Proxy-State we did not send (the checks of pyrad's ``VerifyReply(enforce_ma=True)``, done here on the
raw bytes before anything is decoded). Anything else is dropped and counted, never treated as a reject.

Requests are encoded here (attribute values by pyrad's encoders and the dictionary's types) rather than
through pyrad's ``Packet`` objects: one encoding per request instead of two, which roughly halves the
client's CPU per request (docs/performance.md, "RADIUS client"); answers are decoded by pyrad.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import os
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pyrad import packet as rp
from pyrad import tools
from pyrad.dictionary import Dictionary

ACCESS_REQUEST = rp.AccessRequest
ACCESS_ACCEPT = rp.AccessAccept
ACCESS_REJECT = rp.AccessReject
ACCOUNTING_REQUEST = rp.AccountingRequest
ACCOUNTING_RESPONSE = rp.AccountingResponse
ACCESS_CHALLENGE = rp.AccessChallenge

AttrValue = str | int | bytes
_ZERO16 = bytes(16)
_MA_ZERO = b"\x50\x12" + _ZERO16
_ACCESS_ANSWERS = (rp.AccessAccept, rp.AccessReject, rp.AccessChallenge)


class ReplyProblem(enum.StrEnum):
    """Why an answer was dropped (the ``reason`` label of ``bng_aaa_radius_dropped_total``)."""

    MALFORMED = "malformed"  # does not decode as RADIUS
    UNKNOWN_ID = "unknown-id"  # no request outstanding with that identifier (or a late duplicate)
    BAD_AUTHENTICATOR = "bad-authenticator"  # Response Authenticator wrong: wrong secret or forged
    NO_MESSAGE_AUTHENTICATOR = "no-message-authenticator"  # an Access-* answer without one
    BAD_MESSAGE_AUTHENTICATOR = "bad-message-authenticator"  # present but not valid
    UNEXPECTED_CODE = "unexpected-code"  # e.g. an Accounting-Response to an Access-Request
    UNEXPECTED_PROXY_STATE = "unexpected-proxy-state"  # we send none: the signature of BlastRADIUS


@dataclass(frozen=True)
class Credentials:
    """What authenticates a subscriber: PAP (``password``) or CHAP-MD5 (``chap_id``, ``chap_challenge``,
    ``chap_response`` as received in the PPP CHAP exchange)."""

    username: str
    password: str | None = None
    chap_id: int | None = None
    chap_challenge: bytes | None = None
    chap_response: bytes | None = None

    @property
    def method(self) -> str:
        return "chap" if self.chap_response is not None else "pap"


def chap_response(chap_id: int, password: bytes, challenge: bytes) -> bytes:
    """The CHAP-MD5 response a peer computes (RFC 1994 4.1): MD5(id || secret || challenge)."""
    return hashlib.md5(bytes([chap_id]) + password + challenge).digest()


def nas_port_id(interface: str, outer_vlan: int | None, inner_vlan: int | None) -> str:
    """NAS-Port-Id as ``<interface>:<outer>-<inner>`` (``GigabitEthernet0/8/0:100-7``); the VLAN part is
    left out for an untagged subscriber. One text a RADIUS policy can match per port and per VLAN."""
    if outer_vlan is None:
        return interface
    if inner_vlan is None:
        return f"{interface}:{outer_vlan}"
    return f"{interface}:{outer_vlan}-{inner_vlan}"


def calling_station_id(mac: str) -> str:
    """Calling-Station-Id for a MAC in the RFC 3580 3.21 form (``AA-BB-CC-DD-EE-FF``)."""
    return mac.replace(":", "-").upper()


class Request:
    """A request ready to send: its attributes encoded once; :meth:`encode` adds the header with a given
    identifier and, for an Access-Request, the Message-Authenticator (RFC 3579 3.2) as first attribute;
    an Accounting-Request's authenticator is the MD5 over the packet (RFC 2866 3). Retransmissions reuse
    the bytes :meth:`encode` returned."""

    __slots__ = ("attrs", "authenticator", "code", "id", "secret")

    def __init__(self, code: int, secret: bytes, attrs: bytes, authenticator: bytes) -> None:
        self.code = code
        self.secret = secret
        self.attrs = attrs
        self.authenticator = authenticator
        self.id = 0

    def encode(self, ident: int) -> bytes:
        self.id = ident
        if self.code == ACCESS_REQUEST:
            length = 20 + 18 + len(self.attrs)
            head = struct.pack("!BBH", self.code, ident, length) + self.authenticator
            ma = hmac.new(self.secret, head + _MA_ZERO + self.attrs, "md5").digest()
            return head + b"\x50\x12" + ma + self.attrs
        length = 20 + len(self.attrs)
        head = struct.pack("!BBH", self.code, ident, length)
        self.authenticator = hashlib.md5(head + _ZERO16 + self.attrs + self.secret).digest()
        return head + self.authenticator + self.attrs


def pw_crypt(password: bytes, secret: bytes, authenticator: bytes) -> bytes:
    """User-Password hiding (RFC 2865 5.2): padded to 16 octets, each block XORed with
    MD5(secret + previous cipher block), the first with the Request Authenticator."""
    if len(password) > 128:
        raise ValueError("User-Password longer than 128 octets")
    padded = password + bytes(-len(password) % 16 or (16 if not password else 0))
    out = bytearray()
    last = authenticator
    for i in range(0, len(padded), 16):
        key = hashlib.md5(secret + last).digest()
        block = bytes(a ^ b for a, b in zip(padded[i : i + 16], key, strict=True))
        out += block
        last = block
    return bytes(out)


class Codec:
    """Encodes requests and checks answers with one dictionary; holds no state per request.

    Attributes are encoded from the dictionary's types by pyrad's value encoders; an attribute that is
    the same in many requests (NAS-Identifier, Service-Type, a subscriber's NAS-Port-Id) is encoded once
    and kept in a small cache.
    """

    _CACHE_MAX = 8192

    def __init__(self, dictionary: Dictionary) -> None:
        self.dictionary = dictionary
        self._cache: dict[tuple[str, AttrValue], bytes] = {}

    def attribute(self, name: str, value: AttrValue) -> bytes:
        """One attribute as it goes on the wire (a vendor attribute inside Vendor-Specific)."""
        key = (name, value)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        attr = self.dictionary.attributes[name]
        data: bytes
        if attr.values and isinstance(value, str) and attr.values.HasForward(value):
            data = attr.values.GetForward(value)  # pyrad keeps VALUEs encoded
        else:
            data = tools.EncodeAttr(attr.type, value)
        if attr.vendor:
            vendor_id = self.dictionary.vendors.GetForward(attr.vendor)
            inner = bytes([attr.code, 2 + len(data)]) + data
            body = struct.pack("!L", vendor_id) + inner
            if len(body) > 253:
                raise ValueError(f"{name}: value too long")
            out = bytes([26, 2 + len(body)]) + body
        else:
            if len(data) > 253:
                raise ValueError(f"{name}: value too long")
            out = bytes([attr.code, 2 + len(data)]) + data
        if len(self._cache) >= self._CACHE_MAX:
            self._cache.clear()
        self._cache[key] = out
        return out

    def access_request(
        self,
        secret: bytes,
        creds: Credentials,
        attributes: Sequence[tuple[str, AttrValue]] = (),
    ) -> Request:
        """An Access-Request with the credentials (its Message-Authenticator is added by ``encode``)."""
        authenticator = os.urandom(16)
        parts = [self.attribute("User-Name", creds.username)]
        if creds.chap_response is not None:
            chap_id = creds.chap_id or 0
            challenge = creds.chap_challenge or b""
            chap = bytes([chap_id]) + creds.chap_response
            parts.append(bytes([3, 2 + len(chap)]) + chap)
            if len(challenge) == 16:
                # RFC 2865 2.2: a 16-octet challenge may travel as the Request Authenticator
                authenticator = challenge
            else:
                parts.append(bytes([60, 2 + len(challenge)]) + challenge)
        else:
            hidden = pw_crypt((creds.password or "").encode(), secret, authenticator)
            parts.append(bytes([2, 2 + len(hidden)]) + hidden)
        parts.extend(self.attribute(n, v) for n, v in attributes)
        return Request(ACCESS_REQUEST, secret, b"".join(parts), authenticator)

    def accounting_request(self, secret: bytes, attributes: Sequence[tuple[str, AttrValue]]) -> Request:
        """An Accounting-Request (its authenticator is computed over the packet when encoded)."""
        attrs = b"".join(self.attribute(n, v) for n, v in attributes)
        return Request(ACCOUNTING_REQUEST, secret, attrs, _ZERO16)

    def encode(self, request: Request, ident: int) -> bytes:
        """The request's bytes with identifier ``ident``."""
        return request.encode(ident)

    def check_reply(self, request: Request, data: bytes) -> tuple[rp.Packet | None, ReplyProblem | None]:
        """Check ``data`` as the answer to ``request`` and decode it: ``(reply, None)`` or ``(None, why
        it was dropped)``. Checked before anything is decoded: the Response Authenticator (RFC 2865 3),
        the Message-Authenticator, required in every answer to an Access-Request (RFC 3579 3.2; the
        BlastRADIUS mitigation), and no Proxy-State (we never send one, so one in an answer is forged)."""
        if len(data) < 20:
            return None, ReplyProblem.MALFORMED
        length = struct.unpack("!H", data[2:4])[0]
        if length < 20 or length > len(data):
            return None, ReplyProblem.MALFORMED
        raw = data[:length]  # octets beyond Length are padding (RFC 2865 3)
        code = raw[0]
        expected = _ACCESS_ANSWERS if request.code == ACCESS_REQUEST else (ACCOUNTING_RESPONSE,)
        if code not in expected:
            return None, ReplyProblem.UNEXPECTED_CODE
        secret = request.secret
        digest = hashlib.md5(raw[0:4] + request.authenticator + raw[20:] + secret).digest()
        if not hmac.compare_digest(digest, raw[4:20]):
            return None, ReplyProblem.BAD_AUTHENTICATOR
        ma_at = -1
        pos = 20
        while pos < length:
            if pos + 2 > length or raw[pos + 1] < 2 or pos + raw[pos + 1] > length:
                return None, ReplyProblem.MALFORMED
            t, alen = raw[pos], raw[pos + 1]
            if t == 80:
                if alen != 18 or ma_at >= 0:
                    return None, ReplyProblem.BAD_MESSAGE_AUTHENTICATOR
                ma_at = pos
            elif t == 33:
                return None, ReplyProblem.UNEXPECTED_PROXY_STATE
            pos += alen
        if ma_at < 0:
            if request.code == ACCESS_REQUEST:
                return None, ReplyProblem.NO_MESSAGE_AUTHENTICATOR
        elif request.code == ACCESS_REQUEST:
            # HMAC-MD5 over the answer with the Request Authenticator in place of its own and the
            # Message-Authenticator's value zeroed (RFC 3579 3.2)
            head = raw[0:4] + request.authenticator + raw[20 : ma_at + 2]
            signed = head + _ZERO16 + raw[ma_at + 18 :]
            ma = hmac.new(secret, signed, "md5").digest()
            if not hmac.compare_digest(ma, raw[ma_at + 2 : ma_at + 18]):
                return None, ReplyProblem.BAD_MESSAGE_AUTHENTICATOR
        try:
            reply = rp.Packet(secret=secret, dict=self.dictionary, packet=raw)
        except (rp.PacketError, ValueError, KeyError, IndexError, struct.error):
            return None, ReplyProblem.MALFORMED
        return reply, None


def attributes_of(reply: rp.Packet) -> Mapping[str, list[AttrValue]]:
    """A decoded reply's attributes by dictionary name (unknown ones as ``"<vendor>:<type>"``)."""
    out: dict[str, list[AttrValue]] = {}
    for key in reply.keys():  # noqa: SIM118 - pyrad's keys() gives names, iteration raw codes
        if key == "Message-Authenticator":
            continue
        try:
            values = reply[key]
        except (KeyError, ValueError, struct.error):
            continue
        out[str(key)] = list(values)
    return out
