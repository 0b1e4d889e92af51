"""What the transaction layer reports about commits: records, checkpoints and change events.

:class:`CommitRecord` itself lives in :mod:`agent.datastore.journal` (the journal persists it and sits
below this layer); it is re-exported here because callers think of it as a transaction result.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.datastore.changes import Change
from agent.datastore.journal import CommitRecord

__all__ = ["CheckpointInfo", "CommitEvent", "CommitRecord"]


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
