"""Glue between the subscriber service and the northbound in ``bng-agent run``: the session list in the
operational datastore, session events to gNMI ON_CHANGE and NETCONF notifications.

Kept out of :mod:`agent.sessions` (which imports no protocol server) and out of the servers (which hold
no business logic); only the app knows both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from typing import Any

from agent.features.nat.session import session_nat
from agent.sessions import oper
from agent.sessions.api import Session, SessionFilter, WatchOverflow
from agent.sessions.service import SubscriberService

log = logging.getLogger("agent.app")

_ID_IN_PATH = re.compile(r"session\[id=['\"]?(\d+)['\"]?\]")


class SubscriberWiring:
    """Connects one :class:`SubscriberService` to the datastores, gNMI and NETCONF."""

    def __init__(self, service: SubscriberService, datastores: Any) -> None:
        self.service = service
        self.datastores = datastores
        self.handle: int | None = None
        self.task: asyncio.Task[None] | None = None
        self.forwarded = 0

    def extra(self, s: Session) -> dict[str, Any]:
        """What features add to a session's entry: the NAT instance covering it and, for det44, its
        outside address and port block (from configuration, as VPP computes them)."""
        nat = session_nat(s, self.service.southbound.config)
        return {"nat": nat} if nat is not None else {}

    def operational(self, paths: list[str] | None) -> dict[str, Any]:
        """The ``sessions`` list; a read of given session entries builds only those."""
        mgr = self.service.manager
        ids = {int(m.group(1)) for p in paths or () for m in _ID_IN_PATH.finditer(p)}
        if paths and ids and all(_ID_IN_PATH.search(p) for p in paths):
            return oper.document(mgr.list(SessionFilter(ids=frozenset(ids))), self.extra)
        return oper.document(mgr.list(), self.extra)

    def start(self, gnmi: Any, netconf: Any) -> None:
        self.handle = self.datastores.operational.register_scoped(oper.SESSIONS, self.operational)
        if netconf is not None:
            netconf.subscribers = self.service.manager
        if gnmi is not None:
            gnmi.subscribers = self.service.manager
        self.task = asyncio.create_task(self._forward(gnmi, netconf), name="session-events")

    async def _forward(self, gnmi: Any, netconf: Any) -> None:
        """Every session event to gNMI ON_CHANGE streams and NETCONF subscribers, as it happens."""
        while True:
            try:
                async for ev in self.service.manager.watch(replay=False):
                    self.forwarded += 1
                    ts = ev.session.updated
                    if gnmi is not None:
                        gnmi.publish_operational(oper.changes(ev, self.extra), int(time.time() * 1e9))
                    if netconf is not None:
                        netconf.publish(oper.MODULE, "session-event", oper.notification(ev), ts)
                return
            except WatchOverflow:
                log.warning("session events fell behind; ON_CHANGE subscribers may have missed some")
            except Exception:
                log.exception("session event forwarding failed")
                await asyncio.sleep(0.1)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        if self.handle is not None:
            self.datastores.operational.unregister(self.handle)
            self.handle = None
