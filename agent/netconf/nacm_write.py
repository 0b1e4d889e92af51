"""NACM write checks for an edit (RFC 8341 3.4.5): every node the edit names needs the access its
effective operation implies; the first denied node fails the edit with ``access-denied``.

Descends only as deep as some rule or default-deny node reaches (below that, every node shares its
ancestor's decision), so large edits by users with broad rules cost little.
"""

from __future__ import annotations

from lxml import etree

from agent.netconf.context import OpContext
from agent.netconf.nacm import Segment, segment_of
from agent.netconf.replies import NC_NS, RpcError

_ACCESS_FOR_OP = {
    "merge": "update",
    "replace": "update",
    "create": "create",
    "delete": "delete",
    "remove": "delete",
}


def check_edit_access(ctx: OpContext, config: etree._Element, default_operation: str) -> None:
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
            access = _ACCESS_FOR_OP.get(op, "update")
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


def _printable(path: list[Segment]) -> str:
    out, module = [], None
    for m, name, keys in path:
        step = f"{m}:{name}" if m and m != module else name
        module = m or module
        out.append(step + "".join(f"[{k}='{v}']" for k, v in keys))
    return "/" + "/".join(out)
