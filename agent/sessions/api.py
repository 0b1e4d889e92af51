"""The subscriber session API: what a session is, and what the services around it may ask of the manager.

This module is the contract between the subscriber manager (:mod:`agent.sessions.manager`) and the
services that drive or read sessions: the DHCPv4 relay opens sessions and binds leases, the DHCPv6 relay
and RA add addresses and delegated prefixes, the gRPC subscriber API, gNMI and NETCONF read and watch
them, RADIUS/CoA and the API change their policy, and the QoS, ACL and NAT features add per-session VPP
items through :class:`SessionHook`. It holds types only (and no I/O), so any layer above the southbound
may import it.

Why these shapes:

* A :class:`Session` is an immutable value (a frozen dataclass). The manager replaces it on every change,
  so a reader (a gNMI stream encoding it, the operational datastore) never sees half an update, and an
  event carries the session exactly as it was when the event happened.
* Every mutation is ``async`` and returns only once the change is durable in the session write-ahead log
  and VPP is programmed (or the items wait as ``pending`` for configuration they need): a DHCP relay that
  forwards the server's ACK after ``await manager.bind_ipv4(...)`` knows the subscriber's route exists and
  the session survives a crash of the agent.
* Policy values carry their origin (:class:`PolicyOrigin`), which the operational datastore reports as an
  ``ietf-origin`` identity (``or:intended`` for the template, identities derived from ``or:dynamic`` for
  RADIUS, CoA and the API; RFC 8342 section 5.3.4), so an operator sees who decided each rate, ACL and VRF.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from agent.errors import AgentError

if TYPE_CHECKING:
    from agent.vpp.config import Entry, RootId
    from agent.vpp.items import Item, Value

IPv4Address = ipaddress.IPv4Address
IPv6Address = ipaddress.IPv6Address
IPv6Network = ipaddress.IPv6Network

#: ``ipoe``: started by DHCPv4/DHCPv6/RS on an access interface; ``pppoe``: started by PPPoE discovery.
SessionType = Literal["ipoe", "pppoe"]


class SessionState(enum.StrEnum):
    """Where a session is in its life. The YANG ``state`` leaf names them ``discovering``,
    ``authenticating``, ``established`` and ``terminating`` (:attr:`yang`)."""

    INIT = "init"  # seen a DISCOVER/SOLICIT/PADI; no address yet, nothing in VPP
    AUTHENTICATING = "authenticating"  # waiting for RADIUS
    ACTIVE = "active"  # has an address; programmed into VPP
    CLOSING = "closing"  # being torn down (VPP items removed, accounting stop pending)

    @property
    def yang(self) -> str:
        return _YANG_STATE[self]


_YANG_STATE = {
    SessionState.INIT: "discovering",
    SessionState.AUTHENTICATING: "authenticating",
    SessionState.ACTIVE: "established",
    SessionState.CLOSING: "terminating",
}


class PolicyAttr(enum.StrEnum):
    """A per-session policy attribute (the YANG ``policy/attribute`` enumeration). Values are strings
    as configured: a VRF name, a QoS profile name, an ACL name, a NAT instance id, seconds."""

    VRF = "vrf"
    QOS_INPUT = "qos-input-profile"
    QOS_OUTPUT = "qos-output-profile"
    ACL_INGRESS = "acl-ingress"
    ACL_EGRESS = "acl-egress"
    NAT = "nat-instance"
    SESSION_TIMEOUT = "session-timeout"
    IDLE_TIMEOUT = "idle-timeout"
    INTERIM_INTERVAL = "interim-interval"


class PolicyOrigin(enum.StrEnum):
    """Who decided a policy value. Later origins override earlier ones: a RADIUS Access-Accept overrides
    the template, a CoA or an API call overrides both (the most recent of those two wins). Clearing an
    attribute set by one origin falls back to the template's value."""

    TEMPLATE = "template"  # the access interface's session template (configuration: or:intended)
    LOCAL = "local"  # the agent chose it (a pool, a default)
    RADIUS = "radius"  # RADIUS Access-Accept
    COA = "coa"  # RADIUS CoA-Request
    API = "api"  # the gRPC subscriber API or a NETCONF/gNMI action

    @property
    def identity(self) -> str:
        """The ``ietf-origin`` identity the operational datastore reports (``bng-sub:`` identities are
        derived from ``or:dynamic``)."""
        return _ORIGIN_IDENTITY[self]


_ORIGIN_IDENTITY = {
    PolicyOrigin.TEMPLATE: "ietf-origin:intended",
    PolicyOrigin.LOCAL: "ietf-origin:system",
    PolicyOrigin.RADIUS: "bng-subscribers:radius",
    PolicyOrigin.COA: "bng-subscribers:coa",
    PolicyOrigin.API: "bng-subscribers:api",
}


