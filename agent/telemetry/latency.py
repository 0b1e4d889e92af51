"""A VPP API latency histogram with a bounded label set.

Observations come from the telemetry service's own calls (the ``control_ping`` probe every poll, the
inventory dumps) and from anyone holding the :class:`LatencyHistogram` (``Telemetry.observe_vpp_call``).
The ``msg`` label only takes message names the agent uses (``agent.vpp.api.MESSAGES_USED``); anything
else is counted as ``other``, so a bug cannot grow the series count.
"""

from __future__ import annotations

import bisect
import threading
from typing import Final

from agent.vpp.api import MESSAGES_USED

#: Bucket upper bounds in seconds: VPP answers a ping in ~50 µs; a dump of 100,000 interfaces takes seconds.
BUCKETS: Final = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
)
_KNOWN: Final = frozenset(MESSAGES_USED) | {"control_ping"}


class LatencyHistogram:
    """Cumulative-bucket histogram per message; thread-safe (observed on the loop, read by the exporter)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, list[int]] = {}
        self._sums: dict[str, float] = {}

    def observe(self, msg: str, seconds: float) -> None:
        label = msg if msg in _KNOWN else "other"
        slot = bisect.bisect_left(BUCKETS, seconds)
        with self._lock:
            counts = self._counts.get(label)
            if counts is None:
                counts = self._counts[label] = [0] * (len(BUCKETS) + 1)
                self._sums[label] = 0.0
            counts[slot] += 1
            self._sums[label] += seconds

    def count(self, msg: str) -> int:
        with self._lock:
            return sum(self._counts.get(msg, ()))

    def snapshot(self) -> list[tuple[str, list[tuple[str, float]], float]]:
        """Per message: cumulative ``(le, count)`` buckets ending with ``+Inf``, and the sum of seconds."""
        out = []
        with self._lock:
            for msg in sorted(self._counts):
                running = 0
                buckets: list[tuple[str, float]] = []
                for bound, c in zip((*[str(b) for b in BUCKETS], "+Inf"), self._counts[msg], strict=True):
                    running += c
                    buckets.append((bound, float(running)))
                out.append((msg, buckets, self._sums[msg]))
        return out
