"""A collector's side: templates per exporter and observation domain, records out, strict checks.

Templates are scoped as RFC 7011 section 8 and RFC 3954 section 5 say: by the exporter (transport
session; for UDP its source address and port), the observation domain / source id and the version. A
data set whose template is not known yet is counted and dropped (``unknown_template``): an exporter
over UDP resends its templates (template refresh), and the records after that decode.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from agent.flowexport import ipfix, netflow9
from agent.flowexport.errors import DecodeError
from agent.flowexport.message import DataSet, Message
from agent.flowexport.template import Record, Template

#: at most this many templates per exporter and domain: a rogue sender cannot grow the table forever
MAX_TEMPLATES = 1024
#: and at most this many (exporter, domain) scopes; beyond, the scope heard from least recently is
#: forgotten (a flood of spoofed senders costs the genuine exporter its templates until its next refresh,
#: never its ability to be heard)
MAX_SCOPES = 4096


@dataclass(slots=True)
class Decoded:
    """A message with its data sets turned into records, ``(template, records)`` per data set."""

    message: Message
    sets: list[tuple[Template, list[Record]]] = field(default_factory=list)
    #: data sets whose template is not known (yet): a caller may keep them until it arrives
    unknown: list[DataSet] = field(default_factory=list)

    @property
    def unknown_sets(self) -> int:
        return len(self.unknown)

    @property
    def record_count(self) -> int:
        return sum(len(r) for _t, r in self.sets)


class Decoder:
    """Decodes IPFIX and NetFlow v9 messages from any number of exporters."""

    def __init__(self) -> None:
        self._templates: dict[tuple[Hashable, int, int], dict[int, Template]] = {}
        self.evicted = 0  # scopes forgotten to stay within MAX_SCOPES

    def decode_set(
        self, exporter: Hashable, version: int, domain: int, ds: DataSet
    ) -> tuple[Template, list[Record]] | None:
        """A data set kept from earlier, if its template is known now."""
        tmpl = self._templates.get((exporter, version, domain), {}).get(ds.template_id)
        return None if tmpl is None else (tmpl, tmpl.decode(ds.body, f"data set {ds.template_id}"))

    def templates(self, exporter: Hashable, version: int, domain: int) -> dict[int, Template]:
        return self._templates.get((exporter, version, domain), {})

    def decode(self, data: bytes, exporter: Hashable = None) -> Decoded:
        """One message (the version decides the format). Raises :class:`DecodeError`."""
        if len(data) < 2:
            raise DecodeError("short-header", f"{len(data)} octets")
        version = int.from_bytes(data[:2], "big")
        if version == ipfix.VERSION:
            msg = ipfix.decode(data)
        elif version == netflow9.VERSION:
            msg = netflow9.decode(data)
        else:
            raise DecodeError("bad-version", f"version {version}, expected 9 or 10")
        key = (exporter, msg.version, msg.domain)
        known = self._templates.pop(key, None)  # re-inserted below: the dict is kept in recency order
        if known is None:
            if len(self._templates) >= MAX_SCOPES:
                del self._templates[next(iter(self._templates))]
                self.evicted += 1
            known = {}
        self._templates[key] = known
        for tid in msg.withdrawn:
            if tid in (ipfix.TEMPLATE_SET, ipfix.OPTIONS_TEMPLATE_SET):
                known.clear()  # all (options) templates withdrawn (RFC 7011 section 8.1)
            else:
                known.pop(tid, None)
        for t in msg.templates:
            if t.template_id not in known and len(known) >= MAX_TEMPLATES:
                raise DecodeError("too-many-templates", f"{MAX_TEMPLATES} templates for {exporter}")
            known[t.template_id] = t
        out = Decoded(msg)
        for ds in msg.data:
            tmpl = known.get(ds.template_id)
            if tmpl is None:
                out.unknown.append(ds)
                continue
            out.sets.append((tmpl, tmpl.decode(ds.body, f"data set {ds.template_id}")))
        return out
