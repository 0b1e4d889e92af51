"""``ietf-interfaces`` entries -> items: the interface itself and what VPP sets on it with separate calls.

Each interface entry yields its interface item (a port VPP has, a loopback or a sub-interface the agent
creates, or a type another feature adds, such as a bond) plus derived items: the ownership tag, admin
state, MTU, VRF table bindings, addresses and unnumbered. Values are normalised (addresses via
:mod:`ipaddress`, defaults filled in) exactly like :mod:`.retrieve` builds them from VPP dumps, so
"configured" and "found in VPP" compare with ``==``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from agent.features.base import FlattenContext
from agent.features.interfaces import keys
from agent.features.interfaces.descriptors import (
    DEFAULT,
    DOT1AD,
    EXACT_MATCH,
    NO_TAGS,
    ONE_TAG,
    TWO_TAGS,
)
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
from agent.features.jsonietf import family, member
from agent.features.vrfs import keys as vrf_keys
from agent.features.vrfs.items import vrf_families
from agent.vpp.config import Entry, RootId
from agent.vpp.items import Item, Value, tag_for

# the interface types this feature makes itself (iana-if-type identities)
SUBIF_TYPE = "l2vlan"
LOOPBACK_TYPE = "softwareLoopback"
ETHERNET_TYPE = "ethernetCsmacd"


def if_type(entry: Entry) -> str:
    return str(member(entry, "type", "")).rpartition(":")[2]


def is_port(entry: Entry | None) -> bool:
    """A physical port: VPP has it or not, the agent never creates it."""
    return entry is not None and if_type(entry) == ETHERNET_TYPE


def subif_value(sub: dict[str, Any]) -> SubifValue:
    enc = member(sub, "encapsulation", {}) or {}
    exact = bool(member(enc, "exact-match", True))
    single = member(enc, "single-tagged")
    double = member(enc, "double-tagged")
    outer = inner = 0
    if single is not None:
        flags = ONE_TAG | (DOT1AD if member(single, "tag-type", "dot1q") == "dot1ad" else 0)
        flags |= EXACT_MATCH if exact else 0
        outer = int(member(single, "vlan-id"))
    elif double is not None:
        flags = TWO_TAGS | (DOT1AD if member(double, "outer-tag-type", "dot1ad") == "dot1ad" else 0)
        flags |= EXACT_MATCH if exact else 0
        outer, inner = int(member(double, "outer-vlan-id")), int(member(double, "inner-vlan-id"))
    elif member(enc, "default-match") is not None:
        flags = DEFAULT
    else:
        flags = NO_TAGS
    return SubifValue(str(member(sub, "parent-interface")), int(member(sub, "sub-id")), flags, outer, inner)


def references(entry: Entry) -> Iterable[RootId]:
    """The VRF an interface is bound to (its table id and families go into the binding items)."""
    vrf = member(entry, "vrf")
    return (vrf_keys.root(str(vrf)),) if vrf else ()


def interface_items(entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
    """Items of one ``/if:interfaces/interface`` entry (nothing for types VPP is not asked to hold)."""
    name = str(entry["name"])
    t = if_type(entry)
    ikey = keys.interface(name)
    items: list[Item[Value]] = []
    value: Value
    deps: tuple[str, ...] = ()
    parent: str | None = None
    if t == SUBIF_TYPE:
        value = subif_value(member(entry, "sub-interface", {}) or {})
        parent = value.parent
        # VPP gives a new sub-interface its parent's MTU: set the parent's first
        deps = (keys.interface(parent), keys.mtu(parent))
    elif t == LOOPBACK_TYPE:
        mac = member(member(entry, "loopback"), "mac-address")
        value = LoopbackValue(str(mac).lower() if mac else None)
    elif t == ETHERNET_TYPE:
        value = EthernetValue()
    else:
        other = ctx.interface_types.get(t)
        if other is None:
            return []
        value = other(name, entry)
    items.append(Item(ikey, value, deps))
    if t != ETHERNET_TYPE:
        items.append(Item(keys.tag(name), TagValue(tag_for(name)), (ikey,), name))
    if member(entry, "enabled", True):
        items.append(Item(keys.admin_up(name), AdminUpValue(), (ikey,), name))
    mtu = member(entry, "mtu")
    if mtu is not None:
        mdeps = (ikey, keys.mtu(parent)) if parent else (ikey,)
        items.append(Item(keys.mtu(name), MtuValue(int(mtu)), mdeps, name))
    vrf_name = member(entry, "vrf")
    vrf = ctx.get(vrf_keys.root(str(vrf_name))) if vrf_name else None
    bound: set[bool] = set()
    table_id = 0
    if vrf is not None:
        table_id = int(member(vrf, "table-id"))
        for is_ip6 in vrf_families(vrf):
            bound.add(is_ip6)
            deps = (ikey, vrf_keys.table(str(vrf_name), is_ip6))
            binding = TableBindingValue(name, table_id, is_ip6)
            items.append(Item(keys.binding(name, is_ip6), binding, deps, name))
    for is_ip6 in (False, True):
        ip = member(entry, family(is_ip6))
        for a in member(ip, "address", []) or []:
            prefix = _address(a)
            adeps: tuple[str, ...] = (ikey,)
            if is_ip6 in bound:
                adeps += (keys.binding(name, is_ip6),)
            # calls grouped by family and table (Item.order): VPP's per-add cost depends on it
            order = (int(is_ip6), table_id if is_ip6 in bound else 0)
            value = AddressValue(name, prefix)
            items.append(Item(keys.address(name, prefix), value, adeps, name, order=order))
    unnum = member(member(entry, "ipv4"), "unnumbered")
    if unnum is not None:
        use = str(member(unnum, "use-interface"))
        # VPP checks the lender's addresses when the borrower's table binding changes
        udeps = (ikey, keys.interface(use), *(keys.binding(name, f) for f in sorted(bound)))
        items.append(Item(keys.unnumbered(name), UnnumberedValue(use), udeps, name))
    return items


def _address(a: dict[str, Any]) -> str:
    ip = str(member(a, "ip"))
    plen = member(a, "prefix-length")
    if plen is None:
        mask = member(a, "netmask")
        plen = ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen if mask else 32
    if ":" not in ip and int(plen) <= 32:
        return f"{ip}/{plen}"  # libyang prints inet:ipv4-address in its canonical dotted-quad form
    return str(ipaddress.ip_interface(f"{ip}/{plen}"))
