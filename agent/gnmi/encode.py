"""Data nodes -> gNMI updates, and gNMI ``TypedValue`` -> JSON-IETF values for edits.

Two shapes of output, chosen by the request's encoding:

* JSON_IETF / JSON: one update per selected node, whose value is the node's JSON-IETF (RFC 7951)
  subtree as libyang prints it (a scalar for a leaf).
* PROTO (and every SAMPLE/ON_CHANGE stream): one update per leaf with a typed scalar (``uint_val`` for
  counters, ``bool_val``, ``string_val``, ...), grouped under the leaf's parent as the notification prefix,
  which is how collectors such as gnmic and Telegraf index counters.

Leaves come from :mod:`agent.datastore.leaves` (which walks the libyang tree); this module only turns
them into gNMI values.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from agent.datastore.leaves import Leaf, iter_leaves, leaf_base, leaf_text, subtree_json
from agent.datastore.tree import Cdata
from agent.gnmi.errors import invalid, unimplemented
from agent.gnmi.pb import gnmi
from agent.model.schema import Base


def typed_value(node: Cdata) -> Any:
    """A ``gnmi.TypedValue`` with the scalar type of the leaf (PROTO encoding)."""
    text = leaf_text(node)
    base = leaf_base(node)
    if base is Base.UINT or base is Base.UINT64:
        return gnmi.TypedValue(uint_val=int(text))
    if base is Base.INT or base is Base.INT64:
        return gnmi.TypedValue(int_val=int(text))
    if base is Base.BOOL:
        return gnmi.TypedValue(bool_val=text == "true")
    if base is Base.DEC64:
        return gnmi.TypedValue(double_val=float(text))
    if base is Base.EMPTY:
        return gnmi.TypedValue(bool_val=True)
    return gnmi.TypedValue(string_val=text)


def typed_leaf(leaf: Leaf) -> Any:
    """A leaf's ``gnmi.TypedValue`` (a ``leaflist_val`` for a leaf-list)."""
    if leaf.single:
        return typed_value(leaf.nodes[0])
    return gnmi.TypedValue(leaflist_val=gnmi.ScalarArray(element=[typed_value(n) for n in leaf.nodes]))


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


__all__ = ["Leaf", "decode_value", "iter_leaves", "subtree_json", "typed_leaf", "typed_value"]
