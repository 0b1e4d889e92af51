"""Errors raised by the datastore layer, each carrying its RFC 6241 error-tag.

They subclass :class:`agent.errors.AgentError`, so NETCONF encodes them as ``rpc-error`` (tag, type,
path, message, info) and gNMI maps the tag to a gRPC status code without knowing which edit raised it.
"""

from __future__ import annotations

from agent.errors import AgentError, ValidationError

__all__ = ["DatastoreError", "EditError", "InUseError", "LockDeniedError", "ValidationError"]


class DatastoreError(AgentError):
    """Base of datastore errors (operation-failed unless a more precise tag applies)."""

    default_tag = "operation-failed"


class EditError(DatastoreError):
    """An edit could not be applied (data-exists, data-missing, unknown-element, bad-element, ...).

    The edit has left no trace: the target datastore is exactly as before (except under
    ``continue-on-error``, where successful parts are kept and the errors come back in
    :attr:`agent.datastore.store.EditResult.errors` instead of being raised).
    """

    default_tag = "operation-failed"


class LockDeniedError(DatastoreError):
    """RFC 6241 7.5: the datastore is locked by another session; ``info['session-id']`` names it.

    A holder id of ``0`` means the lock is held by something other than a NETCONF session (RFC 6241
    says to report 0 then), e.g. an uncommitted candidate of a gNMI or CLI session.
    """

    default_tag = "lock-denied"
    default_type = "protocol"


class InUseError(DatastoreError):
    """The resource is in use (e.g. deleting a datastore another session holds a lock on)."""

    default_tag = "in-use"
    default_type = "protocol"
