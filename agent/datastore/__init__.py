"""Datastore layer: NMDA datastores as libyang trees, edits, reads, diff, validation, locks.

The public entry points are re-exported here; see :mod:`agent.datastore.store` for how trees are held.
"""

from agent.datastore.changes import Change
from agent.datastore.diff import apply_changes, diff_trees
from agent.datastore.errors import DatastoreError, EditError, InUseError, LockDeniedError
from agent.datastore.session import SYSTEM_SESSION, Session, new_session_id
from agent.datastore.store import Datastores, EditResult, PreparedCommit, RunningEdit, RunningView
from agent.datastore.tree import DataTree

__all__ = [
    "SYSTEM_SESSION",
    "Change",
    "DataTree",
    "DatastoreError",
    "Datastores",
    "EditError",
    "EditResult",
    "InUseError",
    "LockDeniedError",
    "PreparedCommit",
    "RunningEdit",
    "RunningView",
    "Session",
    "apply_changes",
    "diff_trees",
    "new_session_id",
]
