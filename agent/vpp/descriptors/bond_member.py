"""Bond membership (``bond_add_member`` / ``bond_detach_member``), configured on the member port.

The item depends on the bond, so members are detached before a bond is deleted and attached after it
is created; LACP flags cannot change in place, so a change detaches and re-attaches the port."""

from __future__ import annotations

from agent.vpp.descriptors.base import Descriptor
from agent.vpp.items import IfRef, Item, VppCall


class BondMemberDescriptor(Descriptor):
    kind = "bond-member"
    implied_by_owner_delete = True

    def create(self, item: Item) -> VppCall:
        v = item.value
        port = item.key.partition("/")[2]
        args = {
            "sw_if_index": IfRef(port),
            "bond_sw_if_index": IfRef(v["bond"]),
            "is_passive": v["passive"],
            "is_long_timeout": v["long_timeout"],
        }
        return VppCall("bond_add_member", args)

    def delete(self, item: Item) -> VppCall:
        return VppCall("bond_detach_member", {"sw_if_index": IfRef(item.key.partition("/")[2])})
