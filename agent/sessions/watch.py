"""Fan-out of session events to watchers (gNMI ON_CHANGE, the gRPC Watch stream, NETCONF notifications).

Why not one asyncio.Queue per watcher with ``await put``: a slow watcher must never slow the table down
(a DHCP ACK waits on the manager). Publishing is synchronous and never blocks: each watcher has a
bounded buffer, and a watcher that falls behind by more than it holds is ended with
:class:`~agent.sessions.api.WatchOverflow` (it may watch again with replay and start from a consistent
picture) instead of silently losing events.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable

from agent.sessions.api import SessionEvent, SessionFilter, WatchOverflow

DEFAULT_BUFFER = 65_536


class Watcher:
    """One watcher's buffer. Iterate it with ``async for``; :meth:`close` ends the iteration."""

    def __init__(self, hub: WatchHub, selector: SessionFilter | None, buffer: int) -> None:
        self._hub = hub
        self._selector = selector
        self._buffer = buffer
        self._events: deque[SessionEvent] = deque()
        self._wake = asyncio.Event()
        self._closed = False
        self._overflow = False

    def offer(self, event: SessionEvent) -> None:
        if self._closed or (self._selector is not None and not self._selector.matches(event.session)):
            return
        if len(self._events) >= self._buffer:
            self._overflow = True
            self._events.clear()
        else:
            self._events.append(event)
        self._wake.set()

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        self._hub.detach(self)

    def __aiter__(self) -> AsyncIterator[SessionEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[SessionEvent]:
        try:
            while True:
                while self._events:
                    yield self._events.popleft()
                if self._overflow:
                    raise WatchOverflow(f"watcher fell more than {self._buffer} events behind")
                if self._closed:
                    return
                self._wake.clear()
                await self._wake.wait()
        finally:
            self.close()


class WatchHub:
    """The watchers of one session table."""

    def __init__(self) -> None:
        self._watchers: set[Watcher] = set()

    def __len__(self) -> int:
        return len(self._watchers)

    def attach(
        self,
        selector: SessionFilter | None = None,
        buffer: int = DEFAULT_BUFFER,
        replay: Callable[[], list[SessionEvent]] | None = None,
    ) -> Watcher:
        """A new watcher; ``replay`` events (computed now, synchronously, so nothing happens between them
        and the first live event) are queued first."""
        w = Watcher(self, selector, buffer)
        for ev in replay() if replay is not None else ():
            w.offer(ev)
        self._watchers.add(w)
        return w

    def detach(self, w: Watcher) -> None:
        self._watchers.discard(w)

    def publish(self, event: SessionEvent) -> None:
        for w in list(self._watchers):
            w.offer(event)

    def close(self) -> None:
        for w in list(self._watchers):
            w.close()
