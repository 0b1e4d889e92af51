"""The NAT event logging feature: ``bng-telemetry:telemetry/nat-logging`` as VPP's IPFIX exporter 0
(``set_ipfix_exporter``, pointed at the agent's relay) and the NAT plugin's IPFIX logging
(``nat_ipfix_enable_disable``). The relay itself (agent/natlog) is a process of the agent that follows
the same configuration. docs/nat-logging.md."""

from __future__ import annotations

from collections.abc import Iterable

from agent.features.base import Feature, FlattenContext, RetrieveContext
from agent.features.natlog import keys, retrieve
from agent.features.natlog.descriptors import DESCRIPTORS
from agent.features.natlog.items import references, telemetry_items
from agent.vpp.config import Entry, RootId, RootSpec
from agent.vpp.items import Item, Value

ROOT = RootSpec(keys.TELEMETRY, "bng-telemetry:telemetry", None, order=0)


class NatLog(Feature):
    name = "natlog"
    writes = ("set_ipfix_exporter", "nat_ipfix_enable_disable")
    reads = ("ipfix_exporter_dump",)
    roots = (ROOT,)
    descriptors = DESCRIPTORS

    def items(self, root: RootId, entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
        return telemetry_items(entry, ctx) if root.kind == keys.TELEMETRY else []

    def references(self, root: RootId, entry: Entry) -> Iterable[RootId]:
        return references(entry) if root.kind == keys.TELEMETRY else ()

    async def retrieve(self, ctx: RetrieveContext) -> None:
        await retrieve.retrieve(ctx)


FEATURE = NatLog()
