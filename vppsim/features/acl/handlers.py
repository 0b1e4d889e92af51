"""``acl.api`` messages as VPP 26.06 answers them (``src/plugins/acl/acl.c``); state in
:mod:`vppsim.features.acl.state`."""

from __future__ import annotations

import ipaddress
from typing import Any

from vppsim import errno
from vppsim.codec import to_plain
from vppsim.emulator import Emulator
from vppsim.features.acl.state import NONE, AclList, AclPlugin
from vppsim.handlers.registry import REGISTRY, Call, Reply

INVALID_VALUE_2 = -8
INVALID_SRC_ADDRESS = -57
INVALID_DST_ADDRESS = -58
ACL_IN_USE_INBOUND = -142
ACL_IN_USE_OUTBOUND = -143
TAG_SIZE = 64


def counter_name(index: int) -> str:
    return f"/acl/{index}/matches"


def _plugin(call: Call) -> AclPlugin:
    return call.emu.acl


def _valid_prefix(p: Any) -> bool:
    return isinstance(p, (ipaddress.IPv4Network, ipaddress.IPv6Network))


def _check_rules(rules: list[dict[str, Any]]) -> int:
    # acl.c acl_add_list: prefixes valid and of one family, port ranges not reversed
    for r in rules:
        if not _valid_prefix(r["src_prefix"]):
            return INVALID_SRC_ADDRESS
        if not _valid_prefix(r["dst_prefix"]):
            return INVALID_DST_ADDRESS
        if r["src_prefix"].version != r["dst_prefix"].version:
            return INVALID_SRC_ADDRESS
        if int(r["srcport_or_icmptype_first"]) > int(r["srcport_or_icmptype_last"]):
            return INVALID_VALUE_2
        if int(r["dstport_or_icmpcode_first"]) > int(r["dstport_or_icmpcode_last"]):
            return INVALID_VALUE_2
    return errno.OK


def reset_counters(emu: Emulator, index: int, n_rules: int) -> None:
    """acl.c validate_and_reset_acl_counters: one element per rule plus one, all zero."""
    if emu.stats is None:
        return
    name = counter_name(index)
    emu.stats.validate_combined(name, n_rules + 1)
    emu.stats.clear_combined(name)


@REGISTRY.handler("acl_add_replace")
def acl_add_replace(call: Call, msg: Any) -> Reply:
    am = _plugin(call)
    index = int(msg.acl_index)
    tag = str(msg.tag)
    if len(tag.encode()) >= TAG_SIZE:
        return {"retval": errno.INVALID_VALUE, "acl_index": index}
    rules = [to_plain(r) for r in msg.r]
    rv = _check_rules(rules)
    if rv != errno.OK:
        return {"retval": rv, "acl_index": index}
    if index != NONE:
        if index not in am.acls.items:
            return {"retval": errno.NO_SUCH_ENTRY, "acl_index": index}
    else:
        index = am.acls.get()
    am.acls.items[index] = AclList(tag, rules)
    reset_counters(call.emu, index, len(rules))
    return {"retval": errno.OK, "acl_index": index}


@REGISTRY.handler("acl_del")
def acl_del(call: Call, msg: Any) -> Reply:
    # acl.c acl_del_list: refused while the ACL is on an interface (input checked first)
    am = _plugin(call)
    index = int(msg.acl_index)
    if index not in am.acls.items:
        return {"retval": errno.NO_SUCH_ENTRY}
    used_in, used_out = am.used_by(index)
    if used_in:
        return {"retval": ACL_IN_USE_INBOUND}
    if used_out:
        return {"retval": ACL_IN_USE_OUTBOUND}
    am.acls.put(index)
    return {"retval": errno.OK}


@REGISTRY.handler("acl_interface_set_acl_list")
def acl_interface_set_acl_list(call: Call, msg: Any) -> Reply:
    # acl.c vl_api_acl_interface_set_acl_list_t_handler: the interface and every ACL must exist; then the
    # output list is set, and only if that worked the input list: "rv = rv || set(input)", so an ACL
    # twice in one list (ENTRY_ALREADY_EXISTS inside acl_interface_set_inout_acl_list) answers 1, and a
    # bad input list leaves the new output list in place
    am = _plugin(call)
    idx = int(msg.sw_if_index)
    if call.emu.interfaces.get(idx) is None:
        return {"retval": errno.INVALID_SW_IF_INDEX}
    acls = [int(a) for a in msg.acls[: int(msg.count)]]
    if any(a not in am.acls.items for a in acls):
        return {"retval": errno.NO_SUCH_ENTRY}
    n_in = int(msg.n_input)
    ins, outs = acls[:n_in], acls[n_in:]
    for part, table in ((outs, am.outputs), (ins, am.inputs)):
        if len(set(part)) != len(part):
            return {"retval": 1}
        if table.get(idx, []) != part:
            am.clear_sessions(idx)  # may_clear_sessions: a changed policy drops the interface's sessions
        table[idx] = part
    return {"retval": errno.OK}


