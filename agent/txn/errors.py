"""Errors of the transaction layer, each with the RFC 6241 error-tag a protocol server reports."""

from __future__ import annotations

from agent.errors import AgentError


class TransactionError(AgentError):
    """A commit, rollback or confirmed-commit operation was refused or failed with no side effect."""

    default_tag = "operation-failed"


class ConfirmedCommitError(TransactionError):
    """A commit / cancel-commit does not fit the pending confirmed commit (RFC 6241 8.4)."""

    default_tag = "operation-failed"


class RollbackFailedError(TransactionError):
    """Undoing a partly done transaction failed; the agent refuses further commits until restarted."""

    default_tag = "rollback-failed"
