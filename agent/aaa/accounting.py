"""RADIUS accounting (RFC 2866, 2869): Start, Interim-Update and Stop for every session, from the
subscriber manager's events, with traffic counters read from VPP.

Why these choices:

* **Acct-Session-Id** is derived from the session itself (its id and start time in microseconds), not
  from a counter in memory: a session restored after a restart keeps the id its Start carried (so its
  Stop matches), and a new session after the restart cannot collide with an old one even if its table
  id is reused.
* **Queued, persisted, retried.** Every record goes through :class:`agent.aaa.spool.Spool` first: a
  RADIUS outage (every server dead) delays records, it does not lose them; the sender retries with
  backoff and sends queued records in order per session (a Stop never overtakes its Start).
  Acct-Delay-Time says how long a record waited (RFC 2866 5.2).
* **Counters** are 64-bit in VPP; RADIUS carries 32 bits, so the high part goes in
  Acct-Input/Output-Gigawords (RFC 2869 5.1). Input is what the subscriber sent (VPP's ``rx`` on the
  session's interface), output what it received (``tx``).
* **Interim-Update** every ``interim-interval`` seconds, or the Acct-Interim-Interval RADIUS sent (the
  session's ``interim-interval`` policy), never more often than every 60 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from agent.aaa.auth import Authenticator, Subscriber
from agent.aaa.client import Function, Server
from agent.aaa.errors import NoServerAvailable
from agent.aaa.mapping import MIN_INTERIM
from agent.aaa.packet import AttrValue, Request
from agent.aaa.spool import Record, Spool
from agent.sessions.api import (
    PolicyAttr,
    Session,
    SessionManagerApi,
    SessionState,
    TerminateCause,
    WatchOverflow,
)

log = logging.getLogger(__name__)

_2_32 = 1 << 32


@dataclass(frozen=True)
class Counters:
    """A session's traffic so far (64-bit, as VPP counts it)."""

    in_octets: int = 0
    out_octets: int = 0
    in_packets: int = 0
    out_packets: int = 0


CounterSource = Callable[[Session], Awaitable[Counters | None]]

#: TerminateCause -> Acct-Terminate-Cause (RFC 2866 5.10).
TERMINATE_CAUSE: dict[TerminateCause, str] = {
    TerminateCause.RELEASE: "User-Request",
    TerminateCause.DECLINE: "NAS-Error",
    TerminateCause.NAK: "NAS-Request",
    TerminateCause.LEASE_EXPIRED: "Lost-Service",
    TerminateCause.IDLE_TIMEOUT: "Idle-Timeout",
    TerminateCause.SESSION_TIMEOUT: "Session-Timeout",
    TerminateCause.ADMIN: "Admin-Reset",
    TerminateCause.RADIUS_DISCONNECT: "Admin-Reset",
    TerminateCause.AUTH_FAILED: "NAS-Request",
    TerminateCause.PORT_DOWN: "Port-Error",
    TerminateCause.RESTORE_FAILED: "NAS-Error",
    TerminateCause.SETUP_TIMEOUT: "NAS-Request",
}


def acct_session_id(session: Session) -> str:
    """Unique across restarts: the session's id and its start time (microseconds), both persisted."""
    return f"{session.id:08X}-{int(session.started * 1_000_000):X}"


def subscriber_of(session: Session) -> Subscriber:
    k = session.key
    return Subscriber(
        interface=k.access_interface,
        outer_vlan=k.outer_vlan,
        inner_vlan=k.inner_vlan,
        mac=k.mac,
        circuit_id=session.circuit.circuit_id if session.circuit else None,
        remote_id=session.circuit.remote_id if session.circuit else None,
        session_id=acct_session_id(session),
    )


