"""NACM write checks for an edit (RFC 8341 3.4.5): every node the edit names needs the access its
effective operation implies; the first denied node fails the edit with ``access-denied``.

``merge`` and ``replace`` need ``create`` access for a node that does not exist yet in the target
datastore and ``update`` access for one that does (RFC 8341 3.4.5), so the node's existence is looked up.

Descends only as deep as some rule or default-deny node reaches (below that, every node shares its
ancestor's decision), so large edits by users with broad rules cost little.
"""

from __future__ import annotations

import libyang
from lxml import etree

from agent.access.nacm import Segment, segment_of
from agent.netconf.context import OpContext
from agent.netconf.replies import NC_NS, RpcError

_ACCESS_FOR_OP = {
    "create": "create",
    "delete": "delete",
    "remove": "delete",
}


def check_edit_access(ctx: OpContext, config: etree._Element, default_operation: str, target: str) -> None:
    acl = ctx.acl
    if acl.unrestricted:
        return
    ns_modules = ctx.server.ns_modules

    def walk(el: etree._Element, parent: list[Segment], inherited: str) -> None:
        if not isinstance(el.tag, str):
            return
        op = el.get(f"{{{NC_NS}}}operation") or inherited
        path = [*parent, segment_of(el, ns_modules.get, parent)]
        explicit = el.get(f"{{{NC_NS}}}operation") is not None
        is_leaf = len(el) == 0
        if op != "none" and (explicit or is_leaf or acl.decided_below(path)):
            access = _ACCESS_FOR_OP.get(op) or _merge_access(ctx, target, path)
            if not acl.data_access(path, access):
                raise RpcError(
                    f"access denied: {access} of {_printable(path)}",
                    tag="access-denied",
                    error_type="application",
                    path=_printable(path),
                )
            if acl.decided_below(path):
                return
        for c in el:
            walk(c, path, op)

    for top in config:
        walk(top, [], default_operation)


def _merge_access(ctx: OpContext, target: str, path: list[Segment]) -> str:
    """``update`` if the node exists in ``target``, else ``create``."""
    xpath = _data_path(ctx.model.ctx, path)
    if xpath is None:
        return "update"
    tree = ctx.datastores.read_tree(target, xpath=xpath)  # type: ignore[arg-type]
    try:
        return "create" if tree.empty else "update"
    finally:
        tree.close()


_KEYS: dict[str, list[str] | None] = {}


def _list_keys(ctx: libyang.Context, schema_path: str) -> list[str] | None:
    """Key leaf names of the list at ``schema_path`` (None: not a list or unknown)."""
    if schema_path not in _KEYS:
        keys: list[str] | None = None
        try:
            node = next(iter(ctx.find_path(schema_path)), None)
        except libyang.LibyangError:
            node = None
        if isinstance(node, libyang.SList):
            keys = [k.name() for k in node.keys()]  # noqa: SIM118 (SList.keys() yields key leaves)
        _KEYS[schema_path] = keys
    return _KEYS[schema_path]


def _data_path(ctx: libyang.Context, path: list[Segment]) -> str | None:
    """A libyang data path (list entries by their keys) for a node of an edit; None if unknown."""
    schema, data, module = "", "", None
    for m, name, leaves in path:
        module = m or module
        if module is None:
            return None
        schema += f"/{module}:{name}"
        step = f"/{module}:{name}"
        keys = _list_keys(ctx, schema)
        if keys:
            values = dict(leaves)
            if any(k not in values for k in keys):
                return None
            step += "".join(f"[{k}={_quote(values[k])}]" for k in keys)
        data += step
    return data


def _quote(value: str) -> str:
    return f"'{value}'" if "'" not in value else f'"{value}"'


def _printable(path: list[Segment]) -> str:
    out, module = [], None
    for m, name, keys in path:
        step = f"{m}:{name}" if m and m != module else name
        module = m or module
        out.append(step + "".join(f"[{k}='{v}']" for k, v in keys))
    return "/" + "/".join(out)
