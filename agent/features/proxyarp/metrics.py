"""The ARP (and IPv6 neighbour) cache size, per interface, and its bound: the ``neighbors`` module of
:mod:`agent.telemetry.catalog`.

VPP's stats segment has no neighbour count (src/vnet/ip-neighbor keeps only per-interface ARP/ND packet
counters there), so the cache is read with ``ip_neighbor_dump`` per family every ``interval`` seconds
and counted per interface, with the bound from ``ip_neighbor_config_get``. An ARP flood from spoofed
sources shows up here as a cache growing towards its limit (alert ``BngNeighborCacheNearLimit``), before
VPP starts refusing (or, with ``recycle``, replacing) neighbours.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator

from agent.features.proxyarp.descriptors import ADDRESS_IP4, ADDRESS_IP6
from agent.telemetry.exporter import Sample
from agent.vpp.connection import VppConnection

log = logging.getLogger(__name__)

ALL = 0xFFFFFFFF
UNKNOWN = "unknown"  # an index the name map does not know (an interface the agent does not manage)
FAMILIES = ((ADDRESS_IP4, "ipv4"), (ADDRESS_IP6, "ipv6"))


class NeighborMetrics:
    """Polls VPP's neighbour tables; :meth:`samples` is the telemetry source (read from the scrape
    thread: it only copies two small dictionaries the loop replaces whole)."""

    def __init__(
        self,
        conn: Callable[[], VppConnection | None],
        name_of: Callable[[int], str | None],
        interval: float = 15.0,
    ) -> None:
        self._conn = conn
        self._name_of = name_of
        self.interval = interval
        self.entries: dict[tuple[str, str], int] = {}
        self.limits: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    async def poll(self) -> bool:
        """One read of both tables; False when VPP is not connected (the last values stay)."""
        conn = self._conn()
        if conn is None or not conn.connected:
            return False
        entries: Counter[tuple[str, str]] = Counter()
        limits: dict[str, int] = {}
        for af, family in FAMILIES:
            for d in await conn.dump("ip_neighbor_dump", sw_if_index=ALL, af=af):
                entries[(family, self._name_of(int(d.neighbor.sw_if_index)) or UNKNOWN)] += 1
            r = await conn.call("ip_neighbor_config_get", af=af)
            if int(r.retval) == 0:
                limits[family] = int(r.max_number)
        self.entries, self.limits = dict(entries), limits
        return True

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="neighbor-metrics")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.poll()
            except Exception as exc:  # VPP went away mid-dump: try again next interval
                log.debug("neighbor cache poll failed: %s", exc)
            await asyncio.sleep(self.interval)

    def samples(self) -> Iterator[Sample]:
        entries, limits = self.entries, self.limits
        for (family, interface), n in sorted(entries.items()):
            yield ("bng_neighbor_cache_entries", (family, interface), n)
        for family, limit in sorted(limits.items()):
            yield ("bng_neighbor_cache_limit", (family,), limit)
