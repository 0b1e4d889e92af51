"""Read the ff02::1:2 mroutes back (``ip_mroute_dump`` of table 0 and of every IPv6 VRF table found):
an entry counts when it still has a path to the local stack (VPP keeps an emptied entry)."""

from __future__ import annotations

import ipaddress

from agent.features.base import RetrieveContext
from agent.features.dhcp6.descriptors import FIB_API_PATH_TYPE_LOCAL
from agent.features.dhcp6.items import GLOBAL, mroute_key
from agent.features.dhcp6.values import ALL_DHCP, DhcpMrouteValue
from agent.features.vrfs import keys as vrf_keys
from agent.features.vrfs.values import VrfTableValue
from agent.vpp.items import Item

GROUP = ipaddress.IPv6Address(ALL_DHCP)


async def retrieve(ctx: RetrieveContext) -> None:
    scopes = {0: GLOBAL}
    for key, item in ctx.out.items.items():
        v = item.value
        if isinstance(v, VrfTableValue) and v.is_ip6:
            scopes[v.table_id] = vrf_keys.parse_table(key)[0]
    for table_id, scope in sorted(scopes.items()):
        details = await ctx.conn.dump("ip_mroute_dump", table={"table_id": table_id, "is_ip6": True})
        for d in details:
            r = d.route
            p = r.prefix
            if (
                int(p.af) != 1
                or int(p.grp_address_length) != 128
                or ipaddress.IPv6Address(p.grp_address.ip6) != GROUP
            ):
                continue
            if any(int(x.path.type) == FIB_API_PATH_TYPE_LOCAL for x in r.paths):
                deps = (vrf_keys.table(scope, True),) if scope != GLOBAL else ()
                key = mroute_key(scope)
                ctx.out.items[key] = Item(key, DhcpMrouteValue(table_id), deps)
