"""The ACL feature: ``ietf-access-control-list`` (RFC 8519) as VPP ACL plugin ACLs, MAC/IP ACLs and
interface ACL lists, with per-ACE hit counters (docs/acl.md)."""

from __future__ import annotations

from collections.abc import Iterable

from agent.features.acl import keys, retrieve
from agent.features.acl.descriptors import DESCRIPTORS
from agent.features.acl.items import acl_items, attachment_references, interface_attachment_items
from agent.features.base import Feature, FlattenContext, RetrieveContext
from agent.vpp.config import Entry, RootId, RootSpec
from agent.vpp.items import Item, Value

TOP = "ietf-access-control-list:acls"
ROOTS = (
    RootSpec(keys.ACL, TOP, "acl", order=5),
    RootSpec(keys.ATTACHMENT, TOP, "attachment-points/interface", order=6, key="interface-id"),
)


class Acl(Feature):
    name = "acl"
    writes = (
        "acl_add_replace",
        "acl_del",
        "acl_interface_set_acl_list",
        "macip_acl_add_replace",
        "macip_acl_del",
        "macip_acl_interface_add_del",
        "acl_stats_intf_counters_enable",
    )
    reads = (
        "acl_dump",
        "acl_interface_list_dump",
        "macip_acl_dump",
        "macip_acl_interface_list_dump",
        "cli_inband",
    )
    roots = ROOTS
    descriptors = DESCRIPTORS

    def items(self, root: RootId, entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
        if root.kind == keys.ACL:
            return acl_items(root.name, entry)
        if root.kind == keys.ATTACHMENT:
            return interface_attachment_items(root.name, entry, ctx.config)
        return []

    def references(self, root: RootId, entry: Entry) -> Iterable[RootId]:
        return attachment_references(entry) if root.kind == keys.ATTACHMENT else ()

    async def retrieve(self, ctx: RetrieveContext) -> None:
        await retrieve.retrieve(ctx)


FEATURE = Acl()
