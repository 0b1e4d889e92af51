"""Ownership of libyang data trees, and the few tree primitives every datastore module needs.

libyang trees live in C memory that Python's garbage collector does not see. :class:`DataTree` is the
one owner of a data forest (the list of top-level siblings): it frees the forest when closed or when the
last Python reference to it goes away, which is what lets a committed running tree stay alive exactly
as long as some reader still holds it (docs/architecture.md, "committed trees never modified") without
reference counting by hand.
"""

from __future__ import annotations

import weakref
from typing import Any, Literal

import libyang
import orjson
from _libyang import ffi, lib

from agent.datastore import _ly
from agent.errors import ErrorDetail, ValidationError
from agent.model import libyang_c

Cdata = Any  # a cffi ``struct lyd_node *``
WithDefaults = Literal["report-all", "trim", "explicit", "report-all-tagged"]
Format = Literal["xml", "json"]

NULL = ffi.NULL

_WD_FLAGS: dict[str | None, int] = {
    None: lib.LYD_PRINT_WD_EXPLICIT,
    "explicit": lib.LYD_PRINT_WD_EXPLICIT,
    "report-all": lib.LYD_PRINT_WD_ALL,
    "trim": lib.LYD_PRINT_WD_TRIM,
    "report-all-tagged": lib.LYD_PRINT_WD_ALL_TAG,
}
_FORMATS = {"xml": lib.LYD_XML, "json": lib.LYD_JSON}

PARSE_EDIT = lib.LYD_PARSE_ONLY | lib.LYD_PARSE_STRICT | lib.LYD_PARSE_NO_STATE
VALIDATE_CONFIG = lib.LYD_VALIDATE_NO_STATE
DUP_ALL = lib.LYD_DUP_RECURSIVE | lib.LYD_DUP_WITH_FLAGS

# RFC 7950 section 15 error-app-tag -> RFC 6241 error-tag
_TAG_FOR_APPTAG = {
    "data-not-unique": "operation-failed",
    "too-many-elements": "operation-failed",
    "too-few-elements": "operation-failed",
    "must-violation": "operation-failed",
    "instance-required": "data-missing",
    "missing-choice": "data-missing",
    "missing-instance": "bad-attribute",
}


# ----------------------------------------------------------------------------------------------- errors


def ensure_error_paths() -> None:
    """Make libyang record the data path of each error it stores.

    libyang 2.1 fills ``ly_err_item.path`` only when the log callback was registered with the path flag;
    the Python binding's ``configure_logging`` may reset it, so this is (cheaply) re-asserted before
    every operation whose errors we report. libyang 3 always records the paths (nothing to do).
    """
    _ly.log_paths_on()


def take_errors(
    ctx: libyang.Context, default_tag: str = "invalid-value", *, instance_path: str | None = None
) -> list[ErrorDetail]:
    """Collect (and clear) libyang's error list for ``ctx`` as protocol error details.

    The instance path is the one libyang reports (it names the offending data node); the error-tag
    follows RFC 7950 section 15 where libyang gives an error-app-tag, else ``default_tag``. Where libyang
    names no data node or only an ancestor of the caller's ``instance_path`` (a value refused by
    ``lyd_new_term`` before any data node exists: range, type, pattern; libyang 2 gives the schema
    path there, libyang 3 the parent's instance path), ``instance_path`` is used instead: NETCONF's
    error-path is an instance identifier with the list keys, and a schema path (with choice and case
    names, without keys) is not. A missing mandatory node is named by its schema path on libyang 2 and
    by its instance path on libyang 3 (:func:`agent.model.libyang_c.errors`).
    """
    details: list[ErrorDetail] = []
    for err in libyang_c.errors(ctx.cdata):
        path = err.path
        if instance_path is not None and (
            err.data_path is None or instance_path.startswith(err.data_path.rstrip("/") + "/")
        ):
            path = instance_path
        tag = _TAG_FOR_APPTAG.get(err.apptag or "", default_tag)
        if err.apptag is None and err.message.startswith("Mandatory node"):
            tag = "data-missing"
        details.append(ErrorDetail(tag=tag, message=err.message, path=path, app_tag=err.apptag))
    lib.ly_err_clean(ctx.cdata, NULL)
    return details


