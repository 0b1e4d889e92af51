"""IPv6 links and their router-advertisement records, as VPP 26.06 keeps them.

- ``ip6_link.c``: an interface's IPv6 link exists while something holds a lock on it. Adding an IPv6
  address takes one (``ip6_add_del_interface_address`` -> ``ip6_link_enable``), deleting one gives one
  back (``ip6_link_disable``), and so does ``sw_interface_ip6_enable_disable``; the last lock gone
  removes the link and every delegate on it. The link-local address is made from the MAC of the
  interface's hardware (EUI-64, ``ip6_link_local_address_from_mac``).
- ``ip6_ra.c``: every Ethernet IPv6 link gets an RA record (``ip6_ra_link_enable``) with VPP's defaults:
  not sending (``send_radv`` 0 until the first ``ip6_ra_config``), max/min interval 200/150 s, router
  lifetime 600 s, hop limit 64, the source link-layer option on, 3 initial adverts at most 16 s apart.
  Prefixes live in a pool keyed by the address as given (``mhash``); each has valid/preferred lifetimes
  that count down while RAs are sent unless one is infinite (``decrement_lifetime_flag``).
"""

from __future__ import annotations

import ipaddress
import random
import time
from dataclasses import dataclass, field

DEF_MAX_RADV_INTERVAL = 200.0
DEF_MIN_RADV_INTERVAL = 0.75 * DEF_MAX_RADV_INTERVAL
DEF_CURR_HOP_LIMIT = 64
DEF_DEF_RTR_LIFETIME = 3 * 200
MAX_DEF_RTR_LIFETIME = 9000
MAX_INITIAL_RTR_ADVERT_INTERVAL = 16.0
MAX_INITIAL_RTR_ADVERTISEMENTS = 3
MIN_DELAY_BETWEEN_RAS = 3.0
DEF_ADV_VALID_LIFETIME = 2592000
DEF_ADV_PREF_LIFETIME = 604800
INFINITE = 0xFFFFFFFF


def now() -> float:
    """``vlib_time_now``: seconds on a monotonic clock."""
    return time.monotonic()


def link_local(mac: bytes) -> ipaddress.IPv6Address:
    """``ip6_link_local_address_from_mac``: fe80::/64 with the modified EUI-64 of the MAC."""
    eui = bytes([mac[0] ^ 0x02, mac[1], mac[2], 0xFF, 0xFE, mac[3], mac[4], mac[5]])
    return ipaddress.IPv6Address(b"\xfe\x80" + b"\x00" * 6 + eui)


@dataclass(slots=True)
class RaPrefix:
    """``ip6_radv_prefix_t``."""

    address: ipaddress.IPv6Address  # as given in the call (the mhash key)
    length: int
    on_link: bool = True
    autonomous: bool = True
    valid: int = DEF_ADV_VALID_LIFETIME
    preferred: int = DEF_ADV_PREF_LIFETIME
    valid_expires: float = 0.0
    pref_expires: float = 0.0
    decrement: bool = True
    enabled: bool = True

    def advertised(self, t: float) -> tuple[int, int]:
        """What an RA built at ``t`` carries, moving the lifetimes as ip6_ra.c does when it builds one."""
        if self.decrement:
            self.valid = int(self.valid_expires - t) if self.valid_expires > t else 0
            self.preferred = int(self.pref_expires - t) if self.pref_expires > t else 0
        return self.valid, self.preferred


