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
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vpp_papi.vpp_papi import VPPApiJSONFiles

FRAME_HEADER = struct.Struct(">QII")
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
        self.names_by_id = [None, *[m.name for m in by_id[1:]]]
        self.api_json = json.dumps(self.raw)

    def message_table(self) -> list[dict[str, Any]]:
        """``sockclnt_create_reply.message_table``: ``{index, name: "<name>_<crc without 0x>"}``."""
        return [{"index": i, "name": f"{n}_{self.crcs[n][2:]}"} for n, i in self.ids.items()]

    def decode(self, body: bytes) -> tuple[str, Any]:
        """Name and decoded tuple of one message body (vpp-papi's conversions applied)."""
        (msg_id,) = MSG_ID.unpack_from(body)
        if msg_id <= 0 or msg_id >= len(self._by_id):
            raise KeyError(msg_id)
        msg = self._by_id[msg_id]
        decoded, _ = msg.unpack(body)
        return msg.name, decoded

    def encode(self, name: str, fields: dict[str, Any]) -> bytes:
        """One framed message: header plus the packed body with ``_vl_msg_id`` filled in."""
        fields["_vl_msg_id"] = self.ids[name]
        body: bytes = self.messages[name].pack(fields)
        return FRAME_HEADER.pack(0, len(body), 0) + body


def to_plain(value: Any) -> Any:
    """A decoded vpp-papi value as plain dicts and lists (namedtuples cannot be packed back)."""
    if hasattr(value, "_asdict"):
        return {k: to_plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value
