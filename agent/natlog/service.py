"""The relay inside the agent: follows the running configuration and reports metrics.

Every durable commit re-reads nat-logging and the det44 maps: the relay is started, reconfigured
(collectors added, removed or changed; queues of unchanged collectors are kept) or stopped, and the
det44 port blocks are brought up to date (one record per inside host that is new or changed). A relay
that cannot bind its address (in use, not local) logs why and is retried at the next commit; the
commit itself is not refused (VPP is programmed by then, and the data plane must not depend on the
logging relay).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from agent.natlog.config import det44_maps, relay_settings
from agent.natlog.relay import Relay, RelaySettings, port_blocks

log = logging.getLogger(__name__)

Sample = tuple[str, tuple[str, ...], float]


class NatLogService:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.relay: Relay | None = None
        self.error: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def apply(self, config: dict[str, Any]) -> None:
        """Bring the relay in line with one configuration (JSON-IETF of running)."""
        async with self._lock:
            settings = relay_settings(config)
            await self._reconfigure(settings)
            if self.relay is not None:
                blocks = [b for m in det44_maps(config) for b in port_blocks(m)]
                self.relay.set_port_blocks(blocks)

    async def _reconfigure(self, settings: RelaySettings | None) -> None:
        if settings is None:
            if self.relay is not None:
                await self.relay.stop()
                self.relay = None
                log.info("natlog relay stopped (nat-logging removed)")
            self.error = None
            return
        try:
            if self.relay is None:
                relay = Relay(settings, self.data_dir / "natlog-spill")
                await relay.start()
                self.relay = relay
            else:
                await self.relay.reconfigure(settings)
            self.error = None
        except OSError as exc:
            self.error = f"cannot listen on {settings.listen[0]}:{settings.listen[1]}: {exc}"
            log.error("natlog relay: %s (retried at the next commit)", self.error)
            if self.relay is not None and self.relay.s.listen == settings.listen:
                return
            if self.relay is not None:
                await self.relay.stop()
                self.relay = None

    def follow(self, txn: Any, running_json: Callable[[], str]) -> None:
        """Re-apply after every durable commit (``TransactionManager.subscribe``). ``running_json`` is
        called each time (the running view is replaced at every commit)."""

        self._task = txn.follow_commits(
            lambda _event: self.apply(json.loads(running_json() or "{}")), name="natlog-config"
        )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.relay is not None:
            await self.relay.stop()
            self.relay = None

    def provide(self) -> dict[str, Any] | None:
        """Operational ``statistics`` of each collector the relay exports to (bng-telemetry's
        ``collector/statistics``: export packets and records sent), merged by the operational datastore
        with the configured collector."""
        relay = self.relay
        if relay is None:
            return None
        collectors = [
            {
                "name": name,
                "statistics": {
                    "sent-packets": str(link.exporter.messages_sent),
                    "sent-records": str(link.counters.records_out),
                },
            }
            for name, link in relay.links.items()
        ]
        return {"bng-telemetry:telemetry": {"collector": collectors}}

    def samples(self) -> Iterable[Sample]:
        if self.relay is not None:
            yield from self.relay.samples()
