"""The ownership tag (``sw_interface_tag_add_del``) on every interface the agent creates.

The reconciler tells the agent's objects from others' by it, and it carries the configured name, which
is how a loopback (``loop3`` in VPP) is found again after the agent restarts."""

from __future__ import annotations

from agent.vpp.descriptors.base import Descriptor
from agent.vpp.items import IfRef, Item, VppCall


class TagDescriptor(Descriptor):
    kind = "tag"
    implied_by_owner_delete = True

    def create(self, item: Item) -> VppCall:
        name = item.key.partition("/")[2]
        return VppCall(
            "sw_interface_tag_add_del", {"is_add": True, "sw_if_index": IfRef(name), "tag": item.value["tag"]}
        )

    def delete(self, item: Item) -> VppCall:
        name = item.key.partition("/")[2]
        return VppCall("sw_interface_tag_add_del", {"is_add": False, "sw_if_index": IfRef(name), "tag": ""})

    def update(self, old: Item, new: Item) -> VppCall:
        return self.create(new)
