"""The change record every layer above the datastore speaks.

A committed edit is described as an ordered list of :class:`Change` records. The datastore produces
them from what an edit touched (not from a whole-tree diff), the journal persists them, the planner
turns them into VPP calls, ON_CHANGE telemetry and NETCONF ``netconf-config-change`` notifications
publish them. Keeping one small, serialisable shape avoids each consumer re-reading libyang trees.

Granularity: a created or deleted container / list entry is ONE change whose value is the whole
subtree in JSON-IETF (RFC 7951) form, exactly as libyang prints that node's content; a modified leaf
(or leaf-list as a whole) is one change with scalar old and new values. Paths are libyang data paths
with keys, module-qualified at the top: ``/ietf-interfaces:interfaces/interface[name='eth0.100']``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

Op = Literal["create", "modify", "delete"]
JSONValue = Any  # a JSON-IETF value: dict for containers/list entries, scalar or list for leaves


@dataclass(frozen=True)
class Change:
    """One node created, modified or deleted by a commit."""

    op: Op
    path: str
    old: JSONValue = None
    new: JSONValue = None

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op, "path": self.path, "old": self.old, "new": self.new}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Change:
        op = obj["op"]
        if op not in ("create", "modify", "delete"):
            raise ValueError(f"bad change op {op!r}")
        return cls(op=op, path=str(obj["path"]), old=obj.get("old"), new=obj.get("new"))

    def inverse(self) -> Change:
        """The change that undoes this one (used by rollback and by the journal's reverse replay)."""
        inverse_op: dict[str, Op] = {"create": "delete", "delete": "create", "modify": "modify"}
        return Change(op=inverse_op[self.op], path=self.path, old=self.new, new=self.old)


def dumps_changes(changes: list[Change]) -> str:
    return json.dumps([c.to_json() for c in changes], separators=(",", ":"))


def loads_changes(text: str) -> list[Change]:
    return [Change.from_json(o) for o in json.loads(text)]
