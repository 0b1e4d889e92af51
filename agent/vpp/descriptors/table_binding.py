"""Interface to VRF binding (``sw_interface_set_table``), per address family.

VPP refuses to move an interface that has addresses of that family to another table
(ADDRESS_FOUND_FOR_INTERFACE), so addresses depend on the binding: they are added after it and removed
before it changes; a change of table is a re-create, which cascades to the addresses."""

from __future__ import annotations

from agent.vpp.descriptors.base import Descriptor
from agent.vpp.items import IfRef, Item, VppCall


class TableBindingDescriptor(Descriptor):
    kind = "table-binding"
    implied_by_owner_delete = True

    def _call(self, item: Item, table_id: int) -> VppCall:
        args = {
            "sw_if_index": IfRef(item.value["interface"]),
            "is_ipv6": item.value["is_ip6"],
            "vrf_id": table_id,
        }
        return VppCall("sw_interface_set_table", args)

    def create(self, item: Item) -> VppCall:
        return self._call(item, item.value["table_id"])

    def delete(self, item: Item) -> VppCall:
        return self._call(item, 0)
