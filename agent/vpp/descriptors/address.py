"""Interface IPv4/IPv6 addresses (``sw_interface_add_del_address``)."""

from __future__ import annotations

from agent.vpp.descriptors.base import Descriptor
from agent.vpp.items import IfRef, Item, VppCall


class AddressDescriptor(Descriptor):
    kind = "address"
    implied_by_owner_delete = True

    def _call(self, item: Item, is_add: bool) -> VppCall:
        args = {
            "sw_if_index": IfRef(item.value["interface"]),
            "is_add": is_add,
            "del_all": False,
            "prefix": item.value["prefix"],
        }
        return VppCall("sw_interface_add_del_address", args)

    def create(self, item: Item) -> VppCall:
        return self._call(item, True)

    def delete(self, item: Item) -> VppCall:
        return self._call(item, False)
