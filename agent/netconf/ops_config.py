"""Configuration operations of RFC 6241 other than commit: edit-config, copy-config, delete-config,
lock, unlock, validate, discard-changes, and RFC 8526 edit-data.

Edits of the candidate go to the datastore; edits of ``running`` (``:writable-running``) and copies to
running are one transaction each (``TransactionManager.edit_running``): validated, planned, applied to
the data plane and made durable before the reply, exactly like a commit.
"""

from __future__ import annotations

import time
from typing import Any

from lxml import etree

from agent.errors import AgentError
from agent.netconf.context import (
    NMDA_NS,
    OpContext,
    child,
    children,
    datastore_choice,
    nmda_datastore,
    shielded,
    text_of,
)
from agent.netconf.nacm_write import check_edit_access
from agent.netconf.replies import NC_NS, RpcError, warnings_xml
from agent.txn.records import commit_warnings

WD_ATTR_NS = "urn:ietf:params:xml:ns:netconf:default:1.0"
_WD_ATTR = f"{{{WD_ATTR_NS}}}default"


def apply_default_attributes(ctx: OpContext, config: etree._Element) -> None:
    """RFC 6243 4.5.3: with report-all-tagged supported, a leaf in an edit may carry the ``default``
    attribute (the one report-all-tagged replies carry). ``true`` says "set to the default": the value
    must be the schema default (else invalid-value) and the leaf is then no longer explicitly set
    (rewritten as ``operation="remove"``, so explicit-mode reads stop showing it); ``false`` is ignored."""
    for el in [e for e in config.iter() if isinstance(e.tag, str) and _WD_ATTR in e.attrib]:
        flag = el.attrib.pop(_WD_ATTR).strip()
        if flag in ("false", "0"):
            continue
        name = etree.QName(el).localname
        if flag not in ("true", "1"):
            raise RpcError(
                f"default attribute of <{name}> must be true or false",
                tag="bad-attribute",
                error_type="application",
                info={"bad-attribute": "default", "bad-element": name},
            )
        default = _schema_default(ctx, config, el)
        if default is None or _canonical(ctx, el, (el.text or "").strip()) != default:
            raise RpcError(
                f"<{name}> is tagged default but {default!r} is its default"
                if default is not None
                else f"<{name}> is tagged default but has no default value",
                tag="invalid-value",
                error_type="application",
                info={"bad-attribute": "default", "bad-element": name},
            )
        if el.get(f"{{{NC_NS}}}operation") not in ("delete", "remove"):
            el.set(f"{{{NC_NS}}}operation", "remove")
        el.text = None


