"""Physical ports: discovered, never created. The item only asserts that the port exists in VPP."""

from __future__ import annotations

from agent.vpp.descriptors.base import Descriptor
from agent.vpp.items import Item, VppCall
from agent.vpp.naming import NameMap


class PhysicalInterfaceDescriptor(Descriptor):
    kind = "ethernet"
    retrieve_unconfigured = False  # ports the config does not mention are simply not managed

    def create(self, item: Item) -> VppCall | None:
        return None

    def delete(self, item: Item) -> VppCall | None:
        return None

    def equivalent(self, old: Item, new: Item) -> bool:
        return True

    def check(self, item: Item, names: NameMap) -> str | None:
        name = item.key.partition("/")[2]
        if name not in names:
            return f"physical interface {name} is not present in VPP"
        return None
