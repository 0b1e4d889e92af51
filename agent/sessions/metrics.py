"""Subscriber metrics (the ``subscribers`` module of :mod:`agent.telemetry.catalog`): sessions by state
and session set-up latency, from the manager's own event stream.

Why from events rather than by walking the table at scrape time: the exporter scrapes from its own
thread, and the table belongs to the event loop; the counts here are kept on the loop, and a scrape reads
a copy of a small dictionary. Set-up latency is the time from a session's first frame (``started``: the
DISCOVER, SOLICIT, RS or PADI that opened it) to the event that made it ``active`` (its address bound and
programmed into VPP) -- the wait a subscriber sees before traffic flows. Sessions that were already
active when counting began (a restart, a new watch after an overflow) are counted by state but add no
latency sample.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
from collections.abc import Iterator
from typing import Final

from agent.sessions.api import SessionEvent, SessionManagerApi, SessionState, WatchOverflow
from agent.telemetry.exporter import Sample

log = logging.getLogger(__name__)

#: Bucket upper bounds in seconds: a local DHCP exchange completes in milliseconds; RADIUS and a slow
#: DHCP server take seconds; a client retrying after a lost OFFER waits 4 s and more.
BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
STATES: Final = tuple(s.value for s in SessionState)


class SessionMetrics:
    """Consumes :meth:`SessionManagerApi.watch`; :meth:`samples` is the telemetry source."""

    def __init__(self, manager: SessionManagerApi) -> None:
        self.manager = manager
        self._state: dict[int, SessionState] = {}
        self._counts: dict[SessionState, int] = dict.fromkeys(SessionState, 0)
        self._buckets = [0] * (len(BUCKETS) + 1)
        self._sum = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="session-metrics")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run(self) -> None:
        """Count what the table holds, then follow its events; a watch that overflowed starts over, so
        the counts are right again after it."""
        while True:
            self._reset()
            # the table as it is and the watch from now on, taken with no await in between (no gap)
            for s in self.manager.list():
                self._state[s.id] = s.state
                self._counts[s.state] += 1
            try:
                async for ev in self.manager.watch(replay=False):
                    self.observe(ev)
                return  # the manager closed its watchers (it is stopping)
            except WatchOverflow:
                log.warning("session metrics fell behind the session table; counting again")

    def _reset(self) -> None:
        self._state.clear()
        self._counts = dict.fromkeys(SessionState, 0)

    def observe(self, ev: SessionEvent) -> None:
        s = ev.session
        before = self._state.pop(s.id, None)
        if before is not None:
            self._counts[before] -= 1
        if ev.kind == "left":
            return
        self._state[s.id] = s.state
        self._counts[s.state] += 1
        # became active now: from an earlier state, or active in its very first event (opened and bound
        # in one step)
        fresh = before in (SessionState.INIT, SessionState.AUTHENTICATING) or (
            before is None and ev.kind == "appeared"
        )
        if s.state is SessionState.ACTIVE and fresh:
            seconds = max(0.0, s.updated - s.started)
            self._buckets[bisect.bisect_left(BUCKETS, seconds)] += 1
            self._sum += seconds

    def samples(self) -> Iterator[Sample]:
        counts = dict(self._counts)
        for state in SessionState:
            yield ("bng_subscriber_sessions", (state.value,), counts[state])
        cumulative, running = [], 0
        for le, n in zip((*map(str, BUCKETS), "+Inf"), list(self._buckets), strict=True):
            running += n
            cumulative.append((le, float(running)))
        yield ("bng_subscriber_session_setup_seconds", (), (cumulative, self._sum))
