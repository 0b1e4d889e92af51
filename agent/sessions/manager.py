"""The subscriber manager: the one owner of the session table.

Every change goes the same way (:meth:`SessionManager._apply`): the new :class:`Session` value is checked
against the table (key, addresses, bounds) and stored synchronously, so concurrent callers always see
each other's changes in order; then it is made durable (the write-ahead log's group commit,
:class:`Persistence`) and programmed into VPP (:class:`Programmer`) concurrently; only then is the event
published and the call returns. A VPP refusal undoes the table change and raises; nothing half-done
stays.

Without a persistence or programmer (unit tests, a node without VPP) the manager is a plain in-memory
table with the same behaviour.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Protocol

from agent.sessions.api import (
    Circuit,
    InvalidRequest,
    IPv4Address,
    IPv6Address,
    IPv6Network,
    Lease,
    NotAccessInterface,
    PolicyAttr,
    PolicyOrigin,
    PolicyValue,
    Session,
    SessionClosed,
    SessionEvent,
    SessionFilter,
    SessionKey,
    SessionLimit,
    SessionState,
    SessionType,
    TerminateCause,
    UnknownSession,
)
from agent.sessions.table import Address, SessionTable
from agent.sessions.templates import AccessConfig, session_interface
from agent.sessions.watch import DEFAULT_BUFFER, WatchHub

log = logging.getLogger(__name__)

#: (attribute, value) -> why it is refused, or ``None`` (a VRF, QoS profile, ACL that does not exist)
PolicyCheck = Callable[[PolicyAttr, str], str | None]


class Persistence(Protocol):
    """Where sessions are made durable (:class:`agent.sessions.wal.SessionLog`). Each call returns once
    the change is on disk (group commit: concurrent calls share one fsync)."""

    async def save(self, session: Session, next_id: int) -> None: ...

    async def drop(self, session_id: int) -> None: ...


class Programmer(Protocol):
    """What programs sessions into VPP (:class:`agent.sessions.program.SessionProgrammer`): the items of
    ``old`` (``None``: a new session) are replaced by those of ``new`` (``None``: the session left). Raises
    when VPP refuses; then VPP is as before."""

    async def program(self, old: Session | None, new: Session | None) -> None: ...


class SessionManager:
    """The in-memory session table with durability, VPP programming and events (implements
    :class:`agent.sessions.api.SessionManagerApi`)."""

    def __init__(
        self,
        access: AccessConfig | Callable[[], AccessConfig] | None = None,
        *,
        persistence: Persistence | None = None,
        programmer: Programmer | None = None,
        policy_check: PolicyCheck | None = None,
        limit: int = 1_000_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        fixed = access if isinstance(access, AccessConfig) else AccessConfig()
        self._access: Callable[[], AccessConfig] = access if callable(access) else (lambda: fixed)
        self.table = SessionTable(limit)
        self.persistence = persistence
        self.programmer = programmer
        self.policy_check = policy_check
        self.clock = clock
        self.hub = WatchHub()
        self.next_id = 1
        self.seq = 0
        self._closing: set[int] = set()

    # ------------------------------------------------------------------ configuration and restore

    @property
    def access(self) -> AccessConfig:
        """Access interfaces and templates in force (a template change applies to sessions opened
        afterwards; existing sessions keep their policy)."""
        return self._access()

    def set_access(self, access: AccessConfig | Callable[[], AccessConfig]) -> None:
        self._access = access if callable(access) else (lambda: access)

    def restore(self, sessions: Mapping[int, Session], next_id: int) -> None:
        """Load sessions read back from the log (before anything else uses the manager). They are not
        programmed here: the caller reprograms them (:meth:`agent.sessions.program.SessionProgrammer`
        reconciles against VPP)."""
        for s in sessions.values():
            self.table.put(s)
        self.next_id = max(next_id, max(sessions, default=0) + 1)

    # ------------------------------------------------------------------ reads

    def get(self, session_id: int) -> Session | None:
        return self.table.get(session_id)

    def lookup(self, key: SessionKey) -> Session | None:
        return self.table.lookup(key)

    def by_address(self, address: Address, vrf: str | None = None) -> Session | None:
        return self.table.by_address(address, vrf)

    def list(self, selector: SessionFilter | None = None) -> list[Session]:
        out = [s for s in self.table if selector is None or selector.matches(s)]
        out.sort(key=lambda s: s.id)
        return out

    def watch(
        self, replay: bool = True, selector: SessionFilter | None = None, buffer: int = DEFAULT_BUFFER
    ) -> AsyncIterator[SessionEvent]:
        def snapshot() -> list[SessionEvent]:
            return [SessionEvent(self.seq, "appeared", s) for s in self.list(selector)]

        return aiter(
            self.hub.attach(selector, max(buffer, len(self.table) + 1), snapshot if replay else None)
        )

    # ------------------------------------------------------------------ mutations

    async def open(
        self,
        key: SessionKey,
        type: SessionType = "ipoe",
        *,
        username: str | None = None,
        circuit: Circuit | None = None,
        pppoe_session_id: int | None = None,
    ) -> Session:
        existing = self.table.lookup(key)
        if existing is not None:
            return existing
        ai = self.access.interfaces.get(key.access_interface)
        if ai is None:
            raise NotAccessInterface(f"{key.access_interface} is not an access interface")
        if not (ai.ipoe if type == "ipoe" else ai.pppoe):
            raise NotAccessInterface(f"{key.access_interface} does not accept {type} sessions")
        if not ai.accepts_vlans(key.outer_vlan, key.inner_vlan):
            raise NotAccessInterface(
                f"{key.access_interface}: VLANs {key.outer_vlan}/{key.inner_vlan} are in no vlan-range"
            )
        if ai.max_sessions is not None and self.table.count_on(key.access_interface) >= ai.max_sessions:
            raise SessionLimit(f"{key.access_interface} has its maximum of {ai.max_sessions} sessions")
        template = self.access.templates.get(ai.template)
        now = self.clock()
        s = Session(
            id=self.next_id,
            key=key,
            type=type,
            state=SessionState.INIT,
            template=ai.template,
            interface=session_interface(key, ai.per_subscriber),
            started=now,
            updated=now,
            last_seen=now,
            policy=template.initial_policy() if template is not None else {},
            username=username,
            circuit=circuit or Circuit(),
            pppoe_session_id=pppoe_session_id,
        )
        self.next_id += 1
        await self._apply(None, s)
        return s

    async def set_state(self, session_id: int, state: SessionState) -> Session:
        if state not in (SessionState.INIT, SessionState.AUTHENTICATING):
            raise InvalidRequest(f"a session becomes {state.value} through an address or a release")
        s = self._live(session_id)
        if s.state is state:
            return s
        return await self._update(s, state=state)

    async def bind_ipv4(self, session_id: int, address: IPv4Address, lease_seconds: float | None) -> Session:
        if not isinstance(address, IPv4Address):
            raise InvalidRequest(f"not an IPv4 address: {address}")
        s = self._live(session_id)
        return await self._update(
            s, state=SessionState.ACTIVE, ipv4=Lease(address, self._expiry(lease_seconds))
        )

    async def add_ipv6(self, session_id: int, address: IPv6Address, lease_seconds: float | None) -> Session:
        if not isinstance(address, IPv6Address):
            raise InvalidRequest(f"not an IPv6 address: {address}")
        s = self._live(session_id)
        leases = _with_lease(s.ipv6, Lease(address, self._expiry(lease_seconds)))
        return await self._update(s, state=SessionState.ACTIVE, ipv6=leases)

    async def add_prefix(self, session_id: int, prefix: IPv6Network, lease_seconds: float | None) -> Session:
        if not isinstance(prefix, IPv6Network):
            raise InvalidRequest(f"not an IPv6 prefix: {prefix}")
        s = self._live(session_id)
        leases = _with_lease(s.prefixes, Lease(prefix, self._expiry(lease_seconds)))
        return await self._update(s, state=SessionState.ACTIVE, prefixes=leases)

    async def remove_address(self, session_id: int, address: Address) -> Session | None:
        s = self._live(session_id)
        ipv4 = None if s.ipv4 is not None and s.ipv4.address == address else s.ipv4
        ipv6 = tuple(x for x in s.ipv6 if x.address != address)
        prefixes = tuple(x for x in s.prefixes if x.address != address)
        if ipv4 is None and not ipv6 and not prefixes:
            return await self.release(session_id, TerminateCause.RELEASE)
        return await self._update(s, ipv4=ipv4, ipv6=ipv6, prefixes=prefixes)

    async def renew(self, session_id: int, lease_seconds: float | None) -> Session:
        s = self._live(session_id)
        exp = self._expiry(lease_seconds)
        return await self._update(
            s,
            ipv4=dataclasses.replace(s.ipv4, expires=exp) if s.ipv4 is not None else None,
            ipv6=tuple(dataclasses.replace(x, expires=exp) for x in s.ipv6),
            prefixes=tuple(dataclasses.replace(x, expires=exp) for x in s.prefixes),
        )

    async def touch(self, session_id: int) -> None:
        s = self.table.get(session_id)
        if s is not None:
            # not durable and no event: the idle timer only (a restart forgives idleness)
            self.table.put(dataclasses.replace(s, last_seen=self.clock()))

    async def set_policy(
        self, session_id: int, changes: Mapping[PolicyAttr, str | None], origin: PolicyOrigin
    ) -> Session:
        s = self._live(session_id)
        policy = dict(s.policy)
        template = self.access.templates.get(s.template or "")
        for attr, value in changes.items():
            if not isinstance(attr, PolicyAttr):
                raise InvalidRequest(f"unknown policy attribute {attr!r}")
            if value is None:
                default = template.policy.get(attr) if template is not None else None
                if default is None:
                    policy.pop(attr, None)
                else:
                    policy[attr] = PolicyValue(default, PolicyOrigin.TEMPLATE)
                continue
            why = _check_value(attr, value) or (self.policy_check(attr, value) if self.policy_check else None)
            if why is not None:
                raise InvalidRequest(f"{attr.value} {value!r}: {why}")
            policy[attr] = PolicyValue(value, origin)
        if policy == s.policy:
            return s
        return await self._update(s, policy=policy)

    async def release(self, session_id: int, cause: TerminateCause) -> Session | None:
        s = self.table.get(session_id)
        if s is None or session_id in self._closing:
            return None
        self._closing.add(session_id)
        try:
            closing = dataclasses.replace(s, state=SessionState.CLOSING, updated=self.clock())
            self.table.put(closing)
            await self._persist_and_program(s, None)
        except BaseException:
            if self.table.get(session_id) is not None:
                self.table.put(s)
            raise
        finally:
            self._closing.discard(session_id)
        self.table.remove(session_id)
        self._publish("left", closing, cause)
        return None

    async def disconnect(self, selector: SessionFilter, cause: TerminateCause = TerminateCause.ADMIN) -> int:
        ids = [s.id for s in self.list(selector)]
        results = await asyncio.gather(*(self.release(i, cause) for i in ids), return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                log.warning("session not released: %s", r)
        return sum(1 for r in results if not isinstance(r, BaseException))

    async def close(self) -> None:
        """Stop watchers (their streams end)."""
        self.hub.close()

    # ------------------------------------------------------------------ internals

    def _live(self, session_id: int) -> Session:
        s = self.table.get(session_id)
        if s is None:
            raise UnknownSession(f"no session {session_id}")
        if s.state is SessionState.CLOSING or session_id in self._closing:
            raise SessionClosed(f"session {session_id} is closing")
        return s

    def _expiry(self, lease_seconds: float | None) -> float | None:
        if lease_seconds is None:
            return None
        if lease_seconds < 0:
            raise InvalidRequest("a lease time cannot be negative")
        return self.clock() + lease_seconds

    async def _update(self, s: Session, **changes: object) -> Session:
        now = self.clock()
        new = dataclasses.replace(s, updated=now, last_seen=now, **changes)  # type: ignore[arg-type]
        await self._apply(s, new)
        return new

    async def _apply(self, old: Session | None, new: Session) -> None:
        self.table.check(new)
        self.table.put(new)
        try:
            await self._persist_and_program(old, new)
        except BaseException:
            # undo, unless a later change replaced the value meanwhile (that change owns it now)
            if self.table.get(new.id) is new:
                if old is None:
                    self.table.remove(new.id)
                else:
                    self.table.put(old)
            raise
        self._publish("appeared" if old is None else "changed", new, None, old)

    async def _persist_and_program(self, old: Session | None, new: Session | None) -> None:
        """Log and program concurrently (the fsync and the VPP round trips overlap). When VPP refuses, a
        log record already written is compensated, so the log never holds what VPP refused."""
        if self.programmer is None and self.persistence is None:
            return
        if self.programmer is None:
            await self._persist(old, new)
            return
        if self.persistence is None:
            await self.programmer.program(old, new)
            return
        programmed, persisted = await asyncio.gather(
            self.programmer.program(old, new), self._persist(old, new), return_exceptions=True
        )
        if isinstance(programmed, BaseException):
            if not isinstance(persisted, BaseException):
                await self._persist(new, old)
            raise programmed
        if isinstance(persisted, BaseException):
            with contextlib.suppress(Exception):
                await self.programmer.program(new, old)
            raise persisted

    async def _persist(self, old: Session | None, new: Session | None) -> None:
        assert self.persistence is not None
        if new is not None:
            await self.persistence.save(new, self.next_id)
        elif old is not None:
            await self.persistence.drop(old.id)

    def _publish(
        self, kind: str, s: Session, cause: TerminateCause | None, previous: Session | None = None
    ) -> None:
        self.seq += 1
        self.hub.publish(SessionEvent(self.seq, kind, s, cause, previous))  # type: ignore[arg-type]


def _with_lease(leases: tuple[Lease, ...], lease: Lease) -> tuple[Lease, ...]:
    return (*(x for x in leases if x.address != lease.address), lease)


def _check_value(attr: PolicyAttr, value: str) -> str | None:
    if attr in (PolicyAttr.SESSION_TIMEOUT, PolicyAttr.IDLE_TIMEOUT, PolicyAttr.INTERIM_INTERVAL):
        if not value.isdigit() or int(value) > 0xFFFFFFFF:
            return "must be a number of seconds (0..4294967295)"
    elif not value or len(value) > 255:
        return "must be a name of 1..255 characters"
    return None
