"""The NAT feature: ``ietf-nat:nat`` (with ``bng-nat``) as VPP's nat44-ed and det44 plugins.

Dynamic instances become nat44-ed address ranges per VRF, inside/outside interface features, static
mappings and port forwards, per-VRF session limits and the (global) timeouts; deterministic instances
become det44 maps and interfaces. See docs/features/nat.md.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.features.base import Feature, FlattenContext, RetrieveContext
from agent.features.nat import keys, retrieve
from agent.features.nat.descriptors import DESCRIPTORS
from agent.features.nat.items import nat_items, references
from agent.vpp.config import Entry, RootId, RootSpec
from agent.vpp.items import Item, Value

ROOT = RootSpec(keys.NAT, "ietf-nat:nat", None, order=3)


class Nat(Feature):
    name = "nat"
    writes = (
        "nat44_ed_plugin_enable_disable",
        "nat_set_timeouts",
        "nat44_add_del_address_range",
        "nat44_interface_add_del_feature",
        "nat44_set_session_limit",
        "nat44_add_del_static_mapping_v2",
        "det44_plugin_enable_disable",
        "det44_add_del_map",
        "det44_interface_add_del_feature",
    )
    reads = (
        "nat44_show_running_config",
        "nat44_address_dump",
        "nat44_interface_dump",
        "nat44_static_mapping_dump",
        "det44_map_dump",
        "det44_interface_dump",
    )
    roots = (ROOT,)
    descriptors = DESCRIPTORS

    def items(self, root: RootId, entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
        return nat_items(entry, ctx) if root.kind == keys.NAT else []

    def references(self, root: RootId, entry: Entry) -> Iterable[RootId]:
        return references(entry) if root.kind == keys.NAT else ()

    async def retrieve(self, ctx: RetrieveContext) -> None:
        await retrieve.retrieve(ctx)


FEATURE = Nat()
