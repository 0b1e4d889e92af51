"""RFC 6241 ``<edit-config>`` semantics applied to a libyang tree.

libyang parses and type-checks; the operation semantics (section 7.2) are ours: merge, replace, create,
delete and remove per node (``nc:operation``), ``default-operation`` merge / replace / none, and the
``error-option``. Ordered-by-user lists and leaf-lists accept RFC 7950 7.8.6 ``yang:insert``,
``yang:key`` and ``yang:value`` attributes.

Speed matters for bulk edits (10,000 sub-interfaces in one ``<config>``): element by element in Python
would cost tens of microseconds per leaf, so every subtree that creates something new and carries no
operation attributes inside it is handed to libyang's XML parser in one batch per parent node; only the
path to it is walked here. The walk records an :class:`~agent.datastore.undo.UndoLog` (so the caller
can undo the edit) and the data paths it touched (so the diff costs what the change costs).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import libyang
from _libyang import ffi, lib
from lxml import etree

from agent.datastore import _ly
from agent.datastore.errors import EditError
from agent.datastore.tree import (
    NULL,
    PARSE_EDIT,
    Cdata,
    DataTree,
    ensure_error_paths,
    modules_by_ns,
    node_path,
    node_value,
    siblings,
    take_errors,
)
from agent.datastore.undo import UndoLog
from agent.errors import ErrorDetail

NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
YANG_NS = "urn:ietf:params:xml:ns:yang:1"
OP_ATTR = f"{{{NC_NS}}}operation"
INSERT_ATTR = f"{{{YANG_NS}}}insert"
KEY_ATTR = f"{{{YANG_NS}}}key"
VALUE_ATTR = f"{{{YANG_NS}}}value"
OPERATIONS = ("merge", "replace", "create", "delete", "remove")
_CREATING = ("merge", "replace", "create")


@dataclass
class EditOutcome:
    """What applying an edit did: touched paths, how to undo it, and the errors met."""

    touched: set[str] = field(default_factory=set)
    undo: UndoLog = field(default_factory=UndoLog)
    errors: list[ErrorDetail] = field(default_factory=list)
    fatal: bool = False
    changed: bool = False

    def error(self) -> EditError:
        first = self.errors[0]
        return EditError(
            first.message,
            tag=first.tag,
            path=first.path,
            error_type=first.error_type,
            info=first.info,
            app_tag=first.app_tag,
            details=list(self.errors),
        )


class _Fail(Exception):
    """One node's error; carries the protocol detail."""

    def __init__(self, tag: str, message: str, path: str | None, info: dict[str, str] | None = None) -> None:
        super().__init__(message)
        error_type = (
            "protocol" if tag in ("unknown-element", "unknown-namespace", "bad-attribute") else "application"
        )
        self.detail = ErrorDetail(
            tag=tag, message=message, path=path, error_type=error_type, info=dict(info or {})
        )


class _Stop(Exception):
    """Abort the edit (stop-on-error / rollback-on-error)."""


# ------------------------------------------------------------------------------------------- input


def parse_config_element(config: etree._Element) -> list[etree._Element]:
    """The data elements of an edit: children of a ``<config>`` element, or the element itself."""
    if etree.QName(config).localname == "config" and etree.QName(config).namespace in (NC_NS, None):
        return [c for c in config if isinstance(c.tag, str)]
    return [config]


def _xpath_quote(value: str) -> str:
    return f"'{value}'" if "'" not in value else f'"{value}"'


# ------------------------------------------------------------------------------------------ editor


