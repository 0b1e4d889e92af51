"""IPFIX messages (RFC 7011): header, template sets (2), options template sets (3), data sets (256+).

Decoding is strict: every length is checked against what is left before anything is read (a rogue
sender's message is rejected with a :class:`DecodeError` naming why, never an exception from deeper
down or a read past the message).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from agent.flowexport.errors import DecodeError
from agent.flowexport.message import DataSet, Message
from agent.flowexport.template import Field, Template

VERSION = 10
HEADER = struct.Struct("!HHIII")  # version, length, export time, sequence, observation domain
SET_HEADER = struct.Struct("!HH")
TEMPLATE_SET, OPTIONS_TEMPLATE_SET = 2, 3
_ENTERPRISE_BIT = 0x8000


def encode_templates(templates: Iterable[Template]) -> bytes:
    """One template set (and one options template set if any template has scope fields)."""
    plain, options = bytearray(), bytearray()
    for t in templates:
        if t.scope_count:
            options += struct.pack("!HHH", t.template_id, len(t.fields), t.scope_count)
            options += _fields(t)
        else:
            plain += struct.pack("!HH", t.template_id, len(t.fields))
            plain += _fields(t)
    out = b""
    if plain:
        out += SET_HEADER.pack(TEMPLATE_SET, 4 + len(plain)) + plain
    if options:
        out += SET_HEADER.pack(OPTIONS_TEMPLATE_SET, 4 + len(options)) + options
    return out


def _fields(t: Template) -> bytes:
    out = bytearray()
    for f in t.fields:
        if f.enterprise:
            out += struct.pack("!HHI", f.ie | _ENTERPRISE_BIT, f.length, f.enterprise)
        else:
            out += struct.pack("!HH", f.ie, f.length)
    return bytes(out)


def encode_data_set(template_id: int, body: bytes) -> bytes:
    return SET_HEADER.pack(template_id, 4 + len(body)) + body


def encode_message(export_time: int, sequence: int, domain: int, sets: bytes) -> bytes:
    length = HEADER.size + len(sets)
    if length > 0xFFFF:
        raise ValueError(f"IPFIX message of {length} octets (at most 65535)")
    return HEADER.pack(VERSION, length, export_time & 0xFFFFFFFF, sequence & 0xFFFFFFFF, domain) + sets


def decode(data: bytes) -> Message:
    """Header and sets of one message (templates parsed, data sets left raw)."""
    if len(data) < HEADER.size:
        raise DecodeError("short-header", f"{len(data)} octets, an IPFIX header has 16")
    version, length, export_time, seq, domain = HEADER.unpack_from(data)
    if version != VERSION:
        raise DecodeError("bad-version", f"version {version}, expected 10")
    if length < HEADER.size or length > len(data):
        raise DecodeError("bad-length", f"message length {length} with {len(data)} octets received")
    msg = Message(VERSION, export_time, seq, domain)
    pos = HEADER.size
    while pos < length:
        if length - pos < SET_HEADER.size:
            raise DecodeError("truncated-set", f"{length - pos} octets left at offset {pos}")
        set_id, set_len = SET_HEADER.unpack_from(data, pos)
        if set_len < SET_HEADER.size or pos + set_len > length:
            raise DecodeError("bad-set-length", f"set {set_id} length {set_len} at offset {pos}")
        body = data[pos + 4 : pos + set_len]
        if set_id == TEMPLATE_SET:
            _templates(body, msg, options=False, where=f"template set at {pos}")
        elif set_id == OPTIONS_TEMPLATE_SET:
            _templates(body, msg, options=True, where=f"options template set at {pos}")
        elif set_id >= 256:
            msg.data.append(DataSet(set_id, body))
        else:
            raise DecodeError("bad-set-id", f"set id {set_id} at offset {pos} (reserved)")
        pos += set_len
    return msg


def _templates(body: bytes, msg: Message, *, options: bool, where: str) -> None:
    pos, end = 0, len(body)
    head = 6 if options else 4
    while end - pos >= head:
        if options:
            tid, count, scope = struct.unpack_from("!HHH", body, pos)
        else:
            (tid, count), scope = struct.unpack_from("!HH", body, pos), 0
        if count == 0 and not options:  # template withdrawal (RFC 7011 section 8.1)
            msg.withdrawn.append(tid)
            pos += 4
            continue
        if tid < 256:
            raise DecodeError("bad-template", f"{where}: template id {tid}")
        pos += head
        fields = []
        for _ in range(count):
            if end - pos < 4:
                raise DecodeError("bad-template", f"{where}: template {tid} field list truncated")
            ie, flen = struct.unpack_from("!HH", body, pos)
            pos += 4
            ent = 0
            if ie & _ENTERPRISE_BIT:
                if end - pos < 4:
                    raise DecodeError("bad-template", f"{where}: template {tid} enterprise truncated")
                (ent,) = struct.unpack_from("!I", body, pos)
                pos += 4
                ie &= ~_ENTERPRISE_BIT
            fields.append(Field(ie, flen, ent))
        try:
            msg.templates.append(Template(tid, tuple(fields), scope))
        except ValueError as exc:
            raise DecodeError("bad-template", f"{where}: template {tid}: {exc}") from None
    # fewer octets than a template record header left: padding (RFC 7011 section 3.3.1)
