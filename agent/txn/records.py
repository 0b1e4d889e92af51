"""What the transaction layer reports about commits: records, checkpoints and change events.

:class:`CommitRecord` itself lives in :mod:`agent.datastore.journal` (the journal persists it and sits
below this layer); it is re-exported here because callers think of it as a transaction result.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.datastore import unapplied
from agent.datastore.changes import Change
from agent.datastore.journal import CommitRecord
from agent.errors import ErrorDetail

__all__ = ["CheckpointInfo", "CommitEvent", "CommitRecord", "commit_warnings", "not_applied"]

# A commit is cut short at this many warnings: a bulk commit can set QoS on 10,000 interfaces, and a
# reply with one warning per interface would bury the point (the operational list has the counts).
MAX_WARNINGS = 20


def not_applied(changes: list[Change]) -> list[dict[str, str]]:
    """What of ``changes`` the agent stores without applying it, for the commit record."""
    return [
        {"path": hit.path, "feature": hit.entry.feature, "reason": hit.entry.reason}
        for hit in unapplied.touched(changes)
    ]


def commit_warnings(record: CommitRecord | None) -> list[ErrorDetail]:
    """The warnings a protocol reply carries for a commit that succeeded (RFC 6241 ``rpc-error`` with
    ``error-severity`` warning; a gNMI Set response extension)."""
    if record is None or not record.not_applied:
        return []
    out = [
        ErrorDetail(
            tag="operation-not-supported",
            message=w["reason"],
            path=w["path"],
            severity="warning",
            app_tag="not-applied",
        )
        for w in record.not_applied[:MAX_WARNINGS]
    ]
    rest = len(record.not_applied) - MAX_WARNINGS
    if rest > 0:
        out.append(
            ErrorDetail(
                tag="operation-not-supported",
                message=f"and {rest} more places stored but not applied (see agent-state/not-applied)",
                severity="warning",
                app_tag="not-applied",
            )
        )
    return out


@dataclass(frozen=True)
class CheckpointInfo:
    """One configuration the agent can roll back to: the running config right after commit ``id``."""

    id: int
    time: float
    user: str
    origin: str
    comment: str | None
    kind: str
    change_count: int
    confirmed: bool = False  # recorded while a confirmed commit was waiting for confirmation
    rollback_to: int | None = None  # for kind rollback / revert: the checkpoint returned to

    @classmethod
    def of(cls, record: CommitRecord) -> CheckpointInfo:
        return cls(
            id=record.id,
            time=record.time,
            user=record.user,
            origin=record.origin,
            comment=record.comment,
            kind=record.kind,
            change_count=record.change_count,
            confirmed=record.confirmed,
            rollback_to=record.rollback_to,
        )


@dataclass(frozen=True)
class CommitEvent:
    """Published after a commit is durable (ON_CHANGE telemetry, netconf-config-change, audit)."""

    record: CommitRecord
    changes: list[Change]
