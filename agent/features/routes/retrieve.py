"""Read static routes back from VPP (``ip_route_dump`` of table 0 and of every VRF table found).

Runs after the interfaces and VRF features: the tables to dump are the VRF tables they found, and the
routes VPP adds by itself for interface addresses (attached and host routes) are recognised from the
addresses and table bindings found. A route is the agent's when it is in a table the agent owns and
looks static, or when the agent programmed it; any other is only compared if the configuration has the
same key.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from agent.features.base import RetrieveContext, Retrieved
from agent.features.interfaces.values import AddressValue, TableBindingValue
from agent.features.routes import keys
from agent.features.routes.descriptors import NO_INTERFACE, PATH_NORMAL
from agent.features.routes.values import Path, RouteValue
from agent.features.vrfs import keys as vrf_keys
from agent.features.vrfs.values import VrfTableValue
from agent.vpp import keys as item_keys
from agent.vpp.items import TAG_PREFIX, Item

PATH_LOCAL = 1


def _str_ip(addr: Any, is_ip6: bool) -> str | None:
    if addr is None:
        return None
    v = getattr(addr, "ip6" if is_ip6 else "ip4", addr)
    try:
        ip = ipaddress.ip_address(v if not isinstance(v, bytes) else bytes(v))
    except ValueError:
        return None
    return None if ip.is_unspecified else str(ip)


async def retrieve(ctx: RetrieveContext) -> None:
    out = ctx.out
    applied = {k for k in ctx.applied if keys.is_route(k)}
    scopes: list[tuple[int, bool, str, bool]] = [
        (0, False, keys.global_scope(), False),
        (0, True, keys.global_scope(), False),
    ]
    for k, it in list(out.items.items()):
        t = it.value
        if isinstance(t, VrfTableValue):
            vrf, _ = vrf_keys.parse_table(k)
            scopes.append((t.table_id, t.is_ip6, keys.vrf_scope(vrf), t.name.startswith(TAG_PREFIX)))
    futs = [
        (s, ctx.conn.send("ip_route_dump", table={"table_id": s[0], "is_ip6": s[1], "name": ""}))
        for s in scopes
    ]
    connected_by_table = _connected_prefixes(out)
    dumped = [(s, (await fut)[1]) for s, fut in futs]
    resolving = _recursive_next_hops(dumped)
    for (table_id, is_ip6, scope, owned), routes in dumped:
        scope_key = (table_id, is_ip6)
        vpps_own = connected_by_table.get(scope_key, set()) | resolving.get(scope_key, set())
        for r in routes:
            _route_item(r.route, table_id, is_ip6, scope, owned, vpps_own, out, applied)


Scope = tuple[int, bool, str, bool]


def _recursive_next_hops(dumped: list[tuple[Scope, list[Any]]]) -> dict[tuple[int, bool], set[str]]:
    """Per (table, family): the host prefixes VPP itself adds to resolve recursive next hops.

    A path with a next-hop address and no interface is recursive: VPP tracks the next hop with a host
    entry of source RR in the next hop's table (src/vnet/fib/fib_path.c fib_path_resolve ->
    fib_table_entry_special_add(..., FIB_SOURCE_RR)), which ip_route_dump lists with its cover's paths.
    It is VPP's, not a static route: deleting it through the API changes nothing (the API source never
    added it), so it is not read back as the agent's (unless the agent configured that very prefix).
    """
    out: dict[tuple[int, bool], set[str]] = {}
    for (_, is_ip6, _, _), routes in dumped:
        for r in routes:
            for p in r.route.paths:
                addr = _str_ip(p.nh.address, is_ip6)
                if addr is not None and int(p.sw_if_index) == NO_INTERFACE and int(p.type) == PATH_NORMAL:
                    out.setdefault((int(p.table_id), is_ip6), set()).add(f"{addr}/{128 if is_ip6 else 32}")
    return out


def _connected_prefixes(out: Retrieved) -> dict[tuple[int, bool], set[str]]:
    """Per (table, family): prefixes VPP adds for interface addresses (attached and host routes)."""
    table_of: dict[tuple[str, bool], int] = {}
    for it in out.items.values():
        b = it.value
        if isinstance(b, TableBindingValue):
            table_of[(b.interface, b.is_ip6)] = b.table_id
    prefixes: dict[tuple[int, bool], set[str]] = {}
    for it in out.items.values():
        a = it.value
        if not isinstance(a, AddressValue):
            continue
        addr = ipaddress.ip_interface(a.prefix)
        is_ip6 = addr.version == 6
        table_id = table_of.get((a.interface, is_ip6), 0)
        got = prefixes.setdefault((table_id, is_ip6), set())
        got.add(str(addr.network))
        got.add(f"{addr.ip}/{addr.max_prefixlen}")
    return prefixes


def _route_item(
    r: Any,
    table_id: int,
    is_ip6: bool,
    scope: str,
    owned: bool,
    connected: set[str],
    out: Retrieved,
    applied_routes: set[str],
) -> None:
    prefix = str(ipaddress.ip_network(str(r.prefix), strict=False))
    key = keys.route(scope, prefix)
    paths: list[Path] = []
    looks_static = False
    for p in r.paths:
        ptype = int(p.type)
        if ptype == PATH_LOCAL:
            return
        addr = _str_ip(p.nh.address, is_ip6)
        sw = int(p.sw_if_index)
        intf = out.names.name_of(sw) if sw != NO_INTERFACE else None
        if addr is not None:
            # VPP's own entries (default drop, multicast, link-local) have no next-hop address; a
            # special-next-hop route is only recognised as the agent's while it is configured or applied.
            looks_static = True
        paths.append(
            Path(
                addr,
                intf,
                int(p.weight) or 1,
                int(p.preference),
                ptype,
                int(p.table_id) if addr and sw == NO_INTERFACE else 0,
            )
        )
    if prefix in connected and key not in applied_routes:
        return
    paths.sort(key=Path.sort_key)
    deps = tuple(sorted({item_keys.interface(p.interface) for p in paths if p.interface}))
    item = Item(key, RouteValue(table_id, is_ip6, prefix, tuple(paths)), deps)
    if key in applied_routes or (owned and looks_static):
        out.items[key] = item
    else:
        # Not provably the agent's (table 0, or not a static-looking route): compared only if configured.
        out.candidates[key] = item
