"""Loopbacks (``create_loopback``): VPP names them ``loop<n>``, so the agent's tag is what ties a loopback
to its configured name."""

from __future__ import annotations

from agent.vpp.descriptors.base import Descriptor
from agent.vpp.items import IfRef, Item, VppCall

NO_MAC = "00:00:00:00:00:00"


class LoopbackDescriptor(Descriptor):
    kind = "loopback"

    def create(self, item: Item) -> VppCall:
        name = item.key.partition("/")[2]
        return VppCall("create_loopback", {"mac_address": item.value.get("mac") or NO_MAC}, binds=name)

    def delete(self, item: Item) -> VppCall:
        name = item.key.partition("/")[2]
        return VppCall("delete_loopback", {"sw_if_index": IfRef(name)}, unbinds=name)

    def equivalent(self, old: Item, new: Item) -> bool:
        # Without a configured MAC, VPP picks one: any MAC VPP reports is then what was asked for.
        want = new.value.get("mac")
        return want is None or want == old.value.get("mac")
