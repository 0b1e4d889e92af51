"""Differences between data trees as :class:`~agent.datastore.changes.Change` lists, and their replay.

Two ways to find what changed:

* :func:`changes_for_paths` compares two trees only under the paths an edit touched (what the datastore
  uses for commits: cost ~ size of the change, a few hash lookups per touched path);
* :func:`diff_trees` compares everything (rollback, reconcile, copy-config: cost ~ size of the data).

Both compare *effective* content: a leaf explicitly set to its default value and the same leaf present
as an implicit default are equal. Created / deleted containers and list entries are one change each,
carrying the JSON-IETF content (defaults included and tagged, see :func:`agent.datastore.tree.node_json`);
a leaf-list is compared as a whole (old and new are lists).

:func:`sync_paths` copies the touched subtrees from one tree into another (used to bring the previous
running tree up to date so it can serve as the next candidate); :func:`apply_changes` replays a change
list on a tree (journal replay at start-up).
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import libyang
import orjson
from _libyang import ffi, lib

from agent.datastore import _ly
from agent.datastore.changes import Change
from agent.datastore.tree import (
    NULL,
    Cdata,
    DataTree,
    dup_single,
    find_path,
    find_xpath,
    is_term,
    node_json,
    node_path,
    node_value,
    nodetype,
    parent_of,
    raise_validation,
)

TreeLike = DataTree | libyang.DNode | None


class TreeHolder(Protocol):
    """Anything with a replaceable ``tree`` (a DNode or None): :class:`DataTree` or the journal's holder."""

    tree: libyang.DNode | None


# --------------------------------------------------------------------------------------------- paths


_SPLIT_TOKENS = re.compile(r"'[^']*'|\"[^\"]*\"|[\[\]/]")


def _top_slashes(path: str) -> list[int]:
    """Offsets of the ``/`` separators outside predicates and quotes (a regex scan, not a char loop:
    replaying 10,000 changes calls this 20,000 times)."""
    cuts: list[int] = []
    depth = 0
    for m in _SPLIT_TOKENS.finditer(path):
        tok = m.group()
        if tok == "/":
            if depth == 0:
                cuts.append(m.start())
        elif tok == "[":
            depth += 1
        elif tok == "]":
            depth -= 1
    return cuts


def split_path(path: str) -> list[str]:
    """Split a libyang data path into its node segments (``/`` inside predicates is not a separator)."""
    cuts = _top_slashes(path)
    bounds = [*cuts, len(path)]
    segs = []
    start = 0
    for end in bounds:
        if end > start:
            segs.append(path[start:end])
        start = end + 1
    return segs


_SEPARATOR = re.compile(r"'[^']*'|\"[^\"]*\"|/")


def ancestors(path: str) -> list[str]:
    """Data paths of the ancestors of ``path``, outermost first (regex scan: this runs per touched path)."""
    return [path[: m.start()] for m in _SEPARATOR.finditer(path) if m.group() == "/" and m.start() > 0]


def covered_by(path: str, pset: set[str] | frozenset[str]) -> bool:
    """True if an ancestor of ``path`` is in ``pset``."""
    return any(a in pset for a in ancestors(path))


def cover(paths: set[str] | list[str]) -> list[str]:
    """The paths that have no ancestor in ``paths`` (the minimal set of subtrees to compare), sorted."""
    pset = set(paths)
    if "/" in pset or "" in pset:
        return ["/"]
    out = [p for p in pset if not covered_by(p, pset)]
    out.sort()
    return out


def widen_leaves(paths: set[str], *trees: TreeLike) -> set[str]:
    """``paths`` with every leaf / leaf-list path replaced by its parent's path (not above list entries).

    Used so that what validation did next to an edited leaf (a ``when`` on a sibling turning false)
    is part of the compared subtree. Paths of containers and list entries stay as they are.
    """
    roots = [_root_of(t) for t in trees]
    out: set[str] = set()
    for p in paths:
        node = NULL
        for r in roots:
            node = find_path(r, p)
            if node != NULL:
                break
        if node != NULL and is_term(node):
            par = parent_path(p)
            out.add(par if par is not None else p)
        else:
            out.add(p)
    return out


def parent_path(path: str) -> str | None:
    segs = split_path(path)
    return "/" + "/".join(segs[:-1]) if len(segs) > 1 else None


# ------------------------------------------------------------------------------------------- compare


def _root_of(t: TreeLike) -> Cdata:
    if t is None:
        return NULL
    if isinstance(t, DataTree):
        return t.root
    return lib.lyd_first_sibling(t.cdata)


