"""Descriptor of the routes feature: static routes (``ip_route_add_del``) with ECMP/UCMP next hops.

A route is one item holding its whole path set; a plain add (``is_multipath=0``) replaces the path set in
VPP (src/vnet/fib/fib_api.c fib_api_route_add_del), so changing a weight or a next hop is one call, and
traffic never sees a moment without the route. Per next hop: ``weight`` (UCMP share) and ``preference``
(lower wins; VPP uses only the best-preference paths that resolve)."""

from __future__ import annotations

from typing import Any

from agent.features.routes.values import Path, RouteValue
from agent.vpp.descriptor import Descriptor, Ownership
from agent.vpp.items import IfRef, Item, VppCall

NO_INTERFACE = 0xFFFFFFFF
PATH_NORMAL = 0
PATH_DROP = 2
PROTO_IP4 = 0
PROTO_IP6 = 1
NO_LABELS = tuple({"is_uniform": 0, "label": 0, "ttl": 0, "exp": 0} for _ in range(16))


def fib_path(path: Path, table_id: int, is_ip6: bool) -> dict[str, Any]:
    family = "ip6" if is_ip6 else "ip4"
    nh = {"address": {family: path.address}} if path.address else {}
    return {
        "sw_if_index": IfRef(path.interface) if path.interface else NO_INTERFACE,
        "table_id": path.nh_table or table_id,
        "rpf_id": 0,
        "weight": path.weight,
        "preference": path.preference,
        "type": path.type,
        "flags": 0,
        "proto": PROTO_IP6 if is_ip6 else PROTO_IP4,
        "nh": nh,
        "n_labels": 0,
        "label_stack": NO_LABELS,
    }


class RouteDescriptor(Descriptor[RouteValue]):
    kind = RouteValue.kind

    def _call(self, item: Item[RouteValue], is_add: bool) -> VppCall:
        v = item.value
        paths = [fib_path(p, v.table_id, v.is_ip6) for p in v.paths] if is_add else []
        route = {"table_id": v.table_id, "prefix": v.prefix, "n_paths": len(paths), "paths": paths}
        return VppCall("ip_route_add_del", {"is_add": is_add, "is_multipath": False, "route": route})

    def create(self, item: Item[RouteValue]) -> VppCall:
        return self._call(item, True)

    def delete(self, item: Item[RouteValue]) -> VppCall:
        return self._call(item, False)

    def update(self, old: Item[RouteValue], new: Item[RouteValue]) -> VppCall | None:
        if old.value.table_id != new.value.table_id:
            return None
        return self._call(new, True)

    def claims(self, item: Item[RouteValue], ours: Ownership) -> bool:
        # retrieval only reports a route as found when it is provably the agent's (see retrieve.py)
        return True


DESCRIPTORS: tuple[Descriptor[Any], ...] = (RouteDescriptor(),)
