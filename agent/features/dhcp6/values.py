"""Value type of the DHCPv6 relay feature's item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from agent.vpp.items import Value

ALL_DHCP = "ff02::1:2"


@dataclass(frozen=True, slots=True)
class DhcpMrouteValue(Value):
    """ff02::1:2 to the local stack from any interface of IPv6 table ``table_id``."""

    kind: ClassVar[str] = "dhcp6-mroute"
    table_id: int
