"""An asyncio RADIUS client: several servers per function, retransmits, timeouts, dead time, failover,
and up to 256 outstanding requests per source port.

Why this shape:

* One UDP socket per (server, function) carries up to 256 requests at once, one per RADIUS identifier
  (RFC 2865 3: the identifier is one octet). When all 256 are in flight another source port is opened
  (up to ``max_ports``), so a burst of 1,000 DHCP DISCOVERs is not throttled to 256 and the identifier
  of a request that is still outstanding is never reused (a late answer could match the wrong request).
* A retransmission re-sends the same bytes with the same identifier to the same server (RFC 5080 2.2.1);
  after ``retransmits`` it goes to the next server with a fresh identifier, and the server that did not
  answer is skipped for ``dead-time``. When every server is dead they are tried anyway, in order: a
  RADIUS outage must not outlive the servers' return by a dead time.
* An answer is matched by identifier and checked against the request (Response Authenticator, and for
  Access-* the Message-Authenticator that BlastRADIUS makes mandatory) before it can complete it; a
  failed check drops the datagram and counts it, and the request keeps waiting for a good answer.
* Timers are ``call_later`` handles, not a task per request: at thousands of requests a second the
  client costs a future and a timer each.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pyrad import packet as rp

from agent.aaa.errors import NoServerAvailable
from agent.aaa.packet import Codec, ReplyProblem, Request

log = logging.getLogger(__name__)


class Function(enum.StrEnum):
    """What a server is used for (its port)."""

    AUTH = "authentication"
    ACCT = "accounting"


@dataclass(frozen=True)
class Server:
    """One RADIUS server as configured (``bng-aaa:aaa/radius/server``)."""

    name: str
    address: str
    secret: bytes
    auth_port: int = 1812
    acct_port: int = 1813
    timeout: float = 5.0
    retransmits: int = 3
    dead_time: float = 60.0

    def port(self, function: Function) -> int:
        return self.auth_port if function is Function.AUTH else self.acct_port


@dataclass
class ClientStats:
    """Counters by (server, function); the Prometheus exporter reads copies of them."""

    requests: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    retransmits: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    timeouts: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    answers: collections.Counter[tuple[str, str, int]] = field(default_factory=collections.Counter)
    dropped: collections.Counter[tuple[str, str, str]] = field(default_factory=collections.Counter)
    failovers: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    no_server: collections.Counter[str] = field(default_factory=collections.Counter)
    latency_sum: dict[tuple[str, str], float] = field(default_factory=dict)


class _Outstanding:
    __slots__ = ("future", "request")

    def __init__(self, request: Request, future: asyncio.Future[rp.Packet | None]) -> None:
        self.request = request
        self.future = future


class _Port(asyncio.DatagramProtocol):
    """One connected UDP socket to one server port, with its 256 identifiers."""

    def __init__(self, owner: _Channel) -> None:
        self.owner = owner
        self.transport: asyncio.DatagramTransport | None = None
        self.free: collections.deque[int] = collections.deque(range(256))
        self.pending: dict[int, _Outstanding] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a datagram transport here

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self.owner.received(self, data)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable on a connected socket: the server is not there; the timers decide.
        log.debug("RADIUS %s: %s", self.owner.label, exc)


class _Channel:
    """All source ports towards one server for one function."""

    def __init__(self, client: RadiusClient, server: Server, function: Function, max_ports: int) -> None:
        self.client = client
        self.server = server
        self.function = function
        self.label = f"{server.name}/{function.value}"
        self.max_ports = max_ports
        self.ports: list[_Port] = []
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self.dead_until = 0.0

    async def acquire(self) -> tuple[_Port, int]:
        """A port and an identifier free on it, opening a port when all are busy."""
        while True:
            for port in self.ports:
                if port.free:
                    return port, port.free.popleft()
            if len(self.ports) < self.max_ports:
                loop = asyncio.get_running_loop()
                _, proto = await loop.create_datagram_endpoint(
                    lambda: _Port(self),
                    remote_addr=(self.server.address, self.server.port(self.function)),
                )
                self.ports.append(proto)
                continue
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter

    def release(self, port: _Port, ident: int) -> None:
        port.pending.pop(ident, None)
        port.free.append(ident)
        while self._waiters:
            w = self._waiters.popleft()
            if not w.done():
                w.set_result(None)
                break

    def received(self, port: _Port, data: bytes) -> None:
        stats = self.client.stats
        if len(data) < 20:
            stats.dropped[(self.server.name, self.function.value, ReplyProblem.MALFORMED)] += 1
            return
        entry = port.pending.get(data[1])
        if entry is None or entry.future.done():
            stats.dropped[(self.server.name, self.function.value, ReplyProblem.UNKNOWN_ID)] += 1
            return
        reply, problem = self.client.codec.check_reply(entry.request, data)
        if problem is not None:
            stats.dropped[(self.server.name, self.function.value, problem.value)] += 1
            log.warning("RADIUS %s: answer dropped (%s)", self.label, problem.value)
            return
        assert reply is not None
        entry.future.set_result(reply)

    def close(self) -> None:
        for port in self.ports:
            if port.transport is not None:
                port.transport.close()
            for entry in port.pending.values():
                if not entry.future.done():
                    entry.future.set_result(None)
        self.ports.clear()


def _expire(fut: asyncio.Future[rp.Packet | None]) -> None:
    if not fut.done():
        fut.set_result(None)


class RadiusClient:
    """Sends requests to the servers of a function and returns the first valid answer.

    ``servers`` maps a function to its servers in the order tried; ``round_robin`` starts each request
    at the next live server instead of the first.
    """

    def __init__(
        self,
        codec: Codec,
        servers: dict[Function, Sequence[Server]],
        *,
        round_robin: dict[Function, bool] | None = None,
        max_ports: int = 16,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.codec = codec
        self.stats = ClientStats()
        self._servers = {f: list(s) for f, s in servers.items()}
        self._round_robin = round_robin or {}
        self._next: dict[Function, int] = {}
        self._max_ports = max_ports
        self._clock = clock
        self._channels: dict[tuple[str, Function], _Channel] = {}

    def servers(self, function: Function) -> list[Server]:
        return list(self._servers.get(function, ()))

    def dead(self, server: Server, function: Function) -> bool:
        ch = self._channels.get((server.name, function))
        return ch is not None and ch.dead_until > self._clock()

    def _channel(self, server: Server, function: Function) -> _Channel:
        ch = self._channels.get((server.name, function))
        if ch is None or ch.server != server:
            ch = _Channel(self, server, function, self._max_ports)
            self._channels[(server.name, function)] = ch
        return ch

    def _order(self, function: Function) -> list[Server]:
        servers = self._servers.get(function, [])
        if self._round_robin.get(function) and servers:
            i = self._next.get(function, 0) % len(servers)
            self._next[function] = i + 1
            servers = servers[i:] + servers[:i]
        now = self._clock()
        alive = [s for s in servers if self._channel(s, function).dead_until <= now]
        # all dead: try them anyway, the one coming back first first
        return alive or sorted(servers, key=lambda s: self._channel(s, function).dead_until)

    async def request(
        self, function: Function, build: Callable[[Server], Request]
    ) -> tuple[Server, rp.Packet]:
        """Send the packet ``build(server)`` makes (per server: the secret differs) and return the server
        that answered and its verified answer. Raises :class:`NoServerAvailable` when none answered."""
        loop = asyncio.get_running_loop()
        stats = self.stats
        for n, server in enumerate(self._order(function)):
            if n:
                stats.failovers[(server.name, function.value)] += 1
            key = (server.name, function.value)
            ch = self._channel(server, function)
            port, ident = await ch.acquire()
            try:
                req = build(server)
                raw = req.encode(ident)
                started = time.monotonic()
                for attempt in range(server.retransmits + 1):
                    fut: asyncio.Future[rp.Packet | None] = loop.create_future()
                    port.pending[ident] = _Outstanding(req, fut)
                    if port.transport is None:
                        break
                    port.transport.sendto(raw)
                    if attempt:
                        stats.retransmits[key] += 1
                    else:
                        stats.requests[key] += 1
                    timer = loop.call_later(server.timeout, _expire, fut)
                    try:
                        reply = await fut
                    finally:
                        timer.cancel()
                    if reply is not None:
                        stats.answers[(server.name, function.value, reply.code)] += 1
                        stats.latency_sum[key] = stats.latency_sum.get(key, 0.0) + time.monotonic() - started
                        return server, reply
                stats.timeouts[key] += 1
                if server.dead_time > 0:
                    ch.dead_until = self._clock() + server.dead_time
                    log.warning(
                        "RADIUS %s %s: no answer after %d tries, dead for %gs",
                        server.name,
                        function.value,
                        server.retransmits + 1,
                        server.dead_time,
                    )
            finally:
                ch.release(port, ident)
        stats.no_server[function.value] += 1
        raise NoServerAvailable(f"no RADIUS {function.value} server answered")

    def close(self) -> None:
        for ch in self._channels.values():
            ch.close()
        self._channels.clear()
