"""The relay: VPP's NAT IPFIX records in (UDP), every configured collector out.

Every datagram is untrusted (the relay's port is reachable by anything that can reach the address):
it is decoded by the strict codec, and one that is malformed is counted by reason and dropped
(``bng_natlog_messages_rejected_total``), never more. Templates are kept per sender (address, port)
and observation domain, so a rogue sender cannot redefine VPP's templates. A record's export template
is chosen by its field list, so records keep VPP's layout (docs/nat-logging.md), whatever template ids
VPP assigned.

det44 maps are not logged by VPP; :meth:`Relay.set_port_blocks` exports the port block of each inside
host once (natEvent 16, port block allocation), and a de-allocation (17) when a map goes away.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.features.nat.det44 import DetMap
from agent.flowexport import DecodeError, Field, Template
from agent.flowexport.decoder import Decoder
from agent.flowexport.ie import NatEvent
from agent.flowexport.message import DataSet
from agent.flowexport.template import Record
from agent.natlog.link import CollectorLink, CollectorSettings
from agent.natlog.spill import SpillQueue
from agent.natlog.templates import EVENTS, PORT_BLOCK, port_block_template

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PortBlock:
    """One inside host's det44 block as exported: outside address and ports ``start..end`` (inclusive)."""

    vrf_id: int
    inside: int  # IPv4 address as an integer
    outside: int
    start: int
    end: int

    @property
    def size(self) -> int:
        return self.end - self.start + 1


def port_blocks(m: DetMap, vrf_id: int = 0) -> Iterator[PortBlock]:
    """Every inside host's block of one det44 map, by VPP's arithmetic (:mod:`agent.features.nat.det44`)."""
    for inside, outside, start, end in m.blocks():
        yield PortBlock(vrf_id, inside, outside, start, end)


#: data sets held while their template is unknown: at most this many, for at most this long (VPP
#: resends templates every template-interval, 20 s by default, 3600 s at most)
HOLD_SETS = 20_000
HOLD_SECONDS = 3600.0


@dataclass(frozen=True)
class RelaySettings:
    """What the relay does (from bng-telemetry nat-logging; :mod:`agent.natlog.config`)."""

    listen: tuple[str, int]
    collectors: tuple[CollectorSettings, ...]
    events: frozenset[str] = frozenset(EVENTS)
    memory_records: int = 200_000
    spill_bytes: int = 256 << 20
    allowed_senders: frozenset[str] = frozenset()  # empty: any sender


@dataclass
class RelayCounters:
    messages_in: int = 0
    records_in: int = 0
    records_filtered: int = 0
    unknown_template_sets: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    port_blocks: int = 0


class _Receiver(asyncio.DatagramProtocol):
    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.relay.receive(data, (addr[0], addr[1]))

    def error_received(self, exc: Exception) -> None:  # an ICMP error for a datagram we never send
        log.debug("natlog relay socket error: %s", exc)


