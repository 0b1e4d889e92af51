"""QoS operational data and metrics: every policer the agent programmed, what VPP holds for it
(``policer_dump``) and its counters (the stats segment's ``/net/policer/conform|exceed|violate``,
combined packet/byte counters by policer index, ``src/plugins/policer/plugin.c``).

One poller every ``interval`` seconds serves both ``bng-qos:qos-state`` (NETCONF/gNMI operational reads,
through :meth:`QosState.operational`) and the Prometheus families of the ``qos`` module
(:meth:`QosState.samples`); reads cost no VPP call. Colours are the profile's: a 1r2c policer's
non-conforming packets, which VPP counts as violate (compile.py), are reported as exceed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from agent.features.qos import keys
from agent.features.qos.values import TYPE_1R2C, PolicerValue
from agent.telemetry.exporter import Sample
from agent.vpp.connection import VppConnection
from agent.vpp.items import Item, Value

log = logging.getLogger(__name__)

COLOURS = ("conform", "exceed", "violate")
VPP_TYPES = {0: "1r2c", 1: "1r3c-rfc2697", 2: "2r3c-rfc2698", 3: "2r3c-rfc4115", 4: "2r3c-mef5cf1"}
#: (packets, bytes) per colour, VPP's colours, for one policer index
Counters = list[tuple[int, int]]


@dataclass
class Row:
    interface: str
    direction: str
    profile: str
    origin: str
    name: str
    index: int | None
    vpp_type: int
    details: Any  # policer_details, or None
    counters: Counters


def read_counters(stats: Any) -> dict[str, list[tuple[int, int]]]:
    """``/net/policer/<colour>`` summed over threads: colour -> [(packets, bytes)] by policer index (an
    absent vector -- no policer made yet -- reads as empty)."""
    out: dict[str, list[tuple[int, int]]] = {}
    for colour in COLOURS:
        try:
            per_thread = stats[f"/net/policer/{colour}"]
        except (KeyError, ValueError):
            out[colour] = []
            continue
        n = max((len(row) for row in per_thread), default=0)
        sums = [[0, 0] for _ in range(n)]
        for row in per_thread:
            for i, cell in enumerate(row):
                sums[i][0] += int(cell[0])
                sums[i][1] += int(cell[1])
        out[colour] = [(p, b) for p, b in sums]
    return out


class QosState:
    """Polls VPP for the agent's policers; see the module docstring."""

    def __init__(
        self,
        conn: Callable[[], VppConnection | None],
        items: Callable[[], Mapping[str, Item[Value]]],
        handles: Callable[[], Mapping[str, int]],
        stats_socket: str | None,
        interval: float = 15.0,
    ) -> None:
        self._conn = conn
        self._items = items
        self._handles = handles
        self._stats_socket = stats_socket
        self._stats: Any = None
        self.interval = interval
        self.rows: list[Row] = []
        self._task: asyncio.Task[None] | None = None

    def _read_stats(self) -> dict[str, list[tuple[int, int]]]:
        if self._stats_socket is None:
            return {c: [] for c in COLOURS}
        from vpp_papi.vpp_stats import VPPStats

        if self._stats is None:
            stats = VPPStats(socketname=self._stats_socket)
            stats.connect()
            self._stats = stats
        try:
            return read_counters(self._stats)
        except Exception:
            with contextlib.suppress(Exception):
                self._stats.disconnect()
            self._stats = None
            raise

    async def poll(self) -> bool:
        """One read; False when VPP is not connected (the last rows stay)."""
        conn = self._conn()
        if conn is None or not conn.connected:
            return False
        policers = {k: it for k, it in self._items().items() if isinstance(it.value, PolicerValue)}
        details = {
            str(d.name): d for d in await conn.dump("policer_dump", match_name_valid=False, match_name="")
        }
        counters = await asyncio.to_thread(self._read_stats) if policers else {c: [] for c in COLOURS}
        handles = self._handles()
        rows = []
        for key, it in sorted(policers.items()):
            v = it.value
            assert isinstance(v, PolicerValue)
            interface, _, direction = key[len(keys.POLICER) + 1 :].rpartition("/")
            idx = handles.get(key)
            cells = [
                counters[c][idx] if idx is not None and idx < len(counters[c]) else (0, 0) for c in COLOURS
            ]
            rows.append(
                Row(
                    interface,
                    direction,
                    v.profile,
                    it.origin,
                    v.name,
                    idx,
                    v.config.type,
                    details.get(v.name),
                    cells,
                )
            )
        self.rows = rows
        return True

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="qos-state")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._stats is not None:
            with contextlib.suppress(Exception):
                self._stats.disconnect()
            self._stats = None

    async def _run(self) -> None:
        while True:
            try:
                await self.poll()
            except Exception as exc:  # VPP went away mid-read: next interval
                log.debug("qos state poll failed: %s", exc)
            await asyncio.sleep(self.interval)

    @staticmethod
    def colours(row: Row) -> list[tuple[int, int]]:
        """The profile's colours: a 1r2c's violate (VPP) is its exceed."""
        conform, exceed, violate = row.counters
        if row.vpp_type == TYPE_1R2C:
            return [conform, (exceed[0] + violate[0], exceed[1] + violate[1]), (0, 0)]
        return [conform, exceed, violate]

    def operational(self) -> dict[str, Any]:
        """``bng-qos:qos-state`` as JSON-IETF (64-bit integers as strings, RFC 7951)."""
        out = []
        for row in self.rows:
            entry: dict[str, Any] = {
                "interface": row.interface,
                "direction": row.direction,
                "profile": row.profile,
                "origin": row.origin,
                "vpp-name": row.name,
            }
            if row.index is not None:
                entry["vpp-index"] = row.index
            d = row.details
            if d is not None:
                tokens = int(d.cir_tokens_per_period)
                entry["programmed"] = {
                    "type": VPP_TYPES.get(int(d.type), str(int(d.type))),
                    "cir": int(d.cir),
                    "eir": int(d.eir),
                    "cb": str(int(d.cb)),
                    "eb": str(int(d.eb)),
                    "scale": int(d.scale),
                    "cir-tokens-per-period": tokens,
                    "pir-tokens-per-period": int(d.pir_tokens_per_period),
                    "rate-rounding-ppm": math.ceil(1_000_000 / tokens) if tokens else 1_000_000,
                }
            for colour, (packets, nbytes) in zip(COLOURS, self.colours(row), strict=True):
                entry[colour] = {"packets": str(packets), "bytes": str(nbytes)}
            out.append(entry)
        return {"bng-qos:qos-state": {"policer": out}} if out else {}

    def samples(self) -> Iterator[Sample]:
        for row in self.rows:
            for colour, (packets, nbytes) in zip(COLOURS, self.colours(row), strict=True):
                labels = (row.interface, row.direction, row.profile, colour)
                yield ("bng_qos_policer_packets", labels, packets)
                yield ("bng_qos_policer_bytes", labels, nbytes)
        yield ("bng_qos_policers", (), len(self.rows))