class _XmlEditor:
    def __init__(
        self, ctx: libyang.Context, tree: DataTree, default_operation: str, error_option: str
    ) -> None:
        self.ctx = ctx
        self.tree = tree
        self.default_operation = default_operation
        self.error_option = error_option
        self.out = EditOutcome()
        self.modules = modules_by_ns(ctx)
        self._key_names: dict[Any, list[str]] = {}  # list schema node -> its key names
        self._keys_memo: tuple[etree._Element, list[tuple[str, str]]] | None = None
        self._where_memo: tuple[Cdata, str] | None = None  # cleared by every change (see _touch)

    # -- error handling

    def _failed(self, exc: _Fail) -> None:
        self.out.errors.append(exc.detail)
        if self.error_option != "continue-on-error":
            self.out.fatal = True
            raise _Stop

    # -- entry

    def run(self, elems: list[etree._Element]) -> EditOutcome:
        ensure_error_paths()
        with contextlib.suppress(_Stop):
            self._siblings(elems, NULL, NULL, self.default_operation)
        lib.ly_err_clean(self.ctx.cdata, NULL)
        return self.out

    def _siblings(self, elems: list[etree._Element], dparent: Cdata, sparent: Cdata, inherited: str) -> None:
        batch: list[tuple[etree._Element, Cdata]] = []
        batched: set[tuple[int, str]] = set()
        for elem in elems:
            if not isinstance(elem.tag, str):
                continue
            try:
                fast = self._node(elem, dparent, sparent, inherited)
                if fast is not None:
                    ident = (int(ffi.cast("uintptr_t", fast)), self._identity(elem, fast))
                    if ident in batched:
                        # the same node twice in one edit: create the first, then merge the second into it
                        self._flush(dparent, batch)
                        batch, batched = [], set()
                        fast = self._node(elem, dparent, sparent, inherited)
                        if fast is None:
                            continue
                    batch.append((elem, fast))
                    batched.add(ident)
            except _Fail as exc:
                self._failed(exc)
        self._flush(dparent, batch)

    def _identity(self, elem: etree._Element, snode: Cdata) -> str:
        if snode.nodetype != lib.LYS_LIST:
            return ""
        return "".join(f"[{k}={_xpath_quote(v)}]" for k, v in self._keys(elem, snode, ""))

    def _flush(self, dparent: Cdata, batch: list[tuple[etree._Element, Cdata]]) -> None:
        if not batch:
            return
        try:
            self._create_batch(dparent, batch)
        except _Fail:
            # libyang stops at the first problem and often cannot say where; walk the batch node by
            # node to report each error with its own tag and instance path.
            for elem, snode in batch:
                try:
                    self._create_slowly(elem, dparent, snode)
                except _Fail as exc:
                    self._failed(exc)

    def _create_slowly(self, elem: etree._Element, dparent: Cdata, snode: Cdata) -> None:
        pred = None
        name = ffi.string(snode.name).decode()
        here = f"{self._where(dparent)}/{name}"
        if snode.nodetype == lib.LYS_LIST:
            keys = self._keys(elem, snode, here)
            pred = "".join(f"[{k}={_xpath_quote(v)}]" for k, v in keys)
        node = self._new_inner(dparent, snode, pred, here)
        self._siblings(list(elem), node, snode, "merge")

    # -- one element

    def _where(self, dparent: Cdata) -> str:
        if dparent == NULL:
            return ""
        memo = self._where_memo
        if memo is not None and memo[0] == dparent:
            return memo[1]  # the parent of a 10,000-entry batch is asked for its path per entry
        path = node_path(dparent)
        self._where_memo = (dparent, path)
        return path

    def _schema(self, elem: etree._Element, dparent: Cdata, sparent: Cdata) -> Cdata:
        q = etree.QName(elem)
        where = self._where(dparent)
        if not q.namespace:
            raise _Fail(
                "unknown-namespace",
                f"element {q.localname!r} has no namespace",
                where or "/",
                {"bad-element": q.localname, "bad-namespace": ""},
            )
        module = self.modules.get(q.namespace)
        if module is None:
            raise _Fail(
                "unknown-namespace",
                f"namespace {q.namespace} is not supported",
                where or "/",
                {"bad-element": q.localname, "bad-namespace": q.namespace},
            )
        name = q.localname.encode()
        snode = lib.lys_find_child(sparent, module, name, len(name), 0, 0)
        if snode == NULL:
            raise _Fail(
                "unknown-element",
                f"unknown element {q.localname!r}",
                where or "/",
                {"bad-element": q.localname},
            )
        if snode.flags & lib.LYS_CONFIG_R:
            raise _Fail(
                "invalid-value",
                f"{q.localname!r} is state data (config false) and cannot be edited",
                f"{where}/{q.localname}",
                {"bad-element": q.localname},
            )
        return snode

    def _operation(self, elem: etree._Element, inherited: str, path: str) -> str:
        op = elem.get(OP_ATTR)
        if op is None:
            return inherited
        if op not in OPERATIONS:
            raise _Fail(
                "bad-attribute",
                f"bad operation {op!r}",
                path,
                {"bad-attribute": "operation", "bad-element": etree.QName(elem).localname},
            )
        return op

    def _node(self, elem: etree._Element, dparent: Cdata, sparent: Cdata, inherited: str) -> Cdata | None:
        """Apply one element; return its schema node if it should be created in the parent's batch."""
        snode = self._schema(elem, dparent, sparent)
        name = ffi.string(snode.name).decode()
        mod = ffi.string(snode.module.name).decode()
        same_module = dparent != NULL and dparent.schema.module == snode.module
        here = f"{self._where(dparent)}/{name if same_module else mod + ':' + name}"
        op = self._operation(elem, inherited, here)
        nt = snode.nodetype
        first = lib.lyd_child(dparent) if dparent != NULL else self.tree.root
        if nt == lib.LYS_LEAF:
            if snode.flags & lib.LYS_KEY and dparent != NULL:
                self._check_key(elem, dparent, name, op, here)
                return None
            self._leaf(elem, dparent, snode, first, op, here)
            return None
        if nt == lib.LYS_LEAFLIST:
            self._leaflist(elem, dparent, snode, first, op, here)
            return None
        if nt == lib.LYS_CONTAINER:
            existing = _ly.find_sibling_val(first, snode, None)
            return self._inner(elem, dparent, snode, existing, None, op, here)
        if nt == lib.LYS_LIST:
            keys = self._keys(elem, snode, here)
            pred = "".join(f"[{k}={_xpath_quote(v)}]" for k, v in keys)
            existing = _ly.find_sibling_val(first, snode, pred)
            lib.ly_err_clean(self.ctx.cdata, NULL)
            return self._inner(elem, dparent, snode, existing, pred, op, here + pred)
        raise _Fail("operation-failed", f"editing {name!r} (anydata/anyxml) is not supported", here)

    def _check_key(self, elem: etree._Element, dparent: Cdata, name: str, op: str, here: str) -> None:
        if op in ("delete", "remove") and elem.get(OP_ATTR) is not None:
            raise _Fail(
                "bad-attribute",
                f"list key {name!r} cannot be deleted on its own",
                here,
                {"bad-attribute": "operation", "bad-element": name},
            )

    # -- leaves

    def _leaf(
        self, elem: etree._Element, dparent: Cdata, snode: Cdata, first: Cdata, op: str, here: str
    ) -> None:
        existing = _ly.find_sibling_val(first, snode, None)
        if op in ("delete", "remove"):
            if existing == NULL or existing.flags & lib.LYD_DEFAULT:
                if op == "delete":
                    raise _Fail("data-missing", "data to delete does not exist", here)
                return
            self._delete(existing)
            return
        if op == "none":
            return
        text = self._json_value(elem, snode)
        if existing != NULL:
            if op == "create" and not existing.flags & lib.LYD_DEFAULT:
                raise _Fail("data-exists", "data already exists", here)
            was_default = bool(existing.flags & lib.LYD_DEFAULT)
            old = node_value(existing)
            ret = _ly.change_term(existing, text)
            if ret == lib.LY_SUCCESS or (ret == lib.LY_ENOT):
                self.out.undo.value_changed(node_path(existing), old, was_default)
                self._touch(node_path(existing))
            elif ret != lib.LY_EEXIST:
                raise self._libyang_fail(here, "invalid-value")
            return
        self._new_term(dparent, snode, text, here)

    def _json_value(self, elem: etree._Element, snode: Cdata) -> str:
        """The element's text as libyang's JSON value form: identityref prefixes become module names."""
        text = (elem.text or "").strip()
        basetype = ffi.cast("struct lysc_node_leaf *", snode).type.basetype
        if basetype in (lib.LY_TYPE_IDENT, lib.LY_TYPE_UNION, lib.LY_TYPE_INST) and ":" in text:
            prefix, rest = text.split(":", 1)
            ns = elem.nsmap.get(prefix)
            mod = self.modules.get(ns) if ns else None
            if mod is not None:
                return f"{ffi.string(mod.name).decode()}:{rest}"
        return elem.text or ""

    def _new_term(self, dparent: Cdata, snode: Cdata, text: str, here: str) -> Cdata:
        out = ffi.new("struct lyd_node **")
        ret = lib.lyd_new_term(dparent, snode.module, snode.name, text.encode(), 0, out)
        if ret != lib.LY_SUCCESS:
            raise self._libyang_fail(here, "invalid-value")
        node = out[0]
        if dparent == NULL:
            self.tree.insert_top(node)
        self.out.undo.created(node)
        self._clear_other_cases(dparent, node)
        self._touch(node_path(node) if snode.nodetype != lib.LYS_LEAFLIST else self._leaflist_touch(node))
        return node

    def _leaflist_touch(self, node: Cdata) -> str:
        par = node.parent
        if par != NULL:
            return node_path(ffi.cast("struct lyd_node *", par))
        return node_path(node).rsplit("[", 1)[0]

    def _leaflist(
        self, elem: etree._Element, dparent: Cdata, snode: Cdata, first: Cdata, op: str, here: str
    ) -> None:
        text = elem.text or ""
        existing = _ly.find_sibling_val(first, snode, text)
        lib.ly_err_clean(self.ctx.cdata, NULL)
        where = f"{here}[.={_xpath_quote(text)}]"
        if op in ("delete", "remove"):
            if existing == NULL:
                if op == "delete":
                    raise _Fail("data-missing", "data to delete does not exist", where)
                return
            touched = self._leaflist_touch(existing)
            self.out.undo.delete(self.tree, existing)
            self._touch(touched)
            return
        if op == "none":
            return
        if existing != NULL:
            if op == "create":
                raise _Fail("data-exists", "data already exists", where)
            node = existing
        else:
            node = self._new_term(dparent, snode, text, where)
        self._insert(elem, node, dparent, snode, where, is_list=False)

    # -- containers and list entries

    def _keys(self, elem: etree._Element, snode: Cdata, here: str) -> list[tuple[str, str]]:
        if self._keys_memo is not None and self._keys_memo[0] is elem:
            return self._keys_memo[1]  # _node and _identity both ask, once each per list entry
        names = self._key_names.get(snode)
        if names is None:
            names = []
            child = lib.lysc_node_child(snode)
            while child != NULL and child.flags & lib.LYS_KEY:
                names.append(ffi.string(child.name).decode())
                child = child.next
            self._key_names[snode] = names
        tag = elem.tag
        ns = tag[1 : tag.index("}")] if isinstance(tag, str) and tag.startswith("{") else ""
        keys = []
        for kname in names:
            kel = elem.find(f"{{{ns}}}{kname}")
            if kel is None:
                raise _Fail("missing-element", f"list key {kname!r} is missing", here, {"bad-element": kname})
            keys.append((kname, kel.text or ""))
        self._keys_memo = (elem, keys)
        return keys

    def _inner(
        self,
        elem: etree._Element,
        dparent: Cdata,
        snode: Cdata,
        existing: Cdata,
        pred: str | None,
        op: str,
        here: str,
    ) -> Cdata | None:
        if op == "delete" or op == "remove":
            if existing == NULL or (existing.flags & lib.LYD_DEFAULT and op == "remove"):
                if op == "delete":
                    raise _Fail("data-missing", "data to delete does not exist", here)
                return None
            if existing.flags & lib.LYD_DEFAULT:
                raise _Fail("data-missing", "data to delete does not exist", here)
            self._delete(existing)
            return None
        if op == "create" and existing != NULL and not existing.flags & lib.LYD_DEFAULT:
            raise _Fail("data-exists", "data already exists", here)
        if existing != NULL and op == "replace" and snode.nodetype == lib.LYS_LIST:
            # replace an existing entry in place (it keeps its position): drop its content, then merge
            for child in siblings(lib.lyd_child(existing)):
                if not child.schema.flags & lib.LYS_KEY and not child.flags & lib.LYD_DEFAULT:
                    self._delete(child)
            self._insert(elem, existing, dparent, snode, here, is_list=True)
            self._siblings(list(elem), existing, snode, "merge")
            return None
        if existing != NULL and (
            op == "replace" or (op in _CREATING and _only_defaults(existing) and _plain(elem))
        ):
            # replace, or a merge into a node holding nothing but defaults: create it anew in one parse
            self._delete(existing)
            existing = NULL
        if existing != NULL:
            if op == "create":  # an implicit (default) non-presence container: fill it in
                op = "merge"
            self._insert(elem, existing, dparent, snode, here, is_list=True)
            self._siblings(list(elem), existing, snode, op)
            return None
        if op == "none":
            if not _has_creating_op(elem):
                if _has_op(elem, "delete"):
                    raise _Fail("data-missing", "data to delete does not exist", here)
                return None
            node = self._new_inner(dparent, snode, pred, here)
            self._siblings(list(elem), node, snode, "none")
            return None
        if _plain(elem):
            return snode  # created in one batch by the caller
        node = self._new_inner(dparent, snode, pred, here)
        self._insert(elem, node, dparent, snode, here, is_list=True)
        self._siblings(list(elem), node, snode, "merge" if op == "create" else op)
        return None

    def _new_inner(self, dparent: Cdata, snode: Cdata, pred: str | None, here: str) -> Cdata:
        if snode.nodetype == lib.LYS_LIST:
            ret, node = _ly.new_list2(dparent, snode.module, ffi.string(snode.name), (pred or "").encode())
        else:
            out = ffi.new("struct lyd_node **")
            ret = lib.lyd_new_inner(dparent, snode.module, snode.name, 0, out)
            node = out[0]
        if ret != lib.LY_SUCCESS:
            raise self._libyang_fail(here, "invalid-value")
        if dparent == NULL:
            self.tree.insert_top(node)
        self.out.undo.created(node)
        self._clear_other_cases(dparent, node)
        self._touch(node_path(node))
        return node

    def _delete(self, node: Cdata) -> None:
        self._touch(node_path(node))
        self.out.undo.delete(self.tree, node)

    def _touch(self, path: str) -> None:
        self._where_memo = None  # nodes were created or freed: an address may now be another node
        self.out.touched.add(path)
        self.out.changed = True

    def _clear_other_cases(self, dparent: Cdata, node: Cdata) -> None:
        """RFC 7950 7.9: creating a node of one case of a choice deletes the nodes of its other cases."""
        choice, case = _case_of(node.schema)
        if choice == NULL:
            return
        first = lib.lyd_child(dparent) if dparent != NULL else self.tree.root
        doomed = []
        c = first
        while c != NULL:
            if (
                c != node
                and c.schema != NULL
                and not c.flags & lib.LYD_DEFAULT
                and _in_other_case(c.schema, choice, case)
            ):
                doomed.append(c)
            c = c.next
        for c in doomed:
            self._delete(c)

    # -- batches of new subtrees

    def _create_batch(self, dparent: Cdata, batch: list[tuple[etree._Element, Cdata]]) -> None:
        """Create every plain new subtree under ``dparent`` with one libyang parse."""
        text = b"".join(_serialize_in_scope(e) for e, _ in batch)
        if dparent == NULL:
            holder = NULL
            target_parent = NULL
        else:
            holder = _dup_parents_only(dparent)
            target_parent = holder
        inp = ffi.new("struct ly_in **")
        buf = ffi.new("char[]", text)
        if lib.ly_in_new_memory(buf, inp) != lib.LY_SUCCESS:
            raise _Fail("operation-failed", "out of memory", self._where(dparent) or "/")
        out = ffi.new("struct lyd_node **")
        try:
            ret = lib.lyd_parse_data(self.ctx.cdata, target_parent, inp[0], lib.LYD_XML, PARSE_EDIT, 0, out)
        finally:
            lib.ly_in_free(inp[0], 0)
        try:
            if ret != lib.LY_SUCCESS:
                if dparent == NULL and out[0] != NULL:
                    lib.lyd_free_all(out[0])
                raise self._libyang_fail(self._where(dparent) or "/", "invalid-value")
            if dparent == NULL:
                new_nodes = siblings(out[0])
            else:
                new_nodes = [c for c in siblings(lib.lyd_child(holder)) if not c.schema.flags & lib.LYS_KEY]
            for node in new_nodes:
                if dparent == NULL:
                    _ly.unlink_tree(node)
                    self.tree.insert_top(node)
                else:
                    lib.lyd_insert_child(dparent, node)  # moves it out of the holder
                path = node_path(node)
                self.out.undo.created(node)
                self._touch(path)
                self._clear_other_cases(dparent, node)
        finally:
            if holder != NULL:
                top = holder
                while top.parent != NULL:
                    top = ffi.cast("struct lyd_node *", top.parent)
                lib.lyd_free_all(top)

    # -- ordered-by-user positioning (RFC 7950 7.8.6)

    def _insert(
        self, elem: etree._Element, node: Cdata, dparent: Cdata, snode: Cdata, here: str, *, is_list: bool
    ) -> None:
        where = elem.get(INSERT_ATTR)
        if where is None:
            return
        if not snode.flags & lib.LYS_ORDBY_USER:
            raise _Fail(
                "bad-attribute",
                "insert is only allowed on ordered-by user lists and leaf-lists",
                here,
                {"bad-attribute": "insert", "bad-element": etree.QName(elem).localname},
            )
        first = lib.lyd_child(dparent) if dparent != NULL else self.tree.root
        instances = [c for c in siblings(first) if c.schema == snode]
        if where == "first":
            if instances and instances[0] != node:
                self.out.undo.moving(node)
                _ly.insert_before(instances[0], node)
        elif where == "last":
            if instances and instances[-1] != node:
                self.out.undo.moving(node)
                _ly.insert_after(instances[-1], node)
        elif where in ("before", "after"):
            attr = KEY_ATTR if is_list and snode.nodetype == lib.LYS_LIST else VALUE_ATTR
            anchor_key = elem.get(attr)
            if anchor_key is None:
                raise _Fail(
                    "missing-attribute",
                    f"insert={where} needs the {attr.split('}')[1]} attribute",
                    here,
                    {"bad-attribute": attr.split("}")[1], "bad-element": etree.QName(elem).localname},
                )
            anchor = _ly.find_sibling_val(first, snode, _strip_key_prefixes(anchor_key))
            lib.ly_err_clean(self.ctx.cdata, NULL)
            if anchor == NULL:
                raise _Fail(
                    "bad-attribute",
                    f"insert anchor {anchor_key} does not exist",
                    here,
                    {"bad-attribute": attr.split("}")[1], "bad-element": etree.QName(elem).localname},
                )
            if anchor != node:
                self.out.undo.moving(node)
                (_ly.insert_before if where == "before" else _ly.insert_after)(anchor, node)
        else:
            raise _Fail(
                "bad-attribute",
                f"bad insert value {where!r}",
                here,
                {"bad-attribute": "insert", "bad-element": etree.QName(elem).localname},
            )
        parent_path = node_path(dparent) if dparent != NULL else node_path(node)
        self._touch(parent_path)

    # -- libyang errors

    def _libyang_fail(self, where: str, default_tag: str) -> _Fail:
        details = take_errors(self.ctx, default_tag, instance_path=where)
        if not details:
            return _Fail(default_tag, "invalid data", where)
        d = details[0]
        tag = _tag_from_message(d.message, d.tag)
        message = d.message
        if "unable to map prefix" in message:
            message += UNDECLARED_PREFIX_HINT
        return _Fail(tag, message, d.path or where)


