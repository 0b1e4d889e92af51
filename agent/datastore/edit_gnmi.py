"""gNMI-style edits (being written)."""

from __future__ import annotations

import libyang

from agent.datastore.changes import JSONValue
from agent.datastore.edit_xml import EditOutcome
from agent.datastore.tree import DataTree


def apply_gnmi_edit(
    ctx: libyang.Context,
    tree: DataTree,
    *,
    deletes: list[str],
    replaces: list[tuple[str, JSONValue]],
    updates: list[tuple[str, JSONValue]],
) -> EditOutcome:
    raise NotImplementedError
