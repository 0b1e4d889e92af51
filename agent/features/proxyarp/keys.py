"""Keys of the proxy-ARP feature's items (built with :func:`agent.vpp.keys.join`)."""

from __future__ import annotations

from agent.vpp import keys
from agent.vpp.config import RootId

#: The root kind of the ``bng-interfaces:neighbor-limits`` container (one root).
LIMITS = "neighbor-limits"
LIMITS_ROOT = RootId(LIMITS)


def interface(name: str) -> str:
    """``proxy-arp/GigabitEthernet0/8/0.100``: proxy-ARP answered on one interface."""
    return keys.join1("proxy-arp", name)


def range_(table_id: int, lo: str, hi: str) -> str:
    """``proxy-arp-range/0/10.0.0.2-10.0.0.254``: addresses proxy-ARP answers for in one IPv4 table."""
    return keys.join("proxy-arp-range", str(table_id), f"{lo}-{hi}")


def limits(is_ip6: bool) -> str:
    """``neighbor-limits/ipv4``: the size and ageing of VPP's neighbour table of one family."""
    return keys.join1("neighbor-limits", "ipv6" if is_ip6 else "ipv4")