def _json_scalar(node: Cdata) -> Any:
    return node_json(node)


def _leaflist_values(first: Cdata, schema: Cdata) -> list[Any]:
    vals = []
    c = first
    while c != NULL:
        if c.schema == schema:
            vals.append(_json_scalar(c))
        c = c.next
    return vals


def _compare(old: Cdata, new: Cdata, path: str, out: list[Change]) -> None:
    """Append the changes turning node ``old`` into node ``new`` (same schema node and keys)."""
    if old == NULL and new == NULL:
        return
    if old == NULL:
        out.append(Change("create", path, None, node_json(new)))
        return
    if new == NULL:
        out.append(Change("delete", path, node_json(old), None))
        return
    if nodetype(new) == lib.LYS_LEAF:
        if node_value(old) != node_value(new):
            out.append(Change("modify", path, _json_scalar(old), _json_scalar(new)))
        return
    if _user_order_changed(old, new):
        # Changes carry no position: replayed, a new or moved entry of an ordered-by-user list (an ACE
        # inserted first) would land at the end. The parent is replaced instead, which replays (and
        # inverts, for rollback) to exactly the new order.
        out.append(Change("delete", path, node_json(old), None))
        out.append(Change("create", path, None, node_json(new)))
        return
    _compare_siblings(lib.lyd_child(old), lib.lyd_child(new), out, new)


def _is_user_ordered_list(node: Cdata) -> bool:
    return bool(nodetype(node) == lib.LYS_LIST and node.schema.flags & lib.LYS_ORDBY_USER)


def _user_ordered(parent: Cdata) -> dict[Any, list[str]]:
    """Per ordered-by-user list schema under ``parent``: its entries' paths in data order."""
    out: dict[Any, list[str]] = {}
    c = lib.lyd_child(parent)
    while c != NULL:
        if _is_user_ordered_list(c):
            out.setdefault(int(ffi.cast("uintptr_t", c.schema)), []).append(node_path(c))
        c = c.next
    return out


def _user_order_changed(old: Cdata, new: Cdata) -> bool:
    """Whether replaying the changes of ``old``'s ordered-by-user lists (deletes, then creates appended
    at the end) would give another order than ``new`` has."""
    after = _user_ordered(new)
    if not after:
        return False
    before = _user_ordered(old)
    for schema, new_seq in after.items():
        old_seq = before.get(schema, [])
        kept, added = set(new_seq), set(old_seq)
        replayed = [p for p in old_seq if p in kept] + [p for p in new_seq if p not in added]
        if replayed != new_seq:
            return True
    return False


def _compare_siblings(
    old_first: Cdata, new_first: Cdata, out: list[Change], new_parent: Cdata = NULL
) -> None:
    seen_ll: set[Any] = set()
    matched: set[int] = set()
    created: list[tuple[Cdata, str]] = []
    c = new_first
    while c != NULL:
        if nodetype(c) == lib.LYS_LEAFLIST:
            key = int(ffi.cast("uintptr_t", c.schema))
            if key not in seen_ll:
                seen_ll.add(key)
                _compare_leaflist(old_first, new_first, c, out)
        else:
            match = _ly.find_sibling_first(old_first, c)
            if match != NULL:
                matched.add(int(ffi.cast("uintptr_t", match)))
                _compare(match, c, node_path(c), out)
            elif not c.flags & lib.LYD_DEFAULT:  # an implicit default on one side only is no change
                created.append((c, node_path(c)))
        c = c.next
    if len(created) > _BATCH_JSON and new_parent != NULL:
        out.extend(_creates_from_parent(new_parent, created))
    else:
        out.extend(Change("create", path, None, node_json(n)) for n, path in created)
    o = old_first
    while o != NULL:
        if nodetype(o) == lib.LYS_LEAFLIST:
            key = int(ffi.cast("uintptr_t", o.schema))
            if key not in seen_ll:
                seen_ll.add(key)
                out.append(Change("delete", _leaflist_path(o), _leaflist_values(old_first, o.schema), None))
        elif int(ffi.cast("uintptr_t", o)) not in matched and not o.flags & lib.LYD_DEFAULT:
            out.append(Change("delete", node_path(o), node_json(o), None))
        o = o.next


_BATCH_JSON = 32


