"""``ip_neighbor_add_del`` (``src/vnet/ip-neighbor/ip_neighbor_api.c`` over ``ip_neighbor.c``
``ip_neighbor_add`` / ``ip_neighbor_del``)."""

from __future__ import annotations

import ipaddress
from typing import Any

from vppsim import errno
from vppsim.handlers.registry import REGISTRY, Call, Reply

ALL = 0xFFFFFFFF


@REGISTRY.handler("ip_neighbor_add_del")
def ip_neighbor_add_del(call: Call, msg: Any) -> Reply:
    # VALIDATE_SW_IF_INDEX (-2); a delete of an unknown neighbour is NO_SUCH_ENTRY (-6); the stats index
    # is only reported for an add
    emu = call.emu
    n = msg.neighbor
    if n.sw_if_index not in emu.interfaces:
        return {"retval": errno.INVALID_SW_IF_INDEX, "stats_index": ALL}
    ip = ipaddress.ip_address(n.ip_address)
    if msg.is_add:
        idx = emu.neighbors.add(int(n.sw_if_index), ip, str(n.mac_address), int(n.flags))
        return {"retval": errno.OK, "stats_index": idx}
    if not emu.neighbors.delete(int(n.sw_if_index), ip):
        return {"retval": errno.NO_SUCH_ENTRY, "stats_index": ALL}
    return {"retval": errno.OK, "stats_index": ALL}
