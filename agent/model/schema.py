"""Schema questions the protocol servers ask, answered from the libyang context.

The northbound (``agent/netconf``, ``agent/gnmi``) must not reach into libyang's C structures: the raw
cffi binding stays inside ``agent/model`` and ``agent/datastore``. What the servers need from the schema
(which module owns a namespace, which parameters an RPC takes, a module's organization) is answered here
in plain Python types.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import libyang
from _libyang import ffi, lib


class Base(enum.IntEnum):
    """The YANG base type of a leaf's value, as far as an encoder cares."""

    STRING = 0  # and every other type (RFC 7951 prints them as strings), unions included
    INT = 1  # int8..int32
    UINT = 2  # uint8..uint32
    INT64 = 3
    UINT64 = 4
    BOOL = 5
    DEC64 = 6
    EMPTY = 7


#: libyang's LY_TYPE_* -> :class:`Base`
BASE_OF: dict[int, Base] = {
    lib.LY_TYPE_INT8: Base.INT,
    lib.LY_TYPE_INT16: Base.INT,
    lib.LY_TYPE_INT32: Base.INT,
    lib.LY_TYPE_UINT8: Base.UINT,
    lib.LY_TYPE_UINT16: Base.UINT,
    lib.LY_TYPE_UINT32: Base.UINT,
    lib.LY_TYPE_INT64: Base.INT64,
    lib.LY_TYPE_UINT64: Base.UINT64,
    lib.LY_TYPE_BOOL: Base.BOOL,
    lib.LY_TYPE_DEC64: Base.DEC64,
    lib.LY_TYPE_EMPTY: Base.EMPTY,
}


@dataclass(frozen=True, slots=True)
class SchemaMeta:
    """What an encoder needs of a schema node: a leaf's declared base type (STRING for anything that is
    not a leaf, and for unions), whether it is a leaf-list, a list's keys, config true or false."""

    base: Base
    leaflist: bool
    keys: tuple[str, ...]
    config: bool


def schema_meta(ctx: libyang.Context, schema_path: str) -> SchemaMeta | None:
    """:class:`SchemaMeta` of the schema node at ``schema_path`` (None: no such node)."""
    snode = lib.lys_find_path(ctx.cdata, ffi.NULL, schema_path.encode(), 0)
    if snode == ffi.NULL:
        lib.ly_err_clean(ctx.cdata, ffi.NULL)
        return None
    nodetype = snode.nodetype
    config = not snode.flags & lib.LYS_CONFIG_R
    if nodetype & (lib.LYS_LEAF | lib.LYS_LEAFLIST):
        base = BASE_OF.get(ffi.cast("struct lysc_node_leaf *", snode).type.basetype, Base.STRING)
        return SchemaMeta(base, bool(nodetype & lib.LYS_LEAFLIST), (), config)
    keys = []
    if nodetype & lib.LYS_LIST:
        child = lib.lys_getnext(ffi.NULL, snode, ffi.NULL, 0)
        while child != ffi.NULL and child.flags & lib.LYS_KEY:
            keys.append(ffi.string(child.name).decode())
            child = lib.lys_getnext(child, snode, ffi.NULL, 0)
    return SchemaMeta(Base.STRING, False, tuple(keys), config)


def namespace_modules(ctx: libyang.Context) -> dict[str, str]:
    """namespace URI -> module name for every module in the context."""
    return {ffi.string(m.cdata.ns).decode(): m.name() for m in ctx}


def rpc_input_nodes(ctx: libyang.Context, module: str | None, name: str) -> frozenset[tuple[str, str]] | None:
    """(namespace, name) of every node an RPC's input may hold at its top (choices and cases flattened);
    ``None`` when the context has no such RPC."""
    if module is None:
        return None
    try:
        rpc = next(ctx.find_path(f"/{module}:{name}"), None)
    except libyang.LibyangError:
        return None
    if rpc is None or not isinstance(rpc, libyang.SRpc):
        return None
    inp = rpc.input()
    if inp is None:
        return frozenset()
    parent = inp.cdata
    out: set[tuple[str, str]] = set()
    node = lib.lys_getnext(ffi.NULL, parent, ffi.NULL, 0)
    while node != ffi.NULL:
        out.add((ffi.string(node.module.ns).decode(), ffi.string(node.name).decode()))
        node = lib.lys_getnext(node, parent, ffi.NULL, 0)
    return frozenset(out)


def module_organization(ctx: libyang.Context, name: str) -> str:
    """A module's ``organization`` statement, whitespace collapsed ("" when it has none)."""
    org = ctx.get_module(name).cdata.org
    return " ".join(ffi.string(org).decode().split()) if org != ffi.NULL else ""


def _selected_schema_nodes(ctx: libyang.Context, xpath: str) -> list[Any] | None:
    """The schema nodes ``xpath`` selects, or None when libyang cannot resolve it."""
    out = ffi.new("struct ly_set **")
    if lib.lys_find_xpath(ctx.cdata, ffi.NULL, xpath.encode(), 0, out) != lib.LY_SUCCESS:
        lib.ly_err_clean(ctx.cdata, ffi.NULL)
        return None
    try:
        s = out[0]
        return [s.snodes[i] for i in range(s.count)]
    finally:
        lib.ly_set_free(out[0], ffi.NULL)


def _schema_subtree(nodes: list[Any], *, skip_state: bool = False) -> Iterator[Any]:
    """``nodes`` and everything below them (at most 100,000 nodes); with ``skip_state`` a config-false
    node is yielded but its descendants (all state) are not visited."""
    stack = list(nodes)
    seen = 0
    while stack and seen < 100_000:
        node = stack.pop()
        seen += 1
        yield node
        if skip_state and node.flags & lib.LYS_CONFIG_R:
            continue
        child = lib.lys_getnext(ffi.NULL, node, ffi.NULL, 0)
        while child != ffi.NULL:
            stack.append(child)
            child = lib.lys_getnext(child, node, ffi.NULL, 0)


def schema_holds_state(ctx: libyang.Context, xpath: str) -> bool:
    """Does any schema node selected by ``xpath`` (or below it) hold state (config false)? True when
    libyang cannot resolve the expression (the caller then treats it as possibly state)."""
    nodes = _selected_schema_nodes(ctx, xpath)
    if nodes is None:
        return True
    return any(n.flags & lib.LYS_CONFIG_R for n in _schema_subtree(nodes))


def schema_holds_config(ctx: libyang.Context, xpath: str) -> bool:
    """Does any schema leaf selected by ``xpath`` (or below it) hold configuration (config true)?"""
    nodes = _selected_schema_nodes(ctx, xpath)
    if nodes is None:
        return True
    return any(
        n.nodetype & (lib.LYS_LEAF | lib.LYS_LEAFLIST) and n.flags & lib.LYS_CONFIG_W
        for n in _schema_subtree(nodes, skip_state=True)
    )


def schema_state_only(ctx: libyang.Context, xpath: str) -> bool:
    """Is every schema node ``xpath`` selects config false (so all of its descendants are)?"""
    nodes = _selected_schema_nodes(ctx, xpath)
    return bool(nodes) and all(n.flags & lib.LYS_CONFIG_R for n in nodes or ())
