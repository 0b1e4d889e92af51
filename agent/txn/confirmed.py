"""Who may follow up, confirm or cancel a pending confirmed commit (RFC 6241 8.4, :confirmed-commit:1.1).

Rules implemented (RFC 6241 8.4.1, 8.4.4.1, 8.4.5.1):

* Without ``persist`` the confirmed commit belongs to its session: only that session may issue a
  follow-up confirmed commit, the confirming commit or ``<cancel-commit>``; if the session ends first the
  configuration is rolled back.
* With ``persist`` the commit survives its session; follow-ups, the confirming commit and
  ``<cancel-commit>`` may come from any session but must carry ``persist-id`` equal to the token.
* A follow-up confirmed commit resets the timeout and may set a new token; the configuration to return
  to stays the one from before the *first* confirmed commit.
* ``persist-id`` with no matching pending commit is ``invalid-value``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from agent.datastore.session import Session
from agent.txn.errors import ConfirmedCommitError


@dataclass
class PendingConfirmed:
    """A confirmed commit waiting for its confirming commit."""

    base_id: int  # commit id whose configuration a rollback returns to
    session_id: int
    persist: str | None
    deadline: float  # loop.time() at which the rollback fires
    timer: asyncio.TimerHandle | None = None

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


def check_may_act(
    pending: PendingConfirmed | None, session: Session, persist_id: str | None, what: str
) -> None:
    """Raise unless ``session`` (with ``persist_id``) may follow up, confirm or cancel ``pending``."""
    if pending is None:
        if persist_id is not None:
            raise ConfirmedCommitError(
                f"{what}: persist-id given but no confirmed commit is pending",
                tag="invalid-value",
                error_type="protocol",
            )
        return
    if pending.persist is not None:
        if persist_id is None:
            raise ConfirmedCommitError(
                f"{what}: a persistent confirmed commit is pending; persist-id is required",
                tag="missing-element",
                error_type="protocol",
                info={"bad-element": "persist-id"},
            )
        if persist_id != pending.persist:
            raise ConfirmedCommitError(
                f"{what}: persist-id does not match the pending confirmed commit",
                tag="invalid-value",
                error_type="protocol",
                info={"bad-element": "persist-id"},
            )
        return
    if persist_id is not None:
        raise ConfirmedCommitError(
            f"{what}: the pending confirmed commit was not given a persist token",
            tag="invalid-value",
            error_type="protocol",
            info={"bad-element": "persist-id"},
        )
    if session.id != pending.session_id:
        raise ConfirmedCommitError(
            f"{what}: a confirmed commit of session {pending.session_id} is pending",
            tag="in-use",
            error_type="protocol",
            info={"session-id": str(pending.session_id)},
        )
