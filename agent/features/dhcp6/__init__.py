"""The DHCPv6 relay's receive path in VPP: an mroute for All_DHCP_Relay_Agents_and_Servers (ff02::1:2)
in the IPv6 table of every access interface that relays DHCPv6, accepting from any interface and
forwarding to the local stack, so ``ip6-local`` hands SOLICITs to the punt socket -- what VPP's own
DHCPv6 proxy adds for itself (``dhcp6_proxy_set_server``, ``src/plugins/dhcp/dhcp6_proxy_node.c``).
The relay itself runs in the agent (``agent/dhcp6``, docs/ipv6-access.md)."""

from __future__ import annotations

from collections.abc import Iterable

from agent.features.base import Feature, FlattenContext, RetrieveContext
from agent.features.dhcp6 import retrieve
from agent.features.dhcp6.descriptors import DESCRIPTORS
from agent.features.dhcp6.items import mroute_items, references
from agent.features.subscribers import SUBSCRIBERS
from agent.vpp.config import Entry, RootId
from agent.vpp.items import Item, Value


class Dhcp6Relay(Feature):
    name = "dhcp6"
    writes = ("ip_mroute_add_del",)
    reads = ("ip_mroute_dump",)
    descriptors = DESCRIPTORS

    def items(self, root: RootId, entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
        return mroute_items(entry, ctx) if root.kind == SUBSCRIBERS else []

    def references(self, root: RootId, entry: Entry) -> Iterable[RootId]:
        return references(entry) if root.kind == SUBSCRIBERS else ()

    async def retrieve(self, ctx: RetrieveContext) -> None:
        await retrieve.retrieve(ctx)


FEATURE = Dhcp6Relay()
