"""NMDA reads (RFC 8526 ``<get-data>``): config-filter, origin, origin filters and max-depth.

A read selects nodes (XPath / subtree filter, :mod:`agent.datastore.read`), copies them with their
ancestors and keys, and then shapes the private copy in this order:

1. **origin** (RFC 8342 section 5.3.4), operational datastore only: a configuration node whose
   counterpart (same node, same value) is in running -- which is intended here: the agent has no
   template expansion or inactive configuration -- has origin ``or:intended``, or ``or:default`` when
   libyang added it as a schema default; a configuration node present only because a provider reported
   it (a port VPP has that nobody configured: the list entry and its key) has ``or:system``. State
   (config false) nodes have no origin. Origin is inherited, so only nodes whose origin differs from
   their parent's are recorded (and annotated): every top-level configuration node, and below it
   where the origin changes.
2. **config-filter** and **origin filters** (ANDed): each node is judged by itself; a node that is not
   selected stays only as an ancestor (or list key) of one that is. State nodes are not affected by
   origin filters (RFC 8526 ``origin-filters``); an origin matches a filter value when it is derived
   from or equal to it, which libyang's ``derived-from-or-self()`` decides, so identities other modules
   derive from ``ietf-origin`` identities work too.
3. **max-depth**, counted for each node the filters selected (depth 1 = that node, no children; a
   list entry always keeps its keys), and from the top-level nodes when there is no filter, as the
   ``max-depth`` leaf of ``ietf-netconf-nmda`` defines it.
4. With ``with_origin``, the recorded origins become ``ietf-origin:origin`` metadata, which libyang
   prints (XML attribute ``or:origin="or:intended"``, JSON ``"@": {"ietf-origin:origin": ...}``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libyang
from _libyang import ffi, lib
from lxml import etree

from agent.datastore import _ly
from agent.datastore import read as readmod
from agent.datastore.tree import (
    NULL,
    Cdata,
    DataTree,
    Format,
    WithDefaults,
    children,
    find_path,
    find_xpath,
    is_term,
    node_path,
    node_value,
    parent_of,
    print_node,
    siblings,
)
from agent.errors import ValidationError

if TYPE_CHECKING:
    from agent.datastore.store import Datastores

ORIGIN_MODULE = "ietf-origin"
INTENDED = "ietf-origin:intended"
SYSTEM = "ietf-origin:system"
DEFAULT = "ietf-origin:default"
UNKNOWN = "ietf-origin:unknown"
ORIGINS = (INTENDED, SYSTEM, DEFAULT, UNKNOWN)


@dataclass(frozen=True)
class DataQuery:
    """The parameters of one ``<get-data>`` (RFC 8526 section 3.1.1), protocol-neutral.

    Identities are in JSON form (``module:name``).
    """

    datastore: str
    xpath: str | None = None
    subtree: etree._Element | None = None
    config_filter: bool | None = None
    origin_filter: tuple[str, ...] = ()
    negated_origin_filter: tuple[str, ...] = ()
    max_depth: int | None = None
    with_origin: bool = False
    with_defaults: WithDefaults | None = None

    @property
    def plain(self) -> bool:
        """Nothing beyond what a plain read does (the fast path)."""
        return (
            self.max_depth is None
            and not self.with_origin
            and not self.origin_filter
            and not self.negated_origin_filter
            and self.config_filter is not False
            and not (self.datastore == "operational" and self.config_filter is True)
        )


def _key(node: Cdata) -> int:
    return int(ffi.cast("uintptr_t", node))


def _is_config(node: Cdata) -> bool:
    return bool(node.schema != NULL and node.schema.flags & lib.LYS_CONFIG_W)


def _is_key(node: Cdata) -> bool:
    return bool(node.schema != NULL and node.schema.flags & lib.LYS_KEY)


# ------------------------------------------------------------------------------------------ origins


def compute_origins(result: DataTree, running: DataTree) -> dict[int, str]:
    """Origin of the configuration nodes of ``result`` (an operational copy), recorded only where it
    differs from the parent's (see the module doc). Keys are node addresses."""
    marks: dict[int, str] = {}

    def walk(node: Cdata, counterpart: Cdata, inherited: str | None) -> None:
        if not _is_config(node):
            return  # state: no origin, and everything below is state too
        if counterpart != NULL and is_term(node) and node_value(node) != node_value(counterpart):
            counterpart = NULL  # the system uses another value than the configured one
        if counterpart != NULL and counterpart.flags & lib.LYD_DEFAULT and not node.flags & lib.LYD_DEFAULT:
            # running has it only implicitly (an empty container, a default); what is there now the
            # system reported
            counterpart = NULL
        if node.flags & lib.LYD_DEFAULT:
            origin = DEFAULT
        elif counterpart != NULL:
            origin = INTENDED
        else:
            origin = SYSTEM
        if origin != inherited:
            marks[_key(node)] = origin
        if is_term(node):
            return
        below = lib.lyd_child(counterpart) if counterpart != NULL else NULL
        for c in children(node):
            walk(c, _ly.find_sibling_first(below, c) if below != NULL else NULL, origin)

    for top in siblings(result.root):
        walk(top, _ly.find_sibling_first(running.root, top) if running.root != NULL else NULL, None)
    return marks


