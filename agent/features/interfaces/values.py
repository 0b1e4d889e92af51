"""Value types of the interfaces feature's items, one per kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from agent.vpp.items import Value


@dataclass(frozen=True, slots=True)
class EthernetValue(Value):
    """A physical port: nothing to program, the item asserts that VPP has it."""

    kind: ClassVar[str] = "ethernet"


@dataclass(frozen=True, slots=True)
class LoopbackValue(Value):
    kind: ClassVar[str] = "loopback"
    mac: str | None  # None: VPP picks one


@dataclass(frozen=True, slots=True)
class SubifValue(Value):
    """``create_subif`` arguments: ``flags`` are interface_types.api ``sub_if_flags``."""

    kind: ClassVar[str] = "subif"
    parent: str
    sub_id: int
    flags: int
    outer: int
    inner: int


@dataclass(frozen=True, slots=True)
class TagValue(Value):
    kind: ClassVar[str] = "tag"
    tag: str


@dataclass(frozen=True, slots=True)
class AdminUpValue(Value):
    """Present while the interface is administratively up."""

    kind: ClassVar[str] = "admin-up"


@dataclass(frozen=True, slots=True)
class MtuValue(Value):
    kind: ClassVar[str] = "mtu"
    mtu: int


@dataclass(frozen=True, slots=True)
class TableBindingValue(Value):
    kind: ClassVar[str] = "table-binding"
    interface: str
    table_id: int
    is_ip6: bool


@dataclass(frozen=True, slots=True)
class AddressValue(Value):
    kind: ClassVar[str] = "address"
    interface: str
    prefix: str  # "10.0.0.1/24", "2001:db8::1/64" in ipaddress's canonical form


@dataclass(frozen=True, slots=True)
class UnnumberedValue(Value):
    kind: ClassVar[str] = "unnumbered"
    use: str  # the interface lending its address
