"""Data nodes -> gNMI updates, and gNMI ``TypedValue`` -> JSON-IETF values for edits.

Two shapes of output, chosen by the request's encoding:

* JSON_IETF / JSON: one update per selected node, whose value is the node's JSON-IETF (RFC 7951)
  subtree as libyang prints it (a scalar for a leaf).
* PROTO (and every SAMPLE/ON_CHANGE stream): one update per leaf with a typed scalar (``uint_val`` for
  counters, ``bool_val``, ``string_val``, ...), grouped under the leaf's parent as the notification prefix,
  which is how collectors such as gnmic and Telegraf index counters.

Leaves are enumerated by walking the libyang tree in C-struct form and building each path from its
parent's (no ``lyd_path`` call per leaf); per-schema-node facts are cached by schema address.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from _libyang import ffi, lib

from agent.datastore.tree import NULL, Cdata, node_path, print_node
from agent.gnmi.errors import invalid, unimplemented
from agent.gnmi.pb import gnmi

_INT_TYPES = frozenset(
    {lib.LY_TYPE_INT8, lib.LY_TYPE_INT16, lib.LY_TYPE_INT32, lib.LY_TYPE_UINT8, lib.LY_TYPE_UINT16}
    | {lib.LY_TYPE_UINT32}
)
_STRINGY_64 = {lib.LY_TYPE_INT64: "int", lib.LY_TYPE_UINT64: "uint", lib.LY_TYPE_DEC64: "dec"}


@dataclass(slots=True)
class _SchemaInfo:
    name: str
    module: str
    term: bool
    leaflist: bool
    is_list: bool
    state: bool
    key: bool


_SCHEMA: dict[int, _SchemaInfo] = {}


def _info(schema: Cdata) -> _SchemaInfo:
    addr = int(ffi.cast("uintptr_t", schema))
    info = _SCHEMA.get(addr)
    if info is None:
        nodetype = schema.nodetype
        info = _SchemaInfo(
            name=ffi.string(schema.name).decode(),
            module=ffi.string(schema.module.name).decode(),
            term=bool(nodetype & (lib.LYS_LEAF | lib.LYS_LEAFLIST)),
            leaflist=bool(nodetype & lib.LYS_LEAFLIST),
            is_list=bool(nodetype & lib.LYS_LIST),
            state=bool(schema.flags & lib.LYS_CONFIG_R),
            key=bool(schema.flags & lib.LYS_KEY),
        )
        _SCHEMA[addr] = info
    return info


def _node_module(node: Cdata) -> str:
    return _info(node.schema).module


def leaf_value(node: Cdata) -> Any:
    """The JSON-IETF (RFC 7951) value of a leaf / leaf-list node."""
    text = ffi.string(lib.lyd_get_value(node)).decode()
    term = ffi.cast("struct lyd_node_term *", node)
    base = term.value.realtype.basetype
    if base in _INT_TYPES:
        return int(text)
    if base == lib.LY_TYPE_BOOL:
        return text == "true"
    if base == lib.LY_TYPE_EMPTY:
        return [None]
    return text  # 64-bit numbers and decimal64 are strings in RFC 7951, like every other type


def typed_value(node: Cdata) -> Any:
    """A ``gnmi.TypedValue`` with the scalar type of the leaf (PROTO encoding)."""
    text = ffi.string(lib.lyd_get_value(node)).decode()
    term = ffi.cast("struct lyd_node_term *", node)
    base = term.value.realtype.basetype
    if base in _INT_TYPES or base in (lib.LY_TYPE_INT64, lib.LY_TYPE_UINT64):
        if base in (lib.LY_TYPE_UINT8, lib.LY_TYPE_UINT16, lib.LY_TYPE_UINT32, lib.LY_TYPE_UINT64):
            return gnmi.TypedValue(uint_val=int(text))
        return gnmi.TypedValue(int_val=int(text))
    if base == lib.LY_TYPE_BOOL:
        return gnmi.TypedValue(bool_val=text == "true")
    if base == lib.LY_TYPE_DEC64:
        return gnmi.TypedValue(double_val=float(text))
    if base == lib.LY_TYPE_EMPTY:
        return gnmi.TypedValue(bool_val=True)
    return gnmi.TypedValue(string_val=text)


def _quote(value: str) -> str:
    return f"'{value}'" if "'" not in value else f'"{value}"'


def _segment(node: Cdata, info: _SchemaInfo, parent_module: str | None) -> str:
    seg = info.name if info.module == parent_module else f"{info.module}:{info.name}"
    if info.is_list:
        child = lib.lyd_child(node)
        while child != NULL:
            cinfo = _info(child.schema)
            if not cinfo.key:
                break
            seg += f"[{cinfo.name}={_quote(ffi.string(lib.lyd_get_value(child)).decode())}]"
            child = child.next
    return seg


@dataclass(slots=True)
class Leaf:
    """One leaf (or a whole leaf-list) found under a selected node."""

    parent: str  # data path of the parent node
    name: str  # the leaf's path segment relative to the parent (module-qualified if it changes)
    nodes: list[Cdata]  # one node, or every entry of a leaf-list

    @property
    def path(self) -> str:
        return f"{self.parent}/{self.name}"

    def json_value(self) -> Any:
        if len(self.nodes) == 1 and not _info(self.nodes[0].schema).leaflist:
            return leaf_value(self.nodes[0])
        return [leaf_value(n) for n in self.nodes]

    def typed(self) -> Any:
        if len(self.nodes) == 1 and not _info(self.nodes[0].schema).leaflist:
            return typed_value(self.nodes[0])
        return gnmi.TypedValue(leaflist_val=gnmi.ScalarArray(element=[typed_value(n) for n in self.nodes]))


def iter_leaves(node: Cdata, *, state_only: bool = False, config_only: bool = False) -> Iterator[Leaf]:
    """Every leaf at or below ``node`` (a leaf-list as one :class:`Leaf`), in document order."""
    info = _info(node.schema)
    path = node_path(node)
    if info.term:
        cut = path.rfind("/")
        parent, seg = path[:cut], path[cut + 1 :]
        if "[" in seg and info.leaflist:
            seg = seg.split("[", 1)[0]
        if _wanted(info, state_only, config_only):
            yield Leaf(parent, seg, [node])
        return
    stack: list[tuple[Cdata, str, str]] = [(node, path, info.module)]
    while stack:
        parent, ppath, pmodule = stack.pop()
        child = lib.lyd_child(parent)
        inner: list[tuple[Cdata, str, str]] = []
        pending: Leaf | None = None
        while child != NULL:
            cinfo = _info(child.schema)
            if cinfo.term:
                if not _wanted(cinfo, state_only, config_only):
                    child = child.next
                    continue
                seg = cinfo.name if cinfo.module == pmodule else f"{cinfo.module}:{cinfo.name}"
                if cinfo.leaflist and pending is not None and pending.name == seg:
                    pending.nodes.append(child)
                else:
                    if pending is not None:
                        yield pending
                    pending = Leaf(ppath, seg, [child])
            else:
                inner.append((child, f"{ppath}/{_segment(child, cinfo, pmodule)}", cinfo.module))
            child = child.next
        if pending is not None:
            yield pending
        stack.extend(reversed(inner))


def _wanted(info: _SchemaInfo, state_only: bool, config_only: bool) -> bool:
    if state_only and not info.state:
        return info.key  # keys name the entry; they stay with the state leaves
    return not (config_only and info.state)


def subtree_json(node: Cdata) -> Any:
    """The JSON-IETF value of ``node``: a scalar for a leaf, the content object otherwise."""
    info = _info(node.schema)
    if info.term and not info.leaflist:
        return leaf_value(node)
    obj = json.loads(print_node(node, "json", with_defaults="explicit") or "{}")
    if not obj:
        return {}
    (val,) = obj.values()
    if isinstance(val, list) and info.is_list:
        return val[0] if val else {}
    return val


# ----------------------------------------------------------------------------------------- decoding


MAX_VALUE_BYTES = 64 * 1024 * 1024


def decode_value(val: Any) -> Any:
    """A ``gnmi.TypedValue`` from a SetRequest as the JSON-IETF value the datastore edits with."""
    kind = val.WhichOneof("value")
    if kind is None:
        raise invalid("update without a value")
    if kind in ("json_ietf_val", "json_val"):
        raw = getattr(val, kind)
        if len(raw) > MAX_VALUE_BYTES:
            raise invalid("value too large")
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            # Some clients (pygnmi) send a string leaf's value unquoted; accept that for scalars only.
            text = raw.decode("utf-8", "replace").strip()
            if text and text[0] not in '{["' and "\ufffd" not in text:
                return text
            raise invalid(f"{kind} is not valid JSON: {exc}") from exc
    if kind == "string_val":
        return val.string_val
    if kind == "ascii_val":  # spec 2.3.4: target-defined text (CLI); the agent serves no CLI origin
        raise unimplemented("ASCII values are not supported (no CLI origin); use json_ietf_val")
    if kind in ("int_val", "uint_val"):
        return int(getattr(val, kind))
    if kind == "bool_val":
        return bool(val.bool_val)
    if kind in ("double_val", "float_val"):
        return repr(float(getattr(val, kind)))
    if kind == "decimal_val":
        d = val.decimal_val
        digits = str(abs(d.digits)).rjust(d.precision + 1, "0")
        sign = "-" if d.digits < 0 else ""
        return f"{sign}{digits[: len(digits) - d.precision]}.{digits[len(digits) - d.precision :] or '0'}"
    if kind == "bytes_val":
        return base64.b64encode(val.bytes_val).decode()
    if kind == "leaflist_val":
        return [decode_value(e) for e in val.leaflist_val.element]
    raise unimplemented(f"value encoding {kind} is not supported (use json_ietf_val or scalar values)")
