"""``ip_route_add_del`` of 255.255.255.255/32 with one local path (fib_types.api
``FIB_API_PATH_TYPE_LOCAL``): the same receive entry VPP's DHCP proxy adds (dhcp4_proxy_node.c)."""

from __future__ import annotations

from typing import Any

from agent.features.dhcp4.values import BroadcastReceiveValue
from agent.features.routes.descriptors import NO_LABELS, PROTO_IP4
from agent.vpp.descriptor import Descriptor, Ownership
from agent.vpp.items import Item, VppCall

PATH_LOCAL = 1  # FIB_API_PATH_TYPE_LOCAL
NO_INTERFACE = 0xFFFFFFFF
PREFIX = "255.255.255.255/32"


def route(table_id: int) -> dict[str, Any]:
    path = {
        "sw_if_index": NO_INTERFACE,
        "table_id": table_id,
        "rpf_id": 0,
        "weight": 1,
        "preference": 0,
        "type": PATH_LOCAL,
        "flags": 0,
        "proto": PROTO_IP4,
        "nh": {},
        "n_labels": 0,
        "label_stack": NO_LABELS,
    }
    return {"table_id": table_id, "prefix": PREFIX, "n_paths": 1, "paths": [path]}


class BroadcastReceiveDescriptor(Descriptor[BroadcastReceiveValue]):
    """Adding the entry twice is harmless in VPP (the API source's path set is replaced); the delete
    removes only the API source's path, so a DHCP proxy configured by hand keeps its own."""

    kind = BroadcastReceiveValue.kind

    def _call(self, item: Item[BroadcastReceiveValue], is_add: bool) -> VppCall:
        args = {"is_add": is_add, "is_multipath": False, "route": route(item.value.table_id)}
        return VppCall("ip_route_add_del", args)

    def create(self, item: Item[BroadcastReceiveValue]) -> VppCall:
        return self._call(item, True)

    def delete(self, item: Item[BroadcastReceiveValue]) -> VppCall:
        return self._call(item, False)

    def claims(self, item: Item[BroadcastReceiveValue], ours: Ownership) -> bool:
        # retrieve.py reports only entries of tables the agent configures or programmed
        return True


DESCRIPTORS = (BroadcastReceiveDescriptor(),)
