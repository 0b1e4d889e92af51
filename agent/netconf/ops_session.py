"""Session operations: ``<close-session>``, ``<kill-session>`` (RFC 6241 7.8/7.9) and RFC 5277
``<create-subscription>``."""

from __future__ import annotations

from lxml import etree

from agent.netconf.context import NOTIF_NS, OpContext, child, text_of
from agent.netconf.replies import NC_NS, RpcError


async def close_session(ctx: OpContext, op: etree._Element) -> None:
    """The reply is sent, then the session ends (its locks are released, its candidate changes under
    a lock discarded, a confirmed commit without persist rolled back)."""
    ctx.nc.close_after_reply = True


async def kill_session(ctx: OpContext, op: etree._Element) -> None:
    raw = text_of(op, "session-id")
    if raw is None:
        raise RpcError("missing <session-id>", tag="missing-element", info={"bad-element": "session-id"})
    if not raw.isdigit() or not 1 <= int(raw) <= 0xFFFFFFFF:
        raise RpcError(
            f"<session-id> {raw!r} is not a session-id (1..4294967295)",
            tag="invalid-value",
            info={"bad-element": "session-id"},
        )
    sid = int(raw)
    if sid == ctx.session.id:
        raise RpcError("a session cannot kill itself (use close-session)", tag="invalid-value")
    victim = ctx.server.sessions.get(sid)
    if victim is None:
        raise RpcError(f"no session {sid}", tag="invalid-value", info={"session-id": raw})
    await victim.terminate("killed", killed_by=ctx.session.id)


async def create_subscription(ctx: OpContext, op: etree._Element) -> None:
    stream = text_of(op, "stream", NOTIF_NS) or "NETCONF"
    if stream != "NETCONF":
        raise RpcError(
            f"no event stream {stream!r} (only NETCONF)", tag="invalid-value", info={"bad-element": "stream"}
        )
    if child(op, "startTime", NOTIF_NS) is not None or child(op, "stopTime", NOTIF_NS) is not None:
        raise RpcError("replay is not supported (startTime/stopTime)", tag="operation-failed")
    if ctx.nc.subscribed:
        raise RpcError("this session already has a subscription", tag="operation-failed")
    flt = child(op, "filter", NOTIF_NS)
    if flt is None:  # RFC 5277 puts <filter> in its own namespace; ncclient sends the base one
        flt = child(op, "filter", NC_NS)
    names: set[str] | None = None
    if flt is not None:
        names = {etree.QName(c).localname for c in flt if isinstance(c.tag, str)}
    ctx.nc.subscribe(names)
