"""Sessions that run out of time: leases, the session timeout, the idle timeout, and setup.

One task scans the table once a ``period`` (1 s): a scan of 10,000 sessions costs a few milliseconds,
less than keeping a timer per session in step with every renewal. What it ends:

* an address or prefix whose lease ran out is removed; the last one ends the session
  (``lease-expired``);
* ``session-timeout`` (policy, seconds since the session started) -> ``session-timeout``;
* ``idle-timeout`` (policy, seconds since ``last_seen``: a renewal, a control frame, or traffic reported
  through ``touch``) -> ``idle-timeout``;
* a session still in ``init``/``authenticating`` after ``setup_timeout`` (no server answered, a
  DISCOVER flood) -> ``setup-timeout``, so half-open sessions never fill the table.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from agent.sessions.api import PolicyAttr, Session, SessionError, SessionState, TerminateCause
from agent.sessions.manager import SessionManager

log = logging.getLogger(__name__)

DEFAULT_SETUP_TIMEOUT = 60.0


def due(s: Session, now: float, setup_timeout: float) -> TerminateCause | list[object] | None:
    """What to do with ``s`` at ``now``: a cause to end it, addresses whose lease ran out, or nothing."""
    if s.state is SessionState.CLOSING:
        return None
    if s.state in (SessionState.INIT, SessionState.AUTHENTICATING):
        return TerminateCause.SETUP_TIMEOUT if now - s.updated >= setup_timeout else None
    limit = s.policy_value(PolicyAttr.SESSION_TIMEOUT)
    if limit is not None and int(limit) > 0 and now - s.started >= int(limit):
        return TerminateCause.SESSION_TIMEOUT
    idle = s.policy_value(PolicyAttr.IDLE_TIMEOUT)
    if idle is not None and int(idle) > 0 and now - s.last_seen >= int(idle):
        return TerminateCause.IDLE_TIMEOUT
    leases = [x for x in (s.ipv4, *s.ipv6, *s.prefixes) if x is not None]
    expired = [x.address for x in leases if x.expires is not None and x.expires <= now]
    if not expired:
        return None
    return TerminateCause.LEASE_EXPIRED if len(expired) == len(leases) else list(expired)


class Reaper:
    """Ends what :func:`due` says, every ``period`` seconds."""

    def __init__(
        self,
        manager: SessionManager,
        period: float = 1.0,
        setup_timeout: float = DEFAULT_SETUP_TIMEOUT,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.manager = manager
        self.period = period
        self.setup_timeout = setup_timeout
        self.clock = clock or manager.clock
        self.ended: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="session-reaper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.period)
            try:
                await self.scan()
            except Exception:
                log.exception("session reaper scan failed")

    async def scan(self) -> int:
        """One pass; how many sessions ended."""
        now = self.clock()
        jobs = []
        for s in list(self.manager.table):
            what = due(s, now, self.setup_timeout)
            if isinstance(what, TerminateCause):
                jobs.append(self._end(s.id, what))
            elif what:
                jobs.append(self._expire(s.id, what))
        if not jobs:
            return 0
        results = await asyncio.gather(*jobs, return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                log.warning("session timeout not applied: %s", r)
        return sum(1 for r in results if r is True)

    async def _end(self, session_id: int, cause: TerminateCause) -> bool:
        await self.manager.release(session_id, cause)
        self.ended[cause.value] = self.ended.get(cause.value, 0) + 1
        return True

    async def _expire(self, session_id: int, addresses: list[object]) -> bool:
        for a in addresses:
            try:
                await self.manager.remove_address(session_id, a)  # type: ignore[arg-type]
            except SessionError:
                return False
        return False
