"""Descriptors of the QoS feature: policers (``policer_add`` / ``policer_update`` / ``policer_del``) and
their attachment to interfaces (``policer_input`` / ``policer_output``).

A policer is created by name and VPP answers with its index; every later call names it by that index
(:class:`~agent.vpp.items.HandleRef` by the policer item's key, resolved by the executor from the name
map's handles). A changed profile is one
``policer_update`` per policer: VPP swaps the parameters under the same index, so the attachment and
the traffic through it are never interrupted (``policer_op.c`` ``policer_update``; it refills the
buckets and zeroes the policer's counters).
"""

from __future__ import annotations

from typing import Any

from agent.features.qos.values import PolicerAttachValue, PolicerValue
from agent.vpp.descriptor import Descriptor, Ownership
from agent.vpp.items import TAG_PREFIX, HandleRef, IfRef, Item, VppCall


class PolicerDescriptor(Descriptor[PolicerValue]):
    kind = PolicerValue.kind

    def create(self, item: Item[PolicerValue]) -> VppCall:
        v = item.value
        return VppCall(
            "policer_add", {"name": v.name, "infos": v.config.api()}, binds_handle=(item.key, "policer_index")
        )

    def update(self, old: Item[PolicerValue], new: Item[PolicerValue]) -> VppCall | None:
        if old.value.name != new.value.name:
            return None
        args = {"policer_index": HandleRef(new.key), "infos": new.value.config.api()}
        return VppCall("policer_update", args)

    def delete(self, item: Item[PolicerValue]) -> VppCall:
        return VppCall("policer_del", {"policer_index": HandleRef(item.key)}, unbinds_handle=item.key)

    def claims(self, item: Item[PolicerValue], ours: Ownership) -> bool:
        return item.value.name.startswith(TAG_PREFIX)


class PolicerAttachDescriptor(Descriptor[PolicerAttachValue]):
    """Detached explicitly before its interface or policer goes: VPP keeps the interface's policer index
    and feature arc otherwise (``policer_op.c`` ``policer_input``), so a deleted policer would still be
    looked up for the interface's packets."""

    kind = PolicerAttachValue.kind

    def _call(self, item: Item[PolicerAttachValue], apply: bool) -> VppCall:
        v = item.value
        msg = "policer_output" if v.output else "policer_input"
        return VppCall(msg, {"name": v.policer, "sw_if_index": IfRef(v.interface), "apply": apply})

    def create(self, item: Item[PolicerAttachValue]) -> VppCall:
        return self._call(item, True)

    def delete(self, item: Item[PolicerAttachValue]) -> VppCall:
        return self._call(item, False)


DESCRIPTORS: tuple[Descriptor[Any], ...] = (PolicerDescriptor(), PolicerAttachDescriptor())
