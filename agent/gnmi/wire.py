"""Hand-encoded protobuf for the hot path of Subscribe (large SAMPLE streams).

Building 80,000 ``Update`` messages per second through the protobuf Python API costs seconds; writing the
wire format directly, with the encoded path of every parent and leaf name cached, costs a fraction of
that. Only the few messages Subscribe streams are encoded here (field numbers from ``proto/gnmi.proto``:
SubscribeResponse.update = 1, Notification.timestamp = 1 / prefix = 2 / update = 4 / delete = 5,
Update.path = 1 / val = 3, Path.elem = 3, PathElem.name = 1 / key = 2 (map entry key = 1, value = 2),
TypedValue.string_val = 1 / int_val = 2 / uint_val = 3 / bool_val = 4 / leaflist_val = 8 /
json_val = 10 / json_ietf_val = 11 / double_val = 14, ScalarArray.element = 1). The server's response
serializer passes these bytes through unchanged; a unit test decodes them with the generated classes.
"""

from __future__ import annotations

import json
import struct
from functools import lru_cache
from typing import Any

from agent.gnmi.datapath import Elem, split_data_path

K_STR, K_INT, K_UINT, K_BOOL, K_DOUBLE, K_EMPTY = range(6)
ENC_JSON, ENC_PROTO, ENC_JSON_IETF = 0, 2, 4


_SMALL = [bytes((i,)) for i in range(128)]
SMALL = _SMALL  # one-byte varints 0..127, for callers that inline the common case


def varint(n: int) -> bytes:
    if 0 <= n < 0x80:
        return _SMALL[n]
    if n < 0:
        n &= (1 << 64) - 1
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def ld(field: int, payload: bytes) -> bytes:
    """A length-delimited field."""
    n = len(payload)
    return _SMALL[field << 3 | 2] + (_SMALL[n] if n < 0x80 else varint(n)) + payload


def _elem(name: str, keys: tuple[tuple[str, str], ...]) -> bytes:
    body = ld(1, name.encode())
    for k, v in keys:
        body += ld(2, ld(1, k.encode()) + ld(2, v.encode()))
    return ld(3, body)


@lru_cache(maxsize=200_000)
def path_bytes(data_path: str) -> bytes:
    """Encoded ``Path`` message body for a libyang data path (``""`` = the root)."""
    if not data_path:
        return b""
    return b"".join(_elem(n, k) for n, k in split_data_path(data_path))


def elems_bytes(elems: tuple[Elem, ...]) -> bytes:
    return b"".join(_elem(n, k) for n, k in elems)


@lru_cache(maxsize=4096)
def _leaf_name_path(name: str) -> bytes:
    return ld(1, _elem(name, ()))  # Update.path = Path{elem {name}}


def update_path_field(rel_elems: bytes, name: str) -> bytes:
    """``Update.path`` field for a leaf ``name`` under the (already encoded) relative elements."""
    return ld(1, rel_elems + _elem(name, ()))


def typed(kind: int, value: Any, leaflist: bool, encoding: int) -> bytes:
    """Encoded ``TypedValue`` body for a JSON-IETF value."""
    if encoding != ENC_PROTO:
        return ld(11 if encoding == ENC_JSON_IETF else 10, json.dumps(value, separators=(",", ":")).encode())
    if leaflist and isinstance(value, list):
        return ld(8, b"".join(ld(1, typed(kind, v, False, encoding)) for v in value))
    return _scalar(kind, value)


def _scalar(kind: int, value: Any) -> bytes:
    if kind == K_UINT:
        n = int(value)
        return b"\x18" + (_SMALL[n] if 0 <= n < 0x80 else varint(n))
    if kind == K_INT:
        return b"\x10" + varint(int(value))
    if kind == K_BOOL:
        return b"\x20" + (b"\x01" if value else b"\x00")
    if kind == K_DOUBLE:
        return b"\x71" + struct.pack("<d", float(value))
    if kind == K_EMPTY:
        return b"\x20\x01"
    if isinstance(value, bool):
        return b"\x20" + (b"\x01" if value else b"\x00")
    if isinstance(value, int):
        return b"\x10" + varint(value)
    return ld(1, str(value).encode())


def update(name: str, value_body: bytes) -> bytes:
    """Encoded ``Update`` (as Notification field 4) for a leaf ``name`` relative to the prefix."""
    return ld(4, _leaf_name_path(name) + ld(3, value_body))


def update_at(rel_path: bytes, value_body: bytes) -> bytes:
    return ld(4, ld(1, rel_path) + ld(3, value_body))


def update_with(path_field: bytes, value_body: bytes) -> bytes:
    """Encoded ``Update`` (Notification field 4) from a ready ``Update.path`` field and a value body."""
    return ld(4, path_field + ld(3, value_body))


def notification(ts: int, prefix: bytes | None, updates: list[bytes], deletes: list[bytes]) -> bytes:
    """Encoded ``SubscribeResponse{update: Notification{...}}``."""
    body = b"\x08" + varint(ts)
    if prefix is not None:
        body += ld(2, prefix)
    body += b"".join(updates)
    body += b"".join(ld(5, d) for d in deletes)
    return ld(1, body)


SYNC = b"\x18\x01"  # SubscribeResponse.sync_response = true
