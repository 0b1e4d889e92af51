"""A token bucket per access port for punted control traffic.

Why: a subscriber (or a loop on an access node) can flood DHCP DISCOVERs or PADIs; VPP punts every one of
them. The bucket caps what one port may hand the agent, so a flood on one port costs that port's
subscribers their set-ups, not every port's, and the agent's CPU stays bounded. Frames over the rate are
dropped before any queueing and counted (``rate-limited``).
"""

from __future__ import annotations


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up; one token per frame."""

    __slots__ = ("_last", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.rate = float(rate)
        self.burst = float(burst)
        self._tokens = float(burst)
        self._last = now

    def take(self, now: float) -> bool:
        """Spend one token if there is one (refilling for the time since the last call first)."""
        tokens = self._tokens + (now - self._last) * self.rate
        self._last = now
        if tokens > self.burst:
            tokens = self.burst
        if tokens >= 1.0:
            self._tokens = tokens - 1.0
            return True
        self._tokens = tokens
        return False
