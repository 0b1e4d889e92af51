"""An exporter's side: records into messages no larger than the path allows, sequence numbers and
template refresh, for either format.

Sequence numbers follow each RFC: IPFIX counts data records sent in the observation domain before the
message (RFC 7011 section 3.1); NetFlow v9 counts export packets (RFC 3954 section 5.1). Over UDP
templates are resent every ``template_interval`` seconds (RFC 7011 section 8.4, RFC 3954 section 5.2:
"refresh") and at the start, always at the head of a message that also carries data.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from enum import Enum

from agent.flowexport import ipfix, netflow9
from agent.flowexport.template import Record, Template


class Format(Enum):
    IPFIX = "ipfix"
    NETFLOW_V9 = "netflow-v9"


class Exporter:
    """Packs records of known templates into messages of at most ``max_size`` octets (the UDP payload:
    path MTU minus IP and UDP headers)."""

    def __init__(self, fmt: Format, domain: int, *, max_size: int = 1400, template_interval: float = 20.0,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        if max_size < 128:
            raise ValueError("max_size below 128 octets")
        self.format = fmt
        self.domain = domain
        self.max_size = max_size
        self.template_interval = template_interval
        self.clock = clock
        self.started = clock()
        self.templates: dict[int, Template] = {}
        self.sequence = 0  # IPFIX: data records sent; v9: packets sent
        self.messages_sent = 0
        self.records_sent = 0
        self._templates_sent_at: float | None = None

    def define(self, t: Template) -> None:
        """Add or change a template (it is sent with the next message)."""
        if self.templates.get(t.template_id) != t:
            self.templates[t.template_id] = t
            self._templates_sent_at = None

    def define_all_again(self) -> None:
        """Send every template with the next message (a collector that restarted has lost them)."""
        self._templates_sent_at = None

    def refresh_due(self, now: float | None = None) -> bool:
        now = self.clock() if now is None else now
        at = self._templates_sent_at
        return at is None or now - at >= self.template_interval

    def template_message(self, now: float | None = None) -> bytes:
        """A message with every template and no data (for a refresh when no records flow)."""
        return self.export(next(iter(self.templates)), [], now, force_templates=True)[0]

    def export(self, template_id: int, records: Sequence[Record], now: float | None = None, *,
               force_templates: bool = False) -> list[bytes]:  # fmt: skip
        """The records as one or more messages (templates first when a refresh is due)."""
        t = self.templates[template_id]
        now = self.clock() if now is None else now
        rlen = t.record_length
        head_size = ipfix.HEADER.size if self.format is Format.IPFIX else netflow9.HEADER.size
        out: list[bytes] = []
        i, n = 0, len(records)
        while True:
            sets, count = b"", 0
            if force_templates or self.refresh_due(now):
                sets, count = self._templates()
                self._templates_sent_at = now
                force_templates = False
            room = self.max_size - head_size - len(sets) - 4 - 3  # set header, v9 padding
            if rlen is not None:
                take = max(1, room // rlen)
                chunk = records[i : i + take]
            else:  # variable length: add while it fits
                chunk, size = [], 0
                for r in records[i:]:
                    size += len(t.encode([r]))
                    if chunk and size > room:
                        break
                    chunk.append(r)
            if chunk:
                body = t.encode(chunk)
                sets += self._data_set(template_id, body)
            if sets:
                out.append(self._message(sets, count + len(chunk), len(chunk), now))
            i += len(chunk)
            if i >= n:
                return out

    def _templates(self) -> tuple[bytes, int]:
        if self.format is Format.IPFIX:
            return ipfix.encode_templates(self.templates.values()), 0
        return netflow9.encode_templates(self.templates.values())

    def _data_set(self, template_id: int, body: bytes) -> bytes:
        if self.format is Format.IPFIX:
            return ipfix.encode_data_set(template_id, body)
        return netflow9.encode_data_set(template_id, body)

    def _message(self, sets: bytes, v9_count: int, n_records: int, now: float) -> bytes:
        if self.format is Format.IPFIX:
            msg = ipfix.encode_message(int(now), self.sequence, self.domain, sets)
            self.sequence = (self.sequence + n_records) & 0xFFFFFFFF
        else:
            uptime = int((now - self.started) * 1000)
            msg = netflow9.encode_message(uptime, int(now), self.sequence, self.domain, v9_count, sets)
            self.sequence = (self.sequence + 1) & 0xFFFFFFFF
        self.messages_sent += 1
        self.records_sent += n_records
        return msg
