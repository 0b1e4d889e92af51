"""Recompute a VPP API message CRC from its ``.api.json`` definition, the way vppapigen does.

Why: the agent refuses to talk to a VPP whose message CRCs differ from the ones it was written for, so
the CRCs in ``agent/vpp/api/*.api.json`` must be VPP's own.  vppapigen (FDio/vpp,
``src/tools/vppapigen/vppapigen.py``) computes a message CRC as:

* ``crc32(str(block))`` where ``block`` is the list of the message's fields as written in the ``.api``
  file (without ``_vl_msg_id``), each field represented as ``[type, name]`` and each array as
  ``[type, name, length, length_field]`` (``None`` when the array has a fixed length);
* then, for every field whose type is a user type (``vl_api_*_t``), in order and recursively, the
  running CRC is folded with ``crc32(str(type_block))``: a typedef or union folds its field list and
  then recurses into it, an enum folds ``[[name, value], ...]``, an alias (``typedef u32 x;``) folds
  ``[]`` (vppapigen keeps the old, empty block for aliases for compatibility).

Current vppapigen no longer applies the historic "fixup" table of replacement CRCs, so the values
computed here are what VPP 26.06 registers in its message table (e.g. ``create_subif_790ca755``).
The unit test ``tests/unit/test_api_definitions.py`` recomputes every shipped CRC with this module.
"""

from __future__ import annotations

import binascii
from typing import Any

JsonApi = dict[str, Any]


def _field_repr(field: list[Any]) -> list[Any]:
    """The vppapigen ``Field``/``Array`` repr of one JSON field definition (options dropped)."""
    parts = [p for p in field if not isinstance(p, dict)]
    if len(parts) == 2:
        return [parts[0], parts[1]]
    if len(parts) == 3:
        return [parts[0], parts[1], parts[2], None]
    return [parts[0], parts[1], parts[2], parts[3]]


def _type_table(api: JsonApi) -> dict[str, tuple[str, list[Any]]]:
    """Map ``vl_api_<name>_t`` to (kind, definition) for every user type in ``api``."""
    table: dict[str, tuple[str, list[Any]]] = {}
    for kind in ("types", "unions"):
        for t in api.get(kind, []):
            table[f"vl_api_{t[0]}_t"] = ("struct", [f for f in t[1:] if not isinstance(f, dict)])
    for kind in ("enums", "enumflags"):
        for t in api.get(kind, []):
            table[f"vl_api_{t[0]}_t"] = ("enum", [list(v) for v in t[1:] if not isinstance(v, dict)])
    for name in api.get("aliases", {}):
        table[f"vl_api_{name}_t"] = ("alias", [])
    return table


def _fold(fields: list[list[Any]], crc: int, table: dict[str, tuple[str, list[Any]]]) -> int:
    for f in fields:
        ftype = f[0]
        if not ftype.startswith("vl_api_"):
            continue
        kind, body = table[ftype]
        if kind == "struct":
            block = [_field_repr(x) for x in body]
            crc = binascii.crc32(str(block).encode(), crc) & 0xFFFFFFFF
            crc = _fold(body, crc, table)
        else:  # enum values, or the empty block of an alias
            crc = binascii.crc32(str(body).encode(), crc) & 0xFFFFFFFF
    return crc


def message_crc(api: JsonApi, message: list[Any]) -> int:
    """CRC of ``message`` (``[name, [type, field, ...], ..., {crc}]``) with its types taken from ``api``."""
    fields = [f for f in message[1:] if isinstance(f, list) and f[1] != "_vl_msg_id"]
    block = [_field_repr(f) for f in fields]
    crc = binascii.crc32(str(block).encode()) & 0xFFFFFFFF
    return _fold(fields, crc, _type_table(api))
