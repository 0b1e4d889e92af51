"""Reads with filters (being written)."""

from __future__ import annotations

import libyang
from lxml import etree

from agent.datastore.tree import DataTree


def select(
    ctx: libyang.Context,
    source: DataTree,
    *,
    xpath: str | None,
    subtree: etree._Element | None,
    config_only: bool,
) -> DataTree:
    if xpath is None and subtree is None:
        return source.dup()
    raise NotImplementedError


def filter_roots(xpath: str | None, subtree: etree._Element | None) -> list[str] | None:
    return None