# What a user can do about an identityref whose prefix has no xmlns declaration in scope. The usual
# cause is the client library: lxml (ncclient) drops a declaration on an inner element whose namespace is
# already declared above it (e.g. <type xmlns:acl="...acl">acl:ipv4-acl-type</type> inside
# <acls xmlns="...acl">), since it cannot see prefixes used in text. See docs/netconf.md.
UNDECLARED_PREFIX_HINT = (
    " (the prefix has no xmlns declaration in scope in the request as received; if the client"
    " declared it on the leaf, its XML library dropped it: declare it on <config>)"
)


def _tag_from_message(msg: str, default: str) -> str:
    low = msg.lower()
    if "not found as a child" in low or "unknown element" in low or "not found in" in low:
        return "unknown-element"
    if "namespace" in low or "unknown xml prefix" in low:
        return "unknown-namespace"
    if "list instance is missing its key" in low or "missing key" in low:
        return "missing-element"
    if "duplicate instance" in low:
        return "data-exists"
    return default


def _strip_key_prefixes(key: str) -> str:
    # yang:key values look like "[ex:name='x']"; libyang's sibling search wants "[name='x']".
    out = []
    i = 0
    while i < len(key):
        ch = key[i]
        if ch == "[":
            j = key.index("=", i)
            name = key[i + 1 : j].strip()
            out.append("[" + name.split(":")[-1])
            i = j
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _dup_parents_only(node: Cdata) -> Cdata:
    """A detached copy of ``node`` and its ancestors (list keys included, no other children)."""
    out = ffi.new("struct lyd_node **")
    if lib.lyd_dup_single(node, NULL, lib.LYD_DUP_WITH_PARENTS, out) != lib.LY_SUCCESS:
        raise _Fail("operation-failed", "cannot copy the parent node", node_path(node))
    return out[0]


