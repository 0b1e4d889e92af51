"""The operational event bus: interface state changes and VPP connection changes, as they happen.

Producers (the telemetry service, fed by VPP's ``sw_interface_event`` and by the VPP link) publish
without waiting; each subscriber has its own bounded queue, so a slow consumer (a stalled gNMI stream)
loses its own events -- and learns that it did (:attr:`Subscription.overflowed`) -- without delaying the
others or the agent. Every event can be expressed as :class:`~agent.datastore.changes.Change` records on
operational paths, the shape gNMI ON_CHANGE (``GnmiServer.publish_operational``) and NETCONF
notifications already consume.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from agent.datastore.changes import Change

IF_PATH = "/ietf-interfaces:interfaces/interface[name='{}']"


def _quote(name: str) -> str:
    return name.replace("'", "\\'")


@dataclass(frozen=True)
class InterfaceStateEvent:
    """An interface's admin/oper state changed, or it appeared / disappeared in VPP."""

    name: str
    sw_if_index: int
    oper_status: str  # "up" | "down"
    admin_up: bool
    previous_oper_status: str | None  # None when the interface is new to the agent
    deleted: bool = False
    time: float = field(default_factory=time.time)

    kind = "interface-state"

    def changes(self) -> list[Change]:
        base = IF_PATH.format(_quote(self.name))
        if self.deleted:
            return [Change("delete", base, old={"oper-status": self.previous_oper_status})]
        return [Change("modify", f"{base}/oper-status", old=self.previous_oper_status, new=self.oper_status)]


@dataclass(frozen=True)
class VppConnectionEvent:
    """The agent's connection to VPP went up (and VPP was reconciled) or was lost."""

    connected: bool
    connects: int
    reason: str = ""
    vpp_version: str = ""
    time: float = field(default_factory=time.time)
    previous_state: str = ""  # bng-agent connection-state before: connected | connecting | disconnected

    kind = "vpp-connection"

    def changes(self) -> list[Change]:
        """None: the ``/bng-agent:agent-state`` leaves this moves (connection-state, connects, last-change,
        ...) travel as an :class:`AgentStateEvent` published at the same moment, so they reach gNMI once.
        This event is the ``bng-agent:vpp-connection-change`` notification."""
        return []


@dataclass(frozen=True)
class AgentStateEvent:
    """Leaves of ``/bng-agent:agent-state`` that changed: ``(path, old, new)``, values as JSON-IETF text."""

    leaves: tuple[tuple[str, str | None, str], ...]
    time: float = field(default_factory=time.time)

    kind = "agent-state"

    def changes(self) -> list[Change]:
        return [Change("modify", path, old=old, new=new) for path, old, new in self.leaves]


@dataclass(frozen=True)
class VppDriftEvent:
    """VPP was found to differ from the applied configuration (changed behind the agent's back), and
    the difference was repaired, reported (repair turned off) or could not be repaired.

    ``items`` are ``(operation, item key)`` of the repair, at most the first hundred; ``total`` counts
    them all. This event is the ``bng-agent:vpp-drift`` notification; the ``in-sync`` leaf it moves
    travels as an :class:`AgentStateEvent`."""

    source: str  # event | audit | reconcile
    action: str  # repaired | reported | repair-failed
    items: tuple[tuple[str, str], ...]
    total: int
    error: str = ""
    time: float = field(default_factory=time.time)

    kind = "vpp-drift"

    def changes(self) -> list[Change]:
        return []


Event = InterfaceStateEvent | VppConnectionEvent | AgentStateEvent | VppDriftEvent


class Subscription:
    """One consumer's bounded queue; iterate it with ``async for``; :meth:`close` when done."""

    def __init__(self, bus: EventBus, maxsize: int, kinds: frozenset[str] | None) -> None:
        self._bus = bus
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize)
        self.kinds = kinds
        self.overflowed = 0  # events dropped because this consumer fell behind

    def offer(self, event: Event) -> None:
        if self.kinds is not None and event.kind not in self.kinds:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed += 1

    async def get(self, timeout: float | None = None) -> Event | None:
        """The next event; ``None`` after :meth:`close` or when ``timeout`` passes."""
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event

    def close(self) -> None:
        """Stop receiving; a consumer blocked in ``async for`` ends (even when its queue was full)."""
        self._bus._subs.discard(self)
        if self._queue.full():
            self._queue.get_nowait()
            self.overflowed += 1
        self._queue.put_nowait(None)


class EventBus:
    """Fan-out of :data:`Event` to every :class:`Subscription`."""

    def __init__(self) -> None:
        self._subs: set[Subscription] = set()
        self.published = 0

    def subscribe(self, *, maxsize: int = 10_000, kinds: set[str] | None = None) -> Subscription:
        sub = Subscription(self, maxsize, frozenset(kinds) if kinds is not None else None)
        self._subs.add(sub)
        return sub

    def publish(self, event: Event) -> None:
        self.published += 1
        for sub in list(self._subs):
            sub.offer(event)

    @property
    def subscribers(self) -> int:
        return len(self._subs)
