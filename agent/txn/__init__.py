"""Transactions: the commit pipeline, confirmed commit, checkpoints and rollback (issue #3)."""

from agent.datastore.journal import CommitRecord
from agent.txn.manager import Subscription, TransactionManager
from agent.txn.records import CheckpointInfo, CommitEvent
from agent.txn.southbound import Plan, PlanStep, RecordingSouthbound, Southbound

__all__ = [
    "CheckpointInfo",
    "CommitEvent",
    "CommitRecord",
    "Plan",
    "PlanStep",
    "RecordingSouthbound",
    "Southbound",
    "Subscription",
    "TransactionManager",
]
