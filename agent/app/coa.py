"""Glue between the CoA/Disconnect listener and the rest of ``bng-agent run``: it follows the
``bng-aaa`` configuration after every commit, serves the audit log in the operational datastore, and
forwards each audit entry as a gNMI ON_CHANGE update and a NETCONF ``dynamic-authorization-event``.

Only the app knows both the listener (:mod:`agent.aaa.coa`) and the protocol servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

from agent.aaa import audit
from agent.aaa.audit import AuditEntry
from agent.aaa.coa import CoaConfig, CoaHandler, CoaListener
from agent.aaa.coa_metrics import samples

log = logging.getLogger("agent.app")


class CoaRuntime:
    """One listener for the agent's subscriber manager."""

    def __init__(self, running_json: Callable[[], str], manager: Any, datastores: Any) -> None:
        self.running_json = running_json
        self.datastores = datastores
        self.handler = CoaHandler(manager, self._config())
        self.listener = CoaListener(self.handler)
        self._handle: int | None = None
        self._follow: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def _config(self) -> CoaConfig:
        text = self.running_json()
        doc = json.loads(text) if text else {}
        return CoaConfig.from_entry(doc.get("bng-aaa:aaa") or {})

    async def apply(self) -> None:
        """Bring the listener in line with running configuration."""
        async with self._lock:
            await self.listener.apply(self._config())

    def start(self, gnmi: Any, netconf: Any) -> None:
        self._handle = self.datastores.operational.register(audit.AUDIT, self.handler.audit.document)

        def forward(entry: AuditEntry, evicted: AuditEntry | None) -> None:
            if gnmi is not None:
                gnmi.publish_operational(audit.changes(entry, evicted), int(entry.time * 1e9))
            if netconf is not None:
                body = audit.notification(entry)
                netconf.publish(audit.MODULE, "dynamic-authorization-event", body, entry.time)

        self.handler.audit.listeners.append(forward)

    def follow(self, txn: Any) -> None:
        """Re-apply after every commit (the transaction manager's change stream)."""
        self._follow = txn.follow_commits(lambda _event: self.apply(), name="coa-config")

    def samples(self) -> list[tuple[str, tuple[str, ...], float]]:
        return samples(self.handler)

    async def stop(self) -> None:
        if self._follow is not None:
            self._follow.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follow
        await self.listener.stop()
        if self._handle is not None:
            self.datastores.operational.unregister(self._handle)
            self._handle = None