class OriginMatcher:
    """``derived-from-or-self`` between origin identities, answered by libyang on a scratch node and
    cached (a read meets at most a handful of distinct origins)."""

    def __init__(self, ctx: libyang.Context) -> None:
        self.ctx = ctx
        self._cache: dict[tuple[str, str], bool] = {}

    def valid(self, identity: str) -> bool:
        """Is ``identity`` an origin identity (a value of ``or:origin-ref``)?"""
        probe = self._probe(identity)
        if probe is None:
            return False
        probe.close()
        return True

    def derived_or_self(self, origin: str, base: str) -> bool:
        hit = self._cache.get((origin, base))
        if hit is None:
            probe = self._probe(origin)
            if probe is None:
                hit = False
            else:
                try:
                    expr = f"/{_PROBE_PATH}[derived-from-or-self(@ietf-origin:origin, '{base}')]"
                    hit = bool(find_xpath(probe.root, expr))
                finally:
                    probe.close()
            self._cache[(origin, base)] = hit
        return hit

    def _probe(self, identity: str) -> DataTree | None:
        """A one-node tree carrying ``identity`` as its origin (None if libyang refuses the value)."""
        tree = DataTree.parse(self.ctx, _PROBE_JSON, validate=False)
        mod = self.ctx.get_module(ORIGIN_MODULE)
        out = ffi.new("struct lyd_meta **")
        if lib.lyd_new_meta(self.ctx.cdata, tree.root, mod.cdata, b"origin", identity.encode(), 0, out):
            lib.ly_err_clean(self.ctx.cdata, NULL)
            tree.close()
            return None
        return tree


# any config container of the model set serves as the probe's carrier
_PROBE_PATH = "ietf-interfaces:interfaces"
_PROBE_JSON = b'{"ietf-interfaces:interfaces": {}}'


def is_origin(ctx: libyang.Context, identity: str) -> bool:
    """Is ``identity`` (``module:name``) an origin identity, i.e. a valid ``or:origin-ref``?"""
    return OriginMatcher(ctx).valid(identity)


# ------------------------------------------------------------------------------------------ shaping


def keep_selected(
    tree: DataTree, selected: Callable[[Cdata, str | None], bool], marks: dict[int, str]
) -> None:
    """Keep the nodes ``selected(node, origin)`` accepts, with their ancestors and list keys."""

    def visit(node: Cdata, inherited: str | None) -> bool:
        origin = marks.get(_key(node), inherited) if _is_config(node) else None
        chosen = selected(node, origin)
        if is_term(node):
            return chosen
        kept = False
        for c in children(node):
            if _is_key(c):
                continue
            if visit(c, origin):
                kept = True
            else:
                lib.lyd_free_tree(c)
        return chosen or kept

    for top in siblings(tree.root):
        if not visit(top, None):
            tree.free_node(top)


