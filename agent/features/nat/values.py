"""Value types of the NAT feature's items, built alike from configuration and from VPP's dumps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from agent.vpp.items import Value

#: nat_set_timeouts defaults (``nat44_ed.c`` nat_reset_timeouts; RFC 8512's defaults are the same)
DEFAULT_TIMEOUTS = (300, 7440, 240, 60)
#: nat44_plugin_enable's default sessions per thread (``nat44_ed.c``: 63 * 1024)
DEFAULT_SESSIONS = 63 * 1024


@dataclass(frozen=True, slots=True)
class Nat44PluginValue(Value):
    """The nat44-ed plugin enabled (``nat44_ed_plugin_enable_disable``)."""

    kind: ClassVar[str] = "nat44-plugin"
    sessions: int


@dataclass(frozen=True, slots=True)
class Nat44TimeoutsValue(Value):
    """Session timeouts in seconds (``nat_set_timeouts``; global in VPP)."""

    kind: ClassVar[str] = "nat44-timeouts"
    udp: int
    tcp_established: int
    tcp_transitory: int
    icmp: int


@dataclass(frozen=True, slots=True)
class Nat44PoolValue(Value):
    """An address range of one VRF (``nat44_add_del_address_range``)."""

    kind: ClassVar[str] = "nat44-pool"
    first: str
    last: str
    vrf_id: int


@dataclass(frozen=True, slots=True)
class Nat44InterfaceValue(Value):
    """The nat44-ed in2out (inside) or out2in (outside) feature on an interface."""

    kind: ClassVar[str] = "nat44-interface"
    name: str
    inside: bool


@dataclass(frozen=True, slots=True)
class Nat44SessionLimitValue(Value):
    """A VRF's session limit (``nat44_set_session_limit``); ``default`` is what deleting restores."""

    kind: ClassVar[str] = "nat44-session-limit"
    vrf_id: int
    limit: int
    default: int


@dataclass(frozen=True, slots=True)
class Nat44StaticValue(Value):
    """A static mapping or port forward (``nat44_add_del_static_mapping_v2``)."""

    kind: ClassVar[str] = "nat44-static"
    local: str
    external: str
    protocol: int  # 0 with addr_only
    local_port: int
    external_port: int
    vrf_id: int
    addr_only: bool
    tag: str


@dataclass(frozen=True, slots=True)
class Det44PluginValue(Value):
    """The det44 plugin enabled (``det44_plugin_enable_disable``)."""

    kind: ClassVar[str] = "det44-plugin"
    inside_vrf: int
    outside_vrf: int


@dataclass(frozen=True, slots=True)
class Det44MapValue(Value):
    """An inside prefix mapped onto an outside prefix (``det44_add_del_map``)."""

    kind: ClassVar[str] = "det44-map"
    inside: str  # a.b.c.d/len, host bits zero (VPP masks them)
    outside: str


@dataclass(frozen=True, slots=True)
class Det44InterfaceValue(Value):
    """The det44 in2out (inside) or out2in (outside) feature on an interface."""

    kind: ClassVar[str] = "det44-interface"
    name: str
    inside: bool
