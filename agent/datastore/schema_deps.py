"""Which leaves can change without re-validating the whole datastore.

A commit normally runs libyang's full validation, whose cost grows with the datastore (and with the
model's ``when`` / ``must`` / leafref load: ~30-115 µs per interface with the project modules). Yet
most single-leaf changes (a description, an MTU nobody constrains) cannot break any constraint: the
new value was already type-checked when the edit set it, and if no ``must``, ``when``, leafref path
or ``unique`` anywhere in the schema mentions the leaf, nothing else can depend on it.

:class:`SchemaDeps` computes, once per libyang context, the set of schema nodes that any XPath of the
model mentions (libyang's own ``lys_find_expr_atoms`` lists the nodes an expression can touch, deref
targets included) plus the leaves of every ``unique``. A leaf is *free* when it is a plain config leaf
(not a key, not mandatory, not a leafref / instance-identifier / union, not under a choice, no
``must`` or ``when`` of its own) that no expression mentions. The datastore skips full validation
for commits whose changes are only modifications or creations of free leaves (the same idea as
sysrepo validating only the modules a change can affect, at leaf granularity). If anything in the
analysis fails, no leaf is free and every commit is fully validated.
"""

from __future__ import annotations

import logging
from typing import Any

import cffi
import libyang
from _libyang import ffi, lib

from agent.datastore.changes import Change
from agent.datastore.tree import NULL, Cdata, DataTree

log = logging.getLogger(__name__)

_ffi = cffi.FFI()
_ffi.cdef(
    "int lys_find_expr_atoms(const void *ctx_node, const void *cur_mod, const void *expr,"
    " const void *prefixes, uint32_t options, void **set);"
)
_lib: Any = _ffi.dlopen("libyang.so.2")

_UNSAFE_TYPES = (lib.LY_TYPE_LEAFREF, lib.LY_TYPE_INST, lib.LY_TYPE_UNION)


def _v(ptr: Any) -> Any:
    return _ffi.cast("void *", int(ffi.cast("uintptr_t", ptr)))


def _count(arr: Any) -> int:
    if arr == NULL:
        return 0
    return int(ffi.cast("uint64_t *", arr)[-1])


class _AnalysisError(Exception):
    pass


class SchemaDeps:
    """Per-context answer to "may this leaf change skip full validation?"."""

    def __init__(self, ctx: libyang.Context) -> None:
        self.ctx = ctx
        self._referenced: set[int] = set()
        self.ok = False
        try:
            for mod in ctx:
                if mod.implemented():
                    self._walk_siblings(lib.lys_getnext(NULL, NULL, mod.cdata.compiled, 0))
            self.ok = True
        except _AnalysisError as exc:
            log.warning("schema dependency analysis failed (%s); every commit is fully validated", exc)
            self._referenced.clear()

    # -- analysis

    def _walk_siblings(self, first: Cdata) -> None:
        stack = []
        n = first
        while n != NULL:
            stack.append(n)
            n = n.next
        while stack:
            node = stack.pop()
            self._note_node(node)
            c = lib.lysc_node_child(node)
            while c != NULL:
                stack.append(c)
                c = c.next

    def _note_node(self, node: Cdata) -> None:
        musts = lib.lysc_node_musts(node)
        for i in range(_count(musts)):
            self._atoms(node, musts[i].cond, musts[i].prefixes)
        whens = lib.lysc_node_when(node)
        for i in range(_count(whens)):
            w = whens[i]
            ctx_node = w.context if w.context != NULL else node
            self._atoms(ctx_node, w.cond, w.prefixes)
        if node.nodetype & (lib.LYS_LEAF | lib.LYS_LEAFLIST):
            leaf = ffi.cast("struct lysc_node_leaf *", node)
            if leaf.type.basetype == lib.LY_TYPE_LEAFREF:
                lref = ffi.cast("struct lysc_type_leafref *", leaf.type)
                self._atoms(node, lref.path, lref.prefixes)
        if node.nodetype == lib.LYS_LIST:
            lst = ffi.cast("struct lysc_node_list *", node)
            for i in range(_count(lst.uniques)):
                uniq = lst.uniques[i]
                for j in range(_count(uniq)):
                    self._referenced.add(int(ffi.cast("uintptr_t", uniq[j])))

    def _atoms(self, ctx_node: Cdata, expr: Cdata, prefixes: Cdata) -> None:
        out = _ffi.new("void **")
        ret = _lib.lys_find_expr_atoms(_v(ctx_node), _v(ctx_node.module), _v(expr), _v(prefixes), 0, out)
        if ret != 0:
            lib.ly_err_clean(self.ctx.cdata, NULL)
            raise _AnalysisError(
                f"lys_find_expr_atoms failed ({ret}) for {ffi.string(ctx_node.name).decode()}"
            )
        s = ffi.cast("struct ly_set *", int(_ffi.cast("uintptr_t", out[0])))
        try:
            for i in range(s.count):
                self._referenced.add(int(ffi.cast("uintptr_t", s.snodes[i])))
        finally:
            lib.ly_set_free(s, NULL)

    # -- queries

    def free_leaf(self, snode: Cdata) -> bool:
        """True if a value change of this leaf cannot violate any constraint elsewhere or its own."""
        if not self.ok or snode == NULL or snode.nodetype != lib.LYS_LEAF:
            return False
        if snode.flags & (lib.LYS_KEY | lib.LYS_MAND_TRUE | lib.LYS_CONFIG_R):
            return False
        if int(ffi.cast("uintptr_t", snode)) in self._referenced:
            return False
        leaf = ffi.cast("struct lysc_node_leaf *", snode)
        if leaf.type.basetype in _UNSAFE_TYPES or leaf.musts != NULL or leaf.when != NULL:
            return False
        parent = snode.parent
        return not (parent != NULL and parent.nodetype & (lib.LYS_CASE | lib.LYS_CHOICE))

    def all_free_leaves(self, paths: set[str], tree: DataTree) -> bool:
        """Cheap pre-check: every path names an existing free leaf in ``tree``."""
        if not self.ok:
            return False
        for p in paths:
            node = tree.find(p)
            if node == NULL or not self.free_leaf(node.schema):
                return False
        return True

    def changes_need_validation(self, changes: list[Change], tree: DataTree) -> bool:
        """False only when every change modifies or creates a free leaf (scalar value)."""
        if not self.ok or not changes:
            return bool(changes) or not self.ok
        for ch in changes:
            if ch.op == "delete" or isinstance(ch.new, (dict, list)):
                return True
            node = tree.find(ch.path)
            if node == NULL or not self.free_leaf(node.schema):
                return True
        return False


_CACHE: dict[int, SchemaDeps] = {}


def schema_deps(ctx: libyang.Context) -> SchemaDeps:
    """The (cached) analysis for ``ctx``."""
    deps = _CACHE.get(id(ctx))
    if deps is None or deps.ctx is not ctx:
        deps = SchemaDeps(ctx)
        _CACHE[id(ctx)] = deps
    return deps
