"""Value types of the VRF feature's items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from agent.vpp.items import Value


@dataclass(frozen=True, slots=True)
class VrfTableValue(Value):
    kind: ClassVar[str] = "vrf-table"
    table_id: int
    is_ip6: bool
    name: str  # the agent's tables are named bng-agent:<vrf>
