"""Targeted validation: re-check only what a value-only change can affect.

libyang's full validation (``lyd_validate_all``) costs time proportional to the whole datastore. A
commit whose changes are only *modifications of leaf values* (no key changed) and *creations of leaves
without a default, a when of their own or a case around them* on top of a fully validated running tree
can only change the outcome of:

* the changed leaf's own type, leafref / instance-identifier / union resolution included:
  re-checked with ``lyd_value_validate`` against the new tree;
* the ``must`` expressions whose atoms (``lys_find_expr_atoms``, see :mod:`schema_deps`) include the
  changed leaf: each is re-evaluated with ``lyd_eval_xpath3`` at every instance the change can reach
  (the same list entry when the must is *local*, see :class:`~agent.datastore.schema_deps.MustRef`;
  otherwise every instance of the must's node);
* ``when`` conditions, leafref paths and ``unique`` statements that mention the leaf, and everything
  that depends on the tree's shape (mandatory, min/max-elements, choices, defaults). Value changes do not
  change the shape, and such a created leaf changes it only by itself (nothing is mandatory about it,
  no default or case depends on it); for the rest there is no reduced check:
  :meth:`SchemaDeps.dependent_musts` answers None and the commit is fully validated.

Every other constraint reads only nodes that did not change, so its result is the one the running
tree's full validation already found. :func:`check_value_changes` answers True only when this
reasoning applies and every re-check passes; on False the caller runs the full validation, which also
produces the exact error (message, path, app-tag) a violating commit reports. The differential property
test (tests/unit/test_targeted_validation.py) compares the two on random edits.
"""

from __future__ import annotations

import logging

from _libyang import ffi, lib

from agent.datastore import _ly
from agent.datastore.changes import Change
from agent.datastore.schema_deps import MustRef, SchemaDeps
from agent.datastore.tree import NULL, Cdata, DataTree, node_path, parent_of

log = logging.getLogger(__name__)


MAX_EVALUATIONS = 512  # must instances above which a full validation is cheaper or as cheap (~30 us each)


def _find_all(ctx_node: Cdata, xpath: str) -> list[Cdata] | None:
    out = ffi.new("struct ly_set **")
    if lib.lyd_find_xpath(ctx_node, xpath.encode(), out) != lib.LY_SUCCESS:
        return None
    try:
        s = out[0]
        return [s.dnodes[i] for i in range(s.count)]
    finally:
        lib.ly_set_free(out[0], NULL)


def _entry_of(node: Cdata, entry_schema: Cdata) -> Cdata:
    p = node
    while p != NULL and p.schema != entry_schema:
        par = p.parent
        p = ffi.cast("struct lyd_node *", par) if par != NULL else NULL
    return p


def _parent_in(base: DataTree, node: Cdata) -> bool:
    """The created leaf's parent existed before (else a container, maybe under a when, was created)."""
    parent = parent_of(node)
    return bool(parent == NULL or base.find(node_path(parent)) != NULL)


def _value_ok(ctx: Cdata, node: Cdata) -> bool:
    """The leaf's value is valid in the new tree (type, and the leafref target or instance exists)."""
    val = lib.lyd_get_value(node)
    if val == NULL:
        return False
    return _ly.value_valid(ctx, node, ffi.string(val))


class _Plan:
    """Must instances to evaluate: per must, either a set of instances or all of them."""

    def __init__(self) -> None:
        self.some: dict[int, tuple[MustRef, dict[int, Cdata]]] = {}
        self.every: dict[int, MustRef] = {}

    def add(self, ref: MustRef, changed: Cdata, root: Cdata) -> bool:
        if id(ref) in self.every:
            return True
        if ref.entry is None or ref.rel_path is None or not self._add_scoped(ref, changed, root):
            self.some.pop(id(ref), None)
            self.every[id(ref)] = ref
        return True

    def _add_scoped(self, ref: MustRef, changed: Cdata, root: Cdata) -> bool:
        assert ref.entry is not None and ref.rel_path is not None
        entries: list[Cdata] = []
        own = _entry_of(changed, ref.entry)
        if own != NULL:
            entries.append(own)
        for d in ref.derefs:
            target = _entry_of(changed, d.target_entry)
            if target == NULL:
                continue
            key = _find_all(target, d.target_key)
            if not key or len(key) != 1:
                return False
            val = ffi.string(lib.lyd_get_value(key[0])).decode()
            if "'" not in val:
                lit = f"'{val}'"
            elif '"' not in val:
                lit = f'"{val}"'
            else:
                return False
            refs = _find_all(root, f"{d.x_abs_path}[.={lit}]")
            if refs is None:
                return False
            for x in refs:
                e = _entry_of(x, ref.entry)
                if e == NULL:
                    return False
                entries.append(e)
                if len(entries) > MAX_EVALUATIONS:
                    return False
        _, nodes = self.some.setdefault(id(ref), (ref, {}))
        for e in entries:
            found = _find_all(e, ref.rel_path)
            if found is None:
                return False
            for n in found:
                nodes[int(ffi.cast("uintptr_t", n))] = n
        return True

    def instances(self, root: Cdata) -> list[tuple[MustRef, Cdata]] | None:
        out: list[tuple[MustRef, Cdata]] = []
        for ref, nodes in self.some.values():
            out.extend((ref, n) for n in nodes.values())
        for ref in self.every.values():
            found = _find_all(root, ref.abs_path)
            if found is None:
                return None
            out.extend((ref, n) for n in found)
            if len(out) > MAX_EVALUATIONS:
                return None
        return out if len(out) <= MAX_EVALUATIONS else None


def _must_holds(ref: MustRef, node: Cdata) -> bool:
    held = _ly.eval_xpath_bool(node, ref.snode.module, ref.expr, lib.LY_VALUE_SCHEMA_RESOLVED, ref.prefixes)
    return bool(held)  # None (evaluation failed) counts as not holding: full validation decides


def check_value_changes(deps: SchemaDeps, base: DataTree, tree: DataTree, changes: list[Change]) -> bool:
    """True when full validation of ``tree`` would succeed and change nothing.

    ``base`` must be a fully validated tree and ``tree`` must differ from it exactly by ``changes``.
    False means "not proven" (a change the reduced check does not cover, or a re-check failed): the
    caller validates fully.
    """
    if not deps.ok or not changes or tree.root == NULL:
        return False
    ctx = tree.ctx.cdata
    plan = _Plan()
    try:
        for ch in changes:
            if ch.op not in ("modify", "create") or isinstance(ch.new, (dict, list)):
                return False
            node = tree.find(ch.path)
            old = base.find(ch.path)
            if node == NULL:
                return False
            if ch.op == "create":
                if old != NULL or not deps.creatable_leaf(node.schema) or not _parent_in(base, node):
                    return False
            elif old == NULL or node.schema != old.schema or isinstance(ch.old, (dict, list)):
                return False
            refs = deps.dependent_musts(node.schema)
            if refs is None or not _value_ok(ctx, node):
                return False
            for ref in refs:
                if not plan.add(ref, node, tree.root):
                    return False
        todo = plan.instances(tree.root)
        if todo is None:
            return False
        return all(_must_holds(ref, n) for ref, n in todo)
    finally:
        lib.ly_err_clean(ctx, NULL)
