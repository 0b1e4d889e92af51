"""Errors the emulator's stats segment raises; they join the project's single exception tree."""

from __future__ import annotations

from agent.errors import AgentError


class StatsSegmentError(AgentError):
    """A stats-segment request the emulator cannot honour (unknown counter, bad index, closed segment)."""

    default_tag = "invalid-value"


class StatsSegmentFullError(StatsSegmentError):
    """The segment's fixed-size memfd has no room left (VPP: ``statseg { size ... }`` too small)."""

    default_tag = "resource-denied"
