"""Which handler serves which operation, and the RPC envelope checks around it.

Operations are keyed by (namespace, name). An RPC is checked in this order: envelope (RFC 6241 4.1:
``<rpc>`` with ``message-id`` and exactly one operation element), known operation (unknown-namespace /
operation-not-supported), NACM exec permission (access-denied), then the handler runs. Whatever the
handler raises as :class:`~agent.errors.AgentError` becomes the ``rpc-error``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import libyang
from lxml import etree

from agent.model.schema import rpc_input_nodes
from agent.netconf import monitoring, ops_commit, ops_config, ops_nat, ops_read, ops_session, ops_subscribers
from agent.netconf.context import BNG_NS, MON_NS, NMDA_NS, NOTIF_NS, WD_NS, OpContext
from agent.netconf.replies import NC_NS, RpcError

Handler = Callable[[OpContext, etree._Element], Awaitable[str | None]]

# namespace -> the module NACM rules name for it
MODULE_OF_NS = {
    NC_NS: "ietf-netconf",
    NMDA_NS: "ietf-netconf-nmda",
    MON_NS: "ietf-netconf-monitoring",
    NOTIF_NS: "notifications",
    BNG_NS: "bng-agent",
    ops_nat.NAT_NS: "bng-nat",
    ops_subscribers.SUB_NS: "bng-subscribers",
}

OPERATIONS: dict[tuple[str, str], Handler] = {
    (NC_NS, "get"): ops_read.get,
    (NC_NS, "get-config"): ops_read.get_config,
    (NC_NS, "edit-config"): ops_config.edit_config,
    (NC_NS, "copy-config"): ops_config.copy_config,
    (NC_NS, "delete-config"): ops_config.delete_config,
    (NC_NS, "lock"): ops_config.lock,
    (NC_NS, "unlock"): ops_config.unlock,
    (NC_NS, "validate"): ops_config.validate,
    (NC_NS, "discard-changes"): ops_config.discard_changes,
    (NC_NS, "commit"): ops_commit.commit,
    (NC_NS, "cancel-commit"): ops_commit.cancel_commit,
    (NC_NS, "close-session"): ops_session.close_session,
    (NC_NS, "kill-session"): ops_session.kill_session,
    (NMDA_NS, "get-data"): ops_read.get_data,
    (NMDA_NS, "edit-data"): ops_config.edit_data,
    (MON_NS, "get-schema"): monitoring.get_schema,
    (NOTIF_NS, "create-subscription"): ops_session.create_subscription,
    (BNG_NS, "dry-run"): ops_commit.dry_run,
    (BNG_NS, "list-checkpoints"): ops_commit.list_checkpoints,
    (BNG_NS, "rollback"): ops_commit.rollback,
    (ops_nat.NAT_NS, "det44-forward"): ops_nat.det44_forward,
    (ops_nat.NAT_NS, "det44-reverse"): ops_nat.det44_reverse,
    (ops_subscribers.SUB_NS, "clear-sessions"): ops_subscribers.clear_sessions,
}


def operation_of(rpc: etree._Element) -> etree._Element:
    """The single operation element inside ``<rpc>``."""
    ops = [c for c in rpc if isinstance(c.tag, str)]
    if not ops:
        raise RpcError(
            "<rpc> holds no operation", tag="missing-element", error_type="rpc", info={"bad-element": "rpc"}
        )
    if len(ops) > 1:
        raise RpcError(
            "<rpc> holds more than one operation",
            tag="bad-element",
            error_type="rpc",
            info={"bad-element": etree.QName(ops[1]).localname},
        )
    return ops[0]


def handler_for(op: etree._Element, known_modules: dict[str, str]) -> tuple[str, str, Handler]:
    """(module, name, handler) of an operation element; rpc-error if none."""
    qn = etree.QName(op)
    ns = qn.namespace or ""
    handler = OPERATIONS.get((ns, qn.localname))
    if handler is not None:
        return MODULE_OF_NS[ns], qn.localname, handler
    if ns not in MODULE_OF_NS and ns not in known_modules:
        raise RpcError(
            f"unknown namespace {ns!r}",
            tag="unknown-namespace",
            error_type="protocol",
            info={"bad-element": qn.localname, "bad-namespace": ns},
        )
    raise RpcError(
        f"operation {qn.localname!r} is not supported",
        tag="operation-not-supported",
        error_type="protocol",
        info={"bad-element": qn.localname},
    )


# Parameters accepted beyond the YANG input: get-data's with-defaults is, by YANG's rules, in the
# ietf-netconf-nmda namespace (the grouping is used there); clients also send it in the namespace of
# ietf-netconf-with-defaults, as on get and get-config.
_EXTRA_PARAMETERS = {(NMDA_NS, "get-data"): {(WD_NS, "with-defaults")}}
_PARAMETERS: dict[tuple[str, str], frozenset[tuple[str, str]] | None] = {}


def check_parameters(op: etree._Element, ctx: libyang.Context, ns_modules: dict[str, str]) -> None:
    """Refuse a parameter the operation's YANG input does not define (RFC 6241 Appendix A
    ``unknown-element``, with ``bad-element``) instead of ignoring it silently. Operations without a
    YANG definition in the model set (the project's own, RFC 5277's) are not checked."""
    qn = etree.QName(op)
    key = (qn.namespace or "", qn.localname)
    if key not in _PARAMETERS:
        _PARAMETERS[key] = _input_parameters(ctx, ns_modules.get(key[0]), key[1])
    allowed = _PARAMETERS[key]
    if allowed is None:
        return
    extra = _EXTRA_PARAMETERS.get(key, set())
    for el in op:
        if not isinstance(el.tag, str):
            continue
        q = etree.QName(el)
        if q.namespace is None:
            # a parameter in no namespace (ncclient sends <filter xmlns=""> when given the filter as
            # text) is taken as the operation's own, as YANG instance data would have it
            el.tag = f"{{{key[0]}}}{q.localname}"
            q = etree.QName(el)
        name = (q.namespace or "", q.localname)
        if name in allowed or name in extra:
            continue
        if name[0] and name[0] not in ns_modules:
            raise RpcError(
                f"<{q.localname}> is in an unknown namespace {name[0]!r}",
                tag="unknown-namespace",
                info={"bad-element": q.localname, "bad-namespace": name[0]},
            )
        raise RpcError(
            f"<{qn.localname}> has no parameter <{q.localname}>",
            tag="unknown-element",
            info={"bad-element": q.localname},
        )


def _input_parameters(
    ctx: libyang.Context, module: str | None, name: str
) -> frozenset[tuple[str, str]] | None:
    """(namespace, name) of every node an RPC's input may hold at its top (choices flattened)."""
    return rpc_input_nodes(ctx, module, name)
