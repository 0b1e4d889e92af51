"""Read interfaces and their properties back from VPP, correlating by tag and by name.

An interface belongs to the agent when its tag is ``bng-agent:<name>`` (the configured name, which is how
a loopback VPP calls ``loop3`` is found again); an untagged interface whose VPP name is a configured
name (a physical port, or an object someone created with the name the config asks for) is managed but
not owned. Everything else is foreign: reported as unmanaged and never touched. Dumps are pipelined:
one request per interface and family goes out before the first reply is awaited.

This runs first in a reconcile: it builds the name map the other features' retrieval resolves
``sw_if_index`` values with.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from agent.features.base import RetrieveContext
from agent.features.interfaces import keys
from agent.features.interfaces.values import (
    AddressValue,
    AdminUpValue,
    EthernetValue,
    LoopbackValue,
    MtuValue,
    SubifValue,
    TableBindingValue,
    TagValue,
    UnnumberedValue,
)
from agent.features.jsonietf import member
from agent.vpp.items import TAG_PREFIX, Item, Value

ALL = 0xFFFFFFFF
# "GigabitEthernet0/8/0.7 (up): " -- VPP prints a space before the newline of unnumbered interfaces
_CLI_IF_HEADER = re.compile(r"^(\S+) \((?:up|dn)\):\s*$")


async def retrieve(ctx: RetrieveContext) -> None:
    conn, out = ctx.conn, ctx.out
    names = out.names
    orphan_names = {idx: name for name, idx in ctx.orphans.items()}
    configured = ctx.config.entries(keys.IF)
    details = await conn.dump("sw_interface_dump", sw_if_index=ALL, name_filter_valid=False, name_filter="")
    agent_name = ctx.agent_name
    # tagged interfaces first: when a tagged one and an untagged one claim the same name, the tag wins
    for d in sorted(details, key=lambda d: not str(d.tag or "").startswith(TAG_PREFIX)):
        if d.sw_if_index == 0:
            continue
        tag = str(d.tag or "")
        vpp_name = str(d.interface_name)
        if tag.startswith(TAG_PREFIX):
            name = tag[len(TAG_PREFIX) :]
            out.owned_interfaces.add(name)
            out.managed_interfaces.add(name)
        elif int(d.sw_if_index) in orphan_names:
            name = orphan_names[int(d.sw_if_index)]
            out.owned_interfaces.add(name)
            out.managed_interfaces.add(name)
        elif vpp_name in configured and vpp_name not in names:
            name = vpp_name
            out.managed_interfaces.add(name)
        else:
            name = vpp_name
            out.unmanaged.append({"kind": "interface", "name": vpp_name, "sw_if_index": int(d.sw_if_index)})
        if name in names:  # a second object claims a name already taken: leave it out of the map
            if not any(u.get("sw_if_index") == int(d.sw_if_index) for u in out.unmanaged):
                out.unmanaged.append(
                    {"kind": "interface", "name": vpp_name, "sw_if_index": int(d.sw_if_index)}
                )
            continue
        agent_name[int(d.sw_if_index)] = name
        names.bind(name, int(d.sw_if_index))
    out.index_of = names.as_dict()
    ctx.interface_details = list(details)
    managed = [d for d in details if agent_name.get(int(d.sw_if_index)) in out.managed_interfaces]
    ctx.managed_details = managed
    for d in managed:
        _interface_items(d, agent_name, out.items)
    addr_futs = []
    table_futs = []
    for d in managed:
        name = agent_name[int(d.sw_if_index)]
        for is_ip6 in (False, True):
            addr_futs.append((name, conn.send("ip_address_dump", sw_if_index=d.sw_if_index, is_ipv6=is_ip6)))
            table_futs.append(
                (name, is_ip6, conn.send("sw_interface_get_table", sw_if_index=d.sw_if_index, is_ipv6=is_ip6))
            )
    for name, fut in addr_futs:
        _, addrs = await fut
        for a in addrs:
            prefix = str(ipaddress.ip_interface(str(a.prefix)))
            key = keys.address(name, prefix)
            out.items[key] = Item(key, AddressValue(name, prefix), (keys.interface(name),), name)
    for name, is_ip6, fut in table_futs:
        reply = await fut
        if reply.retval == 0 and reply.vrf_id != 0:
            key = keys.binding(name, is_ip6)
            binding = TableBindingValue(name, int(reply.vrf_id), is_ip6)
            out.items[key] = Item(key, binding, (keys.interface(name),), name)
    if any(member(member(e, "ipv4"), "unnumbered") is not None for e in configured.values()):
        vpp_to_agent = {str(d.interface_name): agent_name[int(d.sw_if_index)] for d in managed}
        vpp_to_agent.update(
            {str(d.interface_name): n for d in details if (n := agent_name.get(int(d.sw_if_index)))}
        )
        await _unnumbered(ctx, vpp_to_agent)


async def _unnumbered(ctx: RetrieveContext, vpp_to_agent: dict[str, str]) -> None:
    """Unnumbered settings, from ``show interface address`` (src/vnet/interface_cli.c prints
    "<name> (up):" then "  unnumbered, use <lender>"): the message set the agent is pinned to has no
    dump for them, and the CLI text has been stable for many releases."""
    out = ctx.out
    reply = await ctx.conn.call("cli_inband", cmd="show interface address")
    current: str | None = None
    for line in str(reply.reply).splitlines():
        header = _CLI_IF_HEADER.match(line)
        if header is not None:
            current = vpp_to_agent.get(header.group(1))
            continue
        text = line.strip()
        if current is not None and current in out.managed_interfaces and text.startswith("unnumbered, use "):
            lender = vpp_to_agent.get(text[len("unnumbered, use ") :].strip())
            if lender is None:
                continue
            key = keys.unnumbered(current)
            deps = (keys.interface(current), keys.interface(lender))
            out.items[key] = Item(key, UnnumberedValue(lender), deps, current)


def _interface_items(d: Any, agent_name: dict[int, str], items: dict[str, Item[Value]]) -> None:
    """The interface item and the properties every interface has. A bond looks like a port here; the
    bonds feature, which runs later, replaces its interface item."""
    idx = int(d.sw_if_index)
    name = agent_name[idx]
    ikey = keys.interface(name)
    dev = str(d.interface_dev_type)
    if int(d.type) == 1 or idx != int(d.sup_sw_if_index):
        parent = agent_name.get(int(d.sup_sw_if_index), f"#{d.sup_sw_if_index}")
        sub = SubifValue(
            parent, int(d.sub_id), int(d.sub_if_flags), int(d.sub_outer_vlan_id), int(d.sub_inner_vlan_id)
        )
        items[ikey] = Item(ikey, sub, (keys.interface(parent),))
    elif dev.lower() == "loopback":
        items[ikey] = Item(ikey, LoopbackValue(str(d.l2_address).lower()))
    else:
        items[ikey] = Item(ikey, EthernetValue())
    tag = str(d.tag or "")
    if tag:
        items[keys.tag(name)] = Item(keys.tag(name), TagValue(tag), (ikey,), name)
    if int(d.flags) & 1:
        items[keys.admin_up(name)] = Item(keys.admin_up(name), AdminUpValue(), (ikey,), name)
    items[keys.mtu(name)] = Item(keys.mtu(name), MtuValue(int(d.mtu[0])), (ikey,), name)
