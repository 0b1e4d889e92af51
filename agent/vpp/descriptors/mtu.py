"""The L3 MTU (``sw_interface_set_mtu``, index 0 of the per-protocol array = MTU_PROTO_API_L3).

An interface without a configured MTU keeps whatever VPP gives it (9000 on hardware, the parent's on a
sub-interface), so reconcile leaves unconfigured MTUs alone; removing a configured MTU restores 9000.
A sub-interface's MTU item depends on its parent's so a parent is raised before its children."""

from __future__ import annotations

from agent.vpp.descriptors.base import Descriptor
from agent.vpp.items import IfRef, Item, VppCall

DEFAULT_MTU = 9000


def _set(name: str, mtu: int) -> VppCall:
    return VppCall("sw_interface_set_mtu", {"sw_if_index": IfRef(name), "mtu": [mtu, 0, 0, 0]})


class MtuDescriptor(Descriptor):
    kind = "mtu"
    implied_by_owner_delete = True
    retrieve_unconfigured = False

    def create(self, item: Item) -> VppCall:
        return _set(item.key.partition("/")[2], item.value["mtu"])

    def delete(self, item: Item) -> VppCall:
        return _set(item.key.partition("/")[2], DEFAULT_MTU)

    def update(self, old: Item, new: Item) -> VppCall:
        return self.create(new)
