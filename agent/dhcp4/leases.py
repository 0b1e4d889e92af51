"""Leases the relay has seen bound, and their expiry: what turns a DHCP exchange into a session.

A lease is keyed like a session (issue #14): access interface, outer and inner VLAN, client MAC. An ACK
binds or renews it, a RELEASE / DECLINE / NAK ends it, and so does the end of its lease time when no
renewal came through the relay. Expiry uses one timer for the earliest lease (a heap with lazy
deletion), not a scan: the table wakes up once per expiring lease, never to poll.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import NamedTuple, Protocol


class LeaseKey(NamedTuple):
    interface: str
    outer_vlan: int  # 0: untagged
    inner_vlan: int  # 0: single-tagged or untagged
    mac: bytes


@dataclass(slots=True)
class Lease:
    key: LeaseKey
    address: IPv4Address
    server: IPv4Address | None
    lease_time: float
    bound_at: float
    expires_at: float
    circuit_id: bytes = b""
    remote_id: bytes = b""


class LeaseSink(Protocol):
    """Who is told about leases (the subscriber manager). Called on the event loop, must not block.

    ``lease_bound`` may return a future: the relay then holds the ACK until it resolves -- True: the
    session is programmed, send the ACK; False: refused (session limit, address in use), the ACK is not
    sent and the lease is forgotten."""

    def lease_bound(self, lease: Lease, renewed: bool) -> asyncio.Future[bool] | None: ...

    def lease_ended(self, lease: Lease, reason: str) -> None: ...


class NullSink:
    """No subscriber manager (a relay-only node)."""

    def lease_bound(self, lease: Lease, renewed: bool) -> asyncio.Future[bool] | None:
        return None

    def lease_ended(self, lease: Lease, reason: str) -> None:
        pass


#: Reasons a lease ends (bng_dhcp4_leases_ended_total{reason}).
END_REASONS = ("release", "decline", "nak", "expired", "removed")


class LeaseTable:
    """Bound leases and their expiry timer."""

    def __init__(self, sink: LeaseSink | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.sink: LeaseSink = sink or NullSink()
        self.clock = clock
        self.leases: dict[LeaseKey, Lease] = {}
        self._heap: list[tuple[float, LeaseKey]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = float("inf")
        self.bound_total = 0
        self.renewed_total = 0
        self.ended_total: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.leases)

    def bind(self, lease: Lease) -> asyncio.Future[bool] | None:
        """Record a bound (or renewed) lease; returns what the sink returned (see :class:`LeaseSink`)."""
        old = self.leases.get(lease.key)
        renewed = old is not None and old.address == lease.address
        if old is not None and not renewed:
            self._end(old, "removed")  # another address for the same subscriber: the old session goes
        self.leases[lease.key] = lease
        heapq.heappush(self._heap, (lease.expires_at, lease.key))
        if renewed:
            self.renewed_total += 1
        else:
            self.bound_total += 1
        self._arm()
        return self.sink.lease_bound(lease, renewed)

    def forget(self, key: LeaseKey, lease: Lease) -> None:
        """Drop a lease the sink refused, without telling the sink (it never had it)."""
        if self.leases.get(key) is lease:
            del self.leases[key]

    def end(self, key: LeaseKey, reason: str, address: IPv4Address | None = None) -> Lease | None:
        """End the lease of ``key`` (only if it holds ``address``, when given)."""
        lease = self.leases.get(key)
        if lease is None or (address is not None and lease.address != address):
            return None
        del self.leases[key]
        self._end(lease, reason)
        return lease

    def _end(self, lease: Lease, reason: str) -> None:
        self.ended_total[reason] = self.ended_total.get(reason, 0) + 1
        self.sink.lease_ended(lease, reason)

    def _arm(self) -> None:
        if not self._heap:
            return
        at = self._heap[0][0]
        if at >= self._timer_at or at == float("inf"):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (unit tests drive expire() themselves)
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = at
        self._timer = loop.call_later(max(0.0, at - self.clock()), self._fire)

    def _fire(self) -> None:
        self._timer, self._timer_at = None, float("inf")
        self.expire()
        self._arm()

    def expire(self) -> int:
        """End every lease whose time is up; returns how many."""
        now = self.clock()
        n = 0
        while self._heap and self._heap[0][0] <= now:
            at, key = heapq.heappop(self._heap)
            lease = self.leases.get(key)
            if lease is None or lease.expires_at != at:
                continue  # renewed or ended since: a stale heap entry
            del self.leases[key]
            self._end(lease, "expired")
            n += 1
        if len(self._heap) > 2 * len(self.leases) + 1024:
            self._heap = [(lease.expires_at, k) for k, lease in self.leases.items()]
            heapq.heapify(self._heap)
        return n

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
