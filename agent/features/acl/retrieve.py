"""Read the ACL plugin's state back (reconcile): ACLs and MAC/IP ACLs by the agent's tag, the
interfaces' ACL lists, and whether the per-rule counters are on.

An ACL is the agent's when its tag is one the agent sets (``bng-agent:<name>``); its VPP index goes into
the name map's handles so that repairs refer to it. An ACL changed behind the agent's back compares
unequal to the configured one and is replaced in place; one the agent made that is no longer
configured is deleted; anyone else's ACL is reported as unmanaged and left alone.
"""

from __future__ import annotations

import re
from typing import Any

from agent.features.acl import keys
from agent.features.acl.compile import tag_for
from agent.features.acl.values import (
    AclRule,
    AclValue,
    AttachmentValue,
    MacipAttachmentValue,
    MacipRule,
    MacipValue,
    StatsValue,
)
from agent.features.base import RetrieveContext
from agent.features.interfaces import keys as if_keys
from agent.vpp.items import TAG_PREFIX, Item, Value

ALL = 0xFFFFFFFF
#: acl.c acl_show_aclplugin_tables_fn prints this first
STATS_LINE = re.compile(r"Stats counters enabled for interface ACLs:\s*(\d+)")
STATS_CLI = "show acl-plugin tables mask"


def _net(p: Any) -> str:
    return str(p)


def acl_rule(r: Any) -> AclRule:
    return AclRule(
        int(r.is_permit),
        _net(r.src_prefix),
        _net(r.dst_prefix),
        int(r.proto),
        (int(r.srcport_or_icmptype_first), int(r.srcport_or_icmptype_last)),
        (int(r.dstport_or_icmpcode_first), int(r.dstport_or_icmpcode_last)),
        int(r.tcp_flags_mask),
        int(r.tcp_flags_value),
    )


def macip_rule(r: Any) -> MacipRule:
    return MacipRule(
        int(r.is_permit), str(r.src_mac).lower(), str(r.src_mac_mask).lower(), _net(r.src_prefix)
    )


def _name(tag: str, by_tag: dict[str, str]) -> str | None:
    if tag in by_tag:
        return by_tag[tag]
    return tag[len(TAG_PREFIX) :] if tag.startswith(TAG_PREFIX) else None


async def counters_enabled(ctx: RetrieveContext) -> bool:
    reply = await ctx.conn.call("cli_inband", cmd=STATS_CLI)
    m = STATS_LINE.search(str(reply.reply))
    return m is not None and m.group(1) != "0"


async def retrieve(ctx: RetrieveContext) -> None:
    out = ctx.out
    by_tag = {tag_for(n): n for n in ctx.config.names(keys.ACL)}
    key_of: dict[int, str] = {}
    macip_key_of: dict[int, str] = {}
    acls = await ctx.conn.dump("acl_dump", acl_index=ALL)
    enabled = await counters_enabled(ctx) if acls else False
    for d in acls:
        index, tag = int(d.acl_index), str(d.tag)
        name = _name(tag, by_tag)
        if name is None:
            out.unmanaged.append({"kind": "acl", "acl_index": index, "tag": tag, "rules": int(d.count)})
            key_of[index] = keys.foreign(index)
            continue
        key = keys.acl(name)
        key_of[index] = key
        out.names.handles[key] = index
        out.items[key] = Item(key, AclValue(tag, tuple(acl_rule(r) for r in d.r)))
        if enabled:
            skey = keys.stats(name)
            out.items[skey] = Item(skey, StatsValue(), deps=(key,))
    for d in await ctx.conn.dump("macip_acl_dump", acl_index=ALL):
        index, tag = int(d.acl_index), str(d.tag)
        name = _name(tag, by_tag)
        if name is None:
            out.unmanaged.append({"kind": "macip-acl", "acl_index": index, "tag": tag, "rules": int(d.count)})
            macip_key_of[index] = keys.foreign(index)
            continue
        key = keys.macip(name)
        macip_key_of[index] = key
        out.names.handles[key] = index
        out.items[key] = Item(key, MacipValue(tag, tuple(macip_rule(r) for r in d.r)))
    for d in await ctx.conn.dump("acl_interface_list_dump", sw_if_index=ALL):
        count = int(d.count)
        if count == 0:
            continue
        ifname = ctx.agent_name.get(int(d.sw_if_index))
        indices = [int(x) for x in d.acls[:count]]
        if ifname is None or ifname not in out.managed_interfaces:
            out.unmanaged.append(
                {"kind": "acl-attachment", "sw_if_index": int(d.sw_if_index), "acls": indices}
            )
            continue
        n_in = int(d.n_input)
        ins = tuple(key_of.get(i, keys.foreign(i)) for i in indices[:n_in])
        outs = tuple(key_of.get(i, keys.foreign(i)) for i in indices[n_in:])
        key = keys.attachment(ifname)
        deps = (if_keys.interface(ifname), *dict.fromkeys(ins + outs))
        out.items[key] = Item(key, AttachmentValue(ifname, ins, outs), deps=deps, owner=ifname)
    for d in await ctx.conn.dump("macip_acl_interface_list_dump", sw_if_index=ALL):
        if int(d.count) == 0 or int(d.acls[0]) == ALL:
            continue
        ifname = ctx.agent_name.get(int(d.sw_if_index))
        index = int(d.acls[0])
        if ifname is None or ifname not in out.managed_interfaces:
            out.unmanaged.append(
                {"kind": "macip-attachment", "sw_if_index": int(d.sw_if_index), "acl": index}
            )
            continue
        mkey = macip_key_of.get(index, keys.foreign(index))
        key = keys.macip_attachment(ifname)
        value: Value = MacipAttachmentValue(ifname, mkey)
        out.items[key] = Item(key, value, deps=(if_keys.interface(ifname), mkey), owner=ifname)