def _serialize_in_scope(elem: etree._Element) -> bytes:
    """``elem`` as XML text that also declares every namespace prefix in scope.

    lxml declares only the prefixes that element and attribute names use; identityref and
    instance-identifier values use prefixes in text (``<type>ianaift:l2vlan</type>``) that are often
    declared on an ancestor such as ``<config>``.
    """
    text = etree.tostring(elem)
    end = text.index(b">")
    start_tag = text[:end]
    extra = []
    for prefix, uri in elem.nsmap.items():
        if prefix is None:
            continue
        decl = f"xmlns:{prefix}=".encode()
        if decl not in start_tag:
            extra.append(f' xmlns:{prefix}="{uri}"'.encode())
    if not extra:
        return text
    name_end = end
    for i, ch in enumerate(start_tag):
        if ch in b" \t\r\n/":
            name_end = i
            break
    return text[:name_end] + b"".join(extra) + text[name_end:]


def _case_of(snode: Cdata) -> tuple[Cdata, Cdata]:
    """The innermost (choice, case) schema nodes ``snode`` sits in, or (NULL, NULL)."""
    p = snode.parent
    while p != NULL and p.nodetype & (lib.LYS_CASE | lib.LYS_CHOICE):
        if p.nodetype == lib.LYS_CASE:
            return p.parent, p
        p = p.parent
    return NULL, NULL


