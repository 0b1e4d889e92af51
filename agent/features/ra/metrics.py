"""Router-advertisement counters from VPP (``sw_interface_ip6nd_ra_dump``): per interface that sends RAs,
how many RAs VPP sent and how many router solicitations it received and dropped (rate limit), read every
``period`` seconds by ``bng-agent run``.

``bng_ra_advertisements_sent_total{interface}``, ``bng_ra_solicitations_received_total{interface}``,
``bng_ra_solicitations_dropped_total{interface}`` and ``bng_ra_interfaces`` (interfaces sending RAs).
VPP's own counters are reported as they are (they restart with VPP, as any counter would).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("agent.features.ra")

ALL = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class RaCounters:
    sent: int
    solicitations: int
    dropped: int


class RaMetrics:
    def __init__(
        self, connection: Callable[[], Any], name_of: Callable[[int], str | None], period: float = 10.0
    ) -> None:
        self.connection = connection
        self.name_of = name_of
        self.period = period
        self.counters: dict[str, RaCounters] = {}
        self._task: asyncio.Task[None] | None = None

    async def poll(self) -> None:
        conn = self.connection()
        if conn is None:
            return
        out: dict[str, RaCounters] = {}
        for d in await conn.dump("sw_interface_ip6nd_ra_dump", sw_if_index=ALL):
            if not d.send_radv:
                continue
            name = self.name_of(int(d.sw_if_index)) or str(int(d.sw_if_index))
            out[name] = RaCounters(
                int(d.n_advertisements_sent), int(d.n_solicitations_rcvd), int(d.n_solicitations_dropped)
            )
        self.counters = out

    async def run(self) -> None:
        while True:
            try:
                await self.poll()
            except Exception as e:  # VPP away: the next poll tries again
                log.debug("ra counters not read: %s", e)
            await asyncio.sleep(self.period)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="ra-metrics")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def samples(self) -> list[tuple[str, tuple[str, ...], float]]:
        out: list[tuple[str, tuple[str, ...], float]] = [("bng_ra_interfaces", (), float(len(self.counters)))]
        for name, c in sorted(self.counters.items()):
            out.append(("bng_ra_advertisements_sent", (name,), float(c.sent)))
            out.append(("bng_ra_solicitations_received", (name,), float(c.solicitations)))
            out.append(("bng_ra_solicitations_dropped", (name,), float(c.dropped)))
        return out
