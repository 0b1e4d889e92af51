"""One descriptor per kind of VPP object: how an item is created, updated and deleted as VPP calls.

:data:`DESCRIPTORS` maps an item kind to its descriptor; the planner and the reconciler look descriptors
up there and nowhere else, so adding a kind (NAT pool, policer ...) is one module plus one line here.
"""

from __future__ import annotations

from agent.vpp.descriptors.address import AddressDescriptor
from agent.vpp.descriptors.admin import AdminStateDescriptor
from agent.vpp.descriptors.base import Descriptor
from agent.vpp.descriptors.bond import BondDescriptor
from agent.vpp.descriptors.bond_member import BondMemberDescriptor
from agent.vpp.descriptors.loopback import LoopbackDescriptor
from agent.vpp.descriptors.mtu import MtuDescriptor
from agent.vpp.descriptors.physical import PhysicalInterfaceDescriptor
from agent.vpp.descriptors.route import RouteDescriptor
from agent.vpp.descriptors.subif import SubInterfaceDescriptor
from agent.vpp.descriptors.table_binding import TableBindingDescriptor
from agent.vpp.descriptors.tag import TagDescriptor
from agent.vpp.descriptors.unnumbered import UnnumberedDescriptor
from agent.vpp.descriptors.vrf_table import VrfTableDescriptor

DESCRIPTORS: dict[str, Descriptor] = {
    d.kind: d
    for d in (
        PhysicalInterfaceDescriptor(),
        LoopbackDescriptor(),
        SubInterfaceDescriptor(),
        BondDescriptor(),
        BondMemberDescriptor(),
        TagDescriptor(),
        AdminStateDescriptor(),
        MtuDescriptor(),
        VrfTableDescriptor(),
        TableBindingDescriptor(),
        AddressDescriptor(),
        UnnumberedDescriptor(),
        RouteDescriptor(),
    )
}

#: Kinds whose item is an interface (key ``interface/<name>``) created by the agent and tagged.
CREATED_INTERFACE_KINDS = frozenset({"loopback", "subif", "bond"})

__all__ = ["CREATED_INTERFACE_KINDS", "DESCRIPTORS", "Descriptor"]
