"""The DHCPv4 relay's VPP side: a receive entry for 255.255.255.255/32 in the IPv4 table of every access
interface that relays DHCPv4, so VPP hands client broadcasts to ``ip4-local`` and from there, UDP port
67 being registered by the agent's punt socket, to the agent (docs/dhcp-relay.md, docs/packet-path.md).

Every IPv4 table has 255.255.255.255/32 as a *drop* entry (src/vnet/fib/ip4_fib.c ``ip4_specials``); VPP's
own DHCP proxy makes it a receive entry the same way (src/plugins/dhcp/dhcp4_proxy_node.c
``dhcp4_proxy_set_server``: ``fib_table_entry_special_add (..., FIB_ENTRY_FLAG_LOCAL)``). The agent
uses ``ip_route_add_del`` with one path of type ``FIB_API_PATH_TYPE_LOCAL``. The relay itself (packets,
Option 82, leases) is the agent's service :mod:`agent.dhcp4`.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.features.base import Feature, FlattenContext, RetrieveContext
from agent.features.dhcp4 import retrieve
from agent.features.dhcp4.descriptors import DESCRIPTORS
from agent.features.dhcp4.items import references, subscribers_items
from agent.features.subscribers import SUBSCRIBERS
from agent.vpp.config import Entry, RootId
from agent.vpp.items import Item, Value


class Dhcp4(Feature):
    name = "dhcp4"
    writes = ("ip_route_add_del",)
    reads = ("ip_route_dump",)
    descriptors = DESCRIPTORS

    def items(self, root: RootId, entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
        return subscribers_items(entry, ctx) if root.kind == SUBSCRIBERS else []

    def references(self, root: RootId, entry: Entry) -> Iterable[RootId]:
        return references(entry) if root.kind == SUBSCRIBERS else ()

    async def retrieve(self, ctx: RetrieveContext) -> None:
        await retrieve.retrieve(ctx)


FEATURE = Dhcp4()