class TerminateCause(enum.StrEnum):
    """Why a session left (reported in the ``left`` event, the NETCONF notification and RADIUS
    Acct-Terminate-Cause, RFC 2866 section 5.10, in brackets)."""

    RELEASE = "release"  # DHCPRELEASE / DHCPv6 Release / PADT from the subscriber (User-Request)
    DECLINE = "decline"  # DHCPDECLINE: the address is in use elsewhere (NAS-Error)
    NAK = "nak"  # the server NAKed the renewal (NAS-Request)
    LEASE_EXPIRED = "lease-expired"  # no renewal before the last lease ran out (Lost-Service)
    IDLE_TIMEOUT = "idle-timeout"  # no traffic for the idle timeout (Idle-Timeout)
    SESSION_TIMEOUT = "session-timeout"  # the session timeout elapsed (Session-Timeout)
    ADMIN = "admin"  # an operator: clear-sessions RPC, gRPC Disconnect (Admin-Reset)
    RADIUS_DISCONNECT = "radius-disconnect"  # a RADIUS Disconnect-Request (Admin-Reset)
    AUTH_FAILED = "auth-failed"  # RADIUS Access-Reject (NAS-Request)
    PORT_DOWN = "port-down"  # the access interface went away (Port-Error)
    RESTORE_FAILED = "restore-failed"  # could not be reprogrammed after a restart (NAS-Error)
    SETUP_TIMEOUT = "setup-timeout"  # opened but never got an address in time (NAS-Request)


@dataclass(frozen=True, slots=True)
class SessionKey:
    """What identifies a subscriber on the wire: the access interface (its configured name), the outer
    (S-) VLAN and inner (C-) VLAN the frames carried (``None`` when untagged / single-tagged), and the
    client MAC (lower-case ``aa:bb:cc:dd:ee:ff``; use :func:`normalise_mac`)."""

    access_interface: str
    outer_vlan: int | None
    inner_vlan: int | None
    mac: str

    def __str__(self) -> str:
        tags = "".join(f".{v}" for v in (self.outer_vlan, self.inner_vlan) if v is not None)
        return f"{self.access_interface}{tags}/{self.mac}"


def normalise_mac(mac: str | bytes) -> str:
    """``AA-BB-CC-DD-EE-FF``, ``aabb.ccdd.eeff`` or 6 raw bytes -> ``aa:bb:cc:dd:ee:ff``."""
    if isinstance(mac, bytes):
        if len(mac) != 6:
            raise InvalidRequest(f"a MAC address has 6 bytes, not {len(mac)}")
        return ":".join(f"{b:02x}" for b in mac)
    hexdigits = "".join(c for c in mac.lower() if c not in ":-.")
    if len(hexdigits) != 12 or any(c not in "0123456789abcdef" for c in hexdigits):
        raise InvalidRequest(f"not a MAC address: {mac!r}")
    return ":".join(hexdigits[i : i + 2] for i in range(0, 12, 2))


@dataclass(frozen=True, slots=True)
class PolicyValue:
    """One policy attribute's value in force and who decided it."""

    value: str
    origin: PolicyOrigin


@dataclass(frozen=True, slots=True)
class Lease:
    """An address or prefix given to the subscriber and when it runs out (UNIX time, seconds; ``None``:
    never, e.g. a static or PPPoE IPCP address)."""

    address: IPv4Address | IPv6Address | IPv6Network
    expires: float | None


@dataclass(frozen=True, slots=True)
class Circuit:
    """How the access network identifies the line (DHCP Option 82 / DHCPv6 options 18 and 37, PPPoE
    tags): kept with the session for RADIUS and for the relay's replies."""

    circuit_id: bytes | None = None
    remote_id: bytes | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """One subscriber session (immutable: the manager replaces it on every change).

    ``interface``: the VPP interface that carries it: the per-subscriber sub-interface (1:1 VLAN) or the
    access interface itself (shared VLAN); PPPoE: the PPPoE session interface.
    ``ipv4``: the IPv4 lease; ``ipv6``: IPv6 addresses (IA_NA, or SLAAC addresses ND saw);
    ``prefixes``: delegated prefixes (IA_PD), each routed to the subscriber.
    ``policy``: the value in force per attribute, with its origin (absent: no such policy).
    ``started``: UNIX time the session was opened; ``updated``: of the last change; ``last_seen``: of the
    last frame or traffic seen (idle timeout).
    """

    id: int
    key: SessionKey
    type: SessionType
    state: SessionState
    template: str | None
    interface: str
    started: float
    updated: float
    last_seen: float
    ipv4: Lease | None = None
    ipv6: tuple[Lease, ...] = ()
    prefixes: tuple[Lease, ...] = ()
    policy: Mapping[PolicyAttr, PolicyValue] = field(default_factory=dict)
    username: str | None = None
    circuit: Circuit = Circuit()
    pppoe_session_id: int | None = None

    @property
    def vrf(self) -> str | None:
        """The VRF the session is in (``None``: the default table)."""
        p = self.policy.get(PolicyAttr.VRF)
        return p.value if p is not None else None

    def policy_value(self, attr: PolicyAttr) -> str | None:
        p = self.policy.get(attr)
        return p.value if p is not None else None

    def addresses(self) -> list[IPv4Address | IPv6Address | IPv6Network]:
        """Every address and prefix the session holds."""
        out: list[IPv4Address | IPv6Address | IPv6Network] = []
        if self.ipv4 is not None:
            out.append(self.ipv4.address)
        out.extend(lease.address for lease in self.ipv6)
        out.extend(lease.address for lease in self.prefixes)
        return out


