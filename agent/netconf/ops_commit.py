"""``<commit>`` (confirmed, persist, persist-id), ``<cancel-commit>`` and the project's transaction RPCs
(``dry-run``, ``list-checkpoints``, ``rollback``), all passed to the transaction manager.

The reply to a commit is sent only when the transaction manager acknowledges it, i.e. once the commit
is applied to the data plane and durable on disk. The confirmed-commit notifications (RFC 6470) are
published here because only the protocol layer knows whether a commit started, extended or completed
a confirmed commit; a timeout revert arrives as a commit event and is published by the server.
"""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

from lxml import etree

from agent.netconf import notify
from agent.netconf.context import BNG_NS, OpContext, child, shielded, text_of
from agent.netconf.replies import NC_NS, RpcError, warnings_xml
from agent.txn.records import commit_warnings


def _uint(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or int(value) < 1 or int(value) > 4294967295:
        raise RpcError(
            f"{name} must be an integer 1..4294967295", tag="invalid-value", info={"bad-element": name}
        )
    return int(value)


async def commit(ctx: OpContext, op: etree._Element) -> str | None:
    confirmed = child(op, "confirmed") is not None
    timeout = _uint(text_of(op, "confirm-timeout"), "confirm-timeout", 600)
    persist = text_of(op, "persist")
    persist_id = text_of(op, "persist-id")
    if not confirmed and (child(op, "confirm-timeout") is not None or persist is not None):
        raise RpcError("confirm-timeout and persist need <confirmed/>", tag="invalid-value")
    was_pending = getattr(ctx.txn, "confirmed_commit_pending", False)
    record = await shielded(
        ctx.txn.commit(
            ctx.session, confirmed=confirmed, confirm_timeout=timeout, persist=persist, persist_id=persist_id
        )
    )
    by = ctx.nc.changed_by()
    if confirmed:
        event = "extend" if was_pending else "start"
        ctx.server.publish(
            "ietf-netconf-notifications",
            "netconf-confirmed-commit",
            notify.confirmed_commit(event, by, timeout),
        )
    elif was_pending:
        ctx.server.publish(
            "ietf-netconf-notifications", "netconf-confirmed-commit", notify.confirmed_commit("complete", by)
        )
    return warnings_xml(commit_warnings(record), ctx.server.module_ns)


async def cancel_commit(ctx: OpContext, op: etree._Element) -> None:
    await shielded(ctx.txn.cancel_commit(ctx.session, persist_id=text_of(op, "persist-id")))
    ctx.server.publish(
        "ietf-netconf-notifications",
        "netconf-confirmed-commit",
        notify.confirmed_commit("cancel", ctx.nc.changed_by()),
    )


async def dry_run(ctx: OpContext, op: etree._Element) -> str:
    """The ordered data-plane steps a commit of the candidate would execute; nothing is applied."""
    plan = await shielded(ctx.txn.dry_run(ctx.session))
    steps = "".join(
        f"<step><index>{i}</index><operation>{escape(s.op)}</operation><key>{escape(s.key)}</key>"
        f"<detail>{escape(s.detail)}</detail></step>"
        for i, s in enumerate(plan.steps)
    )
    return f'<plan xmlns="{BNG_NS}"><change-count>{len(plan.changes)}</change-count>{steps}</plan>'


async def list_checkpoints(ctx: OpContext, op: etree._Element) -> str:
    items = []
    for cp in ctx.txn.list_checkpoints():
        when = dt.datetime.fromtimestamp(cp.time, dt.UTC).isoformat().replace("+00:00", "Z")
        comment = f"<comment>{escape(cp.comment)}</comment>" if cp.comment else ""
        items.append(
            f"<checkpoint><id>{cp.id}</id><time>{when}</time><user>{escape(cp.user)}</user>"
            f"<origin>{escape(cp.origin)}</origin><kind>{escape(cp.kind)}</kind>"
            f"<change-count>{cp.change_count}</change-count>{comment}</checkpoint>"
        )
    return f'<checkpoints xmlns="{BNG_NS}">{"".join(items)}</checkpoints>'


async def rollback(ctx: OpContext, op: etree._Element) -> str:
    """Make running what it was right after checkpoint ``id``; itself a new commit (returned)."""
    raw = text_of(op, "id", BNG_NS)
    if raw is None or not raw.isdigit():
        raise RpcError(
            "rollback needs <id> (a checkpoint id)", tag="missing-element", info={"bad-element": "id"}
        )
    record = await shielded(ctx.txn.rollback(int(raw), ctx.session))
    return f'<commit-id xmlns="{BNG_NS}">{record.id}</commit-id>'


__all__ = ["NC_NS", "cancel_commit", "commit", "dry_run", "list_checkpoints", "rollback"]
