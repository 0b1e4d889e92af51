"""Value types of the router-advertisement feature's items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from agent.vpp.items import Value

#: A lifetime of all one bits is infinity (RFC 4861 4.6.2); VPP then makes both lifetimes infinite.
INFINITE = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class Ip6LinkValue(Value):
    """IPv6 enabled on the interface (``sw_interface_ip6_enable_disable``): VPP keeps RA state per IPv6
    link, so an access interface without an IPv6 address (unnumbered) needs it."""

    kind: ClassVar[str] = "ip6-link"
    interface: str


@dataclass(frozen=True, slots=True)
class RaValue(Value):
    """Router advertisements sent on the interface (``sw_interface_ip6nd_ra_config``)."""

    kind: ClassVar[str] = "ip6-ra"
    interface: str
    max_interval: int
    min_interval: int
    router_lifetime: int


@dataclass(frozen=True, slots=True)
class RaFlagValue(Value):
    """The M ("managed") or O ("other") flag in the RAs: one item each, because VPP sets a flag with one
    call and clears it with another (``is_no``), never both in one."""

    kind: ClassVar[str] = "ip6-ra-flag"
    interface: str
    flag: str  # keys.MANAGED or keys.OTHER


@dataclass(frozen=True, slots=True)
class RaPrefixValue(Value):
    """One Prefix Information option (``sw_interface_ip6nd_ra_prefix``)."""

    kind: ClassVar[str] = "ip6-ra-prefix"
    interface: str
    prefix: str  # the network, as ipaddress prints it: 2001:db8:1::/64
    valid_lifetime: int
    preferred_lifetime: int
    on_link: bool
    autonomous: bool
