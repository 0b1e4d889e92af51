"""Configuration -> proxy-ARP items.

``proxy-arp true`` under an interface's ``ietf-ip:ipv4`` compiles to two things, because VPP splits it
(src/vnet/arp/arp_proxy.c): the interface's ``arp-proxy`` feature (``proxy_arp_intfc_enable_disable``),
and ranges per FIB table that the feature answers for (``proxy_arp_add_del``; a request is answered only
when its target lies in a range of the receiving interface's table). The ranges are the hosts of the
subnets the interface serves: those of its own IPv4 addresses, or, for an unnumbered interface (the
usual IPoE access interface), those of the interface lending it its address -- the subnet subscribers
share and should reach each other through the BNG in. A range belongs to the table, so interfaces of
one table that serve the same subnet yield the same (``shared``) range item.

``bng-interfaces:neighbor-limits`` compiles to ``ip_neighbor_config`` per address family.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from agent.features.base import FlattenContext
from agent.features.interfaces import keys as if_keys
from agent.features.jsonietf import member
from agent.features.proxyarp import keys
from agent.features.proxyarp.values import (
    DEFAULT_MAX_AGE,
    DEFAULT_MAX_ENTRIES,
    DEFAULT_RECYCLE,
    NeighborLimitsValue,
    ProxyArpRangeValue,
    ProxyArpValue,
)
from agent.features.vrfs import keys as vrf_keys
from agent.vpp.config import Entry, RootId
from agent.vpp.items import Item, Value


def enabled(entry: Entry) -> bool:
    return bool(member(member(entry, "ipv4"), "proxy-arp", False))


def lender(entry: Entry) -> str | None:
    use = member(member(member(entry, "ipv4"), "unnumbered"), "use-interface")
    return str(use) if use is not None else None


def references(entry: Entry) -> Iterable[RootId]:
    """An unnumbered proxy-ARP interface reads its lender's addresses (its ranges follow them)."""
    use = lender(entry) if enabled(entry) else None
    return (if_keys.root(use),) if use is not None else ()


def host_range(prefix: str) -> tuple[str, str] | None:
    """The host addresses of an IPv4 subnet (network and broadcast excluded); ``None`` for a /31 or /32,
    which have no neighbour to proxy for."""
    net = ipaddress.IPv4Interface(prefix).network
    if net.prefixlen >= 31:
        return None
    return str(net.network_address + 1), str(net.broadcast_address - 1)


def _ipv4_prefixes(entry: Entry | None) -> list[str]:
    out = []
    for a in member(member(entry, "ipv4"), "address", []) or []:
        ip, plen = member(a, "ip"), member(a, "prefix-length")
        if plen is None:
            mask = member(a, "netmask")
            plen = ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen if mask else 32
        out.append(f"{ip}/{plen}")
    return out


def interface_items(entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
    if not enabled(entry):
        return []
    name = str(entry["name"])
    items: list[Item[Value]] = [
        Item(keys.interface(name), ProxyArpValue(name), (if_keys.interface(name),), name)
    ]
    use = lender(entry)
    source = ctx.get(if_keys.root(use)) if use is not None else entry
    vrf = member(entry, "vrf")
    table_id = 0
    deps: tuple[str, ...] = ()
    if vrf:
        vrf_entry = ctx.get(vrf_keys.root(str(vrf)))
        if vrf_entry is None:
            return items
        table_id = int(member(vrf_entry, "table-id"))
        deps = (vrf_keys.table(str(vrf), False),)
    for prefix in _ipv4_prefixes(source):
        hosts = host_range(prefix)
        if hosts is not None:
            lo, hi = hosts
            items.append(Item(keys.range_(table_id, lo, hi), ProxyArpRangeValue(table_id, lo, hi), deps))
    return items


def _limits(is_ip6: bool, fam: dict[str, Any] | None) -> Item[Value] | None:
    if fam is None:
        return None
    value = NeighborLimitsValue(
        is_ip6,
        int(member(fam, "max-entries", DEFAULT_MAX_ENTRIES)),
        int(member(fam, "max-age", DEFAULT_MAX_AGE)),
        bool(member(fam, "recycle", DEFAULT_RECYCLE)),
    )
    return Item(keys.limits(is_ip6), value)


def limits_items(entry: Entry) -> list[Item[Value]]:
    """``neighbor-limits/ipv4`` and ``/ipv6`` for the families the container configures."""
    out = [_limits(False, member(entry, "ipv4")), _limits(True, member(entry, "ipv6"))]
    return [it for it in out if it is not None]
