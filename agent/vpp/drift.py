"""What a drift repair or report says, and the rate-limited WARNING log every repaired item goes to.

Drift is VPP differing from what the agent applied, through no commit of the agent's: an operator's
``delete_subif`` or ``set interface state ... down``, a script, a VPP restart. It is found three ways
(``source``): a VPP interface event on a managed interface (:mod:`agent.vpp.events`), the periodic audit
(:mod:`agent.vpp.audit`), or a reconcile after a reconnect (:meth:`VppSouthbound.reconcile`). Each
finding becomes one :class:`DriftRecord`, which the southbound hands to its observers (telemetry turns it
into the ``bng-agent:vpp-drift`` notification) and whose items are logged at WARNING, one line each, at
most :data:`LOG_BURST` lines per :data:`LOG_PERIOD` seconds (a VPP restart under 10,000 sub-interfaces
must not write 70,000 lines), with one line saying how many were left out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("agent.vpp.drift")

#: Items a record carries by name (the count is always exact).
MAX_ITEMS = 100
LOG_BURST = 200
LOG_PERIOD = 60.0


@dataclass(frozen=True)
class DriftItem:
    operation: str  # the repair: create | update | delete
    key: str  # the item key, e.g. interface/GigabitEthernet0/8/0.100
    detail: str = ""  # the VPP call of the repair


@dataclass(frozen=True)
class DriftRecord:
    """One finding: ``action`` is ``repaired``, ``reported`` (repair turned off) or ``repair-failed``."""

    source: str  # event | audit | reconcile
    action: str
    items: tuple[DriftItem, ...]
    total: int
    error: str = ""
    time: float = field(default_factory=time.time)


def drift_record(source: str, action: str, steps: Iterable[Any], *, error: str = "") -> DriftRecord:
    """A record from planner steps (anything with ``op``, ``key`` and ``describe()``); logs each item."""
    items: list[DriftItem] = []
    total = 0
    for s in steps:
        total += 1
        if len(items) < MAX_ITEMS:
            items.append(DriftItem(s.op, s.key, s.describe()))
        LIMITER.warning(source, action, s.op, s.key, s.describe())
    if error:
        log.warning("vpp drift source=%s action=%s items=%d error=%s", source, action, total, error)
    LIMITER.flush()
    return DriftRecord(source, action, tuple(items), total, error)


class RateLimitedLog:
    """At most ``burst`` WARNING lines per ``period``; what is left out is counted and said once."""

    def __init__(self, burst: int = LOG_BURST, period: float = LOG_PERIOD) -> None:
        self.burst = burst
        self.period = period
        self._window = 0.0
        self._used = 0
        self._dropped = 0

    def _allow(self) -> bool:
        now = time.monotonic()
        if now - self._window >= self.period:
            self.flush()
            self._window, self._used = now, 0
        if self._used < self.burst:
            self._used += 1
            return True
        self._dropped += 1
        return False

    def warning(self, source: str, action: str, op: str, key: str, detail: str) -> None:
        if self._allow():
            log.warning("vpp drift source=%s action=%s %s %s: %s", source, action, op, key, detail)

    def flush(self) -> None:
        """Say how many lines the limit left out (once, then count again)."""
        if self._dropped:
            log.warning(
                "vpp drift: %d more item line(s) not logged (at most %d per %.0f s)",
                self._dropped,
                self.burst,
                self.period,
            )
            self._dropped = 0


LIMITER = RateLimitedLog()
