"""Read the broadcast receive entries back (``ip_route_dump`` of the tables the agent configures them
in or programmed them in; the routes feature skips local-path entries, so this is the only reader)."""

from __future__ import annotations

import ipaddress

from agent.features.base import FlattenContext, RetrieveContext
from agent.features.dhcp4 import keys
from agent.features.dhcp4.descriptors import PATH_LOCAL, PREFIX
from agent.features.dhcp4.items import subscribers_items
from agent.features.dhcp4.values import BroadcastReceiveValue
from agent.features.subscribers import ROOT_ID
from agent.vpp.items import Item


def _tables(ctx: RetrieveContext) -> set[int]:
    tables: set[int] = set()
    entry = ctx.config.get(ROOT_ID)
    if entry is not None:
        for it in subscribers_items(entry, FlattenContext(ctx.config, {})):
            assert isinstance(it.value, BroadcastReceiveValue)
            tables.add(it.value.table_id)
    for key, it in ctx.applied.items():
        if keys.is_broadcast_receive(key) and isinstance(it.value, BroadcastReceiveValue):
            tables.add(it.value.table_id)
    return tables


async def retrieve(ctx: RetrieveContext) -> None:
    for table_id in sorted(_tables(ctx)):
        routes = await ctx.conn.dump(
            "ip_route_dump", table={"table_id": table_id, "is_ip6": False, "name": ""}
        )
        for r in routes:
            route = r.route
            if str(ipaddress.ip_network(str(route.prefix), strict=False)) != PREFIX:
                continue
            if any(int(p.type) == PATH_LOCAL for p in route.paths):
                key = keys.broadcast_receive(table_id)
                ctx.out.items[key] = Item(key, BroadcastReceiveValue(table_id))
