"""``bng-subscribers:clear-sessions``: end sessions as an operator would with 'clear subscriber'.

The handler only parses the input and asks the subscriber manager (``NetconfServer.subscribers``, set by
``bng-agent run``); which sessions match and how they end is the manager's business.
"""

from __future__ import annotations

from lxml import etree

from agent.netconf.context import OpContext, children
from agent.netconf.replies import RpcError
from agent.sessions.api import SessionFilter, TerminateCause

SUB_NS = "urn:bng-agent:yang:bng-subscribers"
_UINT64_MAX = (1 << 64) - 1


def selector(op: etree._Element) -> SessionFilter:
    """The input's one choice as a session filter (rpc-error for anything else)."""
    given = [c for c in children(op) if etree.QName(c).namespace == SUB_NS]
    if len(given) != 1:
        raise RpcError(
            "clear-sessions needs exactly one of session-id, username, access-interface, all",
            tag="missing-element" if not given else "bad-element",
            error_type="application",
            info={"bad-element": etree.QName(given[1]).localname if given else "session-id"},
        )
    el = given[0]
    name, text = etree.QName(el).localname, (el.text or "").strip()
    if name == "session-id":
        if not text.isdigit() or int(text) > _UINT64_MAX:
            raise RpcError(
                f"session-id {text!r} is not a uint64",
                tag="invalid-value",
                error_type="application",
                info={"bad-element": "session-id"},
            )
        return SessionFilter(ids=frozenset({int(text)}))
    if name == "username":
        return SessionFilter(username=text)
    if name == "access-interface":
        return SessionFilter(access_interface=text)
    return SessionFilter()  # all


async def clear_sessions(ctx: OpContext, op: etree._Element) -> str:
    manager = getattr(ctx.server, "subscribers", None)
    if manager is None:
        raise RpcError(
            "the subscriber manager is not running", tag="operation-failed", error_type="application"
        )
    cleared = await manager.disconnect(selector(op), TerminateCause.ADMIN)
    return f'<cleared xmlns="{SUB_NS}">{cleared}</cleared>'
