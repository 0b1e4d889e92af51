"""Value types of the proxy-ARP feature's items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from agent.vpp.items import Value

#: VPP 26.06's neighbour-table defaults (src/vnet/ip-neighbor/ip_neighbor.c ip_neighbor_init:
#: ``.limit = 50000``, no ageing, no recycling): what an unconfigured family gets back.
DEFAULT_MAX_ENTRIES = 50000
DEFAULT_MAX_AGE = 0
DEFAULT_RECYCLE = False


@dataclass(frozen=True, slots=True)
class ProxyArpValue(Value):
    """Proxy-ARP switched on for one interface (``proxy_arp_intfc_enable_disable``)."""

    kind: ClassVar[str] = "proxy-arp"
    interface: str


@dataclass(frozen=True, slots=True)
class ProxyArpRangeValue(Value):
    """One range VPP proxies ARP for in an IPv4 table (``proxy_arp_add_del``). VPP keeps ranges per FIB
    table, not per interface: every proxy-ARP interface of the table answers for all of them."""

    kind: ClassVar[str] = "proxy-arp-range"
    table_id: int
    lo: str
    hi: str


@dataclass(frozen=True, slots=True)
class NeighborLimitsValue(Value):
    """Bounds of VPP's neighbour (ARP or ND) table of one family (``ip_neighbor_config``)."""

    kind: ClassVar[str] = "neighbor-limits"
    is_ip6: bool
    max_entries: int = DEFAULT_MAX_ENTRIES
    max_age: int = DEFAULT_MAX_AGE
    recycle: bool = DEFAULT_RECYCLE
