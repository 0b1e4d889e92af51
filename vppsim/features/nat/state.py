"""What VPP 26.06's NAT plugins keep: nat44-ed (``src/plugins/nat/nat44-ed/nat44_ed.c``) and det44
(``src/plugins/nat/det44/det44.c``).

This module is the NAT state only; handlers (``handlers.py``) and the control channel call into it.
Sessions are kept per VRF (``sessions``) so the session dumps, the per-VRF limits and the stats gauges
answer from one place; :meth:`Nat44.add_session` is the one way to create one (the control channel uses
it to play traffic through NAT).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from vppsim import errno

# src/vnet/error.h
FEATURE_ALREADY_DISABLED = -169
FEATURE_ALREADY_ENABLED = -170
UNSUPPORTED = -126
DEFAULT_SESSIONS = 63 * 1024  # nat44_plugin_enable: sessions 0 means 63 * 1024
DEFAULT_TIMEOUTS = (300, 7440, 240, 60)  # nat44_ed.c nat_reset_timeouts
ANY_VRF = 0xFFFFFFFF
T = TypeVar("T")


class Pool(Generic[T]):
    """A vppinfra pool: ``pool_get`` reuses the most recently freed index, ``pool_foreach`` walks indices
    in order (dumps of pool-held objects come in that order)."""

    def __init__(self) -> None:
        self.slots: list[T | None] = []
        self.free: list[int] = []

    def add(self, v: T) -> int:
        if self.free:
            i = self.free.pop()
            self.slots[i] = v
            return i
        self.slots.append(v)
        return len(self.slots) - 1

    def remove(self, v: T) -> None:
        i = next(i for i, x in enumerate(self.slots) if x is v)
        self.slots[i] = None
        self.free.append(i)

    def __iter__(self) -> Iterator[T]:
        return (x for x in self.slots if x is not None)

    def __len__(self) -> int:
        return len(self.slots) - len(self.free)


@dataclass(slots=True)
class Address:
    addr: int
    vrf_id: int  # ANY_VRF: any tenant


@dataclass(slots=True)
class NatInterface:
    sw_if_index: int
    flags: int  # NAT_IS_INSIDE | NAT_IS_OUTSIDE bits (nat44) or 1 inside / 2 outside (det44)


@dataclass(slots=True)
class StaticMapping:
    local: int
    external: int
    protocol: int
    local_port: int
    external_port: int
    vrf_id: int
    flags: int  # nat_config_flags as the dump reports them
    tag: str


@dataclass(slots=True)
class Session:
    """One translation (``snat_session_t``): inside (address, port) of a VRF -> outside (address, port)."""

    vrf_id: int
    inside: int
    inside_port: int
    outside: int
    outside_port: int
    protocol: int
    ext_host: int
    ext_port: int
    static: bool = False
    total_pkts: int = 0
    total_bytes: int = 0


@dataclass
class Nat44:
    """nat44-ed's ``snat_main``: enabled, running config, addresses, interfaces, static mappings."""

    enabled: bool = False
    sessions_per_thread: int = 0  # rconfig.sessions (0 when disabled: nat44_plugin_disable zeroes it)
    inside_vrf: int = 0
    outside_vrf: int = 0
    # zero until the plugin is first enabled (nat44_plugin_enable resets them), kept by a disable
    timeouts: tuple[int, int, int, int] = (0, 0, 0, 0)
    translation_buckets: int = 0
    ipfix_enabled: bool = False  # nat_ipfix_enable_disable (NAT event logging)
    addresses: list[Address] = field(default_factory=list)
    interfaces: Pool[NatInterface] = field(default_factory=Pool)  # sm->interfaces
    statics: Pool[StaticMapping] = field(default_factory=Pool)
    limits: dict[int, int] = field(default_factory=dict)  # table id -> session limit
    sessions: list[Session] = field(default_factory=list)

    def enable(self, sessions: int, inside_vrf: int, outside_vrf: int) -> int:
        if self.enabled:
            return FEATURE_ALREADY_ENABLED
        self.enabled = True
        self.sessions_per_thread = sessions or DEFAULT_SESSIONS
        self.inside_vrf, self.outside_vrf = inside_vrf, outside_vrf
        self.timeouts = DEFAULT_TIMEOUTS  # nat44_plugin_enable: nat_reset_timeouts
        self.limits = {}
        return errno.OK

    def disable(self) -> int:
        # nat44_plugin_disable: removes interfaces, addresses, static mappings and sessions, zeroes the
        # running config; a disabled plugin answers FEATURE_ALREADY_DISABLED (fail_if_disabled)
        if not self.enabled:
            return FEATURE_ALREADY_DISABLED
        self.enabled = False
        self.sessions_per_thread = self.inside_vrf = self.outside_vrf = 0
        self.addresses, self.interfaces, self.statics = [], Pool(), Pool()
        self.limits, self.sessions = {}, []
        return errno.OK

    def find_address(self, addr: int) -> Address | None:
        return next((a for a in self.addresses if a.addr == addr), None)

    def add_address(self, addr: int, vrf_id: int) -> int:
        # nat44_ed_add_address: UNSUPPORTED when disabled, VALUE_EXIST for an address in any VRF
        if not self.enabled:
            return UNSUPPORTED
        if self.find_address(addr) is not None:
            return errno.VALUE_EXIST
        self.addresses.append(Address(addr, vrf_id))
        return errno.OK

    def del_address(self, addr: int) -> int:
        # nat44_ed_del_address: NO_SUCH_ENTRY when absent; its dynamic sessions go with it
        a = self.find_address(addr)
        if a is None:
            return errno.NO_SUCH_ENTRY
        # vec_del1: the last address takes the deleted one's place (the dump order shows it)
        i = self.addresses.index(a)
        last = self.addresses.pop()
        if last is not a:
            self.addresses[i] = last
        self.sessions = [s for s in self.sessions if s.static or s.outside != addr]
        return errno.OK

    def add_interface(self, sw_if_index: int, bit: int) -> int:
        if not self.enabled:
            return UNSUPPORTED
        # nat44_ed_add_interface: the same side again is a no-op returning 0
        have = self.find_interface(sw_if_index)
        if have is None:
            self.interfaces.add(NatInterface(sw_if_index, bit))
        else:
            have.flags |= bit
        return errno.OK

    def find_interface(self, sw_if_index: int) -> NatInterface | None:
        return next((i for i in self.interfaces if i.sw_if_index == sw_if_index), None)

    def del_interface(self, sw_if_index: int, bit: int) -> int:
        if not self.enabled:
            return UNSUPPORTED
        have = self.find_interface(sw_if_index)
        if have is None:
            return errno.NO_SUCH_ENTRY
        have.flags &= ~bit
        if not have.flags:
            self.interfaces.remove(have)
        return errno.OK

    def forget_interface(self, sw_if_index: int) -> None:
        """An interface was deleted (nat44_ed_sw_interface_add_del removes its features)."""
        have = self.find_interface(sw_if_index)
        if have is not None:
            self.interfaces.remove(have)

    def add_static(self, m: StaticMapping) -> int:
        if not self.enabled:
            return UNSUPPORTED
        # nat44_ed_add_static_mapping_internal: VALUE_EXIST for a mapping with the same external or the
        # same local (address, port, protocol, VRF)
        for o in self.statics:
            if (o.external, o.external_port, o.protocol) == (m.external, m.external_port, m.protocol):
                return errno.VALUE_EXIST
            if (o.local, o.local_port, o.protocol, o.vrf_id) == (m.local, m.local_port, m.protocol, m.vrf_id):
                return errno.VALUE_EXIST
        self.statics.add(m)  # sm->static_mappings is a pool
        return errno.OK

    def del_static(self, local: int, local_port: int, protocol: int, vrf_id: int) -> int:
        if not self.enabled:
            return UNSUPPORTED
        for o in self.statics:
            if (o.local, o.local_port, o.protocol, o.vrf_id) == (local, local_port, protocol, vrf_id):
                self.statics.remove(o)
                self.sessions = [s for s in self.sessions if not (s.static and s.inside == local)]
                return errno.OK
        return errno.NO_SUCH_ENTRY

    def limit(self, vrf_id: int) -> int:
        return self.limits.get(vrf_id, self.sessions_per_thread)

    def add_session(self, s: Session) -> bool:
        """Record a translation; refused (False) over the VRF's session limit, as nat44-ed drops the
        packet and counts ``max session limit reached``."""
        if not self.enabled or sum(1 for o in self.sessions if o.vrf_id == s.vrf_id) >= self.limit(s.vrf_id):
            return False
        self.sessions.append(s)
        return True

    def pool_of(self, vrf_id: int) -> list[Address]:
        """The addresses nat44-ed may use for a VRF's traffic: the VRF's own, else those of any VRF."""
        own = [a for a in self.addresses if a.vrf_id == vrf_id]
        return own or [a for a in self.addresses if a.vrf_id == ANY_VRF]