def _creates_from_parent(parent: Cdata, created: list[tuple[Cdata, str]]) -> list[Change]:
    """Create changes for many new children of ``parent`` from ONE print of the parent.

    Printing and parsing JSON per entry costs ~50 us; 10,000 new sub-interfaces would spend half a
    second there. The parent's JSON lists children in data order, so the n-th instance of a list in the
    data is the n-th element of its JSON array.
    """
    content = node_json(parent)
    parent_mod = ffi.string(parent.schema.module.name).decode()
    wanted = {int(ffi.cast("uintptr_t", node)): i for i, (node, _path) in enumerate(created)}
    index_of: dict[int, int] = {}
    position: dict[Any, int] = {}
    c = lib.lyd_child(parent)
    while c != NULL:
        sk = c.schema
        pos = position.get(sk, 0)
        ptr = int(ffi.cast("uintptr_t", c))
        if ptr in wanted:
            index_of[ptr] = pos
        position[sk] = pos + 1
        c = c.next
    members: dict[Any, tuple[Any, bool]] = {}  # per schema node: (JSON member, is a list)
    out = []
    for node, path in created:
        sk = node.schema
        found = members.get(sk)
        if found is None:
            mod = ffi.string(sk.module.name).decode()
            name = ffi.string(sk.name).decode()
            member = content.get(name if mod == parent_mod else f"{mod}:{name}")
            found = (member, nodetype(node) == lib.LYS_LIST and isinstance(member, list))
            members[sk] = found
        member, is_list = found
        value = member[index_of[int(ffi.cast("uintptr_t", node))]] if is_list else member
        out.append(Change("create", path, None, value))
    return out


def _leaflist_path(node: Cdata) -> str:
    p = node_path(node)
    return p.rsplit("[", 1)[0] if p.endswith("]") else p


def _compare_leaflist(old_first: Cdata, new_first: Cdata, sample: Cdata, out: list[Change]) -> None:
    new_vals = _leaflist_values(new_first, sample.schema)
    old_vals = _leaflist_values(old_first, sample.schema)
    if new_vals == old_vals:
        return
    path = _leaflist_path(sample)
    if not old_vals:
        out.append(Change("create", path, None, new_vals))
    else:
        out.append(Change("modify", path, old_vals, new_vals))


def changes_for_paths(old: TreeLike, new: TreeLike, paths: set[str] | list[str]) -> list[Change]:
    """Changes from ``old`` to ``new``, looking only under ``paths`` (which must cover every difference)."""
    old_root, new_root = _root_of(old), _root_of(new)
    roots = cover(paths)
    if roots == ["/"]:
        return diff_trees(old, new)
    # an entry of an ordered-by-user list may have moved or been inserted mid-list: compare from its
    # parent, which knows the order (see _compare)
    lifted = []
    for p in roots:
        node = find_path(new_root, p)
        if node == NULL:
            node = find_path(old_root, p)
        parent = parent_path(p) if node != NULL and _is_user_ordered_list(node) else None
        lifted.append(parent or p)
    if lifted != roots:
        roots = cover(lifted)
    out: list[Change] = []
    for p in roots:
        o = find_path(old_root, p)
        n = find_path(new_root, p)
        if (o != NULL and nodetype(o) == lib.LYS_LEAFLIST) or (n != NULL and nodetype(n) == lib.LYS_LEAFLIST):
            par = parent_path(p)
            op = find_path(old_root, par) if par else NULL
            np_ = find_path(new_root, par) if par else NULL
            sample = n if n != NULL else o
            base = _leaflist_path(sample)
            if op != NULL and np_ != NULL:
                tmp: list[Change] = []
                _compare_leaflist(lib.lyd_child(op), lib.lyd_child(np_), sample, tmp)
                if not tmp and n == NULL:
                    vals = _leaflist_values(lib.lyd_child(op), sample.schema)
                    new_vals = _leaflist_values(lib.lyd_child(np_), sample.schema)
                    if vals != new_vals:
                        tmp.append(Change("delete", base, vals, None))
                out.extend(c for c in tmp if c.path not in {x.path for x in out})
            continue
        _compare(o, n, p, out)
    return out


def diff_trees(a: TreeLike, b: TreeLike) -> list[Change]:
    """Every change from tree ``a`` to tree ``b`` (whole-tree walk; for rollback and reconcile)."""
    out: list[Change] = []
    _compare_siblings(_root_of(a), _root_of(b), out)
    return out


# ---------------------------------------------------------------------------------------------- sync


def sync_paths(src: DataTree, dst: DataTree, paths: set[str] | list[str]) -> None:
    """Make ``dst`` equal to ``src`` under ``paths`` by re-copying those subtrees (flags included)."""
    roots = cover(paths)
    if roots == ["/"]:
        copy = src.dup()
        dst.close()
        dst.root = copy.release()
        return
    for p in roots:
        s = find_path(src.root, p)
        d = find_path(dst.root, p)
        if (s != NULL and nodetype(s) == lib.LYS_LEAFLIST) or (d != NULL and nodetype(d) == lib.LYS_LEAFLIST):
            par = parent_path(p)
            if par is not None:
                _sync_node(src, dst, par)
            continue
        _sync_node(src, dst, p, s, d)