def limit_depth(tree: DataTree, roots: list[tuple[str, int]] | None, max_depth: int) -> None:
    """Cut every subtree ``max_depth`` levels below its root (``roots``: data path and the levels it
    allows; None = every top-level node with ``max_depth``). Ancestors of roots stay as the path to
    them; list entries keep their keys."""
    budgets: dict[int, int] = {}
    path_nodes: set[int] = set()
    if roots is None:
        for top in siblings(tree.root):
            budgets[_key(top)] = max_depth
    else:
        for path, levels in roots:
            node = find_path(tree.root, path)
            if node == NULL:
                continue  # removed by a config or origin filter
            budgets[_key(node)] = max(budgets.get(_key(node), 0), levels)
            up = parent_of(node)
            while up != NULL:
                path_nodes.add(_key(up))
                up = parent_of(up)

    def visit(node: Cdata, budget: int) -> bool:
        budget = max(budget, budgets.get(_key(node), 0))
        if budget <= 0 and _key(node) not in path_nodes:
            return False
        if not is_term(node):
            default = node.flags & lib.LYD_DEFAULT
            for c in children(node):
                if _is_key(c):
                    continue
                if not visit(c, budget - 1):
                    lib.lyd_free_tree(c)
            # libyang marks a container whose children are all gone as a default one (which the
            # explicit mode would not print): it is not, it was cut
            node.flags = (node.flags & ~lib.LYD_DEFAULT) | default
        return True

    for top in siblings(tree.root):
        if not visit(top, 0):
            tree.free_node(top)


def _depth_roots(nodes: list[Cdata] | None, max_depth: int) -> list[tuple[str, int]] | None:
    """Data paths of the selected nodes (found again in the copy); a keyless-list entry or leaf-list
    value is found through its parent (positions differ in the copy), one level more."""
    if nodes is None:
        return None
    out: list[tuple[str, int]] = []
    for node in nodes:
        keyless = node.schema.nodetype == lib.LYS_LEAFLIST or (
            node.schema.nodetype == lib.LYS_LIST and node.schema.flags & lib.LYS_KEYLESS
        )
        up = parent_of(node)
        if keyless and up != NULL:
            out.append((node_path(up), max_depth + 1))
        else:
            out.append((node_path(node), max_depth))
    return out


def annotate(ctx: libyang.Context, tree: DataTree, marks: dict[int, str]) -> None:
    """Attach ``ietf-origin:origin`` metadata where ``marks`` records an origin."""
    if tree.root == NULL or not marks:
        return
    mod = ctx.get_module(ORIGIN_MODULE).cdata
    out = ffi.new("struct lyd_meta **")
    stack = siblings(tree.root)
    while stack:
        node = stack.pop()
        if not _is_config(node):
            continue
        origin = marks.get(_key(node))
        if origin is not None and lib.lyd_new_meta(ctx.cdata, node, mod, b"origin", origin.encode(), 0, out):
            lib.ly_err_clean(ctx.cdata, NULL)
        if not is_term(node):
            stack.extend(children(node))


# ------------------------------------------------------------------------------------------- reads


def shape(
    ctx: libyang.Context,
    source: DataTree,
    query: DataQuery,
    running: DataTree | None,
    matcher: OriginMatcher | None,
    fmt: Format = "xml",
    *,
    owned: bool = False,
) -> str:
    """Select, shape and print ``query`` from ``source`` (``running``: to compute origins); ``owned``:
    ``source`` is the caller's private copy, shaped in place (and closed) when everything is selected."""
    nodes = readmod.selected_nodes(source, xpath=query.xpath, subtree=query.subtree)
    roots = _depth_roots(nodes, query.max_depth) if query.max_depth is not None else None
    result = source if owned and nodes is None else readmod.copy_selection(ctx, source, nodes)
    try:
        marks: dict[int, str] = {}
        if running is not None and (query.with_origin or query.origin_filter or query.negated_origin_filter):
            marks = compute_origins(result, running)
        if query.config_filter is not None or query.origin_filter or query.negated_origin_filter:
            keep_selected(result, _selector(query, matcher), marks)
        if query.max_depth is not None:
            if query.with_defaults not in ("report-all", "report-all-tagged"):
                drop_defaults(result)
            limit_depth(result, roots, query.max_depth)
        if query.with_origin:
            annotate(ctx, result, marks)
        if query.max_depth is None:
            return result.print(fmt, with_defaults=query.with_defaults)
        return _print_keeping_empty(result, fmt, query.with_defaults)
    finally:
        result.close()


