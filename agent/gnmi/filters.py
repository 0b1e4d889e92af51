"""Request-level filters shared by Get and Subscribe: ``use_models`` (spec 2.6) and the Depth extension.

* ``use_models``: data tree elements defined in modules outside the client's set MUST NOT be used. Data
  paths name their module exactly where it changes (RFC 7951, libyang), so a node belongs to a module
  outside the set exactly when one of its path elements (or, in a JSON-IETF value, one of its member
  names) is qualified with such a module. Identity values of modules outside the set are not removed
  from leaf values (documented limit).
* Depth (gnmi-depth.md, ``gnmi_ext.Depth.level``): level 0 means no limit; level N returns the leaves
  and leaf-lists of the addressed node and of the nodes up to N-1 levels below it.

Kept free of the generated protobuf modules so that the logic is testable anywhere.
"""

from __future__ import annotations

from typing import Any

from agent.gnmi.datapath import split_data_path


class ModelFilter:
    """Which data paths lie within a set of YANG modules."""

    def __init__(self, modules: frozenset[str]) -> None:
        self.modules = modules
        self._ok: dict[str, bool] = {}

    def path_ok(self, data_path: str) -> bool:
        hit = self._ok.get(data_path)
        if hit is None:
            if len(self._ok) > 200_000:
                self._ok.clear()
            elems = split_data_path(data_path)
            mods = {n.partition(":")[0] for n, _k in elems if ":" in n}
            hit = self._ok[data_path] = mods <= self.modules
        return hit

    def leaf_ok(self, parent: str, name: str) -> bool:
        if ":" in name and name.partition(":")[0] not in self.modules:
            return False
        return self.path_ok(parent) if parent else True

    def prune(self, value: Any) -> Any:
        """A JSON-IETF value without the members of modules outside the set."""
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                mod = k.lstrip("@").partition(":")[0] if ":" in k else None
                if mod is not None and mod not in self.modules:
                    continue
                out[k] = self.prune(v)
            return out
        if isinstance(value, list):
            return [self.prune(v) for v in value]
        return value


def _is_inner(value: Any) -> bool:
    """A container (object) or a list (array of objects), as opposed to a leaf or leaf-list value."""
    return isinstance(value, dict) or (isinstance(value, list) and bool(value) and isinstance(value[0], dict))


def limit_depth(value: Any, level: int) -> Any:
    """The members of a container / list entry (``value``) down to ``level`` levels (0: unlimited)."""
    if level <= 0 or not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for k, v in value.items():
        if not _is_inner(v):
            out[k] = v
        elif level > 1:
            if isinstance(v, dict):
                out[k] = limit_depth(v, level - 1)
            else:
                out[k] = [limit_depth(e, level - 1) for e in v]
    return out


def elem_count(data_path: str) -> int:
    return len(split_data_path(data_path)) if data_path else 0


def within_depth(leaf_parent: str, base_elems: int, level: int) -> bool:
    """Is a leaf whose parent is ``leaf_parent`` within ``level`` levels of a node of ``base_elems``
    path elements? (A leaf of the addressed node itself is at level 1.)"""
    return level <= 0 or elem_count(leaf_parent) - base_elems < level
