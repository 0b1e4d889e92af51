"""The ff02::1:2 mroute (``ip_mroute_add_del``), as ``dhcp6_proxy_set_server`` makes it: entry flag
ACCEPT_ALL_ITF (VPP still takes it only on IPv6-enabled interfaces), one path to the local stack with the
FORWARD interface flag. Deleting removes the path; VPP keeps an empty entry, which forwards nothing."""

from __future__ import annotations

from typing import Any

from agent.features.dhcp6.values import ALL_DHCP, DhcpMrouteValue
from agent.vpp.descriptor import Descriptor, Ownership
from agent.vpp.items import Item, VppCall

ALL = 0xFFFFFFFF
MFIB_API_ENTRY_FLAG_ACCEPT_ALL_ITF = 0x8
MFIB_API_ITF_FLAG_FORWARD = 0x4
FIB_API_PATH_TYPE_LOCAL = 1
FIB_API_PATH_NH_PROTO_IP6 = 1
ADDRESS_IP6 = 1
NO_LABELS = [{"is_uniform": 0, "label": 0, "ttl": 0, "exp": 0}] * 16


def mroute(table_id: int, is_add: bool) -> VppCall:
    local = {
        "sw_if_index": ALL,
        "table_id": 0,
        "rpf_id": 0,
        "weight": 1,
        "preference": 0,
        "type": FIB_API_PATH_TYPE_LOCAL,
        "flags": 0,
        "proto": FIB_API_PATH_NH_PROTO_IP6,
        "nh": {},
        "n_labels": 0,
        "label_stack": NO_LABELS,
    }
    route = {
        "table_id": table_id,
        "entry_flags": MFIB_API_ENTRY_FLAG_ACCEPT_ALL_ITF,
        "rpf_id": 0,
        "prefix": {
            "af": ADDRESS_IP6,
            "grp_address_length": 128,
            "grp_address": {"ip6": ALL_DHCP},
            "src_address": {"ip6": "::"},
        },
        "n_paths": 1,
        "paths": [{"itf_flags": MFIB_API_ITF_FLAG_FORWARD, "path": local}],
    }
    return VppCall("ip_mroute_add_del", {"is_add": is_add, "is_multipath": False, "route": route})


class DhcpMrouteDescriptor(Descriptor[DhcpMrouteValue]):
    kind = DhcpMrouteValue.kind

    def create(self, item: Item[DhcpMrouteValue]) -> VppCall:
        return mroute(item.value.table_id, True)

    def delete(self, item: Item[DhcpMrouteValue]) -> VppCall:
        return mroute(item.value.table_id, False)

    def claims(self, item: Item[DhcpMrouteValue], ours: Ownership) -> bool:
        # VPP's own DHCPv6 proxy makes the same entry: one the configuration does not ask for is left alone
        return False


DESCRIPTORS: tuple[Descriptor[Any], ...] = (DhcpMrouteDescriptor(),)
