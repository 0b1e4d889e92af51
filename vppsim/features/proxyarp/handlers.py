"""``arp.api`` proxy-ARP messages (src/vnet/arp/arp_api.c over arp_proxy.c) and ``ip_neighbor.api``'s
neighbour-table configuration (src/vnet/ip-neighbor/ip_neighbor_api.c over ip_neighbor.c).

vppsim forwards no packets, so it answers no ARP itself and learns no neighbours: ``ip_neighbor_dump``
is always empty (a real VPP's neighbours come from traffic; the real-VPP lane covers that).
"""

from __future__ import annotations

import time
from typing import Any

from vppsim import errno
from vppsim.features.proxyarp.state import NeighborConfig, of
from vppsim.handlers.registry import REGISTRY, Call, Reply

ADDRESS_IP4, ADDRESS_IP6 = 0, 1
INVALID_ADDRESS_FAMILY = -97  # VNET_API_ERROR_INVALID_ADDRESS_FAMILY (src/vnet/error.h)


@REGISTRY.handler("proxy_arp_add_del")
def proxy_arp_add_del(call: Call, msg: Any) -> Reply:
    # arp_api.c: fib_table_find (IPv4, table_id) or NO_SUCH_FIB; arp_proxy.c vnet_proxy_arp_add_del:
    # adding a range already there is a no-op returning 0, deleting one not there NO_SUCH_ENTRY
    p = msg.proxy
    table_id = int(p.table_id)
    if call.emu.fib.get(False, table_id) is None:
        return {"retval": errno.NO_SUCH_FIB}
    entry = (str(p.low), str(p.hi), table_id)
    ranges = of(call.emu).ranges
    if entry in ranges:
        if not msg.is_add:
            ranges.remove(entry)
        return {"retval": errno.OK}
    if not msg.is_add:
        return {"retval": errno.NO_SUCH_ENTRY}
    ranges.append(entry)
    return {"retval": errno.OK}


@REGISTRY.handler("proxy_arp_dump")
def proxy_arp_dump(call: Call, msg: Any) -> Reply:
    # arp_api.c send_proxy_arp_details: the table id of each range's FIB, in the order added
    return [{"proxy": {"table_id": t, "low": lo, "hi": hi}} for lo, hi, t in of(call.emu).ranges]


@REGISTRY.handler("proxy_arp_intfc_enable_disable")
def proxy_arp_intfc_enable_disable(call: Call, msg: Any) -> Reply:
    # arp_api.c: VALIDATE_SW_IF_INDEX, then arp_proxy_enable / arp_proxy_disable (always 0)
    idx = int(msg.sw_if_index)
    if call.emu.interfaces.get(idx) is None:
        return {"retval": errno.INVALID_SW_IF_INDEX}
    of(call.emu).enabled[idx] = bool(msg.enable)
    return {"retval": errno.OK}


@REGISTRY.handler("proxy_arp_intfc_dump")
def proxy_arp_intfc_dump(call: Call, msg: Any) -> Reply:
    # arp_proxy.c proxy_arp_intfc_walk: every index whose flag is set, ascending -- including interfaces
    # deleted since (the flag outlives them)
    enabled = of(call.emu).enabled
    return [{"sw_if_index": idx} for idx in sorted(enabled) if enabled[idx]]


@REGISTRY.handler("ip_neighbor_config")
def ip_neighbor_config(call: Call, msg: Any) -> Reply:
    # ip_neighbor_api.c: ip_address_family_decode, then ip_neighbor_config (always 0)
    af = int(msg.af)
    if af not in (ADDRESS_IP4, ADDRESS_IP6):
        return {"retval": INVALID_ADDRESS_FAMILY}
    of(call.emu).neighbors[af] = NeighborConfig(int(msg.max_number), int(msg.max_age), bool(msg.recycle))
    return {"retval": errno.OK}


@REGISTRY.handler("ip_neighbor_config_get")
def ip_neighbor_config_get(call: Call, msg: Any) -> Reply:
    af = int(msg.af)
    if af not in (ADDRESS_IP4, ADDRESS_IP6):
        # ip_neighbor_api.c: the reply still carries af IPv4, max_number and max_age ~0
        return {
            "retval": INVALID_ADDRESS_FAMILY,
            "af": ADDRESS_IP4,
            "max_number": 0xFFFFFFFF,
            "max_age": 0xFFFFFFFF,
            "recycle": False,
        }
    c = of(call.emu).neighbors[af]
    return {"retval": errno.OK, "af": af, "max_number": c.limit, "max_age": c.age, "recycle": c.recycle}


@REGISTRY.handler("ip_neighbor_dump")
def ip_neighbor_dump(call: Call, msg: Any) -> Reply:
    # ip_neighbor_api.c: an unknown family answers nothing; vppsim learns no neighbours itself, it walks
    # those added with ip_neighbor_add_del (vppsim/features/ndguard)
    af = int(msg.af)
    if af not in (0, 1):
        return []
    only = None if msg.sw_if_index == 0xFFFFFFFF else int(msg.sw_if_index)
    now = time.monotonic()
    return [
        {
            "age": now - n.updated,
            "neighbor": {
                "sw_if_index": n.sw_if_index,
                "flags": n.flags,
                "mac_address": n.mac,
                "ip_address": n.ip,
            },
        }
        for n in call.emu.neighbors.walk(only, af == 1)
    ]
