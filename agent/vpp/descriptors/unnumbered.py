"""IPv4 unnumbered (``sw_interface_set_unnumbered``): the interface borrows another's address.

Mind VPP's field names: ``sw_if_index`` is the interface lending its address and
``unnumbered_sw_if_index`` the one borrowing it (src/vnet/interface_api.c). The message set the agent
uses has no dump for it; :mod:`agent.vpp.retrieve` reads it from ``show interface address``."""

from __future__ import annotations

from agent.vpp.descriptors.base import Descriptor
from agent.vpp.items import IfRef, Item, VppCall


class UnnumberedDescriptor(Descriptor):
    kind = "unnumbered"
    implied_by_owner_delete = True

    def _call(self, item: Item, is_add: bool) -> VppCall:
        name = item.key.partition("/")[2]
        args = {
            "sw_if_index": IfRef(item.value["use"]),
            "unnumbered_sw_if_index": IfRef(name),
            "is_add": is_add,
        }
        return VppCall("sw_interface_set_unnumbered", args)

    def create(self, item: Item) -> VppCall:
        return self._call(item, True)

    def delete(self, item: Item) -> VppCall:
        return self._call(item, False)
