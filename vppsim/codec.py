"""The API definitions as the emulator serves them, and the socket framing.

Messages are encoded and decoded with vpp-papi's own serializer (``vpp_papi.vpp_serializer``) built from
the same ``.api.json`` files the agent ships, so a field the emulator gets wrong is a field a client would
see wrong. Message ids are assigned the way VPP does at start-up: memclnt's messages first, from 1, in
definition order (vpp-papi hard-codes ``sockclnt_create`` = 15 and its reply = 16), then every other
file's messages in order (``src/vlibapi/api_shared.c``: ``vl_msg_api_get_msg_ids``).

Framing (``src/vlibmemory/socket_api.c``, and vpp-papi's ``vpp_transport_socket.py``): every message is
preceded by a 16-byte header ``>QII`` -- an unused 64-bit word, the body length, and an unused word.
"""

from __future__ import annotations

import json
import operator
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vpp_papi.vpp_papi import VPPApiJSONFiles

FRAME_HEADER = struct.Struct(">QII")
_SCALAR = {"u8": "B", "i8": "b", "u16": "H", "i16": "h", "u32": "I", "i32": "i", "u64": "Q", "i64": "q"}
_SCALAR["bool"] = "?"
MSG_ID = struct.Struct(">H")
MSG_ID_CONTEXT = struct.Struct(">HII")  # _vl_msg_id, client_index, context of a request


class ApiDefinitions:
    """Message table, services and vpp-papi packers for a set of ``.api.json`` files."""

    def __init__(self, files: Iterable[Path]) -> None:
        self.raw: list[dict[str, Any]] = []
        self.messages: dict[str, Any] = {}
        self.services: dict[str, dict[str, Any]] = {}
        self.ids: dict[str, int] = {}
        self.crcs: dict[str, str] = {}
        by_id: list[Any] = [None]
        for path in files:
            text = path.read_text(encoding="utf-8")
            api = json.loads(text)
            self.raw.append(json.loads(text))  # pristine copy: vpp-papi mutates what it processes
            msgs, svcs = VPPApiJSONFiles._process_json(api)
            self.services.update(svcs)
            for m in api.get("messages", []):
                name = m[0]
                if name in self.ids:
                    continue
                self.ids[name] = len(by_id)
                by_id.append(msgs[name])
                self.messages[name] = msgs[name]
                self.crcs[name] = msgs[name].crc
        self._by_id = by_id
        # Fast path for messages made only of scalars (most requests and replies, e.g. create_subif and
        # its reply): one struct call instead of vpp-papi's per-field packers. Same bytes either way;
        # tests compare the two.
        self.fast: dict[str, tuple[struct.Struct, list[str], Any]] = {}
        # Encode-only fast path for fixed-size messages with strings and fixed arrays (details
        # messages such as sw_interface_details), so dumps of 100,000 interfaces stay cheap.
        self.flat: dict[str, tuple[struct.Struct, list[tuple[str, str, int]]]] = {}
        for raw in self.raw:
            table = _type_table(raw)
            for m in raw.get("messages", []):
                name = m[0]
                if name in self.fast or name not in self.messages:
                    continue
                fmt = _scalar_format(m, table)
                if fmt is not None:
                    names = [f[1] for f in m[1:] if isinstance(f, list)]
                    self.fast[name] = (struct.Struct(fmt), names, self.messages[name].tuple)
                    continue
                flat = _flat_layout(m, table)
                if flat is not None:
                    self.flat[name] = (struct.Struct(flat[0]), flat[1])
        self._fast_by_id = [self.fast.get(m.name) if m is not None else None for m in by_id]
        # Whole frames of scalar messages in one pack: header, then the body with the id filled in.
        self._frames: dict[str, tuple[struct.Struct, Any, list[str], int, int]] = {}
        for name, (packer, names, _) in self.fast.items():
            frame = struct.Struct(FRAME_HEADER.format + packer.format.lstrip(">"))
            getter = operator.itemgetter(*names) if len(names) > 1 else None
            self._frames[name] = (frame, getter, names, self.ids[name], packer.size)
        self.names_by_id = [None, *[m.name for m in by_id[1:]]]
        # get_api_json (memclnt_api.c) serves the definitions VPP loaded for vnet and the plugins; the
        # connection messages of memclnt.api are not among them (clients bring their own copy, as
        # vpp-papi does; recorded: tests/fixtures/vpp/connection.json)
        self.api_json = json.dumps(
            [r for r in self.raw if not any(m[0] == "sockclnt_create" for m in r.get("messages", []))]
        )

    def message_table(self) -> list[dict[str, Any]]:
        """``sockclnt_create_reply.message_table``: ``{index, name: "<name>_<crc without 0x>"}``."""
        return [{"index": i, "name": f"{n}_{self.crcs[n][2:]}"} for n, i in self.ids.items()]

    def decode(self, body: bytes) -> tuple[str, Any]:
        """Name and decoded tuple of one message body (vpp-papi's conversions applied)."""
        (msg_id,) = MSG_ID.unpack_from(body)
        if msg_id <= 0 or msg_id >= len(self._by_id):
            raise KeyError(msg_id)
        msg = self._by_id[msg_id]
        fast = self._fast_by_id[msg_id]
        if fast is not None and len(body) >= fast[0].size:
            return msg.name, fast[2]._make(fast[0].unpack_from(body))
        decoded, _ = msg.unpack(body)
        return msg.name, decoded

    def encode(self, name: str, fields: dict[str, Any]) -> bytes:
        """One framed message: header plus the packed body with ``_vl_msg_id`` filled in."""
        frame = self._frames.get(name)
        if frame is not None:
            packer, getter, names, msg_id, size = frame
            fields["_vl_msg_id"] = msg_id
            if getter is not None:
                try:
                    return packer.pack(0, size, 0, *getter(fields))
                except KeyError:
                    pass
            return packer.pack(0, size, 0, *[fields.get(n, 0) for n in names])
        fields["_vl_msg_id"] = self.ids[name]
        flat = self.flat.get(name)
        body = _pack_flat(flat, fields) if flat is not None else self.messages[name].pack(fields)
        return FRAME_HEADER.pack(0, len(body), 0) + body


