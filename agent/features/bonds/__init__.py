"""The bonds feature: VPP bond interfaces (``ietf-interfaces`` type ``ieee8023adLag`` with
``bng-interfaces:bond``) and ports' membership (``bng-interfaces:bond-member``).

It owns no YANG root: a bond is an ``ietf-interfaces`` entry, so the feature adds an interface type and
per-port items to the interfaces feature's root.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.features.base import Feature, FlattenContext, RetrieveContext
from agent.features.bonds import retrieve
from agent.features.bonds.descriptors import DESCRIPTORS
from agent.features.bonds.items import bond_interface, member_items, member_of, references
from agent.features.interfaces import keys as if_keys
from agent.vpp.config import Entry, RootId
from agent.vpp.items import Item, Value


class Bonds(Feature):
    name = "bonds"
    writes = ("bond_create2", "bond_delete", "bond_add_member", "bond_detach_member")
    reads = ("sw_bond_interface_dump", "sw_member_interface_dump")
    descriptors = DESCRIPTORS
    interface_types = {"ieee8023adLag": bond_interface}

    def items(self, root: RootId, entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
        if root.kind != if_keys.IF:
            return []
        bond = member_of(entry)
        if bond is None:
            return []
        return member_items(entry, ctx.get(if_keys.root(bond)))

    def references(self, root: RootId, entry: Entry) -> Iterable[RootId]:
        return references(entry) if root.kind == if_keys.IF else ()

    async def retrieve(self, ctx: RetrieveContext) -> None:
        await retrieve.retrieve(ctx)


FEATURE = Bonds()