def counter_attributes(c: Counters) -> list[tuple[str, AttrValue]]:
    return [
        ("Acct-Input-Octets", c.in_octets % _2_32),
        ("Acct-Input-Gigawords", c.in_octets // _2_32),
        ("Acct-Output-Octets", c.out_octets % _2_32),
        ("Acct-Output-Gigawords", c.out_octets // _2_32),
        ("Acct-Input-Packets", c.in_packets % _2_32),
        ("Acct-Output-Packets", c.out_packets % _2_32),
    ]


async def no_counters(session: Session) -> Counters | None:
    return None


class Accounting:
    """Queues records for sessions and sends them; :meth:`follow` drives it from the manager."""

    def __init__(
        self,
        authenticator: Authenticator,
        spool: Spool,
        counters: CounterSource = no_counters,
        *,
        interim_interval: float = 900.0,
        window: int = 128,
        clock: Callable[[], float] = time.time,
        wanted: Callable[[Session], bool] = lambda s: True,
    ) -> None:
        self.auth = authenticator
        self.wanted = wanted  # the session template's ``accounting`` leaf
        self.client = authenticator.client
        self.spool = spool
        self.counters = counters
        self.interim_interval = interim_interval
        self.window = window
        self.clock = clock
        self.sent: dict[str, int] = {"Start": 0, "Interim-Update": 0, "Stop": 0}
        self.outage = False
        self._wake = asyncio.Event()
        self._inflight: set[int] = set()
        self._busy_sessions: set[str] = set()
        self._active: dict[int, tuple[Session, float]] = {}  # session id -> (session, next interim)
        self._tasks: list[asyncio.Task[None]] = []
        self._min_interim = MIN_INTERIM

    # --- records ------------------------------------------------------------------------------

    async def _record(self, session: Session, status: str, cause: TerminateCause | None = None) -> None:
        now = self.clock()
        attrs: list[tuple[str, AttrValue]] = [("Acct-Status-Type", status)]
        if session.username:
            attrs.append(("User-Name", session.username))
        attrs.extend(self.auth.nas_attributes(subscriber_of(session)))
        if session.ipv4 is not None:
            attrs.append(("Framed-IP-Address", str(session.ipv4.address)))
        attrs.append(("Acct-Authentic", "RADIUS" if session.username else "Local"))
        attrs.append(("Event-Timestamp", int(now)))
        if status != "Start":
            attrs.append(("Acct-Session-Time", max(0, int(now - session.started))))
            c = await self.counters(session)
            if c is not None:
                attrs.extend(counter_attributes(c))
        if cause is not None:
            attrs.append(("Acct-Terminate-Cause", TERMINATE_CAUSE[cause]))
        record: Record = {
            "attrs": attrs,
            "queued": now,
            "sid": acct_session_id(session),
            "Acct-Status-Type": status,
        }
        self.spool.put(record)
        self._wake.set()

    async def start(self, session: Session) -> None:
        await self._record(session, "Start")
        self._active[session.id] = (session, self.clock() + self._interval(session))

    async def interim(self, session: Session) -> None:
        await self._record(session, "Interim-Update")
        self._active[session.id] = (session, self.clock() + self._interval(session))

    async def stop(self, session: Session, cause: TerminateCause) -> None:
        if self._active.pop(session.id, None) is None and not self._started_in_spool(session):
            return  # never started (rejected, or ended before it had an address): no Stop
        await self._record(session, "Stop", cause)

    def _started_in_spool(self, session: Session) -> bool:
        sid = acct_session_id(session)
        return any(r.get("sid") == sid for _, r in self.spool.items())

    def _interval(self, session: Session) -> float:
        v = session.policy_value(PolicyAttr.INTERIM_INTERVAL)
        return max(self._min_interim, float(v) if v else self.interim_interval)

    # --- sending ------------------------------------------------------------------------------

    def _build(self, record: Record) -> Callable[[Server], Request]:
        attrs = [tuple(a) for a in record["attrs"]]
        delay = max(0, int(self.clock() - float(record["queued"])))
        if delay:
            attrs.append(("Acct-Delay-Time", delay))

        def build(server: Server) -> Request:
            return self.auth.codec.accounting_request(server.secret, attrs)

        return build

    async def _send_one(self, seq: int, record: Record) -> None:
        sid = str(record["sid"])
        try:
            await self.client.request(Function.ACCT, self._build(record))
        except NoServerAvailable:
            self.outage = True
            return
        finally:
            self._inflight.discard(seq)
            self._busy_sessions.discard(sid)
        self.outage = False
        self.spool.done(seq)
        status = str(record["Acct-Status-Type"])
        self.sent[status] = self.sent.get(status, 0) + 1
        self._wake.set()

    async def run_sender(self) -> None:
        """Send queued records, ``window`` at a time, in order per session; back off in an outage."""
        backoff = 1.0
        while True:
            self._wake.clear()
            started = 0
            for seq, record in self.spool.head():  # no await inside: the queue cannot change
                if len(self._inflight) >= self.window:
                    break
                sid = str(record["sid"])
                if seq in self._inflight or sid in self._busy_sessions:
                    continue
                if started == 0:
                    self.spool.sync()  # on disk before any server can have seen it
                self._inflight.add(seq)
                self._busy_sessions.add(sid)
                self._tasks.append(asyncio.create_task(self._send_one(seq, record)))
                started += 1
            self._tasks = [t for t in self._tasks if not t.done()]
            if self.outage and not self._inflight:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                self.outage = False
                continue
            backoff = 1.0
            await self._wake.wait()

    async def run_interims(self, tick: float = 1.0) -> None:
        while True:
            await asyncio.sleep(tick)
            now = self.clock()
            for session, due in list(self._active.values()):
                if due <= now:
                    await self.interim(session)

    async def follow(self, manager: SessionManagerApi) -> None:
        """Start when a session becomes active, Stop when it leaves; a policy change updates its interim
        interval. A session already active when the watch begins (``appeared`` as active: restored after
        a restart, or replayed after an overflow) had its Start already: it is only timed."""
        while True:
            try:
                async for ev in manager.watch(replay=True):
                    s = ev.session
                    if not self.wanted(s):
                        continue
                    if ev.kind == "left":
                        await self.stop(s, ev.cause or TerminateCause.ADMIN)
                    elif s.state is not SessionState.ACTIVE:
                        continue
                    elif s.id in self._active:
                        self._active[s.id] = (s, self._active[s.id][1])
                    elif ev.kind == "appeared":
                        self._active[s.id] = (s, self.clock() + self._interval(s))
                    else:
                        await self.start(s)
            except WatchOverflow:
                continue

    def start_tasks(self, manager: SessionManagerApi | None = None) -> None:
        loop_tasks: list[Awaitable[Any]] = [self.run_sender(), self.run_interims()]
        if manager is not None:
            loop_tasks.append(self.follow(manager))
        for coro in loop_tasks:
            self._tasks.append(asyncio.ensure_future(coro))

    async def stop_tasks(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks.clear()
        self.spool.close()
