"""Value types of the dhcp4 feature's items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from agent.vpp.items import Value


@dataclass(frozen=True, slots=True)
class BroadcastReceiveValue(Value):
    """255.255.255.255/32 as a receive (local) entry of one IPv4 table."""

    kind: ClassVar[str] = "dhcp4-broadcast-receive"
    table_id: int
