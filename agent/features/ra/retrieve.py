"""Read router-advertisement state back from VPP (``sw_interface_ip6nd_ra_dump``, all interfaces).

VPP has an RA record for every Ethernet interface with IPv6 enabled (``ip6_ra_link_enable`` is an IPv6
link delegate), so the dump also says which interfaces have IPv6 enabled. Only interfaces the agent
manages are read; an RA record found sending on one of them with no configuration is the agent's to
suppress (the descriptor's default ``claims``).

VPP counts prefix lifetimes down as it sends RAs (``decrement_lifetime_flag``, set unless a lifetime is
infinite): the dump reports what the last RA carried, not what was configured. Both lifetimes of a
prefix count down together from the same moment, so a dumped prefix whose lifetimes are the agent's
applied ones, each less the same number of seconds (give or take one for rounding), with the same
flags, is read back as the applied value. Anything else (after an agent restart with nothing applied
yet, or a prefix someone changed) is read as found, and reconcile sends the configuration again, which
also restarts VPP's countdown (docs/ipv6-access.md).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from agent.features.base import RetrieveContext
from agent.features.interfaces import keys as if_keys
from agent.features.ra import keys
from agent.features.ra.values import Ip6LinkValue, RaFlagValue, RaPrefixValue, RaValue
from agent.vpp.items import Item

ALL = 0xFFFFFFFF


async def retrieve(ctx: RetrieveContext) -> None:
    out = ctx.out
    details = await ctx.conn.dump("sw_interface_ip6nd_ra_dump", sw_if_index=ALL)
    for d in details:
        name = ctx.agent_name.get(int(d.sw_if_index))
        if name is None or name not in out.managed_interfaces:
            continue
        _items(name, d, out.items, ctx.applied)


def _counted_down(found: RaPrefixValue, applied: Any) -> bool:
    """Whether ``found`` is ``applied`` after VPP's countdown (see the module docstring)."""
    if not isinstance(applied, RaPrefixValue) or (applied.on_link, applied.autonomous) != (
        found.on_link,
        found.autonomous,
    ):
        return False
    dv = applied.valid_lifetime - found.valid_lifetime
    dp = applied.preferred_lifetime - found.preferred_lifetime
    return dv >= 0 and dp >= 0 and abs(dv - dp) <= 1


def _items(name: str, d: Any, items: dict[str, Item[Any]], applied: Mapping[str, Item[Any]]) -> None:
    link = keys.ip6_link(name)
    items[link] = Item(link, Ip6LinkValue(name), (if_keys.interface(name),), name)
    if not d.send_radv or d.cease_radv:
        return
    ra = keys.ra(name)
    value = RaValue(name, int(d.max_radv_interval), int(d.min_radv_interval), int(d.adv_router_lifetime))
    items[ra] = Item(ra, value, (link,), name)
    for flag, on in ((keys.MANAGED, d.adv_managed_flag), (keys.OTHER, d.adv_other_flag)):
        if on:
            key = keys.ra_flag(name, flag)
            items[key] = Item(key, RaFlagValue(name, flag), (ra,), name)
    for p in d.prefixes:
        if p.no_advertise:
            continue
        net = str(ipaddress.IPv6Network(str(p.prefix), strict=False))
        pv = RaPrefixValue(
            name, net, int(p.val_lifetime), int(p.pref_lifetime), bool(p.onlink_flag), bool(p.autonomous_flag)
        )
        key = keys.ra_prefix(name, net)
        before = applied.get(key)
        if p.decrement_lifetime_flag and before is not None and _counted_down(pv, before.value):
            pv = before.value
        items[key] = Item(key, pv, (link,), name)