def _sync_node(src: DataTree, dst: DataTree, path: str, s: Cdata = None, d: Cdata = None) -> None:
    if s is None:
        s = find_path(src.root, path)
    if d is None:
        d = find_path(dst.root, path)
    if d != NULL:
        dst.free_node(d)
    if s == NULL:
        return
    # Walk up to the nearest ancestor that exists in dst, copy the subtree below it.
    node = s
    while True:
        par = parent_of(node)
        if par == NULL:
            copy = dup_single(node)
            _insert_like(dst, NULL, copy, node)
            return
        dpar = find_path(dst.root, node_path(par))
        if dpar != NULL:
            copy = dup_single(node)
            _insert_like(dst, dpar, copy, node)
            return
        node = par


def _insert_like(dst: DataTree, dparent: Cdata, copy: Cdata, model: Cdata) -> None:
    """Insert ``copy`` under ``dparent`` (NULL = top level) at the position ``model`` has in its tree."""
    if model.schema.flags & lib.LYS_ORDBY_USER:
        prev = model.prev
        if prev != model and prev.next != NULL and prev.schema == model.schema:
            dprev = find_path(dst.root, node_path(prev))
            if dprev != NULL and _ly.insert_after(dprev, copy) == 0:
                return
        first = lib.lyd_child(dparent) if dparent != NULL else dst.root
        c = first
        while c != NULL:
            if c.schema == model.schema:
                if _ly.insert_before(c, copy) == 0:
                    return
                break
            c = c.next
    if dparent == NULL:
        dst.insert_top(copy)
    else:
        lib.lyd_insert_child(dparent, copy)


# --------------------------------------------------------------------------------------------- replay


def _holder_tree(holder: TreeHolder | DataTree) -> DataTree:
    if isinstance(holder, DataTree):
        return holder
    from agent.model import load_model_set

    ctx = holder.tree.context if holder.tree is not None else load_model_set().ctx
    return DataTree(ctx, holder.tree.cdata if holder.tree is not None else NULL)


def apply_changes(holder: TreeHolder | DataTree, changes: list[Change]) -> None:
    """Replay ``changes`` on the tree held by ``holder`` (which is updated if the first node changes).

    ``holder`` is a :class:`DataTree` or any object with a ``tree`` attribute holding a DNode (or None);
    the tree is not validated here.
    """
    tree = _holder_tree(holder)
    try:
        i, n = 0, len(changes)
        while i < n:
            key = _bulk_key(changes[i])
            j = i + 1
            if key is not None:
                while j < n and _bulk_key(changes[j]) == key:
                    j += 1
            if j - i > 1:
                assert key is not None
                _apply_bulk_create(tree, changes[i:j], key)
            else:
                _apply_one(tree, changes[i])
            i = j
    finally:
        if not isinstance(holder, DataTree):
            root = tree.release()
            holder.tree = libyang.DNode.new(tree.ctx, root) if root != NULL else None


def _scalar_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list) and v == [None]:  # JSON-IETF "empty" type
        return ""
    return str(v)


def _apply_one(tree: DataTree, ch: Change) -> None:
    ctx = tree.ctx
    existing = find_path(tree.root, ch.path)
    if ch.op == "delete":
        if isinstance(ch.old, list):
            for n in find_xpath(tree.root, ch.path):
                tree.free_node(n)
        elif existing != NULL:
            tree.free_node(existing)
        return
    value = ch.new
    if isinstance(value, list):  # leaf-list as a whole
        for n in find_xpath(tree.root, ch.path):
            tree.free_node(n)
        for v in value:
            _new_path(tree, ch.path, _scalar_text(v))
        return
    if not isinstance(value, dict):
        _new_path(tree, ch.path, _scalar_text(value))
        return
    if existing != NULL:
        tree.free_node(existing)
    segs = split_path(ch.path)
    last = segs[-1]
    name = last.split("[", 1)[0]
    module = _module_of(segs)
    qname = f"{module}:{name.split(':')[-1]}"
    is_list = "[" in last
    doc = orjson.dumps({qname: [value] if is_list else value})
    par = parent_path(ch.path)
    parent = NULL
    if par is not None:
        parent = find_path(tree.root, par)
        if parent == NULL:
            _new_path(tree, par, None)
            parent = find_path(tree.root, par)
    out = ffi.new("struct lyd_node **")
    opts = lib.LYD_PARSE_ONLY | lib.LYD_PARSE_STRICT
    ret = (
        lib.lyd_parse_data_mem(ctx.cdata, doc, lib.LYD_JSON, opts, 0, out)
        if parent == NULL
        else (_parse_under(ctx, parent, doc))
    )
    if ret != lib.LY_SUCCESS:
        raise_validation(ctx, f"cannot replay change at {ch.path}")
    if parent == NULL:
        n = out[0]
        while n != NULL:
            nxt = n.next
            tree.insert_top(n)
            n = nxt


