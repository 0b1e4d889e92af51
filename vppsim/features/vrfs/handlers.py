"""``ip.api`` table messages (``src/vnet/ip/ip_api.c``): VRF tables are FIB tables (state in
:mod:`vppsim.features.routes.state`)."""

from __future__ import annotations

from typing import Any

from vppsim import errno
from vppsim.handlers.registry import REGISTRY, Call, Reply


@REGISTRY.handler("ip_table_add_del")
def ip_table_add_del(call: Call, msg: Any) -> Reply:
    # ip_api.c: ip_table_create / ip_table_delete; both always reply 0 (re-adding an existing table and
    # deleting a missing one, or table 0, are no-ops).
    t = msg.table
    is_ip6, table_id = bool(t.is_ip6), int(t.table_id)
    if msg.is_add:
        call.emu.fib.create(is_ip6, table_id, t.name)
    else:
        call.emu.delete_table(is_ip6, table_id)
    return {"retval": errno.OK}


@REGISTRY.handler("ip_table_dump")
def ip_table_dump(call: Call, msg: Any) -> Reply:
    # ip_api.c vl_api_ip_table_dump_t_handler: every IPv4 table, then every IPv6 table.
    return [
        {"table": {"table_id": t.table_id, "is_ip6": t.is_ip6, "name": t.name}} for t in call.emu.fib.all()
    ]
