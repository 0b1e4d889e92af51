"""The interfaces feature: ``ietf-interfaces`` entries as VPP ports, loopbacks and sub-interfaces, with
tag, admin state, MTU, VRF table binding, IPv4/IPv6 addresses and unnumbered.

It owns the ``ietf-interfaces:interfaces`` root; other features add interface types (bonds) and
per-interface items (bond membership) to the same entries.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.features.base import Feature, FlattenContext, Lookup, RetrieveContext
from agent.features.interfaces import keys, retrieve
from agent.features.interfaces.descriptors import DESCRIPTORS
from agent.features.interfaces.items import interface_items, is_port, references
from agent.vpp.config import Entry, RootId, RootSpec
from agent.vpp.items import Item, Value
from agent.vpp.naming import NameMap

ROOT = RootSpec(keys.IF, "ietf-interfaces:interfaces", "interface", order=1)


class Interfaces(Feature):
    name = "interfaces"
    writes = (
        "create_loopback",
        "delete_loopback",
        "create_subif",
        "delete_subif",
        "sw_interface_tag_add_del",
        "sw_interface_set_flags",
        "sw_interface_set_mtu",
        "sw_interface_set_table",
        "sw_interface_add_del_address",
        "sw_interface_set_unnumbered",
    )
    reads = ("sw_interface_dump", "ip_address_dump", "sw_interface_get_table", "cli_inband")
    roots = (ROOT,)
    descriptors = DESCRIPTORS

    def items(self, root: RootId, entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
        return interface_items(entry, ctx) if root.kind == keys.IF else []

    def references(self, root: RootId, entry: Entry) -> Iterable[RootId]:
        return references(entry) if root.kind == keys.IF else ()

    async def retrieve(self, ctx: RetrieveContext) -> None:
        await retrieve.retrieve(ctx)

    def missing_interfaces(self, config: Lookup, vpp: NameMap) -> list[str]:
        return [n for n in config.names(keys.IF) if n not in vpp and is_port(config.get(keys.root(n)))]


FEATURE = Interfaces()
