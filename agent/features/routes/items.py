"""Static routes -> items: ``bng-vrf:global-routing`` routes in table 0 and each VRF's routes in its table.

A route is one item holding its whole path set, next hops in a canonical order, so a route read back
from VPP compares with ``==``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from agent.features.base import FlattenContext
from agent.features.interfaces import keys as if_keys
from agent.features.jsonietf import family, member
from agent.features.routes import keys
from agent.features.routes.descriptors import PATH_DROP, PATH_NORMAL
from agent.features.routes.values import Path, RouteValue
from agent.features.vrfs import keys as vrf_keys
from agent.features.vrfs.items import table_id as vrf_table_id
from agent.vpp.config import Entry, RootId
from agent.vpp.items import Item, Value

SPECIAL_PATH_TYPES = {"blackhole": PATH_DROP, "unreachable": 5, "prohibit": 6}


def references(entry: Entry) -> Iterable[RootId]:
    """VRFs named as a next hop's ``next-hop-vrf`` (their table id goes into the path)."""
    routes = member(entry, "static-routes")
    out: set[RootId] = set()
    for is_ip6 in (False, True):
        for r in member(routes, f"{family(is_ip6)}-route", []) or []:
            for nh in member(r, "next-hop", []) or []:
                if nh_vrf := member(nh, "next-hop-vrf"):
                    out.add(vrf_keys.root(str(nh_vrf)))
    return out


def vrf_routes(name: str, entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
    return route_items(keys.vrf_scope(name), vrf_table_id(entry), entry, ctx, name)


def global_routes(entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
    return route_items(keys.global_scope(), 0, entry, ctx, None)


def route_items(
    scope: str, table_id: int, entry: Entry, ctx: FlattenContext, vrf: str | None
) -> list[Item[Value]]:
    routes = member(entry, "static-routes")
    items: list[Item[Value]] = []
    for is_ip6 in (False, True):
        for r in member(routes, f"{family(is_ip6)}-route", []) or []:
            prefix = str(ipaddress.ip_network(str(member(r, "prefix")), strict=False))
            paths, deps = _paths(r, table_id, ctx, is_ip6)
            if vrf is not None:
                deps.add(vrf_keys.table(vrf, is_ip6))
            value = RouteValue(table_id, is_ip6, prefix, paths)
            items.append(Item(keys.route(scope, prefix), value, tuple(sorted(deps))))
    return items


def _paths(
    r: dict[str, Any], table_id: int, ctx: FlattenContext, is_ip6: bool
) -> tuple[tuple[Path, ...], set[str]]:
    special = member(r, "special-next-hop")
    deps: set[str] = set()
    if special is not None:
        return (Path(None, None, 1, 0, SPECIAL_PATH_TYPES[special], 0),), deps
    paths = []
    for nh in member(r, "next-hop", []) or []:
        addr = member(nh, "address")
        intf = member(nh, "outgoing-interface")
        nh_vrf = member(nh, "next-hop-vrf")
        nh_table = table_id
        if nh_vrf:
            v = ctx.get(vrf_keys.root(str(nh_vrf)))
            nh_table = vrf_table_id(v) if v else table_id
            deps.add(vrf_keys.table(str(nh_vrf), is_ip6))
        if intf:
            deps.add(if_keys.interface(str(intf)))
        paths.append(
            Path(
                address=str(ipaddress.ip_address(str(addr))) if addr else None,
                interface=str(intf) if intf else None,
                weight=int(member(nh, "weight", 1)),
                preference=int(member(nh, "preference", 0)),
                type=PATH_NORMAL,
                # the next hop's table only matters for a recursive path (an address, no interface):
                # VPP reports 0 for every other path (src/vnet/fib/fib_path.c fib_path_encode sets
                # frp_fib_index only for RECURSIVE and DEAG paths), so 0 is what VPP holds for them
                nh_table=nh_table if addr and not intf else 0,
            )
        )
    paths.sort(key=Path.sort_key)
    return tuple(paths), deps
