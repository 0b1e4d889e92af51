"""Descriptors of the bonds feature: the bond interface and its members' membership."""

from __future__ import annotations

from typing import Any

from agent.features.bonds.values import BondMemberValue, BondValue
from agent.features.interfaces.descriptors import CreatedInterfaceDescriptor
from agent.vpp import keys
from agent.vpp.descriptor import Descriptor
from agent.vpp.items import IfRef, Item, VppCall

# bond.api bond_mode / bond_lb_algo
MODES = {"round-robin": 1, "active-backup": 2, "xor": 3, "broadcast": 4, "lacp": 5}
LB = {"l2": 0, "l34": 1, "l23": 2}
HASHED_MODES = (3, 5)
AUTO_ID = 0xFFFFFFFF


class BondDescriptor(CreatedInterfaceDescriptor[BondValue]):
    """Bonds (``bond_create2``). A bond named ``BondEthernet<n>`` is created with instance id ``n`` so
    VPP's name matches; any other name gets an instance VPP picks and is tied to its name by the tag."""

    kind = BondValue.kind

    def create(self, item: Item[BondValue]) -> VppCall:
        v = item.value
        name = keys.rest(item.key)
        args = {
            "mode": v.mode,
            "lb": v.lb,
            "numa_only": v.numa_only,
            "enable_gso": False,
            "use_custom_mac": v.mac is not None,
            "mac_address": v.mac or "00:00:00:00:00:00",
            "id": v.id,
        }
        return VppCall("bond_create2", args, binds=name)

    def delete(self, item: Item[BondValue]) -> VppCall:
        name = keys.rest(item.key)
        return VppCall("bond_delete", {"sw_if_index": IfRef(name)}, unbinds=name)

    def equivalent(self, old: Item[BondValue], new: Item[BondValue]) -> bool:
        o, n = old.value, new.value
        if o.mode != n.mode or o.numa_only != n.numa_only:
            return False
        if n.mode in HASHED_MODES and o.lb != n.lb:
            return False
        if n.id != AUTO_ID and o.id != n.id:
            return False
        return n.mac is None or n.mac == o.mac


class BondMemberDescriptor(Descriptor[BondMemberValue]):
    """Bond membership (``bond_add_member`` / ``bond_detach_member``), configured on the member port.

    The item depends on the bond, so members are detached before a bond is deleted and attached after
    it is created; LACP flags cannot change in place, so a change detaches and re-attaches the port."""

    kind = BondMemberValue.kind
    implied_by_owner_delete = True

    def create(self, item: Item[BondMemberValue]) -> VppCall:
        v = item.value
        port = keys.rest(item.key)
        args = {
            "sw_if_index": IfRef(port),
            "bond_sw_if_index": IfRef(v.bond),
            "is_passive": v.passive,
            "is_long_timeout": v.long_timeout,
        }
        return VppCall("bond_add_member", args)

    def delete(self, item: Item[BondMemberValue]) -> VppCall:
        return VppCall("bond_detach_member", {"sw_if_index": IfRef(keys.rest(item.key))})


DESCRIPTORS: tuple[Descriptor[Any], ...] = (BondDescriptor(), BondMemberDescriptor())
