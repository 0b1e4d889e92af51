"""Leases -> subscriber sessions: the relay's :class:`~agent.dhcp4.leases.LeaseSink` for the subscriber
manager (:class:`agent.sessions.api.SessionManagerApi`, docs/subscribers.md).

An ACK opens the session (get-or-create by access interface, VLANs and MAC, with the Option 82
circuit) and binds its IPv4 address; a renewal of the same address extends it; RELEASE, DECLINE, NAK
and lease expiry end it with the matching terminate cause. The relay holds the ACK until the manager
has made the session durable and programmed it (the returned future), so a subscriber never has an
address the BNG does not route. Calls for one subscriber run in order (a RELEASE right after an ACK
never overtakes it); different subscribers run concurrently.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from agent.dhcp4.leases import Lease, LeaseKey
from agent.dhcp4.ratelog import RateLimitedLog
from agent.sessions.api import (
    Circuit,
    Session,
    SessionError,
    SessionKey,
    SessionManagerApi,
    TerminateCause,
    normalise_mac,
)

log = logging.getLogger(__name__)

CAUSES = {
    "release": TerminateCause.RELEASE,
    "decline": TerminateCause.DECLINE,
    "nak": TerminateCause.NAK,
    "expired": TerminateCause.LEASE_EXPIRED,
    "removed": TerminateCause.RELEASE,
}


def session_key(key: LeaseKey) -> SessionKey:
    return SessionKey(key.interface, key.outer_vlan or None, key.inner_vlan or None, normalise_mac(key.mac))


class Authorizer(Protocol):
    """Opens a session only once RADIUS accepted it (:class:`agent.aaa.ipoe.IpoeAuthorizer`); ``None``:
    refused, the ACK is not forwarded."""

    async def open(
        self, manager: SessionManagerApi, key: SessionKey, circuit: Circuit | None
    ) -> Session | None: ...


class SessionSink:
    def __init__(self, manager: SessionManagerApi, authorizer: Authorizer | None = None) -> None:
        self.manager = manager
        self.authorizer = authorizer
        self._last: dict[LeaseKey, asyncio.Future[bool]] = {}
        self.rlog = RateLimitedLog(log)

    def lease_bound(self, lease: Lease, renewed: bool) -> asyncio.Future[bool]:
        return self._chain(lease.key, self._bind(lease, renewed))

    def lease_ended(self, lease: Lease, reason: str) -> None:
        self._chain(lease.key, self._end(lease, reason))

    def _chain(self, key: LeaseKey, work: Awaitable[bool]) -> asyncio.Future[bool]:
        before = self._last.get(key)

        async def run() -> bool:
            if before is not None and not before.done():
                await asyncio.wait((before,))
            return await work

        task = asyncio.ensure_future(run())
        self._last[key] = task

        def done(t: asyncio.Future[bool]) -> None:
            if self._last.get(key) is t:
                del self._last[key]

        task.add_done_callback(done)
        return task

    async def _bind(self, lease: Lease, renewed: bool) -> bool:
        key = session_key(lease.key)
        seconds = None if lease.lease_time == float("inf") else lease.lease_time
        try:
            s = self.manager.lookup(key)
            if s is None:
                circuit = Circuit(lease.circuit_id or None, lease.remote_id or None)
                if self.authorizer is not None:
                    s = await self.authorizer.open(self.manager, key, circuit)
                    if s is None:
                        return False  # RADIUS refused it: the session ended, no ACK
                else:
                    s = await self.manager.open(key, "ipoe", circuit=circuit)
            if renewed and s.ipv4 is not None and s.ipv4.address == lease.address:
                await self.manager.renew(s.id, seconds)
            else:
                await self.manager.bind_ipv4(s.id, lease.address, seconds)
        except SessionError as e:
            self.rlog.warning("session-refused", "dhcp4 session refused key=%s: %s", key, e)
            return False
        return True

    async def _end(self, lease: Lease, reason: str) -> bool:
        key = session_key(lease.key)
        s = self.manager.lookup(key)
        if s is None:
            return True
        try:
            if s.ipv4 is not None and s.ipv4.address != lease.address:
                return True  # the session has another address by now
            if s.ipv6 or s.prefixes:  # dual stack: only the IPv4 address goes
                await self.manager.remove_address(s.id, lease.address)
            else:
                await self.manager.release(s.id, CAUSES.get(reason, TerminateCause.RELEASE))
        except SessionError as e:
            self.rlog.warning("session-release", "dhcp4 session release failed key=%s: %s", key, e)
            return False
        return True


class ManagerSink:
    """The sink of ``bng-agent run``: a :class:`SessionSink` for the subscriber manager the agent runs
    at the moment (``manager()``), or relaying only while there is none."""

    def __init__(
        self,
        manager: Callable[[], SessionManagerApi | None],
        authorizer: Callable[[], Authorizer | None] = lambda: None,
    ) -> None:
        self.manager = manager
        self.authorizer = authorizer
        self._sink: SessionSink | None = None

    def _current(self) -> SessionSink | None:
        mgr = self.manager()
        if mgr is None:
            return None
        if self._sink is None or self._sink.manager is not mgr:
            self._sink = SessionSink(mgr)
        self._sink.authorizer = self.authorizer()
        return self._sink

    def lease_bound(self, lease: Lease, renewed: bool) -> asyncio.Future[bool] | None:
        sink = self._current()
        return sink.lease_bound(lease, renewed) if sink is not None else None

    def lease_ended(self, lease: Lease, reason: str) -> None:
        sink = self._current()
        if sink is not None:
            sink.lease_ended(lease, reason)
