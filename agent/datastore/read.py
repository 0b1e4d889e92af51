"""Selecting what a read returns: XPath filters, RFC 6241 section 6 subtree filters, config vs state.

The result is always a private copy (a :class:`DataTree` the caller owns), built by duplicating each
selected node with its ancestors (list keys included) and merging the copies, so the committed tree a
read started on is never touched. with-defaults (RFC 6243) is applied when the copy is printed.
"""

from __future__ import annotations

import libyang
from _libyang import ffi, lib
from lxml import etree

from agent.datastore.tree import (
    NULL,
    Cdata,
    DataTree,
    find_xpath,
    is_term,
    modules_by_ns,
    node_value,
    siblings,
)
from agent.errors import ValidationError
from agent.model.paths import xpath_literal

NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
NMDA_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
_WRAPPERS = {("filter", NC_NS), ("filter", None), ("subtree-filter", NMDA_NS)}


def select(
    ctx: libyang.Context,
    source: DataTree,
    *,
    xpath: str | None,
    subtree: etree._Element | None,
    config_only: bool,
) -> DataTree:
    """A copy of the part of ``source`` the filter selects (everything when there is no filter)."""
    result = copy_selection(ctx, source, selected_nodes(source, xpath=xpath, subtree=subtree))
    if config_only:
        _strip_state(result)
    return result


def selected_nodes(
    source: DataTree, *, xpath: str | None, subtree: etree._Element | None
) -> list[Cdata] | None:
    """The nodes of ``source`` a filter selects (each stands for its whole subtree); None without a
    filter (everything). RFC 8526 counts ``max-depth`` from these nodes."""
    if xpath is None and subtree is None:
        return None
    if xpath is not None:
        return find_xpath(source.root, xpath)
    assert subtree is not None
    felems = _filter_children(subtree)
    if not felems:
        return []
    return _eval(felems, source.root, NULL) or []


def copy_selection(ctx: libyang.Context, source: DataTree, nodes: list[Cdata] | None) -> DataTree:
    """A private copy of ``nodes`` (whole subtrees) with their ancestors and list keys; of all of
    ``source`` when ``nodes`` is None."""
    return source.dup() if nodes is None else _copy_nodes(ctx, nodes)


def filter_roots(
    xpath: str | None, subtree: etree._Element | None, ctx: libyang.Context | None = None
) -> list[str] | None:
    """Paths a filter can select (None = anything), so only the relevant providers run, and narrowly.

    A subtree filter (RFC 6241 6.2) is turned into data paths down to its first content-match nodes:
    ``<interfaces><interface><name>X</name></interface></interfaces>`` becomes
    ``/ietf-interfaces:interfaces/interface[name='X']``, so a read of one interface's state does not
    build all of them. Anything this cannot express exactly gives a shorter (wider) path, never a
    narrower one: the subtree filter itself is still applied to the merged result.
    """
    if xpath is not None:
        return [xpath]
    if subtree is None or ctx is None:
        return None
    by_ns = modules_by_ns(ctx)
    paths: list[str] = []
    for top in subtree:
        if not isinstance(top.tag, str):
            continue
        qname = etree.QName(top)
        mod = by_ns.get(qname.namespace or "")
        if mod is None:
            return None  # unknown namespace: let every provider answer (the filter then selects nothing)
        paths.extend(_subtree_paths(top, f"/{ffi.string(mod.name).decode()}:{qname.localname}"))
    return paths or None


def _subtree_paths(elem: etree._Element, path: str) -> list[str]:
    """Data paths selected by the filter node ``elem`` whose own path is ``path`` (see filter_roots)."""
    children = [c for c in elem if isinstance(c.tag, str)]
    if not children:
        return [path]
    ns = etree.QName(elem).namespace
    matches = [c for c in children if len(c) == 0 and (c.text or "").strip()]
    if matches:
        if any(etree.QName(c).namespace != ns for c in matches):
            return [path]
        preds = "".join(
            f"[{etree.QName(c).localname}={xpath_literal((c.text or '').strip())}]" for c in matches
        )
        return [path + preds]
    out: list[str] = []
    for child in children:
        if etree.QName(child).namespace != ns:
            return [path]  # an augmenting module's node: stop here rather than guess its prefix
        out.extend(_subtree_paths(child, f"{path}/{etree.QName(child).localname}"))
    return out


