"""RFC 6241 edit-config on a libyang tree (being written)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libyang
from lxml import etree

from agent.datastore.errors import EditError
from agent.datastore.tree import DataTree
from agent.datastore.undo import UndoLog
from agent.errors import ErrorDetail


@dataclass
class EditOutcome:
    touched: set[str] = field(default_factory=set)
    undo: UndoLog = field(default_factory=UndoLog)
    errors: list[ErrorDetail] = field(default_factory=list)
    fatal: bool = False
    changed: bool = False

    def error(self) -> EditError:
        first = self.errors[0]
        return EditError(first.message, tag=first.tag, path=first.path, details=list(self.errors))


def parse_config_element(config: etree._Element) -> list[etree._Element]:
    raise NotImplementedError


def apply_xml_edit(
    ctx: libyang.Context,
    tree: DataTree,
    elems: list[etree._Element],
    *,
    default_operation: str,
    error_option: str,
) -> EditOutcome:
    raise NotImplementedError


_ = Any
