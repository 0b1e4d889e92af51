"""gNMI ``Set`` semantics on a libyang tree: deletes, then replaces, then updates; all or nothing.

Paths are libyang data paths (the gNMI server converts gNMI paths with :mod:`agent.model.paths`);
values are JSON-IETF (RFC 7951). A replace removes what was at the path and puts exactly the value
there; an update merges the value into what exists. Deleting a path that does not exist is accepted
silently (gNMI specification 3.4.6). Like the XML editor, it records an undo log and the touched paths.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import libyang
from _libyang import ffi, lib

from agent.datastore import _ly
from agent.datastore.changes import JSONValue
from agent.datastore.diff import parent_path, split_path
from agent.datastore.edit_xml import EditOutcome
from agent.datastore.tree import (
    NULL,
    Cdata,
    DataTree,
    find_path,
    find_xpath,
    node_path,
    nodetype,
    take_errors,
)
from agent.errors import ErrorDetail, ValidationError


class _GnmiFail(Exception):
    def __init__(self, tag: str, message: str, path: str) -> None:
        super().__init__(message)
        self.detail = ErrorDetail(tag=tag, message=message, path=path)


def apply_gnmi_edit(
    ctx: libyang.Context,
    tree: DataTree,
    *,
    deletes: list[str],
    replaces: list[tuple[str, JSONValue]],
    updates: list[tuple[str, JSONValue]],
) -> EditOutcome:
    """Apply a gNMI SetRequest's operations to ``tree`` in place; fatal on the first error."""
    out = EditOutcome()
    ed = _GnmiEditor(ctx, tree, out)
    try:
        for path in deletes:
            ed.delete(path)
        for path, value in replaces:
            ed.delete(path)
            ed.put(path, value)
        for path, value in updates:
            ed.put(path, value)
    except _GnmiFail as exc:
        out.errors.append(exc.detail)
        out.fatal = True
    except ValidationError as exc:
        out.errors.extend(exc.details)
        out.fatal = True
    lib.ly_err_clean(ctx.cdata, NULL)
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and value == [None]:
        return ""
    return str(value)