#: ``appeared``: a new session (also sent for each existing session when a watch starts with replay);
#: ``changed``: state, addresses or policy changed; ``left``: the session ended (``cause`` says why).
EventKind = Literal["appeared", "changed", "left"]


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """A change of the session table, in the order the table changed. ``seq`` increases by one per event
    (a watcher that sees a gap was too slow and lost events: see :class:`WatchOverflow`). ``previous``:
    the session before a ``changed`` event (what changed is the difference)."""

    seq: int
    kind: EventKind
    session: Session
    cause: TerminateCause | None = None
    previous: Session | None = None


@dataclass(frozen=True, slots=True)
class SessionFilter:
    """Which sessions a list, watch or clear selects; every given field must match (``None``: any)."""

    ids: frozenset[int] | None = None
    access_interface: str | None = None
    username: str | None = None
    mac: str | None = None
    state: SessionState | None = None
    vrf: str | None = None

    def matches(self, s: Session) -> bool:
        return (
            (self.ids is None or s.id in self.ids)
            and (self.access_interface is None or s.key.access_interface == self.access_interface)
            and (self.username is None or s.username == self.username)
            and (self.mac is None or s.key.mac == self.mac)
            and (self.state is None or s.state is self.state)
            and (self.vrf is None or s.vrf == self.vrf)
        )


# ------------------------------------------------------------------------------------------ errors


class SessionError(AgentError):
    """Base of the session errors; each maps to a NETCONF error-tag and a gRPC status code."""

    default_tag = "operation-failed"
    grpc_code = "FAILED_PRECONDITION"


class UnknownSession(SessionError):
    """No session with that id, key or address."""

    default_tag = "invalid-value"
    grpc_code = "NOT_FOUND"


class InvalidRequest(SessionError):
    """A malformed request: a bad MAC, an address of the wrong family, an unknown policy value."""

    default_tag = "invalid-value"
    grpc_code = "INVALID_ARGUMENT"


class AddressInUse(SessionError):
    """The address or prefix belongs to another session (in the same VRF)."""

    default_tag = "data-exists"
    grpc_code = "ALREADY_EXISTS"


class SessionLimit(SessionError):
    """The access interface's ``max-sessions``, or the table's bound, is reached."""

    default_tag = "resource-denied"
    grpc_code = "RESOURCE_EXHAUSTED"


class NotAccessInterface(SessionError):
    """The interface is not a configured access interface (or does not accept this session type)."""

    default_tag = "invalid-value"
    grpc_code = "FAILED_PRECONDITION"


class SessionClosed(SessionError):
    """The session is closing or gone: it can no longer change."""

    grpc_code = "FAILED_PRECONDITION"


class WatchOverflow(SessionError):
    """A watcher fell too far behind; its stream ends with this and it should watch again (with replay)."""

    default_tag = "resource-denied"
    grpc_code = "RESOURCE_EXHAUSTED"


# ------------------------------------------------------------------------------------------ manager


