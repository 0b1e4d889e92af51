"""Data trees leaf by leaf, with the schema facts a protocol encoder needs (base type, key, config).

The gNMI encoder turns committed or operational trees into updates; it must not reach into libyang's C
structures itself (the raw binding stays in ``agent/model`` and ``agent/datastore``). This module walks a
tree in C-struct form and builds each path from its parent's (no ``lyd_path`` call per leaf), caching
per-schema-node facts by schema address, and hands out plain Python values: :class:`Leaf` records, the
leaf's text and its :class:`Base` type.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from _libyang import ffi, lib

from agent.datastore.tree import NULL, Cdata, node_path, print_node
from agent.model.schema import BASE_OF, Base


@dataclass(slots=True)
class SchemaInfo:
    name: str
    module: str
    term: bool  # a leaf or leaf-list
    leaflist: bool
    is_list: bool
    state: bool  # config false
    key: bool  # a list key


_SCHEMA: dict[int, SchemaInfo] = {}


def node_info(node: Cdata) -> SchemaInfo:
    """Schema facts of a data node (cached per schema node)."""
    schema = node.schema
    addr = int(ffi.cast("uintptr_t", schema))
    info = _SCHEMA.get(addr)
    if info is None:
        nodetype = schema.nodetype
        info = SchemaInfo(
            name=ffi.string(schema.name).decode(),
            module=ffi.string(schema.module.name).decode(),
            term=bool(nodetype & (lib.LYS_LEAF | lib.LYS_LEAFLIST)),
            leaflist=bool(nodetype & lib.LYS_LEAFLIST),
            is_list=bool(nodetype & lib.LYS_LIST),
            state=bool(schema.flags & lib.LYS_CONFIG_R),
            key=bool(schema.flags & lib.LYS_KEY),
        )
        _SCHEMA[addr] = info
    return info


def leaf_text(node: Cdata) -> str:
    """The canonical text of a leaf / leaf-list node's value."""
    return ffi.string(lib.lyd_get_value(node)).decode()  # type: ignore[no-any-return]


def leaf_base(node: Cdata) -> Base:
    """The base type of a leaf / leaf-list node's value (of the resolved type, for unions)."""
    return BASE_OF.get(ffi.cast("struct lyd_node_term *", node).value.realtype.basetype, Base.STRING)


def leaf_value(node: Cdata) -> Any:
    """The JSON-IETF (RFC 7951) value of a leaf / leaf-list node."""
    text = leaf_text(node)
    base = leaf_base(node)
    if base is Base.INT or base is Base.UINT:
        return int(text)
    if base is Base.BOOL:
        return text == "true"
    if base is Base.EMPTY:
        return [None]
    return text  # 64-bit numbers and decimal64 are strings in RFC 7951, like every other type


def _quote(value: str) -> str:
    return f"'{value}'" if "'" not in value else f'"{value}"'


def _segment(node: Cdata, info: SchemaInfo, parent_module: str | None) -> str:
    seg = info.name if info.module == parent_module else f"{info.module}:{info.name}"
    if info.is_list:
        child = lib.lyd_child(node)
        while child != NULL:
            cinfo = node_info(child)
            if not cinfo.key:
                break
            seg += f"[{cinfo.name}={_quote(leaf_text(child))}]"
            child = child.next
    return seg


@dataclass(slots=True)
class Leaf:
    """One leaf (or a whole leaf-list) found under a selected node."""

    parent: str  # data path of the parent node
    name: str  # the leaf's path segment relative to the parent (module-qualified if it changes)
    nodes: list[Cdata]  # one node, or every entry of a leaf-list

    @property
    def path(self) -> str:
        return f"{self.parent}/{self.name}"

    @property
    def single(self) -> bool:
        """A leaf (one value), not a leaf-list."""
        return len(self.nodes) == 1 and not node_info(self.nodes[0]).leaflist

    def json_value(self) -> Any:
        if self.single:
            return leaf_value(self.nodes[0])
        return [leaf_value(n) for n in self.nodes]


def iter_leaves(node: Cdata, *, state_only: bool = False, config_only: bool = False) -> Iterator[Leaf]:
    """Every leaf at or below ``node`` (a leaf-list as one :class:`Leaf`), in document order."""
    info = node_info(node)
    path = node_path(node)
    if info.term:
        cut = path.rfind("/")
        parent, seg = path[:cut], path[cut + 1 :]
        if "[" in seg and info.leaflist:
            seg = seg.split("[", 1)[0]
        if _wanted(info, state_only, config_only):
            yield Leaf(parent, seg, [node])
        return
    stack: list[tuple[Cdata, str, str]] = [(node, path, info.module)]
    while stack:
        parent, ppath, pmodule = stack.pop()
        child = lib.lyd_child(parent)
        inner: list[tuple[Cdata, str, str]] = []
        pending: Leaf | None = None
        while child != NULL:
            cinfo = node_info(child)
            if cinfo.term:
                if not _wanted(cinfo, state_only, config_only):
                    child = child.next
                    continue
                seg = cinfo.name if cinfo.module == pmodule else f"{cinfo.module}:{cinfo.name}"
                if cinfo.leaflist and pending is not None and pending.name == seg:
                    pending.nodes.append(child)
                else:
                    if pending is not None:
                        yield pending
                    pending = Leaf(ppath, seg, [child])
            else:
                inner.append((child, f"{ppath}/{_segment(child, cinfo, pmodule)}", cinfo.module))
            child = child.next
        if pending is not None:
            yield pending
        stack.extend(reversed(inner))


def _wanted(info: SchemaInfo, state_only: bool, config_only: bool) -> bool:
    if state_only and not info.state:
        return info.key  # keys name the entry; they stay with the state leaves
    return not (config_only and info.state)


def subtree_json(node: Cdata) -> Any:
    """The JSON-IETF value of ``node``: a scalar for a leaf, the content object otherwise."""
    info = node_info(node)
    if info.term and not info.leaflist:
        return leaf_value(node)
    obj = json.loads(print_node(node, "json", with_defaults="explicit") or "{}")
    if not obj:
        return {}
    (val,) = obj.values()
    if isinstance(val, list) and info.is_list:
        return val[0] if val else {}
    return val
