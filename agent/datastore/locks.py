"""Global configuration locks per RFC 6241 section 7.5 / 7.6.

A lock belongs to one session; it is released by ``unlock`` or when the session ends. While a datastore is
locked, other sessions may read it but not change it (edits fail with ``in-use``).
"""

from __future__ import annotations

from agent.datastore.errors import DatastoreError, InUseError, LockDeniedError
from agent.datastore.session import Session

LOCKABLE = ("running", "candidate", "startup")


class LockTable:
    """Who holds the lock on each datastore."""

    def __init__(self) -> None:
        self._holders: dict[str, int] = {}

    def holder(self, datastore: str) -> int | None:
        return self._holders.get(datastore)

    def acquire(self, datastore: str, session: Session) -> None:
        _check_lockable(datastore)
        held = self._holders.get(datastore)
        if held is not None:
            who = "this session" if held == session.id else f"session {held}"
            raise LockDeniedError(
                f"{datastore} datastore is already locked by {who}",
                info={"session-id": str(held)},
            )
        self._holders[datastore] = session.id

    def release(self, datastore: str, session: Session) -> None:
        _check_lockable(datastore)
        held = self._holders.get(datastore)
        if held is None:
            raise DatastoreError(f"{datastore} datastore is not locked", error_type="protocol")
        if held != session.id:
            raise DatastoreError(
                f"{datastore} datastore is locked by session {held}, not by this session",
                error_type="protocol",
                info={"session-id": str(held)},
            )
        del self._holders[datastore]

    def release_all(self, session: Session) -> list[str]:
        """Release every lock ``session`` holds; return the datastores it had locked."""
        mine = [ds for ds, sid in self._holders.items() if sid == session.id]
        for ds in mine:
            del self._holders[ds]
        return mine

    def check_writable(self, datastore: str, session: Session) -> None:
        """Raise ``in-use`` if another session holds the lock on ``datastore``."""
        held = self._holders.get(datastore)
        if held is not None and held != session.id:
            raise InUseError(
                f"{datastore} datastore is locked by session {held}",
                info={"session-id": str(held)},
            )


def _check_lockable(datastore: str) -> None:
    if datastore not in LOCKABLE:
        raise DatastoreError(
            f"datastore {datastore!r} cannot be locked", tag="invalid-value", error_type="protocol"
        )
