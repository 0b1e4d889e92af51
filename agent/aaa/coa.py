"""The CoA and Disconnect listener (RFC 5176): who may ask, which sessions a request means, and what
changes.

Order of checks, and why (RFC 5176 sections 2.3, 3.3, 3.5 and 5):

1. The source address must be a configured client; anything else is dropped without an answer (an
   answer would confirm the listener to a scanner) and counted.
2. A datagram that is not a RADIUS packet, or carries another code, is dropped.
3. The Request Authenticator and, when present, the Message-Authenticator must verify with that client's
   secret; a wrong secret or a forged packet is dropped, never NAKed (a NAK signed with our secret would
   help an attacker).
4. Replays: a retransmission (same client, identifier and authenticator) within the window gets the
   answer already sent, the change is not applied twice; an Event-Timestamp outside the window (or
   missing while ``require-event-timestamp``) is dropped.
5. Only then are attributes judged; failures from here on are answered with a NAK and an Error-Cause.

Sessions are identified by every identification attribute present (Acct-Session-Id, User-Name,
Framed-IP-Address, NAS-Port-Id; all must match). A CoA sets policy through the subscriber manager with
origin ``coa`` (the manager programs VPP before it returns, so an ACK means the change is in VPP); a
Disconnect releases the session with cause ``radius-disconnect`` (accounting's Stop carries Admin-Reset).
"""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import logging
import struct
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from agent.aaa import coa_wire as w
from agent.aaa.accounting import acct_session_id
from agent.aaa.audit import AuditLog
from agent.aaa.packet import nas_port_id as packet_nas_port_id
from agent.sessions.api import (
    PolicyAttr,
    PolicyOrigin,
    Session,
    SessionError,
    SessionFilter,
    TerminateCause,
    UnknownSession,
)

log = logging.getLogger("agent.aaa.coa")

USER_NAME, NAS_IP_ADDRESS, FRAMED_IP_ADDRESS, FILTER_ID = 1, 4, 8, 11
SERVICE_TYPE, VENDOR_SPECIFIC, SESSION_TIMEOUT, IDLE_TIMEOUT = 6, 26, 27, 28
NAS_IDENTIFIER, ACCT_SESSION_ID, EVENT_TIMESTAMP, ACCT_INTERIM_INTERVAL = 32, 44, 55, 85
NAS_PORT_ID, STATE, PROXY_STATE, ACCT_TERMINATE_CAUSE = 87, 24, 33, 49
NAS_IPV6_ADDRESS = 95
AUTHORIZE_ONLY = 17  # Service-Type value (RFC 5176 3.2)

NAMES = {
    USER_NAME: "User-Name",
    NAS_IP_ADDRESS: "NAS-IP-Address",
    FRAMED_IP_ADDRESS: "Framed-IP-Address",
    FILTER_ID: "Filter-Id",
    SESSION_TIMEOUT: "Session-Timeout",
    IDLE_TIMEOUT: "Idle-Timeout",
    NAS_IDENTIFIER: "NAS-Identifier",
    ACCT_SESSION_ID: "Acct-Session-Id",
    EVENT_TIMESTAMP: "Event-Timestamp",
    ACCT_INTERIM_INTERVAL: "Acct-Interim-Interval",
    NAS_PORT_ID: "NAS-Port-Id",
    w.MESSAGE_AUTHENTICATOR: "Message-Authenticator",
    ACCT_TERMINATE_CAUSE: "Acct-Terminate-Cause",
    PROXY_STATE: "Proxy-State",
    STATE: "State",
    SERVICE_TYPE: "Service-Type",
}
IDENTIFIERS = (ACCT_SESSION_ID, USER_NAME, FRAMED_IP_ADDRESS, NAS_PORT_ID)
#: attributes every request may carry besides identification and policy
HOUSEKEEPING = (
    EVENT_TIMESTAMP,
    w.MESSAGE_AUTHENTICATOR,
    NAS_IP_ADDRESS,
    NAS_IPV6_ADDRESS,
    NAS_IDENTIFIER,
    PROXY_STATE,
    STATE,
)
#: the RFC meaning of attributes a CoA may carry without a mapping entry (RFC 2865, 2869)
DEFAULT_TARGETS: dict[tuple[int, int], PolicyAttr] = {
    (0, FILTER_ID): PolicyAttr.ACL_INGRESS,
    (0, SESSION_TIMEOUT): PolicyAttr.SESSION_TIMEOUT,
    (0, IDLE_TIMEOUT): PolicyAttr.IDLE_TIMEOUT,
    (0, ACCT_INTERIM_INTERVAL): PolicyAttr.INTERIM_INTERVAL,
}
INTEGER_TARGETS = (PolicyAttr.SESSION_TIMEOUT, PolicyAttr.IDLE_TIMEOUT, PolicyAttr.INTERIM_INTERVAL)
DEFAULT_WINDOW = 300  # seconds; RFC 5176 section 5 suggests 300


