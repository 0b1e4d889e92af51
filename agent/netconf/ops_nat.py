"""``bng-nat:det44-forward`` and ``det44-reverse``: trace deterministic NAT from running configuration.

Protocol work only: parse the input, read running's ``ietf-nat:nat``, encode the output; the
computation is :mod:`agent.features.nat.lookup` (VPP's det44 algorithm).
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from agent.datastore.tree import NULL, find_xpath, node_json
from agent.features.nat import lookup
from agent.netconf.context import OpContext, text_of
from agent.netconf.replies import RpcError

NAT_NS = "urn:bng-agent:yang:bng-nat"


def _running_nat(ctx: OpContext) -> dict[str, Any] | None:
    root = ctx.datastores.running.tree.root
    nodes = find_xpath(root, "/ietf-nat:nat") if root != NULL else []
    return node_json(nodes[0]) if nodes else None


def _required(op: etree._Element, name: str) -> str:
    value = text_of(op, name, NAT_NS)
    if not value:
        raise RpcError(
            f"{etree.QName(op).localname} needs <{name}>", tag="missing-element", info={"bad-element": name}
        )
    return value


def _reply(fields: dict[str, Any]) -> str:
    return "".join(f'<{k} xmlns="{NAT_NS}">{escape(str(v))}</{k}>' for k, v in fields.items())


async def det44_forward(ctx: OpContext, op: etree._Element) -> str:
    try:
        out = lookup.forward(_running_nat(ctx), _required(op, "inside-address"))
    except ValueError as e:
        raise RpcError(str(e), tag="invalid-value", info={"bad-element": "inside-address"}) from e
    return _reply(out)


async def det44_reverse(ctx: OpContext, op: etree._Element) -> str:
    port = _required(op, "port")
    if not port.isdigit() or int(port) > 65535:
        raise RpcError(
            f"port {port!r} is not a port number", tag="invalid-value", info={"bad-element": "port"}
        )
    try:
        out = lookup.reverse(_running_nat(ctx), _required(op, "outside-address"), int(port))
    except ValueError as e:
        raise RpcError(str(e), tag="invalid-value", info={"bad-element": "outside-address"}) from e
    return _reply(out)