def drop_defaults(tree: DataTree) -> None:
    """Remove the nodes libyang added as schema defaults (what explicit and trim modes do not print)."""
    doomed: list[Cdata] = []
    stack = siblings(tree.root)
    while stack:
        node = stack.pop()
        if node.flags & lib.LYD_DEFAULT:
            doomed.append(node)
        elif not is_term(node):
            stack.extend(children(node))
    for node in doomed:
        tree.free_node(node)


def _print_keeping_empty(tree: DataTree, fmt: Format, wd: WithDefaults | None) -> str:
    """Print a depth-limited tree: a container whose children max-depth cut is still a node of the
    reply (``<interfaces/>`` at depth 1), so empty containers are printed (those holding only defaults
    the with-defaults mode leaves out were dropped before the cut, see :func:`drop_defaults`)."""
    return print_node(tree.root, fmt, with_defaults=wd, siblings=True, keep_empty_containers=True)


def _selector(query: DataQuery, matcher: OriginMatcher | None) -> Callable[[Cdata, str | None], bool]:
    want_config = query.config_filter
    positive, negative = query.origin_filter, query.negated_origin_filter

    def selected(node: Cdata, origin: str | None) -> bool:
        config = _is_config(node)
        if want_config is not None and config != want_config:
            return False
        if not config or matcher is None or not (positive or negative):
            return True
        have = origin or UNKNOWN
        if positive:
            return any(matcher.derived_or_self(have, f) for f in positive)
        return not any(matcher.derived_or_self(have, f) for f in negative)

    return selected


async def get_data(ds: Datastores, query: DataQuery, fmt: Format = "xml") -> str:
    """RFC 8526 ``<get-data>`` on ``ds``: the selected data, shaped by ``query``, printed."""
    name = query.datastore
    if query.plain:
        return await ds.read_async(
            name,  # type: ignore[arg-type]
            xpath=query.xpath,
            subtree=query.subtree,
            with_defaults=query.with_defaults,
            config_only=name != "operational",
            fmt=fmt,
            applied_only=name == "operational",
        )
    ctx = ds.ctx
    origins = bool(query.origin_filter or query.negated_origin_filter or query.with_origin)
    matcher = OriginMatcher(ctx) if origins else None
    for ident in (*query.origin_filter, *query.negated_origin_filter):
        if matcher is None or not matcher.valid(ident):
            raise ValidationError(
                f"{ident!r} is not an identity derived from ietf-origin:origin",
                tag="invalid-value",
                error_type="protocol",
            )
    if name in ("running", "intended"):
        view = ds.running  # keeps the snapshot alive while the worker reads it
        return await asyncio.to_thread(shape, ctx, view.tree, query, None, None, fmt)
    if name == "operational":
        view = ds.running
        tree = view.tree.dup()
        ds.strip_unapplied(tree)  # RFC 8342 5.3: only configuration in use is in <operational>
        # providers are asked even for config-filter=true: configuration the system reports (ports
        # nobody configured) is configuration in <operational> too
        ds.operational.merge_into(tree, readmod.filter_roots(query.xpath, query.subtree, ds.model.ctx))
        try:
            return await asyncio.to_thread(shape, ctx, tree, query, view.tree, matcher, fmt, owned=True)
        finally:
            tree.close()
    # candidate and startup: read on the loop (they can be replaced meanwhile), the candidate under
    # its lock so that no worker is editing it (package-internal helpers of Datastores, the same ones
    # its own reads use)
    async with ds._candidate_lock():
        source, owned = ds._source_tree(name, query.xpath, query.subtree, True)
        try:
            return shape(ctx, source, query, None, None, fmt)
        finally:
            if owned:
                source.close()
