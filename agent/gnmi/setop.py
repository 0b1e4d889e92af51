"""gNMI Set (specification 3.4) as one transaction of the shared commit engine.

All deletes, replaces and updates of a SetRequest are applied together by
``TransactionManager.edit_running_gnmi``: the edit, full validation, the southbound plan and apply (VPP
is programmed before the Set is answered), the swap of running and the journal write happen as one
transaction, or none of it does. A Set while another session (a NETCONF client) holds the lock on
running is refused with FAILED_PRECONDITION naming the holder.

Commit confirmed (gnmi_ext ``Commit``, the gNMI commit-confirmed extension) runs on the same confirmed-
commit engine as NETCONF's ``<commit><confirmed/>``: the Set's edits are staged in the candidate while
this session holds the candidate lock (so no other session's pending edits ride along), then committed
with ``confirmed`` and the extension's ``id`` as the persist token. ``confirm`` and ``cancel`` act on that
token from any session; ``set_rollback_duration`` re-arms the timer with a follow-up confirmed commit.
``union_replace`` (gnmi-union_replace.md): the agent has one path-based native origin, for which the
specification (4.2, 5.3.2) makes the operation a replace of the relevant subtrees of the running
configuration by the union of the given contents. Every union_replace path that is not below another is
deleted (a missing one is fine), then every union_replace value is merged in request order, all in the
same transaction as the request's deletes. Where two entries set one leaf to different values the later
entry wins (the overwrite option, 5.3.3.2). It cannot be combined with ``replace`` or ``update`` in
one SetRequest (INVALID_ARGUMENT): the operations would have no defined order.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import grpc

from agent.datastore.session import Session
from agent.datastore.tree import NULL, find_xpath, node_path
from agent.errors import PathError
from agent.gnmi.auth import check_write, segments
from agent.gnmi.datapath import split_last
from agent.gnmi.encode import decode_value
from agent.gnmi.errors import GnmiError, invalid, unimplemented
from agent.gnmi.flatten import strip_predicates
from agent.gnmi.paths import full_path, has_wildcards, to_xpath
from agent.gnmi.pb import gnmi, gnmi_ext
from agent.txn.records import commit_warnings

if TYPE_CHECKING:
    from agent.access.nacm import AccessControl
    from agent.gnmi.server import GnmiServer

OP_DELETE, OP_REPLACE, OP_UPDATE, OP_UNION_REPLACE = 1, 2, 3, 4
MAX_OPERATIONS = 100_000
DEFAULT_ROLLBACK = 600.0


def _duration(d: Any) -> float:
    return float(d.seconds) + float(d.nanos) / 1e9


async def set_(server: GnmiServer, request: Any, session: Session, acl: AccessControl) -> Any:
    commit_ext = None
    for ext in request.extension:
        kind = ext.WhichOneof("ext")
        if kind == "commit":
            commit_ext = ext.commit
        else:
            raise unimplemented(f"extension {kind} is not supported on Set")
    if request.union_replace and (request.replace or request.update):
        raise invalid("union_replace cannot be combined with replace or update in one SetRequest")
    total = len(request.delete) + len(request.replace) + len(request.update) + len(request.union_replace)
    if total > MAX_OPERATIONS:
        raise invalid(f"more than {MAX_OPERATIONS} operations in one SetRequest")
    ctx = server.model.ctx
    deletes: list[str] = []
    replaces: list[tuple[str, Any]] = []
    updates: list[tuple[str, Any]] = []
    results: list[Any] = []
    for p in request.delete:
        gp = full_path(request.prefix, p)
        # spec 3.4.6: wildcards in a delete are expanded ("*", "...", key "*" or keys left out)
        xp = _root(to_xpath(gp, ctx))
        if has_wildcards(gp) and not acl.unrestricted:
            for node_xp in _matches(server, xp):
                _authorise(server, acl, node_xp, None, "delete", removes=True)
        else:
            _authorise(server, acl, xp, None, "delete", removes=True)
        deletes.append(xp)
        results.append(gnmi.UpdateResult(path=p, op=OP_DELETE))
    for ups, bucket, op in ((request.replace, replaces, OP_REPLACE), (request.update, updates, OP_UPDATE)):
        for up in ups:
            if up.HasField("value") and not up.HasField("val"):
                raise invalid("the deprecated Update.value field is not supported; use val")
            xp = _update_xpath(request.prefix, up.path, ctx)
            value = decode_value(up.val)
            _authorise(server, acl, xp, value, "update", removes=op == OP_REPLACE)
            entries = _list_entries(server, xp, value)
            if entries is None:
                bucket.append((xp, value))
            else:  # spec 3.4.5: a path naming a whole list
                for entry_xp, entry in entries:
                    _authorise(server, acl, entry_xp, entry, "update")
                if op == OP_REPLACE:
                    deletes.append(xp)  # the entries not supplied go
                bucket.extend(entries)
            results.append(gnmi.UpdateResult(path=up.path, op=op))
    if request.union_replace:
        union: list[tuple[str, Any]] = []
        for up in request.union_replace:
            xp = _update_xpath(request.prefix, up.path, ctx)
            value = decode_value(up.val)
            _authorise(server, acl, xp, value, "update", removes=True)
            entries = _list_entries(server, xp, value)
            for entry_xp, entry in entries or []:
                _authorise(server, acl, entry_xp, entry, "update")
            union.extend([(xp, value)] if entries is None else [(xp, None), *entries])
            results.append(gnmi.UpdateResult(path=up.path, op=OP_UNION_REPLACE))
        deletes.extend(_topmost([xp for xp, _v in union]))
        updates.extend((xp, v) for xp, v in union if v is not None)
    if commit_ext is None and server.txn.pending_confirmed is not None and total:
        # gnmi-commit-confirmed 3.2.1: a Set without the extension while a rollback timer runs
        raise GnmiError(
            grpc.StatusCode.FAILED_PRECONDITION,
            "a confirmed commit is pending: confirm or cancel it (commit extension) before another Set",
        )
    record = None
    if commit_ext is not None:
        record = await _confirmed(server, commit_ext, session, deletes, replaces, updates)
    elif deletes or replaces or updates:
        _result, record = await server.txn.edit_running_gnmi(
            session, deletes=deletes, replaces=replaces, updates=updates, comment="gnmi Set"
        )
    return gnmi.SetResponse(
        prefix=request.prefix,
        response=results,
        timestamp=time.time_ns(),
        extension=_warning_extensions(record),
    )


def _warning_extensions(record: Any) -> list[Any]:
    """Warnings about a Set that succeeded (data stored but not applied to VPP yet) as one experimental
    registered extension (gnmi_ext.proto ``EID_EXPERIMENTAL``): gNMI has no warning field, and a
    registered extension is the specification's place for what it does not define. ``msg`` is JSON:
    ``{"warnings": [{"path", "message", "app-tag"}]}``."""
    warnings = commit_warnings(record)
    if not warnings:
        return []
    body = {"warnings": [{"path": w.path, "message": w.message, "app-tag": w.app_tag} for w in warnings]}
    registered = gnmi_ext.RegisteredExtension(
        id=gnmi_ext.EID_EXPERIMENTAL, msg=json.dumps(body, separators=(",", ":")).encode()
    )
    return [gnmi_ext.Extension(registered_ext=registered)]


def _matches(server: GnmiServer, xpath: str) -> list[str]:
    """The data paths of the running nodes ``xpath`` selects now."""
    root = server.datastores.running.tree.root
    if root == NULL:
        return []
    return [node_path(n) for n in find_xpath(root, xpath)]


def _root(xpath: str) -> str:
    """The root (an empty path, or a module origin alone) as the editor names it: ``/``."""
    return "/" if xpath == "/*" else xpath


def _update_xpath(prefix: Any, path: Any, ctx: Any) -> str:
    """The data path an update / replace addresses. A path the schema does not have is NOT_FOUND (spec
    3.4.7: "an update or replace operation that corresponds to a path that is not valid"); a path that
    cannot be parsed stays INVALID_ARGUMENT."""
    try:
        return _root(to_xpath(full_path(prefix, path), ctx, for_edit=True))
    except GnmiError as exc:
        cause = exc.__cause__
        if isinstance(cause, PathError) and cause.tag == "unknown-element":
            raise GnmiError(grpc.StatusCode.NOT_FOUND, exc.message, path=exc.path) from cause
        raise


def _list_entries(server: GnmiServer, xpath: str, value: Any) -> list[tuple[str, Any]] | None:
    """A value for a path naming a whole keyed list (``.../interface``) as one ``(entry path, entry)``
    per given entry; None when ``xpath`` does not name a whole list. The value is the array of entries,
    or an object whose one member is that array (``{"interface": [...]}``)."""
    _parent, last = split_last(xpath)
    if "[" in last:
        return None
    meta = server.flattener.meta(strip_predicates(xpath))
    if meta is None or not meta.keys:
        return None
    if isinstance(value, dict) and len(value) == 1:
        ((member, inner),) = value.items()
        if member.rpartition(":")[2] == last.rpartition(":")[2]:
            value = inner
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise invalid(f"the value for the list {xpath} must be an array of entries", path=xpath)
    out = []
    for entry in value:
        missing = [k for k in meta.keys if k not in entry]
        if missing:
            raise invalid(f"an entry of {xpath} lacks its key(s) {', '.join(missing)}", path=xpath)
        pred = "".join(f"[{k}={_quote(_scalar(entry[k]))}]" for k in meta.keys)
        out.append((xpath + pred, entry))
    return out


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _quote(v: str) -> str:
    if "'" not in v:
        return f"'{v}'"
    if '"' not in v:
        return f'"{v}"'
    raise invalid(f"a key value cannot contain both quote characters: {v!r}")


def _topmost(xpaths: list[str]) -> list[str]:
    """The paths that are not at or below an earlier-kept one (duplicates dropped)."""
    if "/" in xpaths:
        return ["/"]
    out: list[str] = []
    for xp in sorted(set(xpaths), key=len):
        if not any(xp == p or xp.startswith(p + "/") or xp.startswith(p + "[") for p in out):
            out.append(xp)
    return out


def _authorise(
    server: GnmiServer, acl: AccessControl, xpath: str, value: Any, access: str, *, removes: bool = False
) -> None:
    if acl.unrestricted:
        return
    if xpath == "/":
        _authorise_root(server, acl, value, access, removes)
        return
    try:
        segs = segments(xpath)
    except ValueError:
        return
    denied = check_write(acl, segs, value, access)
    if denied:
        raise GnmiError(grpc.StatusCode.PERMISSION_DENIED, f"access denied: {access} of {denied}")


def _authorise_root(server: GnmiServer, acl: AccessControl, value: Any, access: str, removes: bool) -> None:
    """An edit of the root: a delete / replace / union_replace removes every top-level node (delete
    access to each), and the value writes its members."""
    if removes:
        current = json.loads(server.datastores.read("running", fmt="json") or "{}")
        for member in current:
            mod, _, name = member.rpartition(":")
            if not acl.data_access([(mod or None, name, ())], "delete"):
                raise GnmiError(grpc.StatusCode.PERMISSION_DENIED, f"access denied: delete of /{member}")
    if isinstance(value, dict):
        for member, sub in value.items():
            mod, _, name = member.rpartition(":")
            denied = check_write(acl, [(mod or None, name, ())], sub, access)
            if denied:
                raise GnmiError(grpc.StatusCode.PERMISSION_DENIED, f"access denied: {access} of {denied}")


async def _confirmed(
    server: GnmiServer,
    ext: Any,
    session: Session,
    deletes: list[str],
    replaces: list[tuple[str, Any]],
    updates: list[tuple[str, Any]],
) -> Any:
    """Returns the commit record (None for cancel)."""
    action = ext.WhichOneof("action")
    token = ext.id
    if not token:
        raise invalid("the commit extension needs an id")
    txn, ds = server.txn, server.datastores
    edits = bool(deletes or replaces or updates)
    if action in ("confirm", "cancel", "set_rollback_duration") and edits:
        raise invalid(f"a Set carrying commit {action} must not carry updates")
    pending = txn.pending_confirmed
    if action not in ("commit", "confirm", "cancel", "set_rollback_duration"):
        raise invalid("the commit extension needs an action")
    if action == "commit" and pending is not None:
        raise GnmiError(
            grpc.StatusCode.FAILED_PRECONDITION,
            f"a confirmed commit is already pending (id {pending.persist or '-'}): "
            "confirm or cancel it first",
        )
    if action != "commit":
        # gnmi-commit-confirmed 3.2.2-3.2.4: nothing pending is FAILED_PRECONDITION, a wrong id
        # INVALID_ARGUMENT
        if pending is None:
            raise GnmiError(grpc.StatusCode.FAILED_PRECONDITION, f"{action}: no commit is pending")
        if pending.persist != token:
            raise invalid(f"{action}: id {token!r} does not match the pending commit")
    if action == "set_rollback_duration" and _duration(ext.set_rollback_duration.rollback_duration) <= 0:
        raise invalid("set_rollback_duration needs a rollback_duration greater than 0")
    if action == "cancel":
        await txn.cancel_commit(session, persist_id=token)
        return None
    ds.lock("candidate", session)
    try:
        try:
            if edits:
                ds.edit_gnmi(
                    "candidate", deletes=deletes, replaces=replaces, updates=updates, session=session
                )
            if action == "confirm":
                record = await txn.confirm(session, persist_id=token)
            else:
                holder = ext.commit if action == "commit" else ext.set_rollback_duration
                timeout = _duration(holder.rollback_duration) or DEFAULT_ROLLBACK
                record = await txn.commit(
                    session,
                    confirmed=True,
                    confirm_timeout=timeout,
                    persist=token,
                    persist_id=token if action == "set_rollback_duration" else None,
                    comment=f"gnmi Set commit-confirmed {token}",
                )
        except BaseException:
            if ds.candidate_dirty and ds.candidate_owner == session.id:
                ds.discard_changes(session)
            raise
    finally:
        ds.unlock("candidate", session)
    return record