def _in_other_case(snode: Cdata, choice: Cdata, case: Cdata) -> bool:
    p = snode.parent
    while p != NULL and p.nodetype & (lib.LYS_CASE | lib.LYS_CHOICE):
        if p.nodetype == lib.LYS_CASE and p.parent == choice:
            return bool(p != case)
        p = p.parent
    return False


def _only_defaults(node: Cdata) -> bool:
    """True if ``node`` (a container) has no explicitly set content (only implicit defaults)."""
    if node.schema.nodetype != lib.LYS_CONTAINER:
        return False
    c = lib.lyd_child(node)
    while c != NULL:
        if not c.flags & lib.LYD_DEFAULT:
            return False
        c = c.next
    return True


def _has_op(elem: etree._Element, op: str) -> bool:
    return any(e.get(OP_ATTR) == op for e in elem.iter() if isinstance(e.tag, str))


def _has_creating_op(elem: etree._Element) -> bool:
    return any(e.get(OP_ATTR) in _CREATING for e in elem.iter() if isinstance(e.tag, str))


_HAS_EDIT_ATTRS = etree.XPath(
    "boolean(descendant-or-self::*/@*[(namespace-uri() = $nc and local-name() = 'operation')"
    " or (namespace-uri() = $yang and local-name() = 'insert')])"
)


def _plain(elem: etree._Element) -> bool:
    """No operation or insert attributes anywhere in the subtree (checked by libxml2's XPath, in C)."""
    return not _HAS_EDIT_ATTRS(elem, nc=NC_NS, yang=YANG_NS)


def apply_xml_edit(
    ctx: libyang.Context,
    tree: DataTree,
    elems: list[etree._Element],
    *,
    default_operation: str,
    error_option: str,
) -> EditOutcome:
    """Apply an edit to ``tree`` in place. On a fatal error the caller rolls back with ``outcome.undo``."""
    if default_operation == "replace":
        return _replace_all(ctx, tree, elems, error_option)
    return _XmlEditor(ctx, tree, default_operation, error_option).run(elems)


def _replace_all(
    ctx: libyang.Context, tree: DataTree, elems: list[etree._Element], error_option: str
) -> EditOutcome:
    """default-operation replace: the config replaces the whole datastore (RFC 6241 7.2)."""
    editor = _XmlEditor(ctx, tree, "merge", error_option)
    for node in siblings(tree.root):
        if not node.flags & lib.LYD_DEFAULT:
            editor._delete(node)
    out = editor.run(elems)
    out.changed = True
    return out
