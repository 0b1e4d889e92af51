"""Descriptors of the ACL feature: ACLs and MAC/IP ACLs (replaced in place), interface ACL lists, and
the per-rule counters switch.

An ACL's index is VPP's (``acl_add_replace`` with ``acl_index = ~0`` returns it); the create call binds
it to the item key and every later call refers to it with :class:`HandleRef`. A changed ACL is
``acl_add_replace`` with that index: VPP swaps the rules under every interface the ACL is applied to
(``acl.c`` ``acl_add_list``, then ``acl_plugin_lookup_context_notify_acl_change``), so nothing is
detached and re-attached.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from agent.features.acl.values import (
    AclRule,
    AclValue,
    AttachmentValue,
    MacipAttachmentValue,
    MacipRule,
    MacipValue,
    StatsValue,
)
from agent.vpp.descriptor import Descriptor, Ownership
from agent.vpp.items import TAG_PREFIX, HandleRef, IfRef, Item, VppCall

NEW = 0xFFFFFFFF  # acl_index ~0: make a new ACL


@lru_cache(maxsize=65536)
def _packed(text: str) -> tuple[int, bytes, int]:
    n = ipaddress.ip_network(text)
    return (1 if n.version == 6 else 0), n.network_address.packed, n.prefixlen


def wire_prefix(text: str) -> dict[str, Any]:
    """A ``vl_api_prefix_t`` as vpp-papi packs it without converting text (a tenth of a second per
    10,000 rules; the bytes on the wire are the same). Plans still print it as text (items._render)."""
    af, raw, plen = _packed(text)
    return {"address": {"af": af, "un": {"ip6" if af else "ip4": raw}}, "len": plen}


def rule_args(r: AclRule) -> dict[str, Any]:
    return {
        "is_permit": r.action,
        "src_prefix": wire_prefix(r.src),
        "dst_prefix": wire_prefix(r.dst),
        "proto": r.proto,
        "srcport_or_icmptype_first": r.sport[0],
        "srcport_or_icmptype_last": r.sport[1],
        "dstport_or_icmpcode_first": r.dport[0],
        "dstport_or_icmpcode_last": r.dport[1],
        "tcp_flags_mask": r.tcp_mask,
        "tcp_flags_value": r.tcp_value,
    }


def macip_rule_args(r: MacipRule) -> dict[str, Any]:
    return {"is_permit": r.action, "src_mac": r.mac, "src_mac_mask": r.mask, "src_prefix": wire_prefix(r.src)}


class AclDescriptor(Descriptor[AclValue]):
    kind = AclValue.kind
    delete_refused_while_used = True  # acl.c acl_del_list: ACL_IN_USE_INBOUND/OUTBOUND

    def _add(self, item: Item[AclValue], index: Any) -> VppCall:
        v = item.value
        # the rules as a tuple: the executor does not walk tuples for interface references (there are
        # none), which saves a pass over 10,000 rule dicts per call
        rules = tuple(rule_args(r) for r in v.rules)
        args = {"acl_index": index, "tag": v.tag, "count": len(v.rules), "r": rules}
        binds = (item.key, "acl_index") if index == NEW else None
        return VppCall("acl_add_replace", args, binds_handle=binds)

    def create(self, item: Item[AclValue]) -> VppCall:
        return self._add(item, NEW)

    def update(self, old: Item[AclValue], new: Item[AclValue]) -> VppCall:
        return self._add(new, HandleRef(new.key))

    def delete(self, item: Item[AclValue]) -> VppCall:
        return VppCall("acl_del", {"acl_index": HandleRef(item.key)}, unbinds_handle=item.key)

    def claims(self, item: Item[AclValue], ours: Ownership) -> bool:
        return item.value.tag.startswith(TAG_PREFIX)


class MacipDescriptor(Descriptor[MacipValue]):
    kind = MacipValue.kind

    def _add(self, item: Item[MacipValue], index: Any) -> VppCall:
        v = item.value
        args = {
            "acl_index": index,
            "tag": v.tag,
            "count": len(v.rules),
            "r": tuple(macip_rule_args(r) for r in v.rules),
        }
        binds = (item.key, "acl_index") if index == NEW else None
        return VppCall("macip_acl_add_replace", args, binds_handle=binds)

    def create(self, item: Item[MacipValue]) -> VppCall:
        return self._add(item, NEW)

    def update(self, old: Item[MacipValue], new: Item[MacipValue]) -> VppCall:
        return self._add(new, HandleRef(new.key))

    def delete(self, item: Item[MacipValue]) -> VppCall:
        return VppCall("macip_acl_del", {"acl_index": HandleRef(item.key)}, unbinds_handle=item.key)

    def claims(self, item: Item[MacipValue], ours: Ownership) -> bool:
        return item.value.tag.startswith(TAG_PREFIX)


class AttachmentDescriptor(Descriptor[AttachmentValue]):
    """``acl_interface_set_acl_list`` sets an interface's input and output lists in one call; an empty
    list detaches. VPP drops the lists of a deleted interface (``acl.c`` ``acl_sw_interface_add_del``)."""

    kind = AttachmentValue.kind
    implied_by_owner_delete = True

    def _set(self, v: AttachmentValue, ingress: tuple[str, ...], egress: tuple[str, ...]) -> VppCall:
        acls = [HandleRef(k) for k in (*ingress, *egress)]
        args = {"sw_if_index": IfRef(v.interface), "count": len(acls), "n_input": len(ingress), "acls": acls}
        return VppCall("acl_interface_set_acl_list", args)

    def create(self, item: Item[AttachmentValue]) -> VppCall:
        return self._set(item.value, item.value.ingress, item.value.egress)

    def update(self, old: Item[AttachmentValue], new: Item[AttachmentValue]) -> VppCall:
        return self.create(new)

    def delete(self, item: Item[AttachmentValue]) -> VppCall:
        return self._set(item.value, (), ())

    def claims(self, item: Item[AttachmentValue], ours: Ownership) -> bool:
        # lists holding one of the agent's ACLs are the agent's; others' lists are left alone
        mine = any(k.startswith(("acl/", "macip-acl/")) for k in (*item.value.ingress, *item.value.egress))
        return mine and item.owner in ours.managed


class MacipAttachmentDescriptor(Descriptor[MacipAttachmentValue]):
    """``macip_acl_interface_add_del``: adding replaces the interface's MAC/IP ACL (``acl.c``
    ``macip_acl_interface_add_acl`` unapplies the one there), so a change is one add."""

    kind = MacipAttachmentValue.kind
    implied_by_owner_delete = True

    def _call(self, v: MacipAttachmentValue, is_add: bool) -> VppCall:
        args = {"is_add": is_add, "sw_if_index": IfRef(v.interface), "acl_index": HandleRef(v.acl)}
        return VppCall("macip_acl_interface_add_del", args)

    def create(self, item: Item[MacipAttachmentValue]) -> VppCall:
        return self._call(item.value, True)

    def update(self, old: Item[MacipAttachmentValue], new: Item[MacipAttachmentValue]) -> VppCall:
        return self._call(new.value, True)

    def delete(self, item: Item[MacipAttachmentValue]) -> VppCall:
        return self._call(item.value, False)

    def claims(self, item: Item[MacipAttachmentValue], ours: Ownership) -> bool:
        return item.value.acl.startswith("macip-acl/") and item.owner in ours.managed


class StatsDescriptor(Descriptor[StatsValue]):
    """``acl_stats_intf_counters_enable``: one switch for the whole ACL plugin, so it is turned on with
    every ACL (VPP takes it again at no cost) and never turned off by the agent: other ACLs still count."""

    kind = StatsValue.kind

    def create(self, item: Item[StatsValue]) -> VppCall:
        return VppCall("acl_stats_intf_counters_enable", {"enable": True})

    def delete(self, item: Item[StatsValue]) -> None:
        return None

    def claims(self, item: Item[StatsValue], ours: Ownership) -> bool:
        return False


DESCRIPTORS: tuple[Descriptor[Any], ...] = (
    AclDescriptor(),
    MacipDescriptor(),
    AttachmentDescriptor(),
    MacipAttachmentDescriptor(),
    StatsDescriptor(),
)