@dataclass(slots=True)
class DetMap:
    in_addr: int
    in_plen: int
    out_addr: int
    out_plen: int
    ses_num: int = 0

    @property
    def sharing_ratio(self) -> int:
        # det44.c snat_det_add_map
        return (1 << (32 - self.in_plen)) // (1 << (32 - self.out_plen))

    @property
    def ports_per_host(self) -> int:
        return (65535 - 1023) // self.sharing_ratio


def mask(addr: int, plen: int) -> int:
    return addr & (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF if plen else 0


@dataclass
class Det44:
    """det44's ``det44_main``: enabled, the maps and the interfaces."""

    enabled: bool = False
    inside_vrf: int = 0
    outside_vrf: int = 0
    maps: list[DetMap] = field(default_factory=list)
    interfaces: Pool[NatInterface] = field(default_factory=Pool)  # dm->interfaces; flags 1 in, 2 out

    def enable(self, inside_vrf: int, outside_vrf: int) -> int:
        if self.enabled:
            return 1  # det44_plugin_enable: "plugin already enabled!"
        self.enabled, self.inside_vrf, self.outside_vrf = True, inside_vrf, outside_vrf
        return errno.OK

    def disable(self) -> int:
        # det44_plugin_disable: 1 when disabled already; removes the interfaces, keeps nothing else
        if not self.enabled:
            return 1
        self.enabled = False
        self.interfaces = Pool()
        self.maps = []
        return errno.OK

    def add_del_map(self, in_addr: int, in_plen: int, out_addr: int, out_plen: int, is_add: bool) -> int:
        # det44.c snat_det_add_map (no enabled check)
        in_cmp, out_cmp = mask(in_addr, in_plen), mask(out_addr, out_plen)
        found = next(
            (
                m
                for m in self.maps
                if (m.in_addr, m.in_plen, m.out_addr, m.out_plen) == (in_cmp, in_plen, out_cmp, out_plen)
            ),
            None,
        )
        if found is not None and is_add:
            return errno.VALUE_EXIST
        if found is None and not is_add:
            return errno.NO_SUCH_ENTRY
        if is_add:
            self.maps.append(DetMap(in_cmp, in_plen, out_cmp, out_plen))
        else:  # vec_del1: the last map takes the deleted one's place
            assert found is not None
            i = self.maps.index(found)
            last = self.maps.pop()
            if last is not found:
                self.maps[i] = last
        return errno.OK

    def interface(self, sw_if_index: int, is_inside: bool, is_add: bool) -> int:
        # det44.c det44_interface_add_del: INVALID_VALUE for a second add or a delete of a missing one
        have = next((i for i in self.interfaces if i.sw_if_index == sw_if_index), None)
        if is_add:
            if have is not None:
                return errno.INVALID_VALUE
            self.interfaces.add(NatInterface(sw_if_index, 1 if is_inside else 2))
        else:
            if have is None:
                return errno.INVALID_VALUE
            self.interfaces.remove(have)
        return errno.OK

    def by_user(self, addr: int) -> DetMap | None:
        return next((m for m in self.maps if mask(addr, m.in_plen) == m.in_addr), None)

    def by_out(self, addr: int) -> DetMap | None:
        return next((m for m in self.maps if mask(addr, m.out_plen) == m.out_addr), None)

    @staticmethod
    def forward(m: DetMap, in_addr: int) -> tuple[int, int]:
        """det44.h snat_det_forward: (outside address, first port)."""
        in_offset = in_addr - m.in_addr
        return m.out_addr + in_offset // m.sharing_ratio, 1024 + m.ports_per_host * (
            in_offset % m.sharing_ratio
        )

    @staticmethod
    def reverse(m: DetMap, out_addr: int, out_port: int) -> int:
        """det44.h snat_det_reverse (u32 arithmetic, as VPP)."""
        in_offset1 = (out_addr - m.out_addr) * m.sharing_ratio
        in_offset2 = int((out_port - 1024) / m.ports_per_host)  # C division truncates toward zero
        return (m.in_addr + in_offset1 + in_offset2) & 0xFFFFFFFF


@dataclass
class NatState:
    nat44: Nat44 = field(default_factory=Nat44)
    det44: Det44 = field(default_factory=Det44)


def ip(addr: object) -> int:
    return int(ipaddress.IPv4Address(str(addr)))