def _schema_default(ctx: OpContext, config: etree._Element, el: etree._Element) -> str | None:
    steps: list[str] = []
    node: etree._Element | None = el
    while node is not None and node is not config:
        q = etree.QName(node)
        module = ctx.server.ns_modules.get(q.namespace or "")
        if module is None:
            return None
        steps.append(f"{module}:{q.localname}")
        node = node.getparent()
    try:
        snode = next(ctx.model.ctx.find_path("/" + "/".join(reversed(steps))), None)
    except Exception:  # libyang: no such schema node (the edit itself will report it)
        return None
    value = getattr(snode, "default", lambda: None)() if snode is not None else None
    if value is None or isinstance(value, list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _canonical(ctx: OpContext, el: etree._Element, text: str) -> str:
    """The leaf's text as libyang states defaults: identities as ``module:name``."""
    if ":" in text:
        prefix, _, rest = text.partition(":")
        module = ctx.server.ns_modules.get(el.nsmap.get(prefix) or "")
        if module is not None:
            return f"{module}:{rest}"
    return text


def _config_element(op: etree._Element, ns: str = NC_NS) -> etree._Element:
    config = child(op, "config", ns)
    if config is None:
        if child(op, "url", ns) is not None:
            raise RpcError("the :url capability is not supported", tag="operation-not-supported")
        raise RpcError("missing <config>", tag="missing-element", info={"bad-element": "config"})
    if ns != NC_NS:  # edit-data's <config> is anydata in the NMDA namespace: rewrap for the datastore
        wrapped = etree.Element(f"{{{NC_NS}}}config")
        for c in children(config):
            wrapped.append(c)
        return wrapped
    return config


async def edit_config(ctx: OpContext, op: etree._Element) -> str | None:
    target = datastore_choice(op, "target", ("candidate", "running"))
    default_op = text_of(op, "default-operation") or "merge"
    error_option = text_of(op, "error-option") or "stop-on-error"
    test_option = text_of(op, "test-option") or "test-then-set"
    config = _config_element(op)
    apply_default_attributes(ctx, config)
    check_edit_access(ctx, config, default_op, str(target))
    options: dict[str, Any] = {
        "default_operation": default_op,
        "error_option": error_option,
        "test_option": test_option,
    }
    record = None
    if target == "running":
        result, record = await shielded(ctx.txn.edit_running_xml(ctx.session, config, **options))
    else:
        result = await ctx.datastores.edit_config_async("candidate", config, session=ctx.session, **options)
    if result.errors:  # continue-on-error: the successful parts were kept
        raise AgentError(result.errors[0].message, details=result.errors)
    return warnings_xml(commit_warnings(record), ctx.server.module_ns)


async def edit_data(ctx: OpContext, op: etree._Element) -> str | None:
    ds = nmda_datastore(op, ("candidate", "running"))
    default_op = text_of(op, "default-operation", NMDA_NS) or "merge"
    config = _config_element(op, NMDA_NS)
    apply_default_attributes(ctx, config)
    check_edit_access(ctx, config, default_op, ds)
    if ds == "running":
        _result, record = await shielded(
            ctx.txn.edit_running_xml(ctx.session, config, default_operation=default_op)
        )
        return warnings_xml(commit_warnings(record), ctx.server.module_ns)
    await ctx.datastores.edit_config_async(
        "candidate",
        config,
        default_operation=default_op,  # type: ignore[arg-type]
        session=ctx.session,
    )
    return None


async def copy_config(ctx: OpContext, op: etree._Element) -> str | None:
    target = datastore_choice(op, "target", ("candidate", "startup", "running"))
    source = datastore_choice(op, "source", ("running", "candidate", "startup", "config"))
    if not isinstance(source, str):
        apply_default_attributes(ctx, source)
    if not ctx.acl.unrestricted:
        _require_all_write(ctx, "copy-config")
    if target == "running":
        src: Any = source
        _result, record = await shielded(
            ctx.txn.edit_running(ctx.session, lambda ds: ds.copy_config(src, "running", ctx.session))
        )
        return warnings_xml(commit_warnings(record), ctx.server.module_ns)
    elif target == "startup" and source == "running":
        await shielded(ctx.txn.save_startup(ctx.session))
        ctx.server.startup_published(ctx.nc.changed_by())
    else:
        ctx.datastores.copy_config(source, target, ctx.session)  # type: ignore[arg-type]
        if target == "startup":
            await ctx.server.startup_changed()
            ctx.server.startup_published(ctx.nc.changed_by())
    return None


async def delete_config(ctx: OpContext, op: etree._Element) -> None:
    # ietf-netconf: delete-config's target is startup (or a url); running is refused with its own
    # message below, the candidate is not a target (discard-changes resets it)
    target = datastore_choice(op, "target", ("startup", "running"))
    if target == "running":
        raise RpcError(
            "the running datastore cannot be deleted", tag="operation-failed", error_type="protocol"
        )
    ctx.datastores.delete_config(target, ctx.session)  # type: ignore[arg-type]
    if target == "startup":
        await ctx.server.startup_changed()
        ctx.server.startup_published(ctx.nc.changed_by())


async def lock(ctx: OpContext, op: etree._Element) -> None:
    target = datastore_choice(op, "target", ("running", "candidate", "startup"))
    ctx.datastores.lock(target, ctx.session)  # type: ignore[arg-type]
    ctx.server.lock_times[(str(target), ctx.session.id)] = time.time()


async def unlock(ctx: OpContext, op: etree._Element) -> None:
    target = datastore_choice(op, "target", ("running", "candidate", "startup"))
    ctx.datastores.unlock(target, ctx.session)  # type: ignore[arg-type]


async def validate(ctx: OpContext, op: etree._Element) -> None:
    source = datastore_choice(op, "source", ("running", "candidate", "startup", "config"))
    if not isinstance(source, str):
        apply_default_attributes(ctx, source)
    await ctx.datastores.validate_async(source)  # type: ignore[arg-type]


async def discard_changes(ctx: OpContext, op: etree._Element) -> None:
    ctx.datastores.discard_changes(ctx.session)


def _require_all_write(ctx: OpContext, what: str) -> None:
    """copy-config replaces a whole datastore: without per-node checks of the old content, only a user
    with write access to everything (``write-default permit`` and no deny rules) may do it."""
    policy = ctx.acl.policy
    if not policy.write_default or any(not r.permit for r in ctx.acl.rules if r.rpc is None):
        raise RpcError(
            f"{what} needs write access to the whole datastore", tag="access-denied", error_type="protocol"
        )
