"""Admin state (``sw_interface_set_flags``): the item exists while ``if:enabled`` is true."""

from __future__ import annotations

from agent.vpp.descriptors.base import Descriptor
from agent.vpp.items import IfRef, Item, VppCall

ADMIN_UP = 1


class AdminStateDescriptor(Descriptor):
    kind = "admin-up"
    implied_by_owner_delete = True

    def create(self, item: Item) -> VppCall:
        name = item.key.partition("/")[2]
        return VppCall("sw_interface_set_flags", {"sw_if_index": IfRef(name), "flags": ADMIN_UP})

    def delete(self, item: Item) -> VppCall:
        name = item.key.partition("/")[2]
        return VppCall("sw_interface_set_flags", {"sw_if_index": IfRef(name), "flags": 0})
