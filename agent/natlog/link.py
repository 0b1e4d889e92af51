"""One collector: records from its queue to the collector over UDP, at most ``rate`` records a second,
as IPFIX or NetFlow v9, with template refresh.

Down detection: the socket is connected, so an ICMP port/host unreachable from the collector's side
comes back as an error on the next send or in ``SO_ERROR``. A message whose error arrives after it was
sent is lost on the wire: so every message stays "in flight" for ``grace`` seconds, and on an error
everything in flight goes back to the head of the queue. The collector is then down: nothing is sent
except a probe (a template-only message) every ``retry`` seconds; the first probe that draws no error
brings it back and the queue (memory, then spill) drains at the rate limit. This gives at-least-once
delivery for collectors that answer with ICMP when down (a stopped collector process, a removed
route); a collector that silently black-holes UDP is indistinguishable from a working one.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from agent.flowexport import Template
from agent.flowexport.exporter import Exporter, Format
from agent.flowexport.template import Record
from agent.natlog.spill import SpillQueue

log = logging.getLogger(__name__)

_DOWN_ERRNOS = {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN}
#: records taken from the queue per round (one round = one burst of messages, then a yield)
ROUND = 4096


@dataclass(frozen=True)
class CollectorSettings:
    name: str
    address: str
    port: int
    format: Format
    rate: float  # records per second
    template_interval: float = 20.0
    path_mtu: int = 1450
    domain_id: int = 1
    grace: float = 0.5
    retry: float = 1.0


@dataclass
class LinkCounters:
    records_out: int = 0
    messages_out: int = 0
    send_errors: int = 0
    resent: int = 0
    downs: int = 0


class CollectorLink:
    """The sender task of one collector and its queue."""

    def __init__(self, settings: CollectorSettings, queue: SpillQueue,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.s = settings
        self.queue = queue
        self.clock = clock
        family = socket.AF_INET6 if ":" in settings.address else socket.AF_INET
        header = 40 if family == socket.AF_INET6 else 20
        self.exporter = Exporter(settings.format, settings.domain_id, max_size=settings.path_mtu - header - 8,
                                 template_interval=settings.template_interval)  # fmt: skip
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        self.sock.connect((settings.address, settings.port))
        self.up = True
        self.counters = LinkCounters()
        self._inflight: deque[tuple[float, Template, list[Record]]] = deque()
        self._wake = asyncio.Event()
        self._tokens = float(min(settings.rate, ROUND))
        self._last = clock()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"natlog-{self.s.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.sock.close()
        self.queue.close()

    def offer(self, t: Template, records: list[Record]) -> int:
        """Queue records for this collector; returns how many were dropped (queue and spill full)."""
        dropped = self.queue.put(t, records)
        self._wake.set()
        return dropped

    @property
    def inflight(self) -> int:
        return sum(len(r) for _t, _tt, r in self._inflight)

    # ------------------------------------------------------------------------------------- the loop

    async def _run(self) -> None:
        while True:
            try:
                if not self.up:
                    await asyncio.sleep(self.s.retry)
                    await self._probe()
                    continue
                self._expire_inflight()
                if not self.queue:
                    self._wake.clear()
                    timeout = self.s.grace if self._inflight else None
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout)
                    self._check_error()
                    continue
                n = self._take_tokens()
                if n == 0:
                    await asyncio.sleep(max(0.001, (1.0 - self._tokens) / self.s.rate))
                    continue
                await self._send_round(n)
                await asyncio.sleep(0)
            except asyncio.CancelledError:
                raise
            except Exception:  # never let one collector's bug stop its export for good
                log.exception("natlog collector=%s: sender error", self.s.name)
                await asyncio.sleep(self.s.retry)

    def _take_tokens(self) -> int:
        now = self.clock()
        burst = max(1.0, min(self.s.rate, ROUND))
        self._tokens = min(burst, self._tokens + (now - self._last) * self.s.rate)
        self._last = now
        n = int(min(self._tokens, ROUND))
        return n

    async def _send_round(self, n: int) -> None:
        batches = self.queue.take(n)
        now = time.time()
        for i, (t, recs) in enumerate(batches):
            self.exporter.define(t)
            for msg in self.exporter.export(t.template_id, recs, now):
                while True:
                    try:
                        self.sock.send(msg)
                        break
                    except BlockingIOError:
                        await asyncio.sleep(0.001)
                    except OSError as exc:
                        if exc.errno not in _DOWN_ERRNOS:
                            self.counters.send_errors += 1
                            log.warning("natlog collector=%s send failed: %s", self.s.name, exc)
                        self._down(batches[i:])
                        return
            self.counters.messages_out = self.exporter.messages_sent
            self._inflight.append((self.clock(), t, recs))
            self._tokens -= len(recs)
        self._check_error()

    def _expire_inflight(self) -> None:
        cutoff = self.clock() - self.s.grace
        while self._inflight and self._inflight[0][0] < cutoff:
            _at, _t, recs = self._inflight.popleft()
            self.counters.records_out += len(recs)

    def _check_error(self) -> None:
        err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            if err not in _DOWN_ERRNOS:
                self.counters.send_errors += 1
            self._down([])
        else:
            self._expire_inflight()

    def _down(self, unsent: list[tuple[Template, list[Record]]]) -> None:
        """The collector does not take our messages: everything in flight and unsent goes back."""
        back = [(t, r) for _at, t, r in self._inflight] + unsent
        self.counters.resent += sum(len(r) for _at, _t, r in self._inflight)
        self._inflight.clear()
        self.queue.put_front(back)
        if self.up:
            self.counters.downs += 1
            log.warning(
                "natlog collector=%s unreachable, queueing (%d records)", self.s.name, len(self.queue)
            )
        self.up = False

    async def _probe(self) -> None:
        if not self.exporter.templates:
            self.up = True
            return
        self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)  # clear
        try:
            self.sock.send(self.exporter.template_message(time.time()))
        except OSError:
            return
        await asyncio.sleep(min(self.s.grace, 0.2))
        if self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            self.up = True
            self.exporter.define_all_again()
            log.info("natlog collector=%s reachable again, %d records queued", self.s.name, len(self.queue))