def raise_validation(ctx: libyang.Context, what: str, default_tag: str = "invalid-value") -> None:
    details = take_errors(ctx, default_tag) or [ErrorDetail(tag=default_tag, message=what)]
    first = details[0]
    raise ValidationError(
        first.message, tag=first.tag, path=first.path, app_tag=first.app_tag, details=details
    )


# ------------------------------------------------------------------------------------------- node helpers


_NS_CACHE: dict[int, dict[str, Cdata]] = {}


def modules_by_ns(ctx: libyang.Context) -> dict[str, Cdata]:
    """Implemented modules of ``ctx`` by XML namespace (cached per context)."""
    cached = _NS_CACHE.get(id(ctx))
    if cached is None:
        cached = {}
        for mod in ctx:
            if mod.implemented():
                cached[ffi.string(mod.cdata.ns).decode()] = mod.cdata
        _NS_CACHE[id(ctx)] = cached
    return cached


def node_path(node: Cdata) -> str:
    """libyang's data path of ``node`` (keys in predicates, module prefixes where the module changes)."""
    c = lib.lyd_path(node, lib.LYD_PATH_STD, NULL, 0)
    try:
        return ffi.string(c).decode()  # type: ignore[no-any-return]
    finally:
        lib.free(c)


def node_name(node: Cdata) -> str:
    return ffi.string(node.schema.name).decode()  # type: ignore[no-any-return]


def node_module(node: Cdata) -> str:
    return ffi.string(node.schema.module.name).decode()  # type: ignore[no-any-return]


def node_value(node: Cdata) -> str:
    """Canonical string value of a term node."""
    return ffi.string(lib.lyd_get_value(node)).decode()  # type: ignore[no-any-return]


def first_child(node: Cdata) -> Cdata:
    return lib.lyd_child(node)


def siblings(first: Cdata) -> list[Cdata]:
    """``first`` and every node after it on its level (libyang sibling lists end in NULL)."""
    out = []
    n = first
    while n != NULL:
        out.append(n)
        n = n.next
    return out


def children(node: Cdata) -> list[Cdata]:
    return siblings(lib.lyd_child(node))


def parent_of(node: Cdata) -> Cdata:
    par = node.parent
    return ffi.cast("struct lyd_node *", par) if par != NULL else NULL


def is_default(node: Cdata) -> bool:
    return bool(node.flags & lib.LYD_DEFAULT)


def nodetype(node: Cdata) -> int:
    return int(node.schema.nodetype)


def is_term(node: Cdata) -> bool:
    return bool(nodetype(node) & (lib.LYS_LEAF | lib.LYS_LEAFLIST))


def find_path(root: Cdata, path: str) -> Cdata:
    """The node at ``path`` (a libyang data path) in the forest starting at ``root``, or NULL."""
    if root == NULL:
        return NULL
    out = ffi.new("struct lyd_node **")
    if lib.lyd_find_path(root, path.encode(), 0, out) != lib.LY_SUCCESS:
        lib.ly_err_clean(_ctx_of(root), NULL)
        return NULL
    return out[0]


def _ctx_of(node: Cdata) -> Cdata:
    """The libyang context (one per process, see :func:`agent.model.load_model_set`)."""
    from agent.model import load_model_set

    return load_model_set().ctx.cdata


def find_xpath(root: Cdata, xpath: str) -> list[Cdata]:
    """All nodes selected by ``xpath`` (raises PathError-like ValidationError if it does not compile)."""
    if root == NULL:
        return []
    out = ffi.new("struct ly_set **")
    if lib.lyd_find_xpath(root, xpath.encode(), out) != lib.LY_SUCCESS:
        details = _take_node_errors(root)
        msg = details[0].message if details else "invalid XPath expression"
        raise ValidationError(f"{msg}: {xpath}", tag="invalid-value")
    try:
        s = out[0]
        return [s.dnodes[i] for i in range(s.count)]
    finally:
        lib.ly_set_free(out[0], NULL)


