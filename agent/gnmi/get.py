"""gNMI Get (specification 3.3): a snapshot of the requested paths in the requested encoding.

Data types map onto NMDA datastores: CONFIG reads running (configuration only); STATE and OPERATIONAL
read the operational datastore and keep only ``config false`` leaves (list keys stay, they name the
entries); ALL reads the operational datastore whole. The agent makes no distinction between STATE and
OPERATIONAL because the model set marks no state as "operational" in the OpenConfig sense.

A path without wildcards that selects nothing is NOT_FOUND (spec 3.3.4); a wildcard path that selects
nothing returns an empty notification. ``prefix.target`` is echoed in every notification's prefix (spec
2.2.2.1; update paths stay absolute). ``use_models`` restricts the answer to data of those modules
(spec 2.6; an unknown model or a version other than the one Capabilities lists is INVALID_ARGUMENT).
The Depth extension (gnmi_ext ``Depth``) limits the levels returned below each addressed node.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import grpc

from agent.datastore.tree import NULL, find_xpath, node_path, siblings
from agent.gnmi.auth import DENIED, prune_json, segments
from agent.gnmi.encode import iter_leaves, subtree_json, typed_leaf
from agent.gnmi.errors import GnmiError, invalid, unimplemented
from agent.gnmi.filters import ModelFilter, elem_count, limit_depth, within_depth
from agent.gnmi.flatten import Flattener, strip_predicates
from agent.gnmi.paths import data_path_to_proto, full_path, has_wildcards, to_xpath
from agent.gnmi.pb import gnmi

if TYPE_CHECKING:
    from agent.access.nacm import AccessControl
    from agent.gnmi.server import GnmiServer

ALL, CONFIG, STATE, OPERATIONAL = 0, 1, 2, 3
ENC_JSON, ENC_PROTO, ENC_JSON_IETF = 0, 2, 4
MAX_PATHS = 1024


def check_extensions(request: Any) -> None:
    for ext in request.extension:
        kind = ext.WhichOneof("ext")
        raise unimplemented(f"extension {kind} is not supported on this RPC")


def request_depth(request: Any, rpc: str) -> int:
    """The Depth extension's level (0: none); any other extension is UNIMPLEMENTED."""
    level = 0
    for ext in request.extension:
        kind = ext.WhichOneof("ext")
        if kind != "depth":
            raise unimplemented(f"extension {kind} is not supported on {rpc}")
        level = int(ext.depth.level)
    return level


def check_models(server: GnmiServer, use_models: Any) -> ModelFilter | None:
    """A filter for ``use_models`` (None when the client names none). Each model must be one that
    Capabilities lists; a version, if given, must be the one listed."""
    if not use_models:
        return None
    listed = {m.name: m.version for m in server._capabilities.supported_models}
    names = set()
    for m in use_models:
        if m.name not in listed:
            raise invalid(f"model {m.name!r} is not supported (see Capabilities)")
        if m.version and m.version != listed[m.name]:
            raise invalid(f"model {m.name!r} is served at version {listed[m.name]}, not {m.version!r}")
        names.add(m.name)
    return ModelFilter(frozenset(names))


def get(server: GnmiServer, request: Any, acl: AccessControl) -> Any:
    depth = request_depth(request, "Get")
    models = check_models(server, request.use_models)
    enc = request.encoding
    if enc not in (ENC_JSON, ENC_JSON_IETF, ENC_PROTO):
        raise unimplemented(f"encoding {gnmi.Encoding.Name(enc) if enc in (1, 3) else enc} is not supported")
    dtype = request.type
    if dtype not in (ALL, CONFIG, STATE, OPERATIONAL):
        raise invalid(f"unknown data type {dtype}")
    if len(request.path) > MAX_PATHS:
        raise invalid(f"more than {MAX_PATHS} paths in one request")
    paths = list(request.path) or [gnmi.Path()]
    ts = time.time_ns()
    response = gnmi.GetResponse()
    for p in paths:
        gp = full_path(request.prefix, p)
        xpath = to_xpath(gp, server.model.ctx)
        note = response.notification.add(timestamp=ts)
        if request.prefix.target:
            note.prefix.target = request.prefix.target
        _fill(server, note, xpath, dtype, enc, acl, root=xpath == "/*", models=models, depth=depth)
        if not note.update and not has_wildcards(gp) and gp.elems:
            raise GnmiError(grpc.StatusCode.NOT_FOUND, f"no data at {gp}", path=str(gp))
    return response


