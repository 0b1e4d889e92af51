"""Building RADIUS requests and checking their answers (pyrad packets; no I/O, no sessions).

Why here and not in the client: the CoA/Disconnect listener and operator logins need the same encoding,
Message-Authenticator handling and attribute helpers.

BlastRADIUS (CVE-2024-3596): every Access-Request carries a Message-Authenticator (RFC 3579 3.2) and an
answer to one is accepted only with a valid Message-Authenticator of its own (pyrad's
``VerifyReply(enforce_ma=True)``, which also refuses a Proxy-State we did not send). Anything else is
dropped and counted, never treated as a reject.
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
from pyrad.dictionary import Dictionary

ACCESS_REQUEST = rp.AccessRequest
ACCESS_ACCEPT = rp.AccessAccept
ACCESS_REJECT = rp.AccessReject
ACCOUNTING_REQUEST = rp.AccountingRequest
ACCOUNTING_RESPONSE = rp.AccountingResponse
ACCESS_CHALLENGE = rp.AccessChallenge

AttrValue = str | int | bytes
_ZERO16 = bytes(16)


class ReplyProblem(enum.StrEnum):
    """Why an answer was dropped (the ``reason`` label of ``bng_aaa_radius_dropped_total``)."""

    MALFORMED = "malformed"  # does not decode as RADIUS
    UNKNOWN_ID = "unknown-id"  # no request outstanding with that identifier (or a late duplicate)
    BAD_AUTHENTICATOR = "bad-authenticator"  # Response Authenticator wrong: wrong secret or forged
    NO_MESSAGE_AUTHENTICATOR = "no-message-authenticator"  # an Access-* answer without one
    BAD_MESSAGE_AUTHENTICATOR = "bad-message-authenticator"  # present but not valid
    UNEXPECTED_CODE = "unexpected-code"  # e.g. an Accounting-Response to an Access-Request


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


class Codec:
    """Encodes requests and verifies answers with one dictionary; holds no state per request."""

    def __init__(self, dictionary: Dictionary) -> None:
        self.dictionary = dictionary

    def access_request(
        self,
        secret: bytes,
        creds: Credentials,
        attributes: Sequence[tuple[str, AttrValue]] = (),
    ) -> rp.AuthPacket:
        """An Access-Request with a Message-Authenticator (always) and the credentials."""
        pkt = rp.AuthPacket(
            code=ACCESS_REQUEST,
            id=0,
            secret=secret,
            dict=self.dictionary,
            message_authenticator=True,
        )
        pkt.authenticator = os.urandom(16)
        pkt.AddAttribute("User-Name", creds.username)
        if creds.chap_response is not None:
            chap_id = creds.chap_id or 0
            challenge = creds.chap_challenge or b""
            pkt.AddAttribute("CHAP-Password", bytes([chap_id]) + creds.chap_response)
            if len(challenge) == 16:
                # RFC 2865 2.2: a 16-octet challenge may travel as the Request Authenticator
                pkt.authenticator = challenge
            else:
                pkt.AddAttribute("CHAP-Challenge", challenge)
        else:
            pkt.AddAttribute("User-Password", pkt.PwCrypt(creds.password or ""))
        for name, value in attributes:
            pkt.AddAttribute(name, value)
        pkt.add_message_authenticator()
        return pkt

    def accounting_request(self, secret: bytes, attributes: Sequence[tuple[str, AttrValue]]) -> rp.AcctPacket:
        """An Accounting-Request (its authenticator is computed over the packet when encoded)."""
        pkt = rp.AcctPacket(code=ACCOUNTING_REQUEST, id=0, secret=secret, dict=self.dictionary)
        for name, value in attributes:
            pkt.AddAttribute(name, value)
        return pkt

    def encode(self, request: rp.Packet, ident: int) -> bytes:
        """The request's bytes with identifier ``ident`` (the Message-Authenticator is recomputed).

        An Access-Request is encoded here rather than by pyrad's ``RequestPacket``, which encodes the
        attributes twice (once to sign them, once to send them): the Message-Authenticator is the first
        attribute (``add_message_authenticator`` put it there), so the HMAC-MD5 over the packet with it
        zeroed (RFC 3579 3.2) is written into those 16 octets of the one encoding."""
        request.id = ident
        if request.code != ACCESS_REQUEST or not request.message_authenticator:
            raw: bytes = request.RequestPacket()
            return raw
        request._set_message_authenticator(_ZERO16)
        attrs: bytes = request._PktEncodeAttributes()
        if attrs[:2] != b"\x50\x12":  # not first: let pyrad do it the long way
            raw = request.RequestPacket()
            return raw
        auth: bytes = request.authenticator
        header = struct.pack("!BBH", ACCESS_REQUEST, ident, 20 + len(attrs)) + auth
        ma = hmac.new(request.secret, header + attrs, "md5").digest()
        request._set_message_authenticator(ma)
        return header + attrs[:2] + ma + attrs[18:]

    def check_reply(self, request: rp.Packet, data: bytes) -> tuple[rp.Packet | None, ReplyProblem | None]:
        """Decode ``data`` as the answer to ``request``; ``(reply, None)`` or ``(None, why dropped)``."""
        if len(data) < 20 or struct.unpack("!H", data[2:4])[0] > len(data):
            return None, ReplyProblem.MALFORMED
        try:
            reply = rp.Packet(secret=request.secret, dict=self.dictionary, packet=data)
        except (rp.PacketError, ValueError, KeyError, IndexError, struct.error):
            return None, ReplyProblem.MALFORMED
        expected = (
            (ACCESS_ACCEPT, ACCESS_REJECT, ACCESS_CHALLENGE)
            if request.code == ACCESS_REQUEST
            else (ACCOUNTING_RESPONSE,)
        )
        if reply.code not in expected:
            return None, ReplyProblem.UNEXPECTED_CODE
        raw = data[: struct.unpack("!H", data[2:4])[0]]
        if request.VerifyReply(reply, raw, enforce_ma=request.code == ACCESS_REQUEST):
            return reply, None
        # refused: say why (only on this path, so a good answer is hashed once)
        digest = hashlib.md5(raw[0:4] + request.authenticator + raw[20:] + request.secret).digest()
        if not hmac.compare_digest(digest, raw[4:20]):
            return None, ReplyProblem.BAD_AUTHENTICATOR
        if request.code == ACCESS_REQUEST and 80 not in dict.keys(reply):
            return None, ReplyProblem.NO_MESSAGE_AUTHENTICATOR
        return None, ReplyProblem.BAD_MESSAGE_AUTHENTICATOR


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
