"""The proxy-ARP feature: ``proxy-arp`` of an interface's ``ietf-ip:ipv4`` as VPP's ``arp-proxy``
feature and proxy ranges (src/vnet/arp/arp_proxy.c), and ARP flood control: the bounds of VPP's
neighbour tables (``bng-interfaces:neighbor-limits``, ``ip_neighbor_config``), with the ARP cache size
as a metric (:mod:`agent.features.proxyarp.metrics`). docs/features/proxy-arp.md."""

from __future__ import annotations

from collections.abc import Iterable

from agent.features.base import Feature, FlattenContext, RetrieveContext
from agent.features.interfaces import keys as if_keys
from agent.features.proxyarp import keys, retrieve
from agent.features.proxyarp.descriptors import DESCRIPTORS
from agent.features.proxyarp.items import interface_items, limits_items, references
from agent.vpp.config import Entry, RootId, RootSpec
from agent.vpp.items import Item, Value

ROOT = RootSpec(keys.LIMITS, "bng-interfaces:neighbor-limits", None, order=0)


class ProxyArp(Feature):
    name = "proxyarp"
    writes = ("proxy_arp_intfc_enable_disable", "proxy_arp_add_del", "ip_neighbor_config")
    reads = ("proxy_arp_intfc_dump", "proxy_arp_dump", "ip_neighbor_config_get")
    roots = (ROOT,)
    descriptors = DESCRIPTORS

    def items(self, root: RootId, entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
        if root.kind == if_keys.IF:
            return interface_items(entry, ctx)
        if root.kind == keys.LIMITS:
            return limits_items(entry)
        return []

    def references(self, root: RootId, entry: Entry) -> Iterable[RootId]:
        return references(entry) if root.kind == if_keys.IF else ()

    async def retrieve(self, ctx: RetrieveContext) -> None:
        await retrieve.retrieve(ctx)


FEATURE = ProxyArp()
