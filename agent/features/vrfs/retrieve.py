"""Read VPP's FIB tables back (``ip_table_dump``): a table is a configured VRF's by its id, or the agent's
by its ``bng-agent:`` name; any other non-default table is reported as unmanaged."""

from __future__ import annotations

from agent.features.base import RetrieveContext
from agent.features.vrfs import keys
from agent.features.vrfs.items import table_id
from agent.features.vrfs.values import VrfTableValue
from agent.vpp.items import TAG_PREFIX, Item


async def retrieve(ctx: RetrieveContext) -> None:
    out = ctx.out
    vrf_by_table = {table_id(v): n for n, v in ctx.config.entries(keys.VRF).items()}
    _, tables = await ctx.conn.send("ip_table_dump")
    for t in (t.table for t in tables):
        tid, is_ip6, tname = int(t.table_id), bool(t.is_ip6), str(t.name or "")
        if tid == 0:
            continue
        owned = tname.startswith(TAG_PREFIX)
        vrf = vrf_by_table.get(tid) or (tname[len(TAG_PREFIX) :] if owned else None)
        if vrf is None:
            out.unmanaged.append({"kind": "ip-table", "table_id": tid, "is_ip6": is_ip6, "name": tname})
            continue
        key = keys.table(vrf, is_ip6)
        out.items[key] = Item(key, VrfTableValue(tid, is_ip6, tname))
