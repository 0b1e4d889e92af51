"""The subscriber service as ``bng-agent run`` starts it: session log, manager, VPP programmer, timers, and
the packet-path consumers (DHCPv4/DHCPv6 relays, RA, ND ...) that drive the manager.

Start-up order matters for a restart with live sessions: :meth:`SubscriberService.restore` runs before
the agent connects to VPP (log -> table -> the southbound's run-time items, pending), so the first
reconcile compares VPP with configuration and sessions together and sends only the difference. Then
:meth:`start` opens the log for writing, starts the timers and the consumers, in that order (a consumer
may open sessions as soon as it runs). :meth:`stop` runs it backwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from agent.features.vrfs import keys as vrf_keys
from agent.sessions.api import PolicyAttr, SessionHook
from agent.sessions.manager import SessionManager
from agent.sessions.program import SessionProgrammer
from agent.sessions.timers import Reaper
from agent.sessions.wal import Loaded, SessionLog
from agent.vpp.executor import paused_gc
from agent.vpp.southbound import VppSouthbound

log = logging.getLogger(__name__)


class Consumer(Protocol):
    """A service that feeds the manager from the packet path (the DHCPv4 relay, DHCPv6 relay, RA ...)."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class SubscriberService:
    """Everything about sessions in one object; ``manager`` is what other services use."""

    def __init__(
        self,
        data_dir: Path,
        southbound: VppSouthbound,
        *,
        hooks: Sequence[SessionHook] = (),
        fsync: bool = True,
        limit: int = 1_000_000,
        reap_period: float = 1.0,
    ) -> None:
        self.southbound = southbound
        self.log = SessionLog(Path(data_dir) / "sessions", fsync=fsync)
        self.programmer = SessionProgrammer(southbound, hooks)
        self.manager = SessionManager(
            self.programmer.access,
            persistence=self.log,
            programmer=self.programmer,
            policy_check=self.check_policy,
            limit=limit,
        )
        self.reaper = Reaper(self.manager, period=reap_period)
        self.consumers: list[Consumer] = []
        self.restored: Loaded | None = None
        self._started: list[Consumer] = []
        self._follow: asyncio.Task[None] | None = None

    def add_consumer(self, consumer: Consumer) -> None:
        """Register a packet-path consumer; started by :meth:`start` (or at once if already running)."""
        self.consumers.append(consumer)

    def restore(self) -> Loaded:
        """Before connecting to VPP: sessions from the log into the table and the southbound."""
        t0 = time.perf_counter()
        with paused_gc():  # decoding 10,000 sessions keeps every object: no full collections meanwhile
            loaded = self.log.load()
            self.manager.restore(loaded.sessions, loaded.next_id)
            items = self.programmer.preload(self.manager.list())
        self.restored = loaded
        log.info(
            "sessions restored=%d items=%d problems=%d seconds=%.3f",
            len(loaded.sessions),
            items,
            len(loaded.problems),
            time.perf_counter() - t0,
        )
        return loaded

    async def start(self) -> None:
        if self.restored is None:
            self.restore()
        self.log.start()
        self.reaper.start()
        for c in self.consumers:
            await c.start()
            self._started.append(c)
            log.info("subscriber consumer started name=%s", c.name)

    async def stop(self) -> None:
        if self._follow is not None:
            self._follow.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follow
            self._follow = None
        while self._started:
            c = self._started.pop()
            try:
                await c.stop()
            except Exception:
                log.exception("subscriber consumer %s did not stop cleanly", c.name)
        await self.reaper.stop()
        await self.manager.close()
        await self.log.close()

    def follow_config(self, txn: Any, tops: Sequence[str]) -> None:
        """After each commit that changes data under one of ``tops`` (``/bng-qos:qos``: a profile the
        sessions' policers are built from), re-program the sessions whose items changed
        (:meth:`SessionProgrammer.refresh`): one ``policer_update`` per affected policer."""

        async def refresh(event: Any) -> None:
            if not any(c.path.startswith(tops) for c in event.changes):
                return
            n = await self.programmer.refresh(self.manager.list())
            if n:
                log.info("sessions refreshed after commit items=%d", n)

        self._follow = txn.follow_commits(refresh, name="sessions-config")

    def check_policy(self, attr: PolicyAttr, value: str) -> str | None:
        """A policy value a session may take: a VRF must be configured; the features' hooks judge their
        own attributes (QoS profiles, ACLs, NAT instances)."""
        config = self.southbound.config
        if attr is PolicyAttr.VRF and config.get(vrf_keys.root(value)) is None:
            return "no such VRF is configured"
        for hook in self.programmer.hooks:
            why = hook.validate(attr, value, config)
            if why is not None:
                return why
        return None
