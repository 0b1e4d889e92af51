"""NAT events as VPP sends them: IPFIX messages with VPP 26.06's record layout, to exporter 0's
collector (src/plugins/nat/lib/ipfix_logging.c).

* Data: ``nat_ipfix_header_create`` + one data set of the event's template; the header's sequence
  number is the stream's, plus one per message (not per record: ``clib_atomic_fetch_add
  (&stream->sequence_number, 1)``); records are added while ``offset + record length <= path MTU``,
  where the offset counts from the IPv4 header (20 + 8 + 16 + 4 octets before the first record), so a
  1450-octet MTU carries 53 NAT44 session records and 512 carries 17 (VPP sent 58,823 messages for 1M
  sessions at 512).
* Templates: every flow report sends its own template message (one template each) when the exporter is
  set and every ``template_interval`` seconds (flow_report.c ``send_template_packet``: "Templates do not
  increase" the sequence number). vppsim sends them before data when the interval has passed.
* Template ids: the NAT plugin registers six flow reports on one stream, in this order, and the stream
  numbers them from 256 (flow_report.c ``fr->template_id = 256 + stream->next_template_no``).

Differences from VPP: vppsim sends from the host's stack (an ephemeral source port, no IP/UDP header of
its own making) right away, where VPP batches per worker thread and flushes on a timer.
"""

from __future__ import annotations

import asyncio
import ipaddress
import struct
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass

from vppsim.emulator import Emulator
from vppsim.features.natlog.state import NatLogState, of

IP_UDP = 20 + 8
HEADER = struct.Struct("!HHIII")
SET = struct.Struct("!HH")
NAT44_SESSION_CREATE, NAT44_SESSION_DELETE = 4, 5

# (ie, length) per template, ipfix_logging.c nat_template_rewrite; ids 256.. in registration order
_T, _E = (323, 8), (230, 1)
TEMPLATES: tuple[tuple[int, tuple[tuple[int, int], ...]], ...] = (
    (256, (_T, _E, (8, 4), (225, 4), (4, 1), (7, 2), (227, 2), (234, 4))),  # nat44 session
    (257, (_T, _E, (283, 4))),  # addresses exhausted
    (258, (_T, _E, (466, 4), (471, 4))),  # max sessions
    (259, (_T, _E, (466, 4), (472, 4))),  # max BIBs
    (260, (_T, _E, (27, 16), (225, 4), (4, 1), (7, 2), (227, 2), (234, 4))),  # nat64 BIB
    (
        261,
        (
            _T,
            _E,
            (27, 16),
            (225, 4),
            (4, 1),
            (7, 2),
            (227, 2),
            (28, 16),
            (226, 4),
            (11, 2),
            (228, 2),
            (234, 4),
        ),
    ),  # nat64 session
)
NAT44_SESSION_TEMPLATE = 256
NAT44_SESSION = struct.Struct("!QBIIBHHI")  # NAT44_SESSION_CREATE_LEN 26


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """One NAT44 session create or delete, as ``nat_ipfix_logging_nat44_ses_create/delete`` logs it."""

    inside: str
    inside_port: int
    outside: str
    outside_port: int
    protocol: int
    vrf_id: int = 0
    create: bool = True


def _message(state: NatLogState, sets: bytes, now: float, *, data: bool) -> bytes:
    nat = state.nat
    seq = nat.sequence
    if data:
        nat.sequence = (nat.sequence + 1) & 0xFFFFFFFF
    return HEADER.pack(10, HEADER.size + len(sets), int(now) & 0xFFFFFFFF, seq, nat.domain_id) + sets


def _send(state: NatLogState, payload: bytes) -> None:
    e = state.exporter
    state.socket().sendto(payload, (e.collector, e.collector_port))
    state.nat.messages_sent += 1


def _templates_due(state: NatLogState, now: float) -> bool:
    at = state.nat.templates_sent_at
    return at is None or now - at >= max(1, state.exporter.template_interval)


def send_templates(state: NatLogState, now: float) -> None:
    for tid, fields in TEMPLATES:
        body = struct.pack("!HH", tid, len(fields)) + b"".join(struct.pack("!HH", i, n) for i, n in fields)
        _send(state, _message(state, SET.pack(2, 4 + len(body)) + body, now, data=False))
    state.nat.templates_sent_at = now


def log_sessions(emu: Emulator, sessions: Iterable[SessionEvent]) -> tuple[int, int]:
    """Send the events as VPP would; returns (records, messages). Nothing is sent while logging is off
    or exporter 0 has no collector (VPP's flow reports then have nowhere to go)."""
    state = of(emu)
    if not state.nat.enabled or not state.exporter.active:
        return 0, 0
    now = time.time()
    if _templates_due(state, now):
        send_templates(state, now)
    per_msg = max(1, (state.exporter.path_mtu - IP_UDP - HEADER.size - SET.size) // NAT44_SESSION.size)
    ms = int(now * 1000)
    records = messages = 0
    batch: list[bytes] = []

    def flush() -> None:
        nonlocal messages
        body = b"".join(batch)
        _send(state, _message(state, SET.pack(NAT44_SESSION_TEMPLATE, 4 + len(body)) + body, now, data=True))
        messages += 1
        batch.clear()

    for s in sessions:
        batch.append(
            NAT44_SESSION.pack(
                ms,
                NAT44_SESSION_CREATE if s.create else NAT44_SESSION_DELETE,
                int(ipaddress.IPv4Address(s.inside)),
                int(ipaddress.IPv4Address(s.outside)),
                s.protocol,
                s.inside_port,
                s.outside_port,
                s.vrf_id,
            )
        )
        records += 1
        if len(batch) >= per_msg:
            flush()
    if batch:
        flush()
    state.nat.records_sent += records
    return records, messages


def nat_logging_changed(emu: Emulator, enabled: bool) -> None:
    """Enabling registers the flow reports: their templates go out at once (if there is a collector)
    and then every template interval (flow_report.c ``flow_report_process``), until disabled."""
    state = of(emu)
    if enabled and state.exporter.active:
        send_templates(state, time.time())
    if enabled and state.timer is None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # handlers called outside the server (unit tests)
            return
        state.timer = loop.create_task(_template_timer(weakref.ref(emu)))


async def _template_timer(ref: weakref.ref[Emulator]) -> None:
    while True:
        await asyncio.sleep(1.0)
        emu = ref()
        if emu is None:
            return
        state = of(emu)
        if not state.nat.enabled:
            state.timer = None
            return
        now = time.time()
        if state.exporter.active and _templates_due(state, now):
            send_templates(state, now)
        del emu