@dataclass(frozen=True)
class Mapping_:
    """A configured ``attribute-mapping/attribute`` entry usable by a CoA."""

    name: str
    target: PolicyAttr
    pass_through: bool = True
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CoaConfig:
    """``bng-aaa:aaa/radius/dynamic-authorization`` plus the attribute mapping, typed."""

    enabled: bool = False
    address: str | None = None
    port: int = 3799
    require_event_timestamp: bool = True
    window: int = DEFAULT_WINDOW
    audit_size: int = 1000
    clients: Mapping[str, bytes] = field(default_factory=dict)
    nas_identifier: str | None = None
    mapping: Mapping[tuple[int, int], Mapping_] = field(default_factory=dict)

    @classmethod
    def from_entry(cls, aaa: Mapping[str, Any]) -> CoaConfig:
        radius = aaa.get("radius") or {}
        da = radius.get("dynamic-authorization") or {}
        clients = {
            str(ipaddress.ip_address(c["address"])): str(c["shared-secret"]).encode()
            for c in da.get("client") or ()
        }
        mapping: dict[tuple[int, int], Mapping_] = {}
        for a in (aaa.get("attribute-mapping") or {}).get("attribute") or ():
            try:
                target = PolicyAttr(a["target"])
            except ValueError:
                continue  # session-template: not changeable on a live session
            values = {
                str(v["radius-value"]): str(v.get("qos-profile") or v.get("acl") or v.get("vrf") or "")
                for v in a.get("value") or ()
            }
            key = (int(a.get("vendor-id", 0)), int(a["type"]))
            mapping[key] = Mapping_(a["name"], target, bool(a.get("pass-through", True)), values)
        return cls(
            enabled=bool(da.get("enabled", False)),
            address=da.get("address"),
            port=int(da.get("port", 3799)),
            require_event_timestamp=bool(da.get("require-event-timestamp", True)),
            window=int(da.get("event-timestamp-window", DEFAULT_WINDOW)),
            audit_size=int(da.get("audit-size", 1000)),
            clients=clients,
            nas_identifier=radius.get("nas-identifier"),
            mapping=mapping,
        )


def nas_port_id(session: Session) -> str:
    """NAS-Port-Id as the session's Access-Request carried it (:func:`agent.aaa.packet.nas_port_id`)."""
    k = session.key
    return packet_nas_port_id(k.access_interface, k.outer_vlan, k.inner_vlan)


class Nak(Exception):
    """Answer the request with a NAK carrying this Error-Cause."""

    def __init__(self, cause: w.ErrorCause, why: str) -> None:
        super().__init__(why)
        self.cause = cause


class CoaStats:
    """Counters for metrics: answers by request type and result, drops by reason."""

    def __init__(self) -> None:
        self.answers: collections.Counter[tuple[str, str, str]] = collections.Counter()
        self.dropped: collections.Counter[str] = collections.Counter()


def _text(v: bytes) -> str:
    try:
        return v.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Nak(w.ErrorCause.INVALID_REQUEST, "attribute is not UTF-8 text") from exc


def _u32(attr: int, v: bytes) -> int:
    if len(v) != 4:
        raise Nak(w.ErrorCause.INVALID_REQUEST, f"{NAMES.get(attr, attr)} is {len(v)} octets, not 4")
    return int(struct.unpack("!I", v)[0])