# -------------------------------------------------------------------------------------------- copies


def _copy_nodes(ctx: libyang.Context, nodes: list[Cdata]) -> DataTree:
    result = DataTree(ctx)
    box = ffi.new("struct lyd_node **", NULL)
    flags = lib.LYD_DUP_RECURSIVE | lib.LYD_DUP_WITH_FLAGS | lib.LYD_DUP_WITH_PARENTS
    for node in nodes:
        out = ffi.new("struct lyd_node **")
        if lib.lyd_dup_single(node, NULL, flags, out) != lib.LY_SUCCESS:
            lib.ly_err_clean(ctx.cdata, NULL)
            continue
        top = out[0]
        while top.parent != NULL:
            top = ffi.cast("struct lyd_node *", top.parent)
        if box[0] == NULL:
            box[0] = top
        elif lib.lyd_merge_siblings(box, top, lib.LYD_MERGE_DESTRUCT) != lib.LY_SUCCESS:
            lib.lyd_free_all(top)
            lib.ly_err_clean(ctx.cdata, NULL)
    result.root = box[0]
    return result


def _strip_state(tree: DataTree) -> None:
    doomed: list[Cdata] = []
    stack = siblings(tree.root)
    while stack:
        node = stack.pop()
        if node.schema != NULL and node.schema.flags & lib.LYS_CONFIG_R:
            doomed.append(node)
            continue
        if not is_term(node):
            c = lib.lyd_child(node)
            while c != NULL:
                stack.append(c)
                c = c.next
    for node in doomed:
        tree.free_node(node)


# ---------------------------------------------------------------------------------- subtree filtering


def _filter_children(subtree: etree._Element) -> list[etree._Element]:
    """The filter's top-level nodes: the children of RFC 6241's ``<filter>`` or RFC 8526's
    ``<subtree-filter>``; any other element is itself the (only) top-level filter node."""
    q = etree.QName(subtree)
    if (q.localname, q.namespace) in _WRAPPERS:
        return [c for c in subtree if isinstance(c.tag, str)]
    return [subtree]


def _matches(elem: etree._Element, node: Cdata) -> bool:
    q = etree.QName(elem)
    if q.localname != ffi.string(node.schema.name).decode():
        return False
    if q.namespace is None:
        return True
    return bool(q.namespace == ffi.string(node.schema.module.ns).decode())


def _value_matches(f: etree._Element, node: Cdata) -> bool:
    """Content match (RFC 6241 6.2.5); an identityref given as ``prefix:name`` matches by namespace."""
    want = (f.text or "").strip()
    have = node_value(node)
    if want == have:
        return True
    if ":" in want and ":" in have:
        prefix, name = want.split(":", 1)
        ns = f.nsmap.get(prefix)
        if ns is not None:
            mod = modules_by_ns(_ctx()).get(ns)
            return mod is not None and have == f"{ffi.string(mod.name).decode()}:{name}"
    return False


def _ctx() -> libyang.Context:
    from agent.model import load_model_set

    return load_model_set().ctx


def _eval(felems: list[etree._Element], data_first: Cdata, parent: Cdata) -> list[Cdata] | None:
    """RFC 6241 6.2: the nodes (whole subtrees) selected by one filter sibling set, or None for no match."""
    content, selection, containment = [], [], []
    for f in felems:
        has_children = any(isinstance(c.tag, str) for c in f)
        text = (f.text or "").strip()
        if has_children:
            containment.append(f)
        elif text:
            content.append(f)
        else:
            selection.append(f)
    data = siblings(data_first)
    picked: list[Cdata] = []
    for f in content:
        hits = [d for d in data if _matches(f, d) and is_term(d) and _value_matches(f, d)]
        if not hits:
            return None
        picked.extend(hits)
    if not selection and not containment:
        return [parent] if parent != NULL else picked
    for f in selection:
        picked.extend(d for d in data if _matches(f, d))
    for f in containment:
        for d in data:
            if not _matches(f, d):
                continue
            if is_term(d):
                raise ValidationError(
                    "a leaf in a subtree filter cannot have child elements", tag="invalid-value"
                )
            sub = _eval([c for c in f if isinstance(c.tag, str)], lib.lyd_child(d), d)
            if sub:
                picked.extend(sub)
    if not picked:
        return None
    return picked
