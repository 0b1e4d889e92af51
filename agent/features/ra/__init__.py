"""The router-advertisement feature: IPv6 RAs (SLAAC, M/O flags, prefixes) on IPoE access interfaces,
from the ``ra-policy`` of each access interface's session template.

Its items come from the ``bng-subscribers:subscribers`` root, which :mod:`agent.features.subscribers`
claims (one container: access interfaces, templates and policies refer to each other).
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.features.base import Feature, FlattenContext, RetrieveContext
from agent.features.ra import keys, retrieve
from agent.features.ra.descriptors import DESCRIPTORS
from agent.features.ra.items import ra_items, references
from agent.vpp.config import Entry, RootId
from agent.vpp.items import Item, Value


class RouterAdvertisements(Feature):
    name = "ra"
    writes = (
        "sw_interface_ip6_enable_disable",
        "sw_interface_ip6nd_ra_config",
        "sw_interface_ip6nd_ra_prefix",
    )
    reads = ("sw_interface_ip6nd_ra_dump",)
    descriptors = DESCRIPTORS

    def items(self, root: RootId, entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
        return ra_items(entry, ctx) if root.kind == keys.SUBSCRIBERS else []

    def references(self, root: RootId, entry: Entry) -> Iterable[RootId]:
        return references(entry) if root.kind == keys.SUBSCRIBERS else ()

    async def retrieve(self, ctx: RetrieveContext) -> None:
        await retrieve.retrieve(ctx)


FEATURE = RouterAdvertisements()