@dataclass(slots=True)
class RaLink:
    """``ip6_ra_t`` of one interface (only Ethernet interfaces have one)."""

    sw_if_index: int
    link_mtu: int
    send_radv: bool = False
    cease_radv: bool = False
    managed: bool = False
    other: bool = False
    ll_option: bool = True
    send_unicast: bool = False
    router_lifetime: int = DEF_DEF_RTR_LIFETIME
    max_interval: float = DEF_MAX_RADV_INTERVAL
    min_interval: float = DEF_MIN_RADV_INTERVAL
    hop_limit: int = DEF_CURR_HOP_LIMIT
    initial_count: int = MAX_INITIAL_RTR_ADVERTISEMENTS
    initial_interval: float = MAX_INITIAL_RTR_ADVERT_INTERVAL
    initial_sent: int = MAX_INITIAL_RTR_ADVERTISEMENTS - 1
    last_radv_time: float = 0.0
    last_multicast_time: float = 0.0
    next_multicast_time: float = 0.0
    n_advertisements_sent: int = 0
    n_solicitations_rcvd: int = 0
    n_solicitations_dropped: int = 0
    pool: list[RaPrefix | None] = field(default_factory=list)
    free: list[int] = field(default_factory=list)

    def prefixes(self) -> list[RaPrefix]:
        """In pool order, as ``pool_foreach`` walks them."""
        return [p for p in self.pool if p is not None]

    def find(self, address: ipaddress.IPv6Address) -> int | None:
        for i, p in enumerate(self.pool):
            if p is not None and p.address == address:
                return i
        return None

    def add(self, prefix: RaPrefix) -> None:
        if self.free:
            self.pool[self.free.pop()] = prefix  # pool_get reuses the last freed slot
        else:
            self.pool.append(prefix)

    def remove(self, i: int) -> None:
        self.pool[i] = None
        self.free.append(i)

    def restart(self, t: float) -> None:
        """What ip6_ra_config / ip6_ra_prefix do last: the initial adverts start again, now."""
        self.initial_sent = self.initial_count - 1
        self.next_multicast_time = t
        self.last_multicast_time = t
        self.last_radv_time = 0.0


@dataclass(slots=True)
class Ip6Link:
    """``ip6_link_t``: the lock count and, on Ethernet, the RA record."""

    sw_if_index: int
    locks: int
    ra: RaLink | None


class Ip6Links:
    """Every interface's IPv6 link."""

    def __init__(self) -> None:
        self.links: dict[int, Ip6Link] = {}
        self.rng = random.Random(0x1F6)
        # ip6_ra_pool: the RA records' slots (freed slots are reused first), the order dumps walk
        self.ra_pool: list[int | None] = []
        self._ra_free: list[int] = []
        self.timer_armed = False

    def ra_records(self) -> list[RaLink]:
        """Every RA record in pool order (``ip6_ra_itf_walk``)."""
        out = []
        for idx in self.ra_pool:
            ra = self.get_ra(idx) if idx is not None else None
            if ra is not None:
                out.append(ra)
        return out

    def _ra_slot(self, sw_if_index: int) -> None:
        if self._ra_free:
            self.ra_pool[self._ra_free.pop()] = sw_if_index
        else:
            self.ra_pool.append(sw_if_index)

    def _ra_unslot(self, sw_if_index: int) -> None:
        if sw_if_index in self.ra_pool:
            i = self.ra_pool.index(sw_if_index)
            self.ra_pool[i] = None
            self._ra_free.append(i)

    def get_ra(self, sw_if_index: int) -> RaLink | None:
        link = self.links.get(sw_if_index)
        return link.ra if link is not None else None

    def enable(self, sw_if_index: int, ethernet: bool, mtu: int) -> None:
        """``ip6_link_enable``: create the link (and its RA record) or take one more lock."""
        link = self.links.get(sw_if_index)
        if link is None:
            ra = RaLink(sw_if_index, mtu) if ethernet else None
            link = self.links[sw_if_index] = Ip6Link(sw_if_index, 0, ra)
            if ra is not None:
                self._ra_slot(sw_if_index)
        link.locks += 1

    def disable(self, sw_if_index: int) -> bool:
        """``ip6_link_disable``: False when IPv6 is not enabled (VNET_API_ERROR_IP6_NOT_ENABLED)."""
        link = self.links.get(sw_if_index)
        if link is None:
            return False
        link.locks -= 1
        if link.locks <= 0:
            self.forget(sw_if_index)
        return True

    def forget(self, sw_if_index: int) -> None:
        """The interface was deleted (``ip6_link_interface_add_del``)."""
        link = self.links.pop(sw_if_index, None)
        if link is not None and link.ra is not None:
            self._ra_unslot(sw_if_index)

    def sending(self) -> list[RaLink]:
        return [link.ra for link in self.links.values() if link.ra is not None and link.ra.send_radv]

    def next_interval(self, ra: RaLink) -> float:
        """The random delay to the next unsolicited RA (``ip6_ra_process_timer_event``)."""
        rfn = (ra.max_interval - ra.min_interval) * self.rng.random() + ra.min_interval
        if ra.initial_sent > 0:
            ra.initial_sent -= 1
            rfn = min(rfn, ra.initial_interval)
            if ra.initial_sent == 0 and ra.cease_radv:
                ra.send_radv = False
        return rfn
