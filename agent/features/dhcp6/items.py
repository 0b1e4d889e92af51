"""``bng-subscribers:subscribers`` -> one ff02::1:2 mroute per IPv6 table holding an access interface
that relays DHCPv6 (``access-interface/ipoe/dhcpv6-relay``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agent.features.base import FlattenContext
from agent.features.dhcp6.values import DhcpMrouteValue
from agent.features.interfaces import keys as if_keys
from agent.features.jsonietf import member
from agent.features.vrfs import keys as vrf_keys
from agent.vpp import keys
from agent.vpp.config import Entry, RootId
from agent.vpp.items import Item, Value

GLOBAL = "global"


def mroute_key(scope: str) -> str:
    """``dhcp6-mroute/<vrf or global>``."""
    return keys.join1("dhcp6-mroute", scope)


def relaying(subscribers: Entry) -> list[str]:
    """Access interfaces that accept IPoE and relay DHCPv6."""
    out = []
    for ai in list(member(member(subscribers, "access-interfaces"), "access-interface", []) or []):
        ipoe: Any = member(ai, "ipoe")
        if ipoe is not None and member(ipoe, "dhcpv6-relay") is not None:
            out.append(str(member(ai, "interface")))
    return out


def references(subscribers: Entry) -> Iterable[RootId]:
    return [if_keys.root(n) for n in relaying(subscribers)]


def mroute_items(subscribers: Entry, ctx: FlattenContext) -> list[Item[Value]]:
    scopes: dict[str, tuple[int, tuple[str, ...]]] = {}
    for name in relaying(subscribers):
        vrf = member(ctx.get(if_keys.root(name)), "vrf")
        if vrf is None:
            scopes[GLOBAL] = (0, ())
            continue
        entry = ctx.get(vrf_keys.root(str(vrf)))
        if entry is None or not member(entry, "ipv6", True):
            continue
        scopes[str(vrf)] = (int(member(entry, "table-id")), (vrf_keys.table(str(vrf), True),))
    return [
        Item(mroute_key(scope), DhcpMrouteValue(table_id), deps)
        for scope, (table_id, deps) in sorted(scopes.items())
    ]
