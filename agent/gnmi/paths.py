"""gNMI ``Path`` protobufs <-> the schema layer's neutral paths and libyang data paths.

Requests: a proto ``Path`` (with the request prefix joined in front) becomes a
:class:`~agent.model.paths.GnmiPath` and then, through the schema-aware conversion in
:mod:`agent.model.paths`, an XPath the datastore evaluates. Responses: data nodes are named by their
libyang data path (``/ietf-interfaces:interfaces/interface[name='eth0']/description``), which is split
here into path elements without a schema lookup -- libyang already qualifies an element exactly where
the module changes, which is the RFC 7951 rule gNMI JSON-IETF clients expect. Splits are cached because
SAMPLE subscriptions name the same nodes every interval.
"""

from __future__ import annotations

from typing import Any

import grpc

from agent.errors import PathError
from agent.gnmi.datapath import Elem, split_data_path
from agent.gnmi.errors import GnmiError, invalid
from agent.gnmi.pb import gnmi
from agent.model.paths import GnmiPath, PathElem, gnmi_to_xpath, parse_gnmi_string

MAX_PATH_ELEMS = 64
MAX_KEY_BYTES = 4096


def from_proto(path: Any) -> GnmiPath:
    """A proto ``gnmi.Path`` as a :class:`GnmiPath`; the deprecated ``element`` strings are accepted."""
    if len(path.elem) > MAX_PATH_ELEMS or len(path.element) > MAX_PATH_ELEMS:
        raise invalid(f"path has more than {MAX_PATH_ELEMS} elements")
    if path.elem:
        elems = []
        for e in path.elem:
            if not e.name:
                raise invalid("path element with an empty name")
            keys = dict(e.key)
            if sum(len(k) + len(v) for k, v in keys.items()) > MAX_KEY_BYTES:
                raise invalid("path keys too long")
            elems.append(PathElem(e.name, keys))
        return GnmiPath(path.origin, elems)
    if path.element:
        try:
            parsed = parse_gnmi_string("/" + "/".join(path.element))
        except PathError as exc:
            raise invalid(exc.message) from exc
        return GnmiPath(path.origin, parsed.elems)
    return GnmiPath(path.origin, [])


def full_path(prefix: Any, path: Any) -> GnmiPath:
    """``prefix`` joined with ``path`` (gNMI 2.4.1); origin on both must agree."""
    pre = from_proto(prefix) if prefix is not None else GnmiPath()
    try:
        return pre.join(from_proto(path))
    except PathError as exc:
        raise invalid(exc.message) from exc


def to_xpath(path: GnmiPath, ctx: Any, *, for_edit: bool = False) -> str:
    """The XPath selecting what ``path`` names; bad paths are INVALID_ARGUMENT, unserved origins
    UNIMPLEMENTED."""
    try:
        return gnmi_to_xpath(path, ctx, allow_wildcards=not for_edit)
    except PathError as exc:
        code = (
            grpc.StatusCode.UNIMPLEMENTED
            if exc.tag == "operation-not-supported"
            else grpc.StatusCode.INVALID_ARGUMENT
        )
        raise GnmiError(code, exc.message, path=str(path)) from exc


def has_wildcards(path: GnmiPath) -> bool:
    return any(e.name in ("*", "...") or "*" in e.keys.values() for e in path.elems)


def elems_to_proto(elems: tuple[Elem, ...] | list[Elem], origin: str = "") -> Any:
    p = gnmi.Path(origin=origin)
    for name, keys in elems:
        e = p.elem.add(name=name)
        for k, v in keys:
            e.key[k] = v
    return p


def data_path_to_proto(path: str) -> Any:
    """A proto ``gnmi.Path`` for a libyang data path."""
    return elems_to_proto(split_data_path(path))


def gnmi_to_proto(path: GnmiPath) -> Any:
    return elems_to_proto([(e.name, tuple(e.keys.items())) for e in path.elems], path.origin)
