"""Value types of the bonds feature's items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from agent.vpp.items import Value


@dataclass(frozen=True, slots=True)
class BondValue(Value):
    """``bond_create2`` arguments: bond.api ``bond_mode`` and ``bond_lb_algo`` numbers."""

    kind: ClassVar[str] = "bond"
    id: int  # AUTO_ID: VPP picks the instance
    mode: int
    lb: int
    numa_only: bool
    mac: str | None  # None: VPP picks one


@dataclass(frozen=True, slots=True)
class BondMemberValue(Value):
    kind: ClassVar[str] = "bond-member"
    bond: str
    passive: bool
    long_timeout: bool
