"""Undo log for in-place edits, so that a failed edit leaves no trace without copying the datastore.

Copying a 10,000-interface tree costs ~25 ms; an edit that changes one leaf must not pay that. Editors
apply their operations directly to the target tree and record here how to reverse each one: created
nodes by path, deleted subtrees kept unlinked (not freed) with where they were, changed leaf values
with their previous value. :meth:`UndoLog.rollback` replays the log backwards; :meth:`UndoLog.discard`
frees what the log kept once the edit is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

from _libyang import lib

from agent.datastore import _ly
from agent.datastore.tree import NULL, Cdata, DataTree, find_path, node_path, parent_of


@dataclass
class _Created:
    path: str


@dataclass
class _Deleted:
    node: Cdata  # unlinked subtree, owned by the log until rollback or discard
    parent_path: str | None
    prev_path: str | None  # previous sibling of the same schema node (user-ordered lists)


@dataclass
class _Value:
    path: str
    old: str
    was_default: bool


@dataclass
class _Moved:
    path: str
    prev_path: str | None  # previous instance of the same list / leaf-list before the move


_Entry = _Created | _Deleted | _Value | _Moved


class UndoLog:
    """Reverse operations for one edit, newest last."""

    def __init__(self) -> None:
        self._entries: list[_Entry] = []

    def __len__(self) -> int:
        return len(self._entries)

    def created(self, node: Cdata) -> None:
        self._entries.append(_Created(node_path(node)))

    def value_changed(self, path: str, old: str, was_default: bool) -> None:
        self._entries.append(_Value(path, old, was_default))

    def moving(self, node: Cdata) -> None:
        """``node`` (ordered-by-user) is about to be moved; remember where it was."""
        prev = node.prev
        same = prev != node and prev.next != NULL and prev.schema == node.schema
        self._entries.append(_Moved(node_path(node), node_path(prev) if same else None))

    def delete(self, tree: DataTree, node: Cdata) -> None:
        """Unlink ``node`` from ``tree`` and remember it (this *is* the delete operation)."""
        par = parent_of(node)
        prev = node.prev
        same_schema_prev = (
            prev if (prev != node and prev.next != NULL and prev.schema == node.schema) else NULL
        )
        entry = _Deleted(
            node=NULL,
            parent_path=node_path(par) if par != NULL else None,
            prev_path=node_path(same_schema_prev) if same_schema_prev != NULL else None,
        )
        tree.unlink_node(node)
        entry.node = node
        self._entries.append(entry)

    def rollback(self, tree: DataTree) -> None:
        """Undo every recorded operation, newest first."""
        while self._entries:
            e = self._entries.pop()
            if isinstance(e, _Created):
                node = find_path(tree.root, e.path)
                if node != NULL:
                    tree.free_node(node)
            elif isinstance(e, _Moved):
                _move_back(tree, e)
            elif isinstance(e, _Value):
                node = find_path(tree.root, e.path)
                if node != NULL:
                    _ly.change_term(node, e.old)
                    if e.was_default:
                        node.flags |= lib.LYD_DEFAULT
            else:
                _reinsert(tree, e)

    def discard(self) -> None:
        """The edit stands: free the deleted subtrees the log was keeping."""
        for e in self._entries:
            if isinstance(e, _Deleted) and e.node != NULL:
                lib.lyd_free_tree(e.node)
        self._entries.clear()


def _reinsert(tree: DataTree, e: _Deleted) -> None:
    if e.prev_path is not None:
        prev = find_path(tree.root, e.prev_path)
        if prev != NULL and _ly.insert_after(prev, e.node) == 0:
            return
    if e.parent_path is None:
        tree.insert_top(e.node)
        return
    parent = find_path(tree.root, e.parent_path)
    if parent == NULL:  # cannot happen when entries are replayed in reverse; never leak the subtree
        lib.lyd_free_tree(e.node)
        return
    first_same = _first_instance(parent, e.node)
    if first_same != NULL and e.node.schema.flags & lib.LYS_ORDBY_USER:
        _ly.insert_before(first_same, e.node)
    else:
        lib.lyd_insert_child(parent, e.node)


def _move_back(tree: DataTree, e: _Moved) -> None:
    node = find_path(tree.root, e.path)
    if node == NULL:
        return
    if e.prev_path is not None:
        prev = find_path(tree.root, e.prev_path)
        if prev != NULL and prev != node:
            _ly.insert_after(prev, node)
        return
    par = parent_of(node)
    first = _first_instance(par, node) if par != NULL else NULL
    if first != NULL and first != node:
        _ly.insert_before(first, node)


def _first_instance(parent: Cdata, like: Cdata) -> Cdata:
    c = lib.lyd_child(parent)
    while c != NULL:
        if c.schema == like.schema:
            return c
        c = c.next
    return NULL
