"""The NAT feature's configuration errors (found while planning a commit, before any VPP call)."""

from __future__ import annotations

from agent.errors import AgentError


class NatConfigError(AgentError):
    """NAT configuration VPP cannot hold as a whole (overlapping pools, conflicting global settings).

    Raised while the commit is planned, after YANG validation and before anything is sent to VPP, so a
    rejected commit changes nothing; NETCONF reports ``invalid-value`` with the offending node's path."""

    default_tag = "invalid-value"