class SessionManagerApi(Protocol):
    """What services may ask of the subscriber manager (:class:`agent.sessions.manager.SessionManager`).

    Mutations return the session as it is after the change, once the change is durable and programmed.
    Reads are synchronous and cheap (the table is in memory). Ids are never reused within a table's life
    (they survive restarts).
    """

    async def open(
        self,
        key: SessionKey,
        type: SessionType = "ipoe",
        *,
        username: str | None = None,
        circuit: Circuit | None = None,
        pppoe_session_id: int | None = None,
    ) -> Session:
        """The session for ``key``, created in state ``init`` if there is none (a DISCOVER, SOLICIT, RS
        or PADI arrived). Raises :class:`NotAccessInterface` or :class:`SessionLimit`. The template of
        the access interface gives the new session its policy (origin ``template``)."""
        ...

    async def set_state(self, session_id: int, state: SessionState) -> Session:
        """Move to ``authenticating`` or back to ``init`` (``active`` comes with an address; ``closing``
        with :meth:`release`)."""
        ...

    async def bind_ipv4(self, session_id: int, address: IPv4Address, lease_seconds: float | None) -> Session:
        """The server ACKed ``address``: the session becomes ``active`` and is programmed (host route and
        neighbour to the subscriber). Renewing the same address only extends the lease; a different
        address replaces the old one. Raises :class:`AddressInUse` if another session has it."""
        ...

    async def add_ipv6(self, session_id: int, address: IPv6Address, lease_seconds: float | None) -> Session:
        """An IA_NA address (or a SLAAC address seen by ND) now belongs to the session (added or renewed);
        the session becomes ``active``."""
        ...

    async def add_prefix(self, session_id: int, prefix: IPv6Network, lease_seconds: float | None) -> Session:
        """A delegated prefix (IA_PD) is routed to the subscriber (added or renewed)."""
        ...

    async def remove_address(
        self, session_id: int, address: IPv4Address | IPv6Address | IPv6Network
    ) -> Session | None:
        """One address or prefix is gone (released or expired). When it was the last, the session ends
        (cause ``release``) and ``None`` is returned."""
        ...

    async def renew(self, session_id: int, lease_seconds: float | None) -> Session:
        """Extend every lease of the session (a renewal that does not say which address)."""
        ...

    async def touch(self, session_id: int) -> None:
        """Traffic or a control frame was seen (resets the idle timer; not written to the log)."""
        ...

    async def set_policy(
        self, session_id: int, changes: Mapping[PolicyAttr, str | None], origin: PolicyOrigin
    ) -> Session:
        """Set (``str``) or clear (``None``: back to the template's value) policy attributes, all or none:
        an unknown VRF, QoS profile, ACL or NAT instance raises :class:`InvalidRequest` and changes
        nothing. VPP is reprogrammed (the hooks' items)."""
        ...

    async def release(self, session_id: int, cause: TerminateCause) -> Session | None:
        """End the session: ``closing``, its VPP items removed, then ``left``. Idempotent (``None`` when
        it is already gone)."""
        ...

    async def disconnect(self, selector: SessionFilter, cause: TerminateCause = TerminateCause.ADMIN) -> int:
        """End every session the filter selects (clear-sessions RPC, gRPC Disconnect); how many ended."""
        ...

    def get(self, session_id: int) -> Session | None: ...

    def lookup(self, key: SessionKey) -> Session | None: ...

    def by_address(
        self, address: IPv4Address | IPv6Address | IPv6Network, vrf: str | None = None
    ) -> Session | None:
        """The session holding an address (IPv4, IPv6) or any address inside a delegated prefix."""
        ...

    def list(self, selector: SessionFilter | None = None) -> list[Session]:
        """Sessions in id order."""
        ...

    def watch(
        self, replay: bool = True, selector: SessionFilter | None = None
    ) -> AsyncIterator[SessionEvent]:
        """Events from now on; with ``replay``, first an ``appeared`` event per existing session. The
        stream is bounded: a watcher that falls behind gets :class:`WatchOverflow`."""
        ...


# ------------------------------------------------------------------------------------------ hooks


class HookContext(Protocol):
    """What a hook may read while building a session's items: the configuration the southbound holds
    (the same :class:`~agent.features.base.Lookup` features flatten from: ``get(RootId("qos-profile",
    "gold"))``)."""

    def get(self, root: RootId) -> Entry | None: ...

    def names(self, kind: str) -> Iterable[str]: ...


class SessionHook(Protocol):
    """A feature's per-session VPP items (QoS policers, ACL bindings, NAT mappings ...).

    ``items`` is pure: from the session (its policy, addresses, interface) return the items it needs, with
    ``origin="session"`` and keys under the session's prefix (:func:`agent.sessions.keys.session_prefix`),
    and ``deps`` on configuration items they need (a policer template, an ACL): they wait as ``pending``
    until configuration provides them. The manager calls it whenever the session changes and programs
    the difference. ``validate`` rejects a policy value this feature does not know (``None``: fine).
    A hook may also have ``check(session, ctx) -> str | None``, judging the whole session (NAT: the
    session's VRF against its instance's); the programmer calls it for a new session or a changed
    policy or state and refuses with :class:`InvalidRequest` before anything is programmed.
    """

    name: str

    def items(self, session: Session, ctx: HookContext) -> Iterable[Item[Value]]: ...

    def validate(self, attr: PolicyAttr, value: str, ctx: HookContext) -> str | None: ...
