"""What VPP keeps for NAT event logging: IPFIX exporter 0 (src/vnet/ipfix-export/flow_report.h
``ipfix_exporter_t``, ``flow_report_main.exporters[0]``) and the NAT plugin's logging switch and stream
(src/plugins/nat/lib/ipfix_logging.c ``nat_ipfix_logging_main``, its flow reports' stream).

Per emulator in a weak map, as the other features' state (a restart is a new emulator, so VPP's
defaults again).
"""

from __future__ import annotations

import asyncio
import socket
import weakref
from dataclasses import dataclass, field

from vppsim.emulator import Emulator


@dataclass
class Exporter:
    """Exporter 0 as a fresh VPP 26.06 dumps it (recorded: collector 0.0.0.0 port 0, vrf_id ~0,
    path MTU 0, template interval 0, no UDP checksum)."""

    collector: str = "0.0.0.0"
    collector_port: int = 0
    src: str = "0.0.0.0"
    vrf_id: int = 0xFFFFFFFF
    path_mtu: int = 0
    template_interval: int = 0
    udp_checksum: bool = False

    @property
    def active(self) -> bool:
        return self.collector != "0.0.0.0"


@dataclass
class NatLogging:
    """``nat_ipfix_logging_main.enabled`` and the stream its flow reports registered (domain id and
    source port: flow_report.c ``vnet_flow_report_add_del`` finds or adds the stream)."""

    enabled: bool = False
    domain_id: int = 1
    src_port: int = 4739
    #: stream->sequence_number: data messages add one each, templates do not (flow_report.c)
    sequence: int = 0
    templates_sent_at: float | None = None
    records_sent: int = 0
    messages_sent: int = 0


@dataclass
class NatLogState:
    exporter: Exporter = field(default_factory=Exporter)
    nat: NatLogging = field(default_factory=NatLogging)
    sock: socket.socket | None = None
    timer: asyncio.Task[None] | None = None  # the template refresh (flow_report_process)

    def socket(self) -> socket.socket:
        if self.sock is None:
            # VPP sends from its own stack with the stream's source port; vppsim sends through the
            # host's stack from an ephemeral port (the relay's port may be the same number)
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        return self.sock


_STATES: weakref.WeakKeyDictionary[Emulator, NatLogState] = weakref.WeakKeyDictionary()


def of(emu: Emulator) -> NatLogState:
    state = _STATES.get(emu)
    if state is None:
        state = _STATES[emu] = NatLogState()
    return state
