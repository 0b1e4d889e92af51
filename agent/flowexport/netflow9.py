"""NetFlow version 9 export packets (RFC 3954): header, template FlowSets (0), options template
FlowSets (1), data FlowSets (256+), each FlowSet padded to a 4-octet boundary.

The same field types as IPFIX for numbers below 32768; enterprise elements do not exist in v9, so a
template with one cannot be exported in this format.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from agent.flowexport.errors import DecodeError
from agent.flowexport.message import DataSet, Message
from agent.flowexport.template import Field, Template

VERSION = 9
HEADER = struct.Struct("!HHIIII")  # version, count, sysUptime ms, UNIX secs, sequence, source id
SET_HEADER = struct.Struct("!HH")
TEMPLATE_FLOWSET, OPTIONS_TEMPLATE_FLOWSET = 0, 1


def _pad(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def encode_templates(templates: Iterable[Template]) -> tuple[bytes, int]:
    """Template FlowSet(s) and the number of template records in them (they count in the header)."""
    plain, options, n = bytearray(), bytearray(), 0
    for t in templates:
        if any(f.enterprise or f.ie >= 0x8000 for f in t.fields):
            raise ValueError(f"template {t.template_id} has enterprise fields: not expressible in v9")
        if t.scope_count:
            scope = b"".join(struct.pack("!HH", f.ie, f.length) for f in t.fields[: t.scope_count])
            opts = b"".join(struct.pack("!HH", f.ie, f.length) for f in t.fields[t.scope_count :])
            options += struct.pack("!HHH", t.template_id, len(scope), len(opts)) + scope + opts
        else:
            plain += struct.pack("!HH", t.template_id, len(t.fields))
            plain += b"".join(struct.pack("!HH", f.ie, f.length) for f in t.fields)
        n += 1
    out = b""
    if plain:
        out += SET_HEADER.pack(TEMPLATE_FLOWSET, 4 + len(plain)) + plain
    if options:
        body = _pad(SET_HEADER.pack(OPTIONS_TEMPLATE_FLOWSET, 0) + options)
        out += SET_HEADER.pack(OPTIONS_TEMPLATE_FLOWSET, len(body)) + body[4:]
    return out, n


def encode_data_set(template_id: int, body: bytes) -> bytes:
    padded = _pad(body)
    return SET_HEADER.pack(template_id, 4 + len(padded)) + padded


def encode_message(uptime_ms: int, unix_secs: int, sequence: int, source_id: int, count: int,
                   flowsets: bytes) -> bytes:  # fmt: skip
    return (
        HEADER.pack(
            VERSION, count, uptime_ms & 0xFFFFFFFF, unix_secs & 0xFFFFFFFF, sequence & 0xFFFFFFFF, source_id
        )
        + flowsets
    )


def decode(data: bytes) -> Message:
    """Header and FlowSets of one packet (templates parsed, data FlowSets left raw)."""
    if len(data) < HEADER.size:
        raise DecodeError("short-header", f"{len(data)} octets, a NetFlow v9 header has 20")
    version, count, uptime, secs, seq, source = HEADER.unpack_from(data)
    if version != VERSION:
        raise DecodeError("bad-version", f"version {version}, expected 9")
    msg = Message(VERSION, secs, seq, source, count=count, uptime_ms=uptime)
    pos, length = HEADER.size, len(data)
    while pos < length:
        if length - pos < SET_HEADER.size:
            if any(data[pos:]):
                raise DecodeError("truncated-set", f"{length - pos} octets left at offset {pos}")
            break
        set_id, set_len = SET_HEADER.unpack_from(data, pos)
        if set_len < SET_HEADER.size or pos + set_len > length:
            raise DecodeError("bad-set-length", f"flowset {set_id} length {set_len} at offset {pos}")
        body = data[pos + 4 : pos + set_len]
        if set_id == TEMPLATE_FLOWSET:
            _templates(body, msg, f"template flowset at {pos}")
        elif set_id == OPTIONS_TEMPLATE_FLOWSET:
            _options(body, msg, f"options template flowset at {pos}")
        elif set_id >= 256:
            msg.data.append(DataSet(set_id, body))
        else:
            raise DecodeError("bad-set-id", f"flowset id {set_id} at offset {pos} (reserved)")
        pos += set_len
    return msg


def _field_list(body: bytes, pos: int, n: int, where: str) -> list[Field]:
    if pos + 4 * n > len(body):
        raise DecodeError("bad-template", f"{where}: field list truncated")
    return [Field(*struct.unpack_from("!HH", body, pos + 4 * i)) for i in range(n)]


def _add(msg: Message, tid: int, fields: list[Field], scope: int, where: str) -> None:
    try:
        msg.templates.append(Template(tid, tuple(fields), scope))
    except ValueError as exc:
        raise DecodeError("bad-template", f"{where}: template {tid}: {exc}") from None


def _templates(body: bytes, msg: Message, where: str) -> None:
    pos = 0
    while len(body) - pos >= 4:
        tid, count = struct.unpack_from("!HH", body, pos)
        if tid == 0 and count == 0:
            break  # padding
        if tid < 256:
            raise DecodeError("bad-template", f"{where}: template id {tid}")
        fields = _field_list(body, pos + 4, count, where)
        _add(msg, tid, fields, 0, where)
        pos += 4 + 4 * count


def _options(body: bytes, msg: Message, where: str) -> None:
    pos = 0
    while len(body) - pos >= 6:
        tid, scope_len, opt_len = struct.unpack_from("!HHH", body, pos)
        if tid == 0:
            break  # padding
        if tid < 256 or scope_len % 4 or opt_len % 4:
            raise DecodeError("bad-template", f"{where}: options template {tid}")
        n_scope = scope_len // 4
        fields = _field_list(body, pos + 6, n_scope + opt_len // 4, where)
        _add(msg, tid, fields, n_scope, where)
        pos += 6 + scope_len + opt_len