def _take_node_errors(node: Cdata) -> list[ErrorDetail]:
    ctx = _ctx_of(node)
    details = [ErrorDetail(tag="invalid-value", message=e.message) for e in libyang_c.errors(ctx)]
    lib.ly_err_clean(ctx, NULL)
    return details


def print_node(
    node: Cdata,
    fmt: Format = "json",
    *,
    with_defaults: WithDefaults | None = "report-all",
    siblings: bool = False,
    keep_empty_containers: bool = False,
) -> str:
    """Print one node (and its subtree) or, with ``siblings``, the whole forest from ``node`` on;
    ``keep_empty_containers`` prints non-presence containers that have no children."""
    if node == NULL:
        return "" if fmt == "xml" else "{}"
    flags = lib.LYD_PRINT_SHRINK | _WD_FLAGS[with_defaults]
    if siblings:
        flags |= lib.LYD_PRINT_WITHSIBLINGS
    if keep_empty_containers:
        flags |= lib.LYD_PRINT_KEEPEMPTYCONT
    out = ffi.new("char **")
    if lib.lyd_print_mem(out, node, _FORMATS[fmt], flags) != lib.LY_SUCCESS:
        raise ValidationError("cannot print data tree", tag="operation-failed")
    if out[0] == NULL:
        return "" if fmt == "xml" else "{}"
    try:
        return ffi.string(out[0]).decode()  # type: ignore[no-any-return]
    finally:
        lib.free(out[0])


def node_json(node: Cdata) -> Any:
    """JSON-IETF value of ``node``: the content dict of a container / list entry, a scalar for a leaf.

    Defaults that libyang added are included and tagged (``"@name": {"ietf-netconf-with-defaults:default":
    true}``) so that replaying the value elsewhere reproduces the same tree, default flags included.
    """
    if is_term(node):
        (leaf_val,) = orjson.loads(print_node(node, "json", with_defaults="report-all")).values()
        if isinstance(leaf_val, list) and nodetype(node) == lib.LYS_LEAFLIST:
            return leaf_val[0]  # one leaf-list entry prints as a one-element array
        return leaf_val
    obj = orjson.loads(print_node(node, "json", with_defaults="report-all-tagged"))
    (val,) = obj.values() if len(obj) == 1 else (obj,)
    if isinstance(val, list) and nodetype(node) == lib.LYS_LIST:
        return val[0]
    return val


def dup_single(node: Cdata, parent: Cdata = NULL, *, with_parents: bool = False) -> Cdata:
    out = ffi.new("struct lyd_node **")
    flags = DUP_ALL | (lib.LYD_DUP_WITH_PARENTS if with_parents else 0)
    parent_inner = ffi.cast("struct lyd_node_inner *", parent) if parent != NULL else NULL
    if lib.lyd_dup_single(node, parent_inner, flags, out) != lib.LY_SUCCESS:
        raise ValidationError("cannot duplicate data node", tag="operation-failed")
    return out[0]


# -------------------------------------------------------------------------------------------- DataTree


def _free_forest(root_box: list[Cdata]) -> None:
    if root_box[0] != NULL:
        lib.lyd_free_all(root_box[0])
        root_box[0] = NULL


