"""Drift detection while the agent runs: VPP's interface events at once, a periodic audit for the rest.

VPP tells every client registered with ``want_interface_events`` about interfaces that were deleted and
whose admin or link state changed (``sw_interface_event``, sent by ``link_state_process`` in
``src/vnet/interface_api.c``). An event on an interface the agent manages starts an audit of just those
interfaces (:class:`~agent.vpp.audit.DriftAuditor`) after a short pause that gathers a burst into one
audit; the agent's own commits cause events too, and those audits find nothing (they wait for the
commit to finish: the southbound's lock). Addresses, MTU, tags, VRF tables and unnumbered settings have
no event: the periodic audit (every ``interval`` seconds; 0 turns it off) finds their drift.

If a repair fails half-way the southbound is marked stale; the next tick reconciles it in full.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from agent.vpp import keys
from agent.vpp.audit import DriftAuditor
from agent.vpp.errors import VppError
from agent.vpp.link import VppLink

log = logging.getLogger(__name__)

DEFAULT_AUDIT_INTERVAL = 60.0
#: Events arriving within this time of the first are audited together.
EVENT_GATHER = 0.02


class DriftMonitor:
    """Runs a :class:`DriftAuditor` on VPP events and every ``interval`` seconds."""

    def __init__(
        self, link: VppLink, auditor: DriftAuditor, *, interval: float = DEFAULT_AUDIT_INTERVAL
    ) -> None:
        self.link = link
        self.auditor = auditor
        self.interval = interval
        self.event_audits = 0
        self._queue: asyncio.Queue[Any] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._queue = self.link.subscribe()
        self._tasks.append(asyncio.create_task(self._event_loop(), name="vpp-drift-events"))
        if self.interval > 0:
            self._tasks.append(asyncio.create_task(self._audit_loop(), name="vpp-drift-audit"))

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._tasks.clear()

    def _managed_index(self, sw_if_index: int) -> bool:
        sb = self.auditor.sb
        name = sb.names.name_of(sw_if_index)
        return name is not None and keys.interface(name) in sb.applied

    async def _event_loop(self) -> None:
        q = self._queue
        assert q is not None
        while True:
            pending: set[int] = set()
            msg = await q.get()
            self._take(msg, pending)
            if not pending:
                continue
            await asyncio.sleep(EVENT_GATHER)
            while not q.empty():
                self._take(q.get_nowait(), pending)
            self.event_audits += 1
            try:
                await self.auditor.audit(indices=pending, source="event")
            except Exception:  # never let one bad audit end event handling
                log.exception("vpp drift event audit failed")

    def _take(self, msg: Any, pending: set[int]) -> None:
        if type(msg).__name__ != "sw_interface_event":
            return
        idx = int(msg.sw_if_index)
        if self._managed_index(idx):
            pending.add(idx)

    async def _audit_loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            sb = self.auditor.sb
            try:
                if sb.stale and self.link.ready.is_set() and sb.conn is not None and sb.conn.connected:
                    await sb.reconcile()  # a failed repair left VPP unknown: read it all back
                else:
                    await self.auditor.audit(source="audit")
            except VppError as e:
                log.warning("vpp drift audit failed: %s", e)
            except Exception:
                log.exception("vpp drift audit failed")
