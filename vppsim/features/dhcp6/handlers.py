"""``ip_mroute_add_del`` / ``ip_mroute_dump`` for IPv6 (``src/vnet/ip/ip_api.c``
``api_mroute_add_del_t_handler``, ``send_ip_mroute_details``; ``src/vnet/mfib/mfib_api.c``)."""

from __future__ import annotations

import ipaddress
from typing import Any

from vppsim import errno
from vppsim.features.dhcp6.state import MEntry, Mfib6
from vppsim.handlers.registry import REGISTRY, Call, Reply

ALL = 0xFFFFFFFF
NO_LABELS: list[dict[str, Any]] = [{}] * 16


def mfib(call: Call) -> Mfib6:
    return call.emu.mfib6


def _group(prefix: Any) -> ipaddress.IPv6Network | None:
    if int(prefix.af) != 1:
        return None
    addr = ipaddress.IPv6Address(prefix.grp_address.ip6)
    return ipaddress.IPv6Network((addr, int(prefix.grp_address_length)), strict=False)


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    pa, pb = a["path"], b["path"]
    return all(pa.get(k) == pb.get(k) for k in ("type", "sw_if_index", "table_id", "proto"))


@REGISTRY.handler("ip_mroute_add_del")
def ip_mroute_add_del(call: Call, msg: Any) -> Reply:
    # mfib_api_table_id_decode: the table must exist (NO_SUCH_FIB, stats_index ~0); is_multipath is not
    # read (mroute_add_del_handler gets is_add twice); an add merges paths into the API source's entry,
    # a delete removes them and leaves the entry; the stats index is the entry's (normalised in replay)
    emu = call.emu
    route = msg.route
    group = _group(route.prefix)
    table_id = int(route.table_id)
    table = emu.fib.get(True, table_id) if group is not None else None
    if group is None or table is None:
        return {"retval": errno.NO_SUCH_FIB, "stats_index": ALL}
    entries = mfib(call).table(table_id)
    paths = [{"itf_flags": int(p["itf_flags"]), "path": p["path"]} for p in emu.plain(route.paths)]
    paths = paths[: int(route.n_paths)]
    entry = entries.get(group)
    if msg.is_add:
        if entry is None:
            entry = entries[group] = MEntry(group)
        entry.entry_flags = int(route.entry_flags)
        for p in paths:
            if not any(_same(p, q) for q in entry.paths):
                entry.paths.append(p)
    elif entry is not None:
        entry.paths = [q for q in entry.paths if not any(_same(p, q) for p in paths)]
    else:
        return {"retval": errno.OK, "stats_index": ALL}
    stats = ALL if not msg.is_add else emu.route_stats_index(table, ("m", group))
    return {"retval": errno.OK, "stats_index": stats}


def _local_path() -> dict[str, Any]:
    return {
        "itf_flags": 0,
        "path": {
            "sw_if_index": ALL,
            "table_id": 0,
            "rpf_id": 0,
            "weight": 1,
            "preference": 0,
            "type": 1,
            "flags": 0,
            "proto": 1,
            "nh": {},
            "n_labels": 0,
            "label_stack": NO_LABELS,
        },
    }


def _details(table_id: int, e: MEntry) -> dict[str, Any]:
    paths = [_local_path()] if e.special_local else []
    for p in e.paths:
        path = {**_local_path()["path"], **{k: v for k, v in p["path"].items() if k != "label_stack"}}
        path["label_stack"] = NO_LABELS
        path["nh"] = {}
        paths.append({"itf_flags": 0, "path": path})  # mfib_entry_encode leaves the flags at 0
    return {
        "route": {
            "table_id": table_id,
            "entry_flags": 0,
            "rpf_id": 0,
            "prefix": {
                "af": 1,
                "grp_address_length": e.prefix.prefixlen,
                "grp_address": {"ip6": e.prefix.network_address},
                "src_address": {"ip6": ipaddress.IPv6Address("::")},
            },
            "n_paths": len(paths),
            "paths": paths,
        }
    }


@REGISTRY.handler("ip_mroute_dump")
def ip_mroute_dump(call: Call, msg: Any) -> Reply:
    # ip_api.c vl_api_ip_mroute_dump_t_handler: nothing for a table that does not exist; entries in
    # the mfib's order (by group address, then length)
    if not msg.table.is_ip6:
        return []
    table_id = int(msg.table.table_id)
    if call.emu.fib.get(True, table_id) is None:
        mfib(call).forget(table_id)
        return []
    entries = mfib(call).table(table_id)
    ordered = sorted(entries.values(), key=lambda e: (int(e.prefix.network_address), e.prefix.prefixlen))
    return [_details(table_id, e) for e in ordered]
