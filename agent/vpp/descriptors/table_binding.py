"""Interface to VRF binding (``sw_interface_set_table``), per address family.

VPP refuses to move an interface that has addresses of that family to another table
(ADDRESS_FOUND_FOR_INTERFACE), so addresses depend on the binding: they are added after it and removed
before it changes. That holds for a first binding (global table -> VRF) and an unbinding (VRF -> global)
too, so the descriptor ``guards_dependants``: the planner removes the family's addresses (and an
unnumbered setting, which borrows a lender's addresses) before any binding change and adds them back
after, for IPv4 and IPv6 independently."""

from __future__ import annotations

from agent.vpp.descriptors.base import Descriptor
from agent.vpp.items import IfRef, Item, VppCall


class TableBindingDescriptor(Descriptor):
    kind = "table-binding"
    implied_by_owner_delete = True
    guards_dependants = True

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
