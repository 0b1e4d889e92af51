"""Log lines about subscriber traffic at a bounded rate: a DISCOVER flood must not become a log flood.

Per reason, at most ``burst`` lines per ``period``; what is left out is counted and reported in one line
when the next window opens. The counters (Prometheus) carry the full numbers; the log shows examples.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class RateLimitedLog:
    def __init__(
        self,
        logger: logging.Logger,
        burst: int = 10,
        period: float = 10.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = logger
        self.burst = burst
        self.period = period
        self.clock = clock
        self._window: dict[str, float] = {}
        self._used: dict[str, int] = {}
        self.suppressed: dict[str, int] = {}

    def warning(self, reason: str, fmt: str, *args: object) -> bool:
        """Log ``fmt % args`` unless ``reason`` used its lines in this window; True when logged."""
        now = self.clock()
        start = self._window.get(reason)
        if start is None or now - start >= self.period:
            left_out = self.suppressed.pop(reason, 0)
            if left_out:
                self.log.warning(
                    "dhcp4 reason=%s: %d more line(s) not logged in the last %.0f s",
                    reason,
                    left_out,
                    self.period,
                )
            self._window[reason], self._used[reason] = now, 0
        if self._used[reason] < self.burst:
            self._used[reason] += 1
            self.log.warning(fmt, *args)
            return True
        self.suppressed[reason] = self.suppressed.get(reason, 0) + 1
        return False
