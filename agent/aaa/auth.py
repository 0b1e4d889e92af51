"""Authentication: an Access-Request for a subscriber and what came back.

PPPoE brings PAP or CHAP-MD5 credentials; IPoE has none, so the user name is built from what identifies
the subscriber (its MAC, the Option 82 circuit-id or remote-id, or a configured format) with a
configured password, the way BNGs authorise DHCP subscribers against RADIUS.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pyrad import packet as rp

from agent.aaa.client import Function, RadiusClient, Server
from agent.aaa.packet import (
    ACCESS_ACCEPT,
    AttrValue,
    Codec,
    Credentials,
    Request,
    attributes_of,
    calling_station_id,
    nas_port_id,
)


class AuthorizeBy(enum.StrEnum):
    """How an IPoE subscriber's User-Name is made (bng-subscribers ``ipoe/authorize-by``)."""

    NONE = "none"
    MAC = "mac"
    CIRCUIT_ID = "circuit-id"
    REMOTE_ID = "remote-id"
    USERNAME_FORMAT = "username-format"


@dataclass(frozen=True)
class Subscriber:
    """Who is asking, as the NAS attributes describe them."""

    interface: str
    outer_vlan: int | None = None
    inner_vlan: int | None = None
    mac: str = ""
    circuit_id: bytes | None = None
    remote_id: bytes | None = None
    session_id: str | None = None  # Acct-Session-Id when already known


@dataclass(frozen=True)
class NasIdentity:
    """What the NAS says about itself in every request."""

    identifier: str
    ip_address: str | None = None


@dataclass(frozen=True)
class AuthResult:
    """The answer: accepted or not, by which server, with the reply's attributes by name."""

    accepted: bool
    server: str
    attributes: Mapping[str, list[AttrValue]] = field(default_factory=dict)
    reply: rp.Packet | None = None

    @property
    def reply_message(self) -> str | None:
        v = self.attributes.get("Reply-Message")
        return str(v[0]) if v else None


def _text(raw: bytes | None) -> str:
    return (raw or b"").decode("utf-8", "backslashreplace")


def ipoe_username(scheme: AuthorizeBy, sub: Subscriber, username_format: str = "{mac}") -> str | None:
    """The User-Name for an IPoE subscriber, or ``None`` when the scheme needs what the request lacks
    (no Option 82). ``username_format`` may use ``{mac}``, ``{mac_dashed}``, ``{interface}``,
    ``{outer_vlan}``, ``{inner_vlan}``, ``{circuit_id}``, ``{remote_id}``."""
    if scheme is AuthorizeBy.MAC:
        return sub.mac
    if scheme is AuthorizeBy.CIRCUIT_ID:
        return _text(sub.circuit_id) if sub.circuit_id else None
    if scheme is AuthorizeBy.REMOTE_ID:
        return _text(sub.remote_id) if sub.remote_id else None
    if scheme is AuthorizeBy.USERNAME_FORMAT:
        return username_format.format(
            mac=sub.mac,
            mac_dashed=calling_station_id(sub.mac),
            interface=sub.interface,
            outer_vlan=sub.outer_vlan if sub.outer_vlan is not None else "",
            inner_vlan=sub.inner_vlan if sub.inner_vlan is not None else "",
            circuit_id=_text(sub.circuit_id),
            remote_id=_text(sub.remote_id),
        )
    return None


class Authenticator:
    """Builds Access-Requests for subscribers and sends them through a :class:`RadiusClient`."""

    def __init__(self, client: RadiusClient, nas: NasIdentity) -> None:
        self.client = client
        self.codec: Codec = client.codec
        self.nas = nas

    def nas_attributes(self, sub: Subscriber) -> list[tuple[str, AttrValue]]:
        """NAS-Identifier, NAS-IP-Address, NAS-Port-Type, NAS-Port-Id, Calling-Station-Id and the
        subscriber's Option 82 (as the Broadband Forum VSAs) -- the same in Access and Accounting."""
        attrs: list[tuple[str, AttrValue]] = [("NAS-Identifier", self.nas.identifier)]
        if self.nas.ip_address:
            attrs.append(("NAS-IP-Address", self.nas.ip_address))
        attrs.append(("NAS-Port-Type", "Ethernet"))
        attrs.append(("NAS-Port-Id", nas_port_id(sub.interface, sub.outer_vlan, sub.inner_vlan)))
        if sub.mac:
            attrs.append(("Calling-Station-Id", calling_station_id(sub.mac)))
        if sub.circuit_id:
            attrs.append(("ADSL-Agent-Circuit-Id", _text(sub.circuit_id)))
        if sub.remote_id:
            attrs.append(("ADSL-Agent-Remote-Id", _text(sub.remote_id)))
        if sub.session_id:
            attrs.append(("Acct-Session-Id", sub.session_id))
        return attrs

    async def authenticate(
        self,
        creds: Credentials,
        sub: Subscriber,
        extra: Sequence[tuple[str, AttrValue]] = (),
    ) -> AuthResult:
        """Access-Request -> Accept/Reject. Raises ``NoServerAvailable`` when no server answered."""
        attrs = [("Service-Type", "Framed-User"), *self.nas_attributes(sub), *extra]
        if creds.method == "chap":
            attrs.insert(1, ("Framed-Protocol", "PPP"))

        def build(server: Server) -> Request:
            return self.codec.access_request(server.secret, creds, attrs)

        server, reply = await self.client.request(Function.AUTH, build)
        return AuthResult(
            accepted=reply.code == ACCESS_ACCEPT,
            server=server.name,
            attributes=attributes_of(reply),
            reply=reply,
        )