def _bulk_key(ch: Change) -> tuple[str | None, str] | None:
    """(parent path, qualified list name) when ``ch`` creates a whole list entry, else None.

    Consecutive creates of entries of one list under one parent (a bulk edit's 10,000 new
    sub-interfaces) are replayed with one JSON parse instead of one parse each (0.2 ms apiece).
    """
    if ch.op != "create" or not isinstance(ch.new, dict):
        return None
    segs = split_path(ch.path)
    last = segs[-1] if segs else ""
    if "[" not in last:
        return None
    name = last.split("[", 1)[0]
    qname = f"{_module_of(segs)}:{name.split(':')[-1]}"
    return ("/" + "/".join(segs[:-1]) if len(segs) > 1 else None, qname)


def _apply_bulk_create(tree: DataTree, changes: list[Change], key: tuple[str | None, str]) -> None:
    """Replay creates of entries of one list under one parent (see :func:`_bulk_key`) in one parse."""
    ctx = tree.ctx
    par, qname = key
    for ch in changes:
        existing = find_path(tree.root, ch.path)
        if existing != NULL:
            tree.free_node(existing)
    doc = orjson.dumps({qname: [ch.new for ch in changes]})
    parent = NULL
    if par is not None:
        parent = find_path(tree.root, par)
        if parent == NULL:
            _new_path(tree, par, None)
            parent = find_path(tree.root, par)
    if parent != NULL:
        if _parse_under(ctx, parent, doc) != lib.LY_SUCCESS:
            raise_validation(ctx, f"cannot replay {len(changes)} changes under {par}")
        return
    out = ffi.new("struct lyd_node **")
    opts = lib.LYD_PARSE_ONLY | lib.LYD_PARSE_STRICT
    if lib.lyd_parse_data_mem(ctx.cdata, doc, lib.LYD_JSON, opts, 0, out) != lib.LY_SUCCESS:
        raise_validation(ctx, f"cannot replay {len(changes)} top-level changes")
    n = out[0]
    while n != NULL:
        nxt = n.next
        tree.insert_top(n)
        n = nxt


def _parse_under(ctx: libyang.Context, parent: Cdata, doc: bytes) -> int:
    inp = ffi.new("struct ly_in **")
    data = ffi.new("char[]", doc)
    if lib.ly_in_new_memory(data, inp) != lib.LY_SUCCESS:
        return int(lib.LY_EMEM)
    try:
        opts = lib.LYD_PARSE_ONLY | lib.LYD_PARSE_STRICT
        return int(lib.lyd_parse_data(ctx.cdata, parent, inp[0], lib.LYD_JSON, opts, 0, ffi.NULL))
    finally:
        lib.ly_in_free(inp[0], 0)


def _module_of(segs: list[str]) -> str:
    module = ""
    for seg in segs:
        name = seg.split("[", 1)[0]
        if ":" in name:
            module = name.split(":", 1)[0]
    return module


def _new_path(tree: DataTree, path: str, value: str | None) -> None:
    out = ffi.new("struct lyd_node **")
    ctx = tree.ctx
    val = value.encode() if value is not None else ffi.NULL
    parent = tree.root
    ret = lib.lyd_new_path(
        parent if parent != NULL else NULL, ctx.cdata, path.encode(), val, lib.LYD_NEW_PATH_UPDATE, out
    )
    if ret != lib.LY_SUCCESS:
        raise_validation(ctx, f"cannot create {path}")
    if parent == NULL and out[0] != NULL:
        top = out[0]
        while parent_of(top) != NULL:
            top = parent_of(top)
        tree.root = top
    elif out[0] != NULL:
        top = out[0]
        while parent_of(top) != NULL:
            top = parent_of(top)
        if lib.lyd_first_sibling(top) != tree.root:
            tree.root = lib.lyd_first_sibling(top)


__all__ = [
    "Change",
    "apply_changes",
    "changes_for_paths",
    "cover",
    "diff_trees",
    "split_path",
    "sync_paths",
    "widen_leaves",
]
