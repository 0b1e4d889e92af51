"""Descriptor of the VRF feature: VRF tables (``ip_table_add_del``), one item per address family."""

from __future__ import annotations

from typing import Any

from agent.features.vrfs.values import VrfTableValue
from agent.vpp.descriptor import Descriptor, Ownership
from agent.vpp.items import TAG_PREFIX, Item, VppCall


class VrfTableDescriptor(Descriptor[VrfTableValue]):
    kind = VrfTableValue.kind

    def _call(self, item: Item[VrfTableValue], is_add: bool) -> VppCall:
        v = item.value
        table = {"table_id": v.table_id, "is_ip6": v.is_ip6, "name": v.name}
        return VppCall("ip_table_add_del", {"is_add": is_add, "table": table})

    def create(self, item: Item[VrfTableValue]) -> VppCall:
        return self._call(item, True)

    def delete(self, item: Item[VrfTableValue]) -> VppCall:
        return self._call(item, False)

    def equivalent(self, old: Item[VrfTableValue], new: Item[VrfTableValue]) -> bool:
        return old.value.table_id == new.value.table_id and old.value.is_ip6 == new.value.is_ip6

    def claims(self, item: Item[VrfTableValue], ours: Ownership) -> bool:
        return item.value.name.startswith(TAG_PREFIX)


DESCRIPTORS: tuple[Descriptor[Any], ...] = (VrfTableDescriptor(),)