def _fill(
    server: GnmiServer,
    note: Any,
    xpath: str,
    dtype: int,
    enc: int,
    acl: Any,
    *,
    root: bool,
    models: ModelFilter | None = None,
    depth: int = 0,
) -> None:
    ds = server.datastores
    if dtype == CONFIG:
        tree = ds.read_tree("running", xpath=None if root else xpath, config_only=True)
    else:
        tree = ds.read_tree("operational", xpath=None if root else xpath, config_only=False)
    try:
        if tree.root == NULL:
            return
        nodes = siblings(tree.root) if root else find_xpath(tree.root, xpath)
        state = dtype in (STATE, OPERATIONAL)
        per_leaf = enc == ENC_PROTO
        if per_leaf:
            for node in nodes:
                base = 0 if root else elem_count(node_path(node))
                for leaf in iter_leaves(node, state_only=state):
                    if depth and not within_depth(leaf.parent, base, depth):
                        continue
                    if models is not None and not models.leaf_ok(leaf.parent, leaf.name):
                        continue
                    if not acl.unrestricted and not acl.data_access(segments(leaf.path), "read"):
                        continue
                    up = note.update.add(path=data_path_to_proto(leaf.path))
                    if enc == ENC_PROTO:
                        up.val.CopyFrom(typed_leaf(leaf))
                    else:
                        _set_json(up.val, leaf.json_value(), enc)
            return
        if root:
            value: dict[str, Any] = {}
            for node in nodes:
                path = node_path(node)
                sub = _pruned(acl, path, subtree_json(node))
                if sub is not DENIED:
                    name = path.lstrip("/").split("[", 1)[0]
                    value[name] = sub
            if state:
                value = _state_json(server.flattener, "", value, ())
            if models is not None:
                value = models.prune(value)
            if depth:
                value = limit_depth(value, depth)
            if value:
                up = note.update.add(path=gnmi.Path())
                _set_json(up.val, value, enc)
            return
        for node in nodes:
            path = node_path(node)
            if models is not None and not models.path_ok(path):
                continue
            sub = _pruned(acl, path, subtree_json(node))
            if sub is DENIED:
                continue
            if state:
                sub = _state_of_node(server.flattener, path, sub)
                if sub is None:
                    continue
            if models is not None:
                sub = models.prune(sub)
            if depth:
                sub = limit_depth(sub, depth)
            up = note.update.add(path=data_path_to_proto(path))
            _set_json(up.val, sub, enc)
    finally:
        tree.close()


def _state_of_node(flat: Flattener, path: str, value: Any) -> Any:
    """The state (config false) part of a selected node's JSON-IETF value, None when it has none."""
    meta = flat.meta(strip_predicates(path))
    if meta is None or not meta.config:
        return value  # a state node: all of it
    if not isinstance(value, dict):
        return None  # a configuration leaf
    out = _state_json(flat, strip_predicates(path), value, meta.keys)
    return out if any(k not in meta.keys for k in out) else None


def _state_json(flat: Flattener, spath: str, value: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The members of a container / list entry content that are state or hold state; the keys of a list
    entry stay with its state (they name it)."""
    out: dict[str, Any] = {}
    for member, v in value.items():
        if member[0] == "@":
            continue
        child = f"{spath}/{member}"
        meta = flat.meta(child)
        if meta is None:
            continue
        if not meta.config or member in keys:
            out[member] = v
        elif isinstance(v, dict):
            sub = _state_json(flat, child, v, ())
            if sub:
                out[member] = sub
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            entries = []
            for e in v:
                sub = _state_json(flat, child, e, meta.keys)
                if any(k not in meta.keys for k in sub):
                    entries.append(sub)
            if entries:
                out[member] = entries
    return out


def _pruned(acl: Any, path: str, value: Any) -> Any:
    if acl.unrestricted:
        return value
    return prune_json(acl, segments(path), value)


def _set_json(val: Any, value: Any, enc: int) -> None:
    text = json.dumps(value, separators=(",", ":")).encode()
    if enc == ENC_JSON:
        val.json_val = text
    else:
        val.json_ietf_val = text
