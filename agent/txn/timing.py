"""How long each phase of a commit takes: a histogram per phase, read by the Prometheus exporter.

Phases, as the transaction manager runs them (``agent/txn/manager.py``):

* ``validate``: the candidate (or the edited running, or a rollback's replay) copied and validated by
  libyang, and its change list computed (``prepare_commit_async`` / ``_prepare_from_changes``);
* ``plan``: the southbound turns the changes into ordered VPP calls;
* ``apply``: those calls made (all or nothing);
* ``persist``: the commit's journal record written plus the fsync of its batch (commits that share a
  group-commit fsync each count the whole fsync: it is what each of them waited for).

Only commits that became durable are observed (a refused commit has no complete set of phases). The
buckets reach from a millisecond (a one-leaf change) to a minute (100,000 sub-interfaces on a slow VPP).
"""

from __future__ import annotations

import bisect
import threading
from typing import Final

PHASES: Final = ("validate", "plan", "apply", "persist")
BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class PhaseHistogram:
    """Cumulative-bucket histogram per phase; observed on the event loop, read by the exporter thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = {p: [0] * (len(BUCKETS) + 1) for p in PHASES}
        self._sums = dict.fromkeys(PHASES, 0.0)

    def observe(self, phases: dict[str, float]) -> None:
        """One commit's phase durations in seconds (phases it does not name are not observed)."""
        with self._lock:
            for phase, seconds in phases.items():
                if phase in self._counts:
                    self._counts[phase][bisect.bisect_left(BUCKETS, seconds)] += 1
                    self._sums[phase] += seconds

    def count(self, phase: str) -> int:
        with self._lock:
            return sum(self._counts[phase])

    def snapshot(self) -> list[tuple[str, list[tuple[str, float]], float]]:
        """Per phase: cumulative ``(le, count)`` buckets ending with ``+Inf``, and the sum of seconds."""
        out = []
        with self._lock:
            for phase in PHASES:
                running = 0
                buckets: list[tuple[str, float]] = []
                for bound, c in zip((*[str(b) for b in BUCKETS], "+Inf"), self._counts[phase], strict=True):
                    running += c
                    buckets.append((bound, float(running)))
                out.append((phase, buckets, self._sums[phase]))
        return out
