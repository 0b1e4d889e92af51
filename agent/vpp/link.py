"""Keep the agent connected to VPP: connect, reconcile, watch, reconnect with capped backoff.

After every (re)connect the name map is rebuilt and VPP is reconciled with running configuration before
the link reports itself ready, so a VPP restart is repaired without anyone doing anything. An API
mismatch (VPP from another release) is fatal: the link stops and :attr:`VppLink.fatal` says why.
Interface events (``sw_interface_event``) are fanned out to subscribers across reconnects, so the
telemetry layer keeps one queue for the life of the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import Callable
from typing import Any

from agent.vpp.connection import VppConnection
from agent.vpp.errors import ApiMismatchError, VppError
from agent.vpp.southbound import VppSouthbound

log = logging.getLogger(__name__)


class VppLink:
    """Owns the :class:`VppConnection` of a :class:`VppSouthbound` for the life of the agent."""

    def __init__(
        self,
        socket_path: str,
        southbound: VppSouthbound,
        *,
        timeout: float = 10.0,
        backoff_initial: float = 0.1,
        backoff_max: float = 5.0,
        retry_missing_every: float = 10.0,
    ) -> None:
        self.socket_path = socket_path
        self.southbound = southbound
        self.timeout = timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.retry_missing_every = retry_missing_every
        self.ready = asyncio.Event()
        self.fatal: VppError | None = None
        self.connects = 0
        self.conn: VppConnection | None = None
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pump: asyncio.Task[None] | None = None
        self._subscribers: list[asyncio.Queue[Any]] = []
        # (message, seconds) for every VPP call on every connection (see VppConnection.on_call)
        self.on_call: Callable[[str, float], None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="vpp-link")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._drop()

    async def wait_ready(self, timeout: float) -> bool:
        """True once connected and reconciled (False on timeout or a fatal error)."""
        done = asyncio.create_task(self.ready.wait())
        try:
            await asyncio.wait_for(asyncio.shield(done), timeout)
        except TimeoutError:
            done.cancel()
            return False
        return self.fatal is None

    def subscribe(self, maxsize: int = 10000) -> asyncio.Queue[Any]:
        """A queue receiving every VPP event (``sw_interface_event`` ...), across reconnects."""
        q: asyncio.Queue[Any] = asyncio.Queue(maxsize)
        self._subscribers.append(q)
        return q

    async def _drop(self) -> None:
        self.ready.clear()
        self.southbound.attach(None)
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None
        conn, self.conn = self.conn, None
        if conn is not None:
            await conn.close()

    async def _run(self) -> None:
        delay = self.backoff_initial
        while True:
            self._lost.clear()
            conn = VppConnection(self.socket_path, timeout=self.timeout, on_lost=lambda _r: self._lost.set())
            conn.on_call = self.on_call
            try:
                await conn.connect()
                self.conn = conn
                self.southbound.attach(conn)
                await conn.call("want_interface_events", enable_disable=1, pid=os.getpid())
                self._pump = asyncio.create_task(self._forward(conn), name="vpp-events")
                await self.southbound.reconcile()
            except ApiMismatchError as e:
                self.fatal = e
                log.error("vpp api mismatch, not connecting again: %s", e.message)
                await conn.close()
                self.ready.set()
                return
            except (VppError, OSError) as e:
                log.warning("vpp link not ready: %s; retrying in %.1f s", e, delay)
                await self._drop()
                await conn.close()
                await asyncio.sleep(delay * (0.5 + random.random() / 2))
                delay = min(self.backoff_max, delay * 2)
                continue
            self.connects += 1
            delay = self.backoff_initial
            self.ready.set()
            await self._watch_until_lost()
            log.warning("vpp link lost; reconnecting")
            await self._drop()

    async def _watch_until_lost(self) -> None:
        """Wait for the connection to drop; meanwhile retry the reconcile while configured ports are
        missing (a NIC that appears later gets its configuration without anyone committing again). A
        commit can pre-provision a port at any time, so the check runs every ``retry_missing_every``."""
        while not self._lost.is_set():
            try:
                await asyncio.wait_for(self._lost.wait(), self.retry_missing_every)
                return
            except TimeoutError:
                pass
            if not self.southbound.missing_ports:
                continue
            try:
                await self.southbound.reconcile()
            except VppError as e:
                log.warning("vpp reconcile retry failed: %s", e)

    async def _forward(self, conn: VppConnection) -> None:
        while True:
            event = await conn.events.get()
            for q in self._subscribers:
                with contextlib.suppress(asyncio.QueueFull):
                    q.put_nowait(event)
