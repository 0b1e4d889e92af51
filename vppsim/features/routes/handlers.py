"""``ip.api`` route messages (``src/vnet/ip/ip_api.c``, ``src/vnet/fib/fib_api.c``): add/delete, dump,
and the mark-and-sweep replace of a table's API routes."""

from __future__ import annotations

import ipaddress
from typing import Any

from vppsim import errno
from vppsim.features.routes.state import Route, Source
from vppsim.handlers.registry import REGISTRY, Call, Reply

ALL = 0xFFFFFFFF


def _normalise_path(raw: dict[str, Any], is_ip6: bool) -> dict[str, Any]:
    # fib_api.c fib_api_path_decode / fib_path_encode: a weight of 0 is taken as 1.
    path = dict(raw)
    path["weight"] = raw.get("weight") or 1
    nh = dict(path.get("nh") or {})
    addr = nh.get("address") or {}
    if isinstance(addr, dict):
        key = "ip6" if is_ip6 else "ip4"
        value = addr.get(key)
        nh["address"] = {key: value} if value is not None else {}
    path["nh"] = nh
    return path


def _path_key(p: dict[str, Any]) -> tuple[Any, ...]:
    nh = p.get("nh") or {}
    addr = nh.get("address") or {}
    return (p.get("type"), p.get("sw_if_index"), p.get("table_id"), str(next(iter(addr.values()), "")))


@REGISTRY.handler("ip_route_add_del")
def ip_route_add_del(call: Call, msg: Any) -> Reply:
    # ip_api.c ip_route_add_del_t_handler -> fib_api.c fib_api_route_add_del:
    #   unknown table -> NO_SUCH_FIB; multipath add/remove or a plain add without paths ->
    #   NO_PATHS_IN_ROUTE; a plain add replaces the path set; a plain delete removes the prefix.
    emu = call.emu
    route = msg.route
    prefix = route.prefix
    is_ip6 = isinstance(prefix, ipaddress.IPv6Network)
    table = emu.fib.get(is_ip6, int(route.table_id))
    if table is None:
        return {"retval": errno.NO_SUCH_FIB, "stats_index": 0}
    paths = [_normalise_path(p, is_ip6) for p in emu.plain(route.paths)][: int(route.n_paths)]
    existing = table.routes.get(prefix)
    if existing is not None and existing.source is not Source.API:
        existing = None  # another source owns it; the API adds its own contribution (not modelled)
    if msg.is_multipath:
        if not paths:
            return {"retval": errno.NO_PATHS_IN_ROUTE, "stats_index": 0}
        if msg.is_add:
            if existing is None:
                existing = table.routes[prefix] = Route(prefix, Source.API)
            known = {_path_key(p) for p in existing.paths}
            existing.paths.extend(p for p in paths if _path_key(p) not in known)
            existing.stale = False
        elif existing is not None:
            gone = {_path_key(p) for p in paths}
            existing.paths = [p for p in existing.paths if _path_key(p) not in gone]
            if not existing.paths:
                del table.routes[prefix]
    elif msg.is_add:
        if not paths:
            return {"retval": errno.NO_PATHS_IN_ROUTE, "stats_index": 0}
        table.routes[prefix] = Route(prefix, Source.API, paths)
    elif existing is not None:
        del table.routes[prefix]
    return {"retval": errno.OK, "stats_index": emu.route_stats_index(table, prefix)}


@REGISTRY.handler("ip_route_dump")
def ip_route_dump(call: Call, msg: Any) -> Reply:
    # ip_api.c vl_api_ip_route_dump_t_handler: an unknown table yields no details (no error).
    emu = call.emu
    table = emu.fib.get(bool(msg.table.is_ip6), int(msg.table.table_id))
    if table is None:
        return []
    out = []
    for prefix in sorted(table.routes, key=lambda n: (n.network_address, n.prefixlen)):
        r = table.routes[prefix]
        out.append(
            {
                "route": {
                    "table_id": table.table_id,
                    "stats_index": emu.route_stats_index(table, prefix),
                    "prefix": prefix,
                    "n_paths": len(r.paths),
                    "paths": [emu.encodable_path(p) for p in r.paths],
                }
            }
        )
    return out


def _replace(call: Call, msg: Any, begin: bool) -> Reply:
    # ip_api.c vl_api_ip_table_replace_begin/end_t_handler: fib_table_mark / fib_table_sweep on the
    # API source; unknown table -> NO_SUCH_FIB.
    table = call.emu.fib.get(bool(msg.table.is_ip6), int(msg.table.table_id))
    if table is None:
        return {"retval": errno.NO_SUCH_FIB}
    api_routes = [r for r in table.routes.values() if r.source is Source.API]
    if begin:
        for r in api_routes:
            r.stale = True
    else:
        for r in api_routes:
            if r.stale:
                del table.routes[r.prefix]
    return {"retval": errno.OK}


@REGISTRY.handler("ip_table_replace_begin")
def ip_table_replace_begin(call: Call, msg: Any) -> Reply:
    return _replace(call, msg, True)


@REGISTRY.handler("ip_table_replace_end")
def ip_table_replace_end(call: Call, msg: Any) -> Reply:
    return _replace(call, msg, False)