class DataTree:
    """Owner of one libyang data forest (all top-level siblings), possibly empty.

    The forest is freed by :meth:`close` or when this object is garbage collected. Code that keeps a
    node pointer from the forest must keep the :class:`DataTree` alive for as long.
    """

    __slots__ = ("__weakref__", "_box", "_finalizer", "ctx")

    def __init__(self, ctx: libyang.Context, root: Cdata = NULL) -> None:
        self.ctx = ctx
        self._box: list[Cdata] = [lib.lyd_first_sibling(root) if root != NULL else NULL]
        self._finalizer = weakref.finalize(self, _free_forest, self._box)

    # -- construction

    @classmethod
    def parse(
        cls, ctx: libyang.Context, data: str | bytes, fmt: Format = "json", *, validate: bool = True
    ) -> DataTree:
        """Parse configuration data (no state); validate it unless ``validate`` is False.

        Raises :class:`ValidationError` with libyang's message and instance path.
        """
        if isinstance(data, str):
            data = data.encode()
        tree = cls(ctx)
        if not data.strip():
            if validate:
                tree.validate()
            return tree
        ensure_error_paths()
        out = ffi.new("struct lyd_node **")
        vopts = VALIDATE_CONFIG if validate else 0
        popts = lib.LYD_PARSE_STRICT | lib.LYD_PARSE_NO_STATE | (0 if validate else lib.LYD_PARSE_ONLY)
        ret = lib.lyd_parse_data_mem(ctx.cdata, data, _FORMATS[fmt], popts, vopts, out)
        if ret != lib.LY_SUCCESS:
            if out[0] != NULL:
                lib.lyd_free_all(out[0])
            raise_validation(ctx, "cannot parse data")
        tree.root = out[0]
        return tree

    @classmethod
    def adopt(cls, ctx: libyang.Context, dnode: libyang.DNode | None) -> DataTree:
        """Take ownership of a tree built with the Python binding (the caller must not free it)."""
        return cls(ctx, dnode.cdata if dnode is not None else NULL)

    # -- the forest

    @property
    def root(self) -> Cdata:
        """First top-level sibling (NULL when empty)."""
        return self._box[0]

    @root.setter
    def root(self, node: Cdata) -> None:
        self._box[0] = lib.lyd_first_sibling(node) if node != NULL else NULL

    @property
    def tree(self) -> libyang.DNode | None:
        """The forest as a binding ``DNode`` (borrowed: do not free it), or None when empty.

        Assigning a DNode makes this object its owner (the holder protocol used by ``apply_changes``).
        """
        return libyang.DNode.new(self.ctx, self.root) if self.root != NULL else None

    @tree.setter
    def tree(self, dnode: libyang.DNode | None) -> None:
        self.root = dnode.cdata if dnode is not None else NULL

    @property
    def empty(self) -> bool:
        return bool(self.root == NULL)

    def close(self) -> None:
        """Free the forest now."""
        self._finalizer()

    def release(self) -> Cdata:
        """Give up ownership: return the root and leave this object empty."""
        root = self.root
        self._box[0] = NULL
        return root

    def dup(self) -> DataTree:
        """A deep copy (flags included, so default nodes stay marked as defaults)."""
        if self.root == NULL:
            return DataTree(self.ctx)
        out = ffi.new("struct lyd_node **")
        if lib.lyd_dup_siblings(self.root, NULL, DUP_ALL, out) != lib.LY_SUCCESS:
            raise ValidationError("cannot duplicate data tree", tag="operation-failed")
        return DataTree(self.ctx, out[0])

    def find(self, path: str) -> Cdata:
        return find_path(self.root, path)

    def insert_top(self, node: Cdata) -> None:
        """Add ``node`` (unlinked) as a top-level sibling."""
        self.root = _ly.insert_sibling(self.root, node)

    def free_node(self, node: Cdata) -> None:
        """Free ``node`` and its subtree, keeping :attr:`root` valid."""
        if node == self.root:
            nxt = node.next
            lib.lyd_free_tree(node)
            self._box[0] = nxt if nxt != NULL else NULL
        else:
            lib.lyd_free_tree(node)

    def unlink_node(self, node: Cdata) -> None:
        """Detach ``node`` from the forest without freeing it (the caller owns it afterwards)."""
        if node == self.root:
            nxt = node.next
            _ly.unlink_tree(node)
            self._box[0] = nxt if nxt != NULL else NULL
        else:
            _ly.unlink_tree(node)

    def validate(self) -> None:
        """Full YANG validation of configuration data (adds defaults, removes nodes whose when is false).

        Raises :class:`ValidationError` with libyang's message, error-app-tag and instance path.
        """
        ensure_error_paths()
        box = ffi.new("struct lyd_node **", self.root)
        ret = lib.lyd_validate_all(box, self.ctx.cdata, VALIDATE_CONFIG, NULL)
        self._box[0] = box[0]
        if ret != lib.LY_SUCCESS:
            raise_validation(self.ctx, "validation failed")

    def validate_modules(self, modules: list[Cdata]) -> None:
        """:meth:`validate` restricted to the data of ``modules`` (``lyd_validate_module``, in order).

        ``lyd_validate_all`` runs the same per-module steps for every module in context order, so for
        modules given in context order this finds the first error full validation would find among
        them. Which modules may be skipped is :meth:`SchemaDeps.modules_to_validate`'s business.
        """
        ensure_error_paths()
        root = self.root
        try:
            for mod in modules:
                ret, root = _ly.validate_module(root, mod, VALIDATE_CONFIG)
                if ret != lib.LY_SUCCESS:
                    raise_validation(self.ctx, "validation failed")
        finally:
            self._box[0] = lib.lyd_first_sibling(root) if root != NULL else NULL

    def validate_with_diff(self, skip: set[str] | None = None) -> list[tuple[str, str]]:
        """Validate; return what validation itself changed as ``(operation, path)`` pairs.

        Validation adds default nodes and deletes nodes whose ``when`` became false. Subtrees whose path
        is in ``skip`` are not reported. Asking libyang for this diff makes validation 2-3 times slower
        (measured: 10,000 interfaces), so commits use :meth:`validate` and widen what they compare
        instead (see ``Datastores._prepare_tree``); this is for callers that need the exact effects.
        """
        ensure_error_paths()
        box = ffi.new("struct lyd_node **", self.root)
        diff = ffi.new("struct lyd_node **")
        ret = lib.lyd_validate_all(box, self.ctx.cdata, VALIDATE_CONFIG, diff)
        self._box[0] = box[0]
        try:
            if ret != lib.LY_SUCCESS:
                raise_validation(self.ctx, "validation failed")
            return _diff_ops(diff[0], skip or set())
        finally:
            if diff[0] != NULL:
                lib.lyd_free_all(diff[0])

    def print(self, fmt: Format = "json", *, with_defaults: WithDefaults | None = None) -> str:
        return print_node(self.root, fmt, with_defaults=with_defaults, siblings=True)