class _GnmiEditor:
    def __init__(self, ctx: libyang.Context, tree: DataTree, out: EditOutcome) -> None:
        self.ctx = ctx
        self.tree = tree
        self.out = out

    def _touch(self, path: str) -> None:
        self.out.touched.add(path)
        self.out.changed = True

    def delete(self, path: str) -> None:
        if path in ("", "/"):
            for node in list(_top_nodes(self.tree)):
                self._touch(node_path(node))
                self.out.undo.delete(self.tree, node)
            return
        try:
            nodes = find_xpath(self.tree.root, path)
        except ValidationError as exc:
            raise _GnmiFail("invalid-value", exc.message, path) from exc
        for node in nodes:
            if node.flags & lib.LYD_DEFAULT:
                continue
            if nodetype(node) == lib.LYS_LEAFLIST and node.parent != NULL:
                self._touch(node_path(ffi.cast("struct lyd_node *", node.parent)))
            else:
                self._touch(node_path(node))
            self.out.undo.delete(self.tree, node)

    def put(self, path: str, value: JSONValue) -> None:
        """Merge ``value`` at ``path`` (creating the path and its parents as needed)."""
        if path in ("", "/"):
            if not isinstance(value, dict):
                raise _GnmiFail("invalid-value", "the value at the root must be a JSON object", "/")
            for name, sub in value.items():
                if ":" not in name:
                    raise _GnmiFail("invalid-value", f"top-level member {name!r} needs a module prefix", "/")
                self.put(f"/{name}", sub)
            return
        if isinstance(value, dict):
            self._put_inner(path, value)
        elif isinstance(value, list) and value != [None]:
            for v in value:  # leaf-list (or list entries given as a list)
                if isinstance(v, dict):
                    raise _GnmiFail(
                        "invalid-value", "a list must be set entry by entry with keys in the path", path
                    )
                self._new_path(path, _text(v), leaflist=True)
        else:
            self._new_path(path, _text(value), leaflist=False)

    def _new_path(self, path: str, value: str | None, *, leaflist: bool) -> Cdata:
        existing = NULL if leaflist else find_path(self.tree.root, path)
        if leaflist:
            pred = f"{path}[.='{value}']" if value is not None and "'" not in value else None
            existing = find_path(self.tree.root, pred) if pred else NULL
            if existing != NULL:
                return existing
        if existing != NULL and value is not None and nodetype(existing) == lib.LYS_LEAF:
            was_default = bool(existing.flags & lib.LYD_DEFAULT)
            old = ffi.string(lib.lyd_get_value(existing)).decode()
            ret = _ly.change_term(existing, value)
            if ret in (lib.LY_SUCCESS, lib.LY_ENOT):
                self.out.undo.value_changed(path, old, was_default)
                self._touch(node_path(existing))
            elif ret != lib.LY_EEXIST:
                raise self._libyang_fail(path)
            return existing
        if existing != NULL:
            return existing
        out_parent = ffi.new("struct lyd_node **")
        val = value.encode() if value is not None else NULL
        root = self.tree.root
        # lyd_new_path2 is not exported by the binding; lyd_new_path returns the first created node.
        ret = lib.lyd_new_path(
            root if root != NULL else NULL, self.ctx.cdata, path.encode(), val, 0, out_parent
        )
        if ret != lib.LY_SUCCESS:
            raise self._libyang_fail(path)
        first_new = out_parent[0]
        top = first_new
        while top.parent != NULL:
            top = ffi.cast("struct lyd_node *", top.parent)
        if root == NULL or lib.lyd_first_sibling(top) != root:
            self.tree.root = lib.lyd_first_sibling(top)
        self.out.undo.created(first_new)
        if nodetype(first_new) == lib.LYS_LEAFLIST and first_new.parent != NULL:
            self._touch(node_path(ffi.cast("struct lyd_node *", first_new.parent)))
        else:
            self._touch(node_path(first_new))
        found = find_path(self.tree.root, path) if not leaflist else first_new
        return found if found != NULL else first_new

    def _put_inner(self, path: str, value: dict[str, Any]) -> None:
        node = find_path(self.tree.root, path)
        if node == NULL and self._create_by_parse(path, value):
            return
        if node == NULL:
            node = self._new_path(path, None, leaflist=False)
        if node == NULL or nodetype(node) & (lib.LYS_LEAF | lib.LYS_LEAFLIST):
            raise _GnmiFail("invalid-value", "a JSON object cannot be the value of a leaf", path)
        keys = _path_keys(path)
        content = {k: v for k, v in value.items() if k.split(":")[-1] not in keys}
        for k, v in value.items():
            short = k.split(":")[-1]
            if short in keys and _text(v) != keys[short]:
                raise _GnmiFail("invalid-value", f"key {short!r} in the value differs from the path", path)
        module = ffi.string(node.schema.module.name).decode()
        for name, sub in content.items():
            if name.startswith("@"):
                continue
            qualified = name if ":" in name else f"{module}:{name}"
            child_path = f"{path}/{qualified}"
            if isinstance(sub, list) and sub and all(isinstance(e, dict) for e in sub):
                for entry in sub:
                    self._put_entry(child_path, entry)
            else:
                self.put(child_path, sub)

    def _create_by_parse(self, path: str, value: dict[str, Any]) -> bool:
        """Create a missing container / list entry and its whole content with one libyang JSON parse.

        Walking the value leaf by leaf costs a path lookup per leaf; a replace of a large subtree
        (10,000 interfaces at once) must not. Returns False when this shape is not handled here.
        """
        segs = split_path(path)
        if not segs or any(k.startswith("@") for k in value):
            return False
        last = segs[-1]
        name = last.split("[", 1)[0]
        module = ""
        for seg in segs:
            head = seg.split("[", 1)[0]
            if ":" in head:
                module = head.split(":", 1)[0]
        keys = _path_keys(path)
        for k, v in value.items():
            short = k.split(":")[-1]
            if short in keys and _text(v) != keys[short]:
                raise _GnmiFail("invalid-value", f"key {short!r} in the value differs from the path", path)
        # the value's own key leaves keep their JSON type (a uint32 key must be a JSON number); keys only
        # in the path are typed from the schema
        typed = {k.split(":")[-1]: v for k, v in value.items() if k.split(":")[-1] in keys}
        body = {
            **self._typed_keys(path, keys),
            **typed,
            **{k: v for k, v in value.items() if k.split(":")[-1] not in keys},
        }
        qname = f"{module}:{name.split(':')[-1]}"
        doc = json.dumps({qname: [body] if "[" in last else body}).encode()
        par = parent_path(path)
        parent = NULL
        if par is not None:
            parent = find_path(self.tree.root, par)
            if parent == NULL:
                parent = self._new_path(par, None, leaflist=False)
        out = ffi.new("struct lyd_node **")
        opts = lib.LYD_PARSE_ONLY | lib.LYD_PARSE_STRICT | lib.LYD_PARSE_NO_STATE
        if parent == NULL:
            ret = lib.lyd_parse_data_mem(self.ctx.cdata, doc, lib.LYD_JSON, opts, 0, out)
        else:
            holder = ffi.new("struct lyd_node **")
            if lib.lyd_dup_single(parent, NULL, lib.LYD_DUP_WITH_PARENTS, holder) != lib.LY_SUCCESS:
                return False
            inp = ffi.new("struct ly_in **")
            buf = ffi.new("char[]", doc)
            lib.ly_in_new_memory(buf, inp)
            try:
                ret = lib.lyd_parse_data(self.ctx.cdata, holder[0], inp[0], lib.LYD_JSON, opts, 0, ffi.NULL)
                news = []
                c = lib.lyd_child(holder[0])
                while c != NULL:
                    if not c.schema.flags & lib.LYS_KEY:
                        news.append(c)
                    c = c.next
                if ret == lib.LY_SUCCESS:
                    for n in news:
                        lib.lyd_insert_child(parent, n)
                        self.out.undo.created(n)
                        self._touch(node_path(n))
            finally:
                lib.ly_in_free(inp[0], 0)
                top = holder[0]
                while top.parent != NULL:
                    top = ffi.cast("struct lyd_node *", top.parent)
                lib.lyd_free_all(top)
        if ret != lib.LY_SUCCESS:
            raise self._libyang_fail(path)
        if parent == NULL:
            n = out[0]
            while n != NULL:
                nxt = n.next
                _ly.unlink_tree(n)
                self.tree.insert_top(n)
                self.out.undo.created(n)
                self._touch(node_path(n))
                n = nxt
        return True

    def _typed_keys(self, path: str, keys: dict[str, str]) -> dict[str, Any]:
        """Path key values as JSON-IETF wants them: numbers for integer types up to 32 bits (RFC 7951
        section 6.1), strings for everything else."""
        if not keys:
            return {}
        out: dict[str, Any] = dict(keys)
        for snode in self.ctx.find_path(_schema_path(path)):
            for key in snode.keys() if hasattr(snode, "keys") else ():
                name = key.name()
                if name in out and key.type().basename() in _JSON_NUMBERS:
                    with contextlib.suppress(ValueError):  # libyang reports the bad value
                        out[name] = int(out[name])
        return out

    def _put_entry(self, list_path: str, entry: dict[str, Any]) -> None:
        snodes = list(self.ctx.find_path(_schema_path(list_path)))
        if not snodes:
            raise _GnmiFail("unknown-element", "no such list", list_path)
        keys = [k.name() for k in snodes[0].keys()] if hasattr(snodes[0], "keys") else []  # noqa: SIM118
        if not keys:
            raise _GnmiFail("invalid-value", "keyless lists cannot be edited", list_path)
        pred = ""
        for k in keys:
            if k not in entry:
                raise _GnmiFail("missing-element", f"list entry without key {k!r}", list_path)
            v = _text(entry[k])
            pred += f"[{k}='{v}']" if "'" not in v else f'[{k}="{v}"]'
        self.put(list_path + pred, entry)

    def _libyang_fail(self, path: str) -> _GnmiFail:
        details = take_errors(self.ctx, "invalid-value")
        msg = details[0].message if details else "invalid path or value"
        tag = "unknown-element" if "not found" in msg.lower() else "invalid-value"
        return _GnmiFail(tag, msg, path)


def _top_nodes(tree: DataTree) -> list[Cdata]:
    out = []
    n = tree.root
    while n != NULL:
        if not n.flags & lib.LYD_DEFAULT:
            out.append(n)
        n = n.next
    return out


_JSON_NUMBERS = frozenset({"int8", "int16", "int32", "uint8", "uint16", "uint32"})


def _path_keys(path: str) -> dict[str, str]:
    """Key values in the last segment's predicates: ``interface[name='x']`` -> {"name": "x"}."""
    last = split_path(path)[-1] if split_path(path) else ""
    keys: dict[str, str] = {}
    i = last.find("[")
    while i != -1:
        j = last.index("=", i)
        name = last[i + 1 : j].strip().split(":")[-1]
        quote = last[j + 1]
        end = last.index(quote, j + 2)
        keys[name] = last[j + 2 : end]
        i = last.find("[", end)
    return keys


def _schema_path(path: str) -> str:
    return "/" + "/".join(seg.split("[", 1)[0] for seg in split_path(path))
