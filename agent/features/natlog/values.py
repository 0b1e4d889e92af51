"""Value types of the NAT event logging feature's items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from agent.vpp.items import Value


@dataclass(frozen=True, slots=True)
class IpfixExporterValue(Value):
    """VPP's IPFIX exporter 0 (``set_ipfix_exporter``), pointed at the agent's NAT log relay. Built as
    ``ipfix_exporter_dump`` reports it, so configured and retrieved compare with ``==``."""

    kind: ClassVar[str] = "ipfix-exporter"
    collector: str
    collector_port: int
    src: str
    vrf_id: int
    path_mtu: int
    template_interval: int
    udp_checksum: bool = True


@dataclass(frozen=True, slots=True)
class NatIpfixLoggingValue(Value):
    """The NAT plugin's IPFIX logging (``nat_ipfix_enable_disable``): observation domain and source
    port of its stream."""

    kind: ClassVar[str] = "nat-ipfix-logging"
    domain_id: int
    src_port: int
