"""The routes feature: static routes with ECMP/UCMP next hops, in table 0 (``bng-vrf:global-routing``,
a root this feature owns) and in each VRF (``static-routes`` of a ``bng-vrf:vrfs`` entry)."""

from __future__ import annotations

from collections.abc import Iterable

from agent.features.base import Feature, FlattenContext, RetrieveContext
from agent.features.routes import keys, retrieve
from agent.features.routes.descriptors import DESCRIPTORS
from agent.features.routes.items import global_routes, references, vrf_routes
from agent.features.vrfs import keys as vrf_keys
from agent.vpp.config import Entry, RootId, RootSpec
from agent.vpp.items import Item, Value

ROOT = RootSpec(keys.GLOBAL, "bng-vrf:global-routing", None, order=2)


class Routes(Feature):
    name = "routes"
    writes = ("ip_route_add_del",)
    reads = ("ip_route_dump",)
    roots = (ROOT,)
    descriptors = DESCRIPTORS

    def items(self, root: RootId, entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
        if root.kind == keys.GLOBAL:
            return global_routes(entry, ctx)
        if root.kind == vrf_keys.VRF:
            return vrf_routes(root.name, entry, ctx)
        return []

    def references(self, root: RootId, entry: Entry) -> Iterable[RootId]:
        if root.kind in (keys.GLOBAL, vrf_keys.VRF):
            return references(entry)
        return ()

    async def retrieve(self, ctx: RetrieveContext) -> None:
        await retrieve.retrieve(ctx)


FEATURE = Routes()
