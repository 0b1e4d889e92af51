"""The QoS feature: ``bng-qos`` profiles compiled to VPP policers, one policer instance per interface
and direction a profile is attached to (``bng-qos:qos`` on an ``ietf-interfaces`` entry, or a
subscriber session through :mod:`agent.features.qos.session`).

It owns the ``bng-qos:qos`` root (profiles, which make no VPP object on their own) and adds policer
items to the interfaces feature's entries; an interface's items read its profiles (``references``), so a
profile change re-flattens every interface using it and each policer is updated in place.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.features.base import Feature, FlattenContext, RetrieveContext
from agent.features.interfaces import keys as if_keys
from agent.features.qos import keys, retrieve
from agent.features.qos.descriptors import DESCRIPTORS
from agent.features.qos.items import interface_items, references
from agent.vpp.config import Entry, RootId, RootSpec
from agent.vpp.items import Item, Value

ROOT = RootSpec(keys.PROFILE, "bng-qos:qos", "profile", order=0)


class Qos(Feature):
    name = "qos"
    writes = ("policer_add", "policer_update", "policer_del", "policer_input", "policer_output")
    reads = ("policer_dump", "policer_dump_v2")
    roots = (ROOT,)
    descriptors = DESCRIPTORS

    def items(self, root: RootId, entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
        return interface_items(entry, ctx.get) if root.kind == if_keys.IF else []

    def references(self, root: RootId, entry: Entry) -> Iterable[RootId]:
        return references(entry) if root.kind == if_keys.IF else ()

    async def retrieve(self, ctx: RetrieveContext) -> None:
        await retrieve.retrieve(ctx)


FEATURE = Qos()
