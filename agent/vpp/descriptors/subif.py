"""VLAN and QinQ sub-interfaces (``create_subif``); VPP names them ``<parent>.<sub-id>``, as the config
must (bng-interfaces enforces it). Tags cannot change in place: a change re-creates the sub-interface."""

from __future__ import annotations

from agent.vpp.descriptors.base import Descriptor
from agent.vpp.items import IfRef, Item, VppCall

# interface_types.api sub_if_flags
NO_TAGS = 1
ONE_TAG = 2
TWO_TAGS = 4
DOT1AD = 8
EXACT_MATCH = 16
DEFAULT = 32


class SubInterfaceDescriptor(Descriptor):
    kind = "subif"

    def create(self, item: Item) -> VppCall:
        v = item.value
        name = item.key.partition("/")[2]
        args = {
            "sw_if_index": IfRef(v["parent"]),
            "sub_id": v["sub_id"],
            "sub_if_flags": v["flags"],
            "outer_vlan_id": v["outer"],
            "inner_vlan_id": v["inner"],
        }
        return VppCall("create_subif", args, binds=name)

    def delete(self, item: Item) -> VppCall:
        name = item.key.partition("/")[2]
        return VppCall("delete_subif", {"sw_if_index": IfRef(name)}, unbinds=name)
