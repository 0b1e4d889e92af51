"""Errors of the AAA service (one tree under :class:`agent.errors.AgentError`)."""

from __future__ import annotations

from agent.errors import AgentError


class AaaError(AgentError):
    """Something in RADIUS AAA went wrong."""


class AaaConfigError(AaaError):
    """The bng-aaa configuration cannot be used (an unknown server, an unreadable dictionary)."""


class NoServerAvailable(AaaError):
    """Every server of a function is dead or did not answer within its timeouts and retransmits."""