def to_plain(value: Any) -> Any:
    """A decoded vpp-papi value as plain dicts and lists (namedtuples cannot be packed back)."""
    if hasattr(value, "_asdict"):
        return {k: to_plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value


def _type_table(api: dict[str, Any]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for kind in ("enums", "enumflags"):
        for e in api.get(kind, []):
            enumtype = next((x["enumtype"] for x in e[1:] if isinstance(x, dict)), "u32")
            table[f"vl_api_{e[0]}_t"] = enumtype
    for name, alias in api.get("aliases", {}).items():
        if "length" in alias:
            table[f"vl_api_{name}_t"] = ("array", alias["type"], alias["length"])
        else:
            table[f"vl_api_{name}_t"] = alias["type"]
    for kind in ("types", "unions"):
        for t in api.get(kind, []):
            table[f"vl_api_{t[0]}_t"] = None
    return table


def _scalar_format(message: list[Any], table: dict[str, Any]) -> str | None:
    """The struct format of a message made only of scalar fields, else None."""
    fmt = ">"
    for f in message[1:]:
        if not isinstance(f, list):
            continue
        if len([p for p in f if not isinstance(p, dict)]) != 2:
            return None  # an array or a string
        ftype = f[0]
        ftype = _resolve(ftype, table)
        if ftype not in _SCALAR:
            return None
        fmt += _SCALAR[ftype]
    return fmt


def _resolve(ftype: Any, table: dict[str, Any]) -> Any:
    """Follow aliases and enums down to a base type name, an ``("array", type, n)`` alias, or None."""
    for _ in range(4):
        if not isinstance(ftype, str) or ftype in _SCALAR:
            break
        ftype = table.get(ftype)
    return ftype


def _flat_layout(message: list[Any], table: dict[str, Any]) -> tuple[str, list[tuple[str, str, int]]] | None:
    """Struct format and field layout of a fixed-size message (scalars, fixed strings, fixed arrays)."""
    fmt = ">"
    layout: list[tuple[str, str, int]] = []
    for f in message[1:]:
        if not isinstance(f, list):
            continue
        parts = [p for p in f if not isinstance(p, dict)]
        ftype, fname = parts[0], parts[1]
        if len(parts) == 2:
            base = _resolve(ftype, table)
            if isinstance(base, str) and base in _SCALAR:
                fmt += _SCALAR[base]
                layout.append((fname, "v", 1))
            elif isinstance(base, tuple) and base[1] == "u8":
                fmt += f"{base[2]}s"
                layout.append((fname, "b", base[2]))
            else:
                return None
        elif len(parts) == 3 and parts[2] > 0:
            n = int(parts[2])
            base = _resolve(ftype, table)
            if ftype == "string":
                fmt += f"{n}s"
                layout.append((fname, "s", n))
            elif base == "u8":
                fmt += f"{n}s"
                layout.append((fname, "b", n))
            elif isinstance(base, str) and base in _SCALAR:
                fmt += _SCALAR[base] * n
                layout.append((fname, "a", n))
            else:
                return None
        else:
            return None  # variable length
    return fmt, layout


def _pack_flat(spec: tuple[struct.Struct, list[tuple[str, str, int]]], fields: dict[str, Any]) -> bytes:
    packer, layout = spec
    values: list[Any] = []
    for name, kind, n in layout:
        v = fields.get(name)
        if kind == "v":
            values.append(v or 0)
        elif kind == "s":
            values.append(v.encode("ascii")[: n - 1] if v else b"")
        elif kind == "b":
            values.append(bytes(getattr(v, "packed", v)) if v else b"")
        else:
            items = list(v or [])
            values.extend(items + [0] * (n - len(items)))
    return packer.pack(*values)