@REGISTRY.handler("acl_dump")
def acl_dump(call: Call, msg: Any) -> Reply:
    # acl.c vl_api_acl_dump_t_handler: every ACL in index order, or the one asked for (none if free)
    am = _plugin(call)
    index = int(msg.acl_index)
    wanted = sorted(am.acls.items) if index == NONE else [index] if index in am.acls.items else []
    return [
        {
            "acl_index": i,
            "tag": am.acls.items[i].tag,
            "count": len(am.acls.items[i].rules),
            "r": am.acls.items[i].rules,
        }
        for i in wanted
    ]


@REGISTRY.handler("acl_interface_list_dump")
def acl_interface_list_dump(call: Call, msg: Any) -> Reply:
    # acl.c vl_api_acl_interface_list_dump_t_handler: every interface (count 0 included), or one
    am = _plugin(call)
    idx = int(msg.sw_if_index)
    indices = [i.sw_if_index for i in call.emu.interfaces.all()] if idx == NONE else [idx]
    out = []
    for i in sorted(indices):
        if call.emu.interfaces.get(i) is None:
            continue
        ins, outs = am.inputs.get(i, []), am.outputs.get(i, [])
        out.append({"sw_if_index": i, "count": len(ins) + len(outs), "n_input": len(ins), "acls": ins + outs})
    return out


@REGISTRY.handler("macip_acl_add_replace")
def macip_acl_add_replace(call: Call, msg: Any) -> Reply:
    # acl.c macip_acl_add_list: tag length, replace needs an existing index; a replaced ACL stays applied
    am = _plugin(call)
    index = int(msg.acl_index)
    tag = str(msg.tag)
    if len(tag.encode()) >= TAG_SIZE:
        return {"retval": errno.INVALID_VALUE, "acl_index": index}
    if index != NONE:
        if index not in am.macips.items:
            return {"retval": errno.NO_SUCH_ENTRY, "acl_index": index}
    else:
        index = am.macips.get()
    am.macips.items[index] = AclList(tag, [to_plain(r) for r in msg.r])
    return {"retval": errno.OK, "acl_index": index}


@REGISTRY.handler("macip_acl_del")
def macip_acl_del(call: Call, msg: Any) -> Reply:
    # acl.c macip_acl_del_list: unapplies it from every interface first, then deletes
    am = _plugin(call)
    index = int(msg.acl_index)
    if index not in am.macips.items:
        return {"retval": errno.NO_SUCH_ENTRY}
    for i, a in am.macip_by_if.items():
        if a == index:
            am.macip_by_if[i] = NONE
    am.macips.put(index)
    return {"retval": errno.OK}


@REGISTRY.handler("macip_acl_interface_add_del")
def macip_acl_interface_add_del(call: Call, msg: Any) -> Reply:
    # acl.c macip_acl_interface_add_del_acl: add needs the ACL and replaces the interface's one; delete
    # removes whatever is applied (acl_index ignored) and fails when nothing is
    am = _plugin(call)
    idx = int(msg.sw_if_index)
    if call.emu.interfaces.get(idx) is None:
        return {"retval": errno.INVALID_SW_IF_INDEX}
    if msg.is_add:
        index = int(msg.acl_index)
        if index not in am.macips.items:
            return {"retval": errno.NO_SUCH_ENTRY}
        am.macip_vec_len = max(am.macip_vec_len, idx + 1)
        am.macip_by_if[idx] = index
        return {"retval": errno.OK}
    if idx >= am.macip_vec_len or am.macip_by_if.get(idx, NONE) == NONE:
        return {"retval": errno.NO_SUCH_ENTRY}
    am.macip_by_if[idx] = NONE
    return {"retval": errno.OK}


@REGISTRY.handler("macip_acl_dump")
def macip_acl_dump(call: Call, msg: Any) -> Reply:
    am = _plugin(call)
    index = int(msg.acl_index)
    wanted = sorted(am.macips.items) if index == NONE else [index] if index in am.macips.items else []
    return [
        {
            "acl_index": i,
            "tag": am.macips.items[i].tag,
            "count": len(am.macips.items[i].rules),
            "r": am.macips.items[i].rules,
        }
        for i in wanted
    ]


@REGISTRY.handler("macip_acl_interface_list_dump")
def macip_acl_interface_list_dump(call: Call, msg: Any) -> Reply:
    # acl.c vl_api_macip_acl_interface_list_dump_t_handler: for ~0 the interfaces with one applied; for
    # one index below the vector's length a details message even when none is (acls[0] = ~0)
    am = _plugin(call)
    idx = int(msg.sw_if_index)
    if idx == NONE:
        return [
            {"sw_if_index": i, "count": 1, "acls": [a]}
            for i, a in sorted(am.macip_by_if.items())
            if a != NONE
        ]
    if idx < am.macip_vec_len:
        return [{"sw_if_index": idx, "count": 1, "acls": [am.macip_by_if.get(idx, NONE)]}]
    return []


@REGISTRY.handler("acl_stats_intf_counters_enable")
def acl_stats_intf_counters_enable(call: Call, msg: Any) -> Reply:
    # acl.c acl_stats_intf_counters_enable_disable: sets the flag, always 0
    _plugin(call).counters_enabled = bool(msg.enable)
    return {"retval": errno.OK}
