"""Descriptors of the interfaces feature: ports, loopbacks, sub-interfaces and what VPP sets on an
interface with separate calls (tag, admin state, MTU, VRF table binding, addresses, unnumbered)."""

from __future__ import annotations

from typing import Any

from agent.features.interfaces.values import (
    AddressValue,
    AdminUpValue,
    EthernetValue,
    LoopbackValue,
    MtuValue,
    SubifValue,
    TableBindingValue,
    TagValue,
    UnnumberedValue,
)
from agent.vpp import keys
from agent.vpp.descriptor import Descriptor, Ownership, V
from agent.vpp.items import TAG_PREFIX, IfRef, Item, VppCall
from agent.vpp.naming import NameMap

# interface_types.api sub_if_flags
NO_TAGS = 1
ONE_TAG = 2
TWO_TAGS = 4
DOT1AD = 8
EXACT_MATCH = 16
DEFAULT = 32

ADMIN_UP = 1
DEFAULT_MTU = 9000
NO_MAC = "00:00:00:00:00:00"


class CreatedInterfaceDescriptor(Descriptor[V]):
    """An interface the agent creates and tags: reconcile removes one nobody configures any more."""

    creates_interface = True

    def claims(self, item: Item[V], ours: Ownership) -> bool:
        return keys.rest(item.key) in ours.owned


class PhysicalInterfaceDescriptor(Descriptor[EthernetValue]):
    """Physical ports: discovered, never created. The item only asserts that the port exists in VPP."""

    kind = EthernetValue.kind
    retrieve_unconfigured = False  # ports the config does not mention are simply not managed
    discovered = True

    def create(self, item: Item[EthernetValue]) -> VppCall | None:
        return None

    def delete(self, item: Item[EthernetValue]) -> VppCall | None:
        return None

    def equivalent(self, old: Item[EthernetValue], new: Item[EthernetValue]) -> bool:
        return True

    def check(self, item: Item[EthernetValue], names: NameMap) -> str | None:
        name = keys.rest(item.key)
        if name not in names:
            return f"physical interface {name} is not present in VPP"
        return None

    def claims(self, item: Item[EthernetValue], ours: Ownership) -> bool:
        return False


class LoopbackDescriptor(CreatedInterfaceDescriptor[LoopbackValue]):
    """Loopbacks (``create_loopback``): VPP names them ``loop<n>``, so the agent's tag is what ties a
    loopback to its configured name."""

    kind = LoopbackValue.kind

    def create(self, item: Item[LoopbackValue]) -> VppCall:
        name = keys.rest(item.key)
        return VppCall("create_loopback", {"mac_address": item.value.mac or NO_MAC}, binds=name)

    def delete(self, item: Item[LoopbackValue]) -> VppCall:
        name = keys.rest(item.key)
        return VppCall("delete_loopback", {"sw_if_index": IfRef(name)}, unbinds=name)

    def equivalent(self, old: Item[LoopbackValue], new: Item[LoopbackValue]) -> bool:
        # Without a configured MAC, VPP picks one: any MAC VPP reports is then what was asked for.
        want = new.value.mac
        return want is None or want == old.value.mac


class SubInterfaceDescriptor(CreatedInterfaceDescriptor[SubifValue]):
    """VLAN and QinQ sub-interfaces (``create_subif``); VPP names them ``<parent>.<sub-id>``, as the config
    must (bng-interfaces enforces it). Tags cannot change in place: a change re-creates the sub-interface."""

    kind = SubifValue.kind

    def create(self, item: Item[SubifValue]) -> VppCall:
        v = item.value
        name = keys.rest(item.key)
        args = {
            "sw_if_index": IfRef(v.parent),
            "sub_id": v.sub_id,
            "sub_if_flags": v.flags,
            "outer_vlan_id": v.outer,
            "inner_vlan_id": v.inner,
        }
        return VppCall("create_subif", args, binds=name)

    def delete(self, item: Item[SubifValue]) -> VppCall:
        name = keys.rest(item.key)
        return VppCall("delete_subif", {"sw_if_index": IfRef(name)}, unbinds=name)


class TagDescriptor(Descriptor[TagValue]):
    """The ownership tag (``sw_interface_tag_add_del``) on every interface the agent creates.

    The reconciler tells the agent's objects from others' by it, and it carries the configured name,
    which is how a loopback (``loop3`` in VPP) is found again after the agent restarts."""

    kind = TagValue.kind
    implied_by_owner_delete = True

    def create(self, item: Item[TagValue]) -> VppCall:
        name = keys.rest(item.key)
        return VppCall(
            "sw_interface_tag_add_del", {"is_add": True, "sw_if_index": IfRef(name), "tag": item.value.tag}
        )

    def delete(self, item: Item[TagValue]) -> VppCall:
        name = keys.rest(item.key)
        return VppCall("sw_interface_tag_add_del", {"is_add": False, "sw_if_index": IfRef(name), "tag": ""})

    def update(self, old: Item[TagValue], new: Item[TagValue]) -> VppCall:
        return self.create(new)

    def claims(self, item: Item[TagValue], ours: Ownership) -> bool:
        # someone else's tag on an interface the agent manages is theirs
        return item.value.tag.startswith(TAG_PREFIX) and super().claims(item, ours)


