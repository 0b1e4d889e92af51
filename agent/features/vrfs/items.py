"""``bng-vrf:vrfs/vrf`` entries -> VPP FIB table items, one per address family.

The agent names its tables ``bng-agent:<vrf>`` so the reconciler can tell them from tables someone else
created. Routes inside a VRF are the routes feature's; an interface's binding to a VRF is the
interfaces feature's (it reads the VRF's table id and families through :func:`vrf_families`).
"""

from __future__ import annotations

from agent.features.jsonietf import member
from agent.features.vrfs import keys
from agent.features.vrfs.values import VrfTableValue
from agent.vpp.config import Entry
from agent.vpp.items import TAG_PREFIX, Item, Value


def vrf_families(vrf: Entry) -> list[bool]:
    """``is_ip6`` flags of the tables a VRF has (both unless switched off)."""
    out = []
    if member(vrf, "ipv4", True):
        out.append(False)
    if member(vrf, "ipv6", True):
        out.append(True)
    return out


def table_id(vrf: Entry) -> int:
    return int(member(vrf, "table-id"))


def vrf_items(name: str, entry: Entry) -> list[Item[Value]]:
    tid = table_id(entry)
    return [
        Item(keys.table(name, is_ip6), VrfTableValue(tid, is_ip6, TAG_PREFIX + name))
        for is_ip6 in vrf_families(entry)
    ]
