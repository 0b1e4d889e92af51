"""Errors of the southbound layer, each an :class:`~agent.errors.AgentError` a protocol server can encode."""

from __future__ import annotations

from agent.errors import AgentError


class VppError(AgentError):
    """Base of every southbound failure."""

    default_tag = "operation-failed"


class VppConnectError(VppError):
    """The API socket could not be reached, or the connection was lost while a call was pending."""


class VppTimeoutError(VppConnectError):
    """VPP did not answer within the call timeout; the connection is treated as dead."""


class ApiMismatchError(VppError):
    """The VPP the agent connected to does not speak the message versions the agent was written for.

    Raised at connect time with one line per message that is missing or has another CRC, so an operator
    sees at once that the agent and VPP come from different releases instead of a half-working node.
    """


class StepFailedError(VppError):
    """VPP refused one step of a plan (non-zero ``retval``); the steps already applied were undone."""


class RevertFailedError(VppError):
    """A step failed and undoing the steps before it failed too: VPP now differs from running.

    The southbound marks itself out of sync and the next reconcile repairs VPP from running config.
    """

    default_tag = "rollback-failed"
