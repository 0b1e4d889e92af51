"""The VRF feature: ``bng-vrf:vrfs`` as VPP FIB tables (IPv4 and IPv6 with one id per VRF)."""

from __future__ import annotations

from agent.features.base import Feature, FlattenContext, RetrieveContext
from agent.features.vrfs import keys, retrieve
from agent.features.vrfs.descriptors import DESCRIPTORS
from agent.features.vrfs.items import vrf_items
from agent.vpp.config import Entry, RootId, RootSpec
from agent.vpp.items import Item, Value

ROOT = RootSpec(keys.VRF, "bng-vrf:vrfs", "vrf", order=0)


class Vrfs(Feature):
    name = "vrfs"
    writes = ("ip_table_add_del",)
    reads = ("ip_table_dump",)
    roots = (ROOT,)
    descriptors = DESCRIPTORS

    def items(self, root: RootId, entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
        return vrf_items(root.name, entry) if root.kind == keys.VRF else []

    async def retrieve(self, ctx: RetrieveContext) -> None:
        await retrieve.retrieve(ctx)


FEATURE = Vrfs()