class AdminStateDescriptor(Descriptor[AdminUpValue]):
    """Admin state (``sw_interface_set_flags``): the item exists while ``if:enabled`` is true."""

    kind = AdminUpValue.kind
    implied_by_owner_delete = True

    def create(self, item: Item[AdminUpValue]) -> VppCall:
        name = keys.rest(item.key)
        return VppCall("sw_interface_set_flags", {"sw_if_index": IfRef(name), "flags": ADMIN_UP})

    def delete(self, item: Item[AdminUpValue]) -> VppCall:
        name = keys.rest(item.key)
        return VppCall("sw_interface_set_flags", {"sw_if_index": IfRef(name), "flags": 0})


def _set_mtu(name: str, mtu: int) -> VppCall:
    return VppCall("sw_interface_set_mtu", {"sw_if_index": IfRef(name), "mtu": [mtu, 0, 0, 0]})


class MtuDescriptor(Descriptor[MtuValue]):
    """The L3 MTU (``sw_interface_set_mtu``, index 0 of the per-protocol array = MTU_PROTO_API_L3).

    An interface without a configured MTU keeps whatever VPP gives it (9000 on hardware, the parent's
    on a sub-interface), so reconcile leaves unconfigured MTUs alone; removing a configured MTU restores
    9000. A sub-interface's MTU item depends on its parent's so a parent is raised before its children."""

    kind = MtuValue.kind
    implied_by_owner_delete = True
    retrieve_unconfigured = False

    def create(self, item: Item[MtuValue]) -> VppCall:
        return _set_mtu(keys.rest(item.key), item.value.mtu)

    def delete(self, item: Item[MtuValue]) -> VppCall:
        return _set_mtu(keys.rest(item.key), DEFAULT_MTU)

    def update(self, old: Item[MtuValue], new: Item[MtuValue]) -> VppCall:
        return self.create(new)


class TableBindingDescriptor(Descriptor[TableBindingValue]):
    """Interface to VRF binding (``sw_interface_set_table``), per address family.

    VPP refuses to move an interface that has addresses of that family to another table
    (ADDRESS_FOUND_FOR_INTERFACE), so addresses depend on the binding: they are added after it and
    removed before it changes. That holds for a first binding (global table -> VRF) and an unbinding
    (VRF -> global) too, so the descriptor ``guards_dependants``: the planner removes the family's
    addresses (and an unnumbered setting, which borrows a lender's addresses) before any binding change
    and adds them back after, for IPv4 and IPv6 independently."""

    kind = TableBindingValue.kind
    implied_by_owner_delete = True
    guards_dependants = True

    def _call(self, item: Item[TableBindingValue], table_id: int) -> VppCall:
        args = {
            "sw_if_index": IfRef(item.value.interface),
            "is_ipv6": item.value.is_ip6,
            "vrf_id": table_id,
        }
        return VppCall("sw_interface_set_table", args)

    def create(self, item: Item[TableBindingValue]) -> VppCall:
        return self._call(item, item.value.table_id)

    def delete(self, item: Item[TableBindingValue]) -> VppCall:
        return self._call(item, 0)


class AddressDescriptor(Descriptor[AddressValue]):
    """Interface IPv4/IPv6 addresses (``sw_interface_add_del_address``)."""

    kind = AddressValue.kind
    implied_by_owner_delete = True

    def _call(self, item: Item[AddressValue], is_add: bool) -> VppCall:
        args = {
            "sw_if_index": IfRef(item.value.interface),
            "is_add": is_add,
            "del_all": False,
            "prefix": item.value.prefix,
        }
        return VppCall("sw_interface_add_del_address", args)

    def create(self, item: Item[AddressValue]) -> VppCall:
        return self._call(item, True)

    def delete(self, item: Item[AddressValue]) -> VppCall:
        return self._call(item, False)


class UnnumberedDescriptor(Descriptor[UnnumberedValue]):
    """IPv4 unnumbered (``sw_interface_set_unnumbered``): the interface borrows another's address.

    Mind VPP's field names: ``sw_if_index`` is the interface lending its address and
    ``unnumbered_sw_if_index`` the one borrowing it (src/vnet/interface_api.c). The message set the agent
    uses has no dump for it; :mod:`agent.features.interfaces.retrieve` reads it from
    ``show interface address``."""

    kind = UnnumberedValue.kind
    implied_by_owner_delete = True

    def _call(self, item: Item[UnnumberedValue], is_add: bool) -> VppCall:
        name = keys.rest(item.key)
        args = {
            "sw_if_index": IfRef(item.value.use),
            "unnumbered_sw_if_index": IfRef(name),
            "is_add": is_add,
        }
        return VppCall("sw_interface_set_unnumbered", args)

    def create(self, item: Item[UnnumberedValue]) -> VppCall:
        return self._call(item, True)

    def delete(self, item: Item[UnnumberedValue]) -> VppCall:
        return self._call(item, False)


DESCRIPTORS: tuple[Descriptor[Any], ...] = (
    PhysicalInterfaceDescriptor(),
    LoopbackDescriptor(),
    SubInterfaceDescriptor(),
    TagDescriptor(),
    AdminStateDescriptor(),
    MtuDescriptor(),
    TableBindingDescriptor(),
    AddressDescriptor(),
    UnnumberedDescriptor(),
)
