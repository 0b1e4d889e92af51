"""Read proxy-ARP and the neighbour limits back from VPP (``proxy_arp_intfc_dump``, ``proxy_arp_dump``,
``ip_neighbor_config_get``).

An interface's switch is compared like any other property of a managed interface (reconcile switches it
off on a managed interface that does not configure it). A range carries no owner in VPP, so only ranges
the agent configures or programmed itself are its own; any other range is reported as unmanaged and left
alone. Indices VPP reports for interfaces that no longer exist are skipped: VPP keeps an interface's
flag after the interface is deleted (see :class:`~agent.features.proxyarp.descriptors.ProxyArpDescriptor`).
"""

from __future__ import annotations

from agent.features.base import FlattenContext, RetrieveContext
from agent.features.interfaces import keys as if_keys
from agent.features.proxyarp import keys
from agent.features.proxyarp.descriptors import ADDRESS_IP4, ADDRESS_IP6
from agent.features.proxyarp.items import interface_items
from agent.features.proxyarp.values import NeighborLimitsValue, ProxyArpRangeValue, ProxyArpValue
from agent.vpp.items import Item


def configured_ranges(ctx: RetrieveContext) -> set[str]:
    flat = FlattenContext(ctx.config, {})
    return {
        it.key
        for entry in ctx.config.entries(if_keys.IF).values()
        for it in interface_items(entry, flat)
        if it.kind == ProxyArpRangeValue.kind
    }


async def retrieve(ctx: RetrieveContext) -> None:
    out, conn = ctx.out, ctx.conn
    for d in await conn.dump("proxy_arp_intfc_dump"):
        name = out.names.name_of(int(d.sw_if_index))
        if name is not None:
            key = keys.interface(name)
            out.items[key] = Item(key, ProxyArpValue(name), (if_keys.interface(name),), name)
    configured = configured_ranges(ctx)
    for d in await conn.dump("proxy_arp_dump"):
        p = d.proxy
        value = ProxyArpRangeValue(int(p.table_id), str(p.low), str(p.hi))
        key = keys.range_(value.table_id, value.lo, value.hi)
        if key in configured or key in ctx.applied:
            out.items[key] = Item(key, value)
        else:
            out.unmanaged.append(
                {"kind": "proxy-arp-range", "table_id": value.table_id, "low": value.lo, "hi": value.hi}
            )
    for af, is_ip6 in ((ADDRESS_IP4, False), (ADDRESS_IP6, True)):
        r = await conn.call("ip_neighbor_config_get", af=af)
        if int(r.retval) == 0:
            limits = NeighborLimitsValue(is_ip6, int(r.max_number), int(r.max_age), bool(r.recycle))
            out.items[keys.limits(is_ip6)] = Item(keys.limits(is_ip6), limits)