def data_size_at_most(tree: DataTree, modules: list[Cdata], limit: int) -> bool:
    """True if the top-level data of ``modules`` in ``tree`` has at most ``limit`` nodes (bounded walk)."""
    wanted = {int(ffi.cast("uintptr_t", m)) for m in modules}
    count = 0
    for top in siblings(tree.root):
        if int(ffi.cast("uintptr_t", top.schema.module)) not in wanted:
            continue
        stack = [top]
        while stack:
            node = stack.pop()
            count += 1
            if count > limit:
                return False
            if not is_term(node):
                c = lib.lyd_child(node)
                while c != NULL:
                    stack.append(c)
                    c = c.next
    return True


def _diff_ops(diff_root: Cdata, skip: set[str]) -> list[tuple[str, str]]:
    """(operation, path) of the top-most nodes of a libyang diff tree that carry an operation."""
    out: list[tuple[str, str]] = []
    stack = siblings(diff_root)
    while stack:
        node = stack.pop()
        if skip and not is_term(node) and node_path(node) in skip:
            continue
        op = _meta_value(node, "operation")
        if op in ("create", "delete", "replace"):
            out.append((op, node_path(node)))
            continue
        c = lib.lyd_child(node) if not is_term(node) else NULL
        while c != NULL:
            stack.append(c)
            c = c.next
    return out


def _meta_value(node: Cdata, name: str) -> str | None:
    m = node.meta
    while m != NULL:
        if ffi.string(m.name).decode() == name:
            val = lib.lyd_value_get_canonical(_ctx_of(node), ffi.addressof(m.value))
            return ffi.string(val).decode()  # type: ignore[no-any-return]
        m = m.next
    return None
