"""``bng-subscribers:subscribers`` -> one broadcast receive entry per IPv4 table that has an access
interface relaying DHCPv4 (the interface's ``bng-vrf:vrf`` table, or table 0)."""

from __future__ import annotations

from collections.abc import Iterable

from agent.features.base import FlattenContext
from agent.features.dhcp4 import keys
from agent.features.dhcp4.values import BroadcastReceiveValue
from agent.features.interfaces import keys as if_keys
from agent.features.jsonietf import member
from agent.features.vrfs import keys as vrf_keys
from agent.vpp.config import Entry, RootId
from agent.vpp.items import Item, Value


def relaying_interfaces(entry: Entry) -> list[str]:
    """Access interfaces with ``ipoe/dhcpv4-relay``."""
    out = []
    for a in member(member(entry, "access-interfaces"), "access-interface", []) or []:
        ipoe = member(a, "ipoe")
        if ipoe is not None and member(ipoe, "dhcpv4-relay"):
            out.append(str(member(a, "interface")))
    return out


def subscribers_items(entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
    tables: dict[int, tuple[str, ...]] = {}
    for name in relaying_interfaces(entry):
        intf = ctx.get(if_keys.root(name))
        vrf_name = member(intf, "vrf")
        vrf = ctx.get(vrf_keys.root(str(vrf_name))) if vrf_name else None
        if vrf is not None:
            tables[int(member(vrf, "table-id"))] = (vrf_keys.table(str(vrf_name), False),)
        else:
            tables.setdefault(0, ())
    return [
        Item(keys.broadcast_receive(t), BroadcastReceiveValue(t), deps) for t, deps in sorted(tables.items())
    ]


def references(entry: Entry) -> Iterable[RootId]:
    """The access interfaces (their VRF) and their VRFs (the table id) are read."""
    for name in relaying_interfaces(entry):
        yield if_keys.root(name)
