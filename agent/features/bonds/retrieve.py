"""Read bonds and their members back from VPP (``sw_bond_interface_dump``, ``sw_member_interface_dump``).

Runs after the interfaces feature, which mapped every interface and made a bond's interface item as if
it were a port: here the bond's item is replaced by a ``bond`` item with its mode, hash and MAC.
"""

from __future__ import annotations

from typing import Any

from agent.features.base import RetrieveContext
from agent.features.bonds import keys
from agent.features.bonds.values import BondMemberValue, BondValue
from agent.features.interfaces import keys as if_keys
from agent.vpp.items import Item

ALL = 0xFFFFFFFF


async def retrieve(ctx: RetrieveContext) -> None:
    conn, out, agent_name = ctx.conn, ctx.out, ctx.agent_name
    bonds: dict[int, Any] = {
        int(b.sw_if_index): b for b in await conn.dump("sw_bond_interface_dump", sw_if_index=ALL)
    }
    for d in ctx.managed_details:
        idx = int(d.sw_if_index)
        b = bonds.get(idx)
        if b is None or int(d.type) == 1 or idx != int(d.sup_sw_if_index):
            continue
        ikey = if_keys.interface(agent_name[idx])
        value = BondValue(int(b.id), int(b.mode), int(b.lb), bool(b.numa_only), str(d.l2_address).lower())
        out.items[ikey] = Item(ikey, value)
    member_futs = [
        (bond_idx, conn.send("sw_member_interface_dump", sw_if_index=bond_idx))
        for bond_idx in bonds
        if agent_name.get(bond_idx) in out.managed_interfaces
    ]
    for bond_idx, fut in member_futs:
        _, members = await fut
        for m in members:
            port = out.names.name_of(int(m.sw_if_index))
            if port is None or port not in out.managed_interfaces:
                continue
            membership = BondMemberValue(agent_name[bond_idx], bool(m.is_passive), bool(m.is_long_timeout))
            deps = (if_keys.interface(port), if_keys.interface(agent_name[bond_idx]))
            out.items[keys.member(port)] = Item(keys.member(port), membership, deps, port)