class Relay:
    """Receives, filters, fans out. :meth:`start` binds the UDP port; :meth:`stop` closes everything."""

    def __init__(self, settings: RelaySettings, spill_dir: Path) -> None:
        self.s = settings
        self.spill_dir = spill_dir
        self.decoder = Decoder()
        self.counters = RelayCounters()
        self.links: dict[str, CollectorLink] = {}
        self._layouts: dict[tuple[Field, ...], Template] = {PORT_BLOCK: port_block_template()}
        self._allowed: frozenset[int] = frozenset().union(*(EVENTS[e] for e in settings.events))
        self._blocks: dict[tuple[int, int], PortBlock] = {}
        self._transport: asyncio.DatagramTransport | None = None
        self._held: deque[tuple[float, tuple[tuple[str, int], int, int], DataSet]] = deque()

    async def start(self) -> None:
        for c in self.s.collectors:
            self._add_link(c)
        loop = asyncio.get_running_loop()
        transport, _proto = await loop.create_datagram_endpoint(
            lambda: _Receiver(self), local_addr=self.s.listen, reuse_port=False
        )
        sock = transport.get_extra_info("socket")
        if sock is not None:
            import socket

            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self._transport = transport
        log.info("natlog relay listening on %s collectors=%s", self.address, ",".join(self.links))

    async def reconfigure(self, settings: RelaySettings) -> None:
        """Apply new settings in place: collectors whose settings are unchanged keep their queue (and
        what is spilled for them); the UDP socket is rebound only when the listen address changed; new
        memory or spill bounds apply to collectors (re)created from now on."""
        old = self.s
        if settings == old:
            return
        if settings.listen != old.listen:
            # bind the new address first: if that fails the relay keeps running as it was
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Receiver(self), local_addr=settings.listen
            )
            if self._transport is not None:
                self._transport.close()
            self._transport = transport
        keep = {c.name: c for c in settings.collectors}
        for name in list(self.links):
            link = self.links[name]
            if keep.get(name) != link.s or (settings.memory_records, settings.spill_bytes) != (
                old.memory_records,
                old.spill_bytes,
            ):
                await link.stop()
                del self.links[name]
        self.s = settings
        self._allowed = frozenset().union(*(EVENTS[e] for e in settings.events))
        for c in settings.collectors:
            if c.name not in self.links:
                self._add_link(c)
        log.info("natlog relay reconfigured collectors=%s", ",".join(self.links))

    def _add_link(self, c: CollectorSettings) -> None:
        q = SpillQueue(self.spill_dir / _safe(c.name), memory_records=self.s.memory_records,
                       spill_bytes=self.s.spill_bytes)  # fmt: skip
        link = CollectorLink(c, q)
        link.start()
        self.links[c.name] = link

    @property
    def address(self) -> tuple[str, int]:
        assert self._transport is not None
        addr = self._transport.get_extra_info("sockname")
        return (addr[0], addr[1])

    async def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        for link in self.links.values():
            await link.stop()
        self.links.clear()

    # ------------------------------------------------------------------------------------- receive

    def receive(self, data: bytes, sender: tuple[str, int]) -> None:
        """One datagram from VPP (or from anyone)."""
        self.counters.messages_in += 1
        if self.s.allowed_senders and sender[0] not in self.s.allowed_senders:
            self.counters.rejected["unknown-sender"] += 1
            return
        try:
            decoded = self.decoder.decode(data, sender)
        except DecodeError as exc:
            self.counters.rejected[exc.reason] += 1
            log.debug("natlog malformed message from %s: %s", sender, exc)
            return
        self.counters.unknown_template_sets += decoded.unknown_sets
        msg = decoded.message
        for ds in decoded.unknown:
            self._hold(sender, msg.version, msg.domain, ds)
        if msg.templates and self._held:
            decoded.sets[:0] = self._release(sender, msg.version, msg.domain)
        for t, recs in decoded.sets:
            self.counters.records_in += len(recs)
            out = self._export_template(t)
            kept = self._filter(out, recs)
            if kept:
                self._fan_out(out, kept)

    def _hold(self, sender: tuple[str, int], version: int, domain: int, ds: DataSet) -> None:
        """Keep a data set whose template has not arrived: VPP sends its templates when the exporter
        is set and then every template interval, so a relay that (re)started misses them for up to
        that long. Bounded: the oldest held set is dropped (and counted) beyond :data:`HOLD_SETS`."""
        now = time.monotonic()
        while self._held and (len(self._held) >= HOLD_SETS or now - self._held[0][0] > HOLD_SECONDS):
            self._held.popleft()
            self.counters.rejected["unknown-template"] += 1
        self._held.append((now, (sender, version, domain), ds))

    def _release(
        self, sender: tuple[str, int], version: int, domain: int
    ) -> list[tuple[Template, list[Record]]]:
        out: list[tuple[Template, list[Record]]] = []
        keep: deque[tuple[float, tuple[tuple[str, int], int, int], DataSet]] = deque()
        for item in self._held:
            _at, key, ds = item
            got = self.decoder.decode_set(*key, ds) if key == (sender, version, domain) else None
            if got is None:
                keep.append(item)
            else:
                out.append(got)
        self._held = keep
        return out

    def _export_template(self, t: Template) -> Template:
        out = self._layouts.get(t.fields)
        if out is None:
            tid = 256 + len(self._layouts)
            out = self._layouts[t.fields] = Template(tid, t.fields, t.scope_count)
        return out

    def _filter(self, t: Template, recs: list[Record]) -> list[Record]:
        try:
            i = t.index("natEvent")
        except KeyError:
            return recs
        allowed = self._allowed
        kept = [r for r in recs if r[i] in allowed]
        self.counters.records_filtered += len(recs) - len(kept)
        return kept

    def _fan_out(self, t: Template, recs: list[Record]) -> None:
        for link in self.links.values():
            link.offer(t, recs)  # what does not fit is counted by the link's queue (spill-full)

    # ---------------------------------------------------------------------------------- port blocks

    def set_port_blocks(self, blocks: Iterable[PortBlock]) -> int:
        """The det44 blocks in force now; new ones are exported (allocation), gone ones too
        (de-allocation). Returns the number of records queued."""
        new = {(b.vrf_id, b.inside): b for b in blocks}
        now_ms = int(time.time() * 1000)
        recs: list[Record] = []
        if "port-block" in self.s.events:
            for key, b in self._blocks.items():
                if new.get(key) != b:
                    recs.append(_block_record(now_ms, NatEvent.PORT_BLOCK_DEALLOCATION, b))
            for key, b in new.items():
                if self._blocks.get(key) != b:
                    recs.append(_block_record(now_ms, NatEvent.PORT_BLOCK_ALLOCATION, b))
        self._blocks = new
        self.counters.port_blocks = len(new)
        if recs:
            self._fan_out(self._layouts[PORT_BLOCK], recs)
        return len(recs)

    # ------------------------------------------------------------------------------------- metrics

    def samples(self) -> Iterator[tuple[str, tuple[str, ...], float]]:
        """Prometheus samples (agent.telemetry.catalog NATLOG)."""
        c = self.counters
        yield "bng_natlog_messages_received", (), c.messages_in
        yield "bng_natlog_records_received", (), c.records_in
        yield "bng_natlog_records_filtered", (), c.records_filtered
        for reason, n in sorted(c.rejected.items()):
            yield "bng_natlog_messages_rejected", (reason,), n
        yield "bng_natlog_port_blocks", (), c.port_blocks
        for name, link in self.links.items():
            q = link.queue
            yield "bng_natlog_records_sent", (name,), link.counters.records_out
            yield "bng_natlog_records_spilled", (name,), q.spilled_records
            yield "bng_natlog_records_dropped", (name, "spill-full"), q.dropped
            yield "bng_natlog_records_queued", (name,), len(q) + link.inflight
            yield "bng_natlog_spill_bytes", (name,), q.spill_unread
            yield "bng_natlog_collector_up", (name,), 1.0 if link.up else 0.0


def _block_record(now_ms: int, event: int, b: PortBlock) -> Record:
    return (now_ms, event, b.inside, b.outside, b.start, b.end, 1, b.size, b.vrf_id)


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