def _vsas(v: bytes) -> list[tuple[int, int, bytes]]:
    """Vendor-Specific (RFC 2865 5.26) in the recommended format: vendor id, then type-length-values."""
    if len(v) < 4:
        raise Nak(w.ErrorCause.INVALID_REQUEST, "Vendor-Specific shorter than its vendor id")
    vendor = int(struct.unpack_from("!I", v)[0])
    out, pos = [], 4
    while pos < len(v):
        if pos + 2 > len(v) or v[pos + 1] < 2 or pos + v[pos + 1] > len(v):
            raise Nak(w.ErrorCause.INVALID_REQUEST, f"malformed Vendor-Specific of vendor {vendor}")
        out.append((vendor, v[pos], v[pos + 2 : pos + v[pos + 1]]))
        pos += v[pos + 1]
    return out


class CoaHandler:
    """Turns one datagram into at most one answer; no sockets here (see :class:`CoaListener`)."""

    def __init__(
        self,
        manager: Any,
        config: CoaConfig,
        audit: AuditLog | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.manager = manager  # agent.sessions.api.SessionManagerApi
        self.config = config
        self.audit = audit if audit is not None else AuditLog(config.audit_size)
        self.stats = CoaStats()
        self.clock = clock
        # (client, identifier, authenticator) -> (answer or None while being handled, expiry)
        self._seen: collections.OrderedDict[tuple[str, int, bytes], tuple[bytes | None, float]] = (
            collections.OrderedDict()
        )

    def reconfigure(self, config: CoaConfig) -> None:
        self.config = config
        self.audit.resize(config.audit_size)

    def _drop(self, reason: str, source: str) -> None:
        self.stats.dropped[reason] += 1
        log.debug("dynamic-authorization request from %s dropped: %s", source, reason)

    def _expire(self, now: float) -> None:
        while self._seen:
            _key, (_, expiry) = next(iter(self._seen.items()))
            if expiry > now:
                break
            self._seen.popitem(last=False)

    async def handle(self, data: bytes, source: str) -> bytes | None:
        started = time.perf_counter()
        try:
            client = str(ipaddress.ip_address(source.split("%")[0]))
        except ValueError:
            client = source
        secret = self.config.clients.get(client)
        if secret is None:
            self._drop("unknown-client", client)
            return None
        try:
            req = w.parse(data)
        except w.Malformed:
            self._drop("malformed", client)
            return None
        if req.code not in w.REQUESTS:
            self._drop("unsupported-code", client)
            return None
        if not w.request_authenticator_ok(req, secret):
            self._drop("bad-authenticator", client)
            return None
        if w.message_authenticator_ok(req, secret) is False:
            self._drop("bad-message-authenticator", client)
            return None
        now = self.clock()
        self._expire(now)
        key = (client, req.ident, req.authenticator)
        if key in self._seen:
            self._drop("duplicate", client)
            return self._seen[key][0]  # the answer already sent (None while still being handled)
        ts = req.first(EVENT_TIMESTAMP)
        if ts is None and self.config.require_event_timestamp:
            self._drop("no-event-timestamp", client)
            return None
        if ts is not None and len(ts) != 4:
            self._drop("malformed", client)  # a timestamp that cannot be read cannot pass the replay check
            return None
        if ts is not None and abs(now - struct.unpack("!I", ts)[0]) > self.config.window:
            self._drop("stale-event-timestamp", client)
            return None
        self._seen[key] = (None, now + self.config.window)
        kind = "coa" if req.code == w.Code.COA_REQUEST else "disconnect"
        shown: list[str] = []
        sessions: list[int] = []
        try:
            shown = self._describe(req)
            sessions = await self._apply(req, kind)
            code, attrs, cause = w.ACK[w.Code(req.code)], [], None
        except Nak as nak:
            code, attrs, cause = w.NAK[w.Code(req.code)], [w.error_cause(nak.cause)], nak.cause
            log.info("%s from %s refused (%d): %s", kind, client, nak.cause, nak)
        attrs += [(t, v) for t, v in req.attributes if t == PROXY_STATE]  # RFC 5176 3.x: echoed
        answer = w.reply(req, code, secret, attrs)
        self._seen[key] = (answer, now + self.config.window)
        result = "ack" if cause is None else "nak"
        self.stats.answers[(kind, result, str(int(cause)) if cause is not None else "")] += 1
        self.audit.record(
            time=now,
            client=client,
            request=kind,
            attributes=tuple(shown),
            sessions=tuple(sessions),
            result=result,
            error_cause=int(cause) if cause is not None else None,
            latency_ms=(time.perf_counter() - started) * 1000,
        )
        return answer

    @staticmethod
    def _describe(req: w.Request) -> list[str]:
        out = []
        for t, v in req.attributes:
            if t in (w.MESSAGE_AUTHENTICATOR, STATE, PROXY_STATE):
                continue
            name = NAMES.get(t, f"Attr-{t}")
            if t == FRAMED_IP_ADDRESS and len(v) == 4:
                shown = str(ipaddress.IPv4Address(v))
            elif t in (SESSION_TIMEOUT, IDLE_TIMEOUT, EVENT_TIMESTAMP, ACCT_INTERIM_INTERVAL) and len(v) == 4:
                shown = str(struct.unpack("!I", v)[0])
            elif t in (USER_NAME, FILTER_ID, NAS_IDENTIFIER, ACCT_SESSION_ID, NAS_PORT_ID):
                shown = v.decode("utf-8", "replace")
            else:
                shown = "0x" + v.hex()
            out.append(f"{name}={shown}")
        return out

    def _policy(self, req: w.Request) -> dict[PolicyAttr, str | None]:
        """The policy a CoA asks for; :class:`Nak` 401 for an attribute nobody maps, 404 for a bad value,
        405 for Service-Type Authorize-Only (re-authorisation by a new Access-Request, RFC 5176 3.2,
        is not offered)."""
        policy: dict[PolicyAttr, str | None] = {}
        values: list[tuple[tuple[int, int], bytes]] = []
        for t, v in req.attributes:
            if t in IDENTIFIERS or t in HOUSEKEEPING:
                continue
            if t == SERVICE_TYPE:
                if _u32(t, v) == AUTHORIZE_ONLY:
                    raise Nak(w.ErrorCause.UNSUPPORTED_SERVICE, "Authorize-Only CoA is not supported")
                raise Nak(w.ErrorCause.UNSUPPORTED_ATTRIBUTE, "Service-Type other than Authorize-Only")
            if t == VENDOR_SPECIFIC:
                values += [((vendor, vt), vv) for vendor, vt, vv in _vsas(v)]
            else:
                values.append(((0, t), v))
        for key, v in values:
            rule = self.config.mapping.get(key)
            target = rule.target if rule is not None else DEFAULT_TARGETS.get(key)
            if target is None:
                what = f"vendor {key[0]} type {key[1]}" if key[0] else NAMES.get(key[1], f"Attr-{key[1]}")
                raise Nak(w.ErrorCause.UNSUPPORTED_ATTRIBUTE, f"{what} is not supported in a CoA")
            value = str(_u32(key[1], v)) if target in INTEGER_TARGETS and key[0] == 0 else _text(v)
            if rule is not None and rule.values:
                local = rule.values.get(value)
                if local is None and not rule.pass_through:
                    raise Nak(w.ErrorCause.INVALID_REQUEST, f"{rule.name} value {value!r} maps to nothing")
                value = local if local is not None else value
            if target is PolicyAttr.INTERIM_INTERVAL:
                value = str(max(60, int(value)))
            policy[target] = value
        return policy

    def _sessions(self, req: w.Request) -> list[Session]:
        ident = {t: v for t, v in req.attributes if t in IDENTIFIERS}
        if not ident:
            raise Nak(w.ErrorCause.MISSING_ATTRIBUTE, "no session identification attribute")
        nas_id = req.first(NAS_IDENTIFIER)
        if nas_id is not None and self.config.nas_identifier and _text(nas_id) != self.config.nas_identifier:
            raise Nak(w.ErrorCause.NAS_IDENTIFICATION_MISMATCH, "NAS-Identifier is not ours")
        filt = SessionFilter(username=_text(ident[USER_NAME])) if USER_NAME in ident else SessionFilter()
        if FRAMED_IP_ADDRESS in ident:
            v = ident[FRAMED_IP_ADDRESS]
            if len(v) != 4:
                raise Nak(w.ErrorCause.INVALID_REQUEST, "Framed-IP-Address is not 4 octets")
            addr = ipaddress.IPv4Address(v)
            candidates = [s for s in self.manager.list(filt) if s.ipv4 is not None and s.ipv4.address == addr]
        else:
            candidates = self.manager.list(filt)
        if ACCT_SESSION_ID in ident:
            asid = _text(ident[ACCT_SESSION_ID])
            candidates = [s for s in candidates if acct_session_id(s) == asid]
        if NAS_PORT_ID in ident:
            port = _text(ident[NAS_PORT_ID])
            candidates = [s for s in candidates if nas_port_id(s) == port]
        if not candidates:
            raise Nak(w.ErrorCause.SESSION_CONTEXT_NOT_FOUND, "no session matches")
        return list(candidates)

    async def _apply(self, req: w.Request, kind: str) -> list[int]:
        if kind == "disconnect":
            extra = [t for t, _ in req.attributes if t not in IDENTIFIERS and t not in HOUSEKEEPING]
            extra = [t for t in extra if t != ACCT_TERMINATE_CAUSE]
            if extra:
                raise Nak(w.ErrorCause.UNSUPPORTED_ATTRIBUTE, f"attribute {extra[0]} in a Disconnect-Request")
            sessions = self._sessions(req)
            for s in sessions:
                try:
                    await self.manager.release(s.id, TerminateCause.RADIUS_DISCONNECT)
                except UnknownSession:
                    continue  # it left meanwhile: gone is what was asked
                except Exception as exc:
                    raise Nak(w.ErrorCause.SESSION_CONTEXT_NOT_REMOVABLE, str(exc)) from exc
            return [s.id for s in sessions]
        policy = self._policy(req)
        sessions = self._sessions(req)
        if not policy:
            raise Nak(w.ErrorCause.MISSING_ATTRIBUTE, "the CoA changes nothing this NAS supports")
        for s in sessions:
            try:
                await self.manager.set_policy(s.id, policy, PolicyOrigin.COA)
            except UnknownSession as exc:
                raise Nak(w.ErrorCause.SESSION_CONTEXT_NOT_FOUND, str(exc)) from exc
            except SessionError as exc:
                tag = getattr(exc, "grpc_code", "")
                cause = (
                    w.ErrorCause.INVALID_REQUEST
                    if str(tag).endswith("INVALID_ARGUMENT")
                    else w.ErrorCause.RESOURCES_UNAVAILABLE
                )
                raise Nak(cause, str(exc)) from exc
            except Exception as exc:  # VPP refused: the manager left everything as it was
                raise Nak(w.ErrorCause.RESOURCES_UNAVAILABLE, str(exc)) from exc
        return [s.id for s in sessions]


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, handler: CoaHandler) -> None:
        self.handler = handler
        self.transport: asyncio.DatagramTransport | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        task = asyncio.create_task(self._answer(data, addr))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _answer(self, data: bytes, addr: tuple[Any, ...]) -> None:
        try:
            answer = await self.handler.handle(data, str(addr[0]))
        except Exception:
            log.exception("dynamic-authorization request from %s failed", addr[0])
            return
        if answer is not None and self.transport is not None:
            self.transport.sendto(answer, addr)


class CoaListener:
    """The UDP socket (default port 3799) in front of a :class:`CoaHandler`; follows configuration."""

    def __init__(self, handler: CoaHandler) -> None:
        self.handler = handler
        self._transport: asyncio.DatagramTransport | None = None
        self._protocol: _Protocol | None = None
        self._bound: tuple[str | None, int] | None = None

    @property
    def port(self) -> int | None:
        if self._transport is None:
            return None
        return int(self._transport.get_extra_info("sockname")[1])

    async def apply(self, config: CoaConfig) -> None:
        """Take a new configuration: rebind when the address or port changed, close when disabled."""
        self.handler.reconfigure(config)
        want = (config.address, config.port) if config.enabled else None
        if want == self._bound:
            return
        await self.stop()
        if want is None:
            return
        loop = asyncio.get_running_loop()
        host = config.address or "::"
        transport, protocol = await loop.create_datagram_endpoint(
            lambda: _Protocol(self.handler), local_addr=(host, config.port)
        )
        self._transport, self._protocol, self._bound = transport, protocol, want

    async def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()
        if self._protocol is not None:
            for t in list(self._protocol.tasks):
                t.cancel()
        self._transport = self._protocol = None
        self._bound = None
