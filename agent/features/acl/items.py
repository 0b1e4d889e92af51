"""``ietf-access-control-list`` entries -> items: one ACL item per ``acls/acl`` (a VPP ACL or, for an
Ethernet ACL type, a MAC/IP ACL), and per ``attachment-points/interface`` entry the interface's ACL lists.

An attachment names ACLs by item key; the executor swaps in each ACL's current VPP index when it sends
the call. So a change to an ACL's rules is one ``acl_add_replace`` with the same index and touches no
attachment, and an attachment depends on the ACLs it lists (created before it, deleted after it).
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.errors import ValidationError
from agent.features.acl import keys
from agent.features.acl.compile import ACLS_PATH, compile_acl, is_macip
from agent.features.acl.values import AttachmentValue, MacipAttachmentValue, MacipValue, StatsValue
from agent.features.base import Lookup
from agent.features.interfaces import keys as if_keys
from agent.features.jsonietf import member
from agent.vpp.config import Entry, RootId
from agent.vpp.items import Item, Origin, Value

#: acl_interface_set_acl_list's ``count`` is a u8
MAX_PER_INTERFACE = 255


def acl_key(name: str, entry: Entry | None) -> str:
    """The item key of ACL ``name``: ``macip-acl/<name>`` for an Ethernet ACL type, else ``acl/<name>``."""
    return keys.macip(name) if entry is not None and is_macip(entry) else keys.acl(name)


def acl_items(name: str, entry: Entry) -> list[Item[Value]]:
    value = compile_acl(name, entry)
    key = keys.macip(name) if isinstance(value, MacipValue) else keys.acl(name)
    if isinstance(value, MacipValue):  # MAC/IP ACLs have no counters in VPP
        return [Item(key, value)]
    return [Item(key, value), Item(keys.stats(name), StatsValue(), deps=(key,))]


def acl_sets(entry: Entry | None, direction: str) -> list[str]:
    sets = member(member(member(entry, direction), "acl-sets"), "acl-set", []) or []
    return [str(s["name"]) for s in sets]


def attachment_items(
    interface: str,
    ingress: Sequence[str],
    egress: Sequence[str],
    config: Lookup,
    origin: Origin = "config",
) -> list[Item[Value]]:
    """The items attaching the named ACLs to ``interface`` (ingress and egress in order)."""
    where = f"{ACLS_PATH}/attachment-points/interface[interface-id='{interface}']"
    entries = {n: config.get(keys.root(n)) for n in {*ingress, *egress}}
    macip = [n for n in ingress if entries[n] is not None and is_macip(_entry(entries[n]))]
    out_macip = [n for n in egress if entries[n] is not None and is_macip(_entry(entries[n]))]
    if out_macip:
        raise ValidationError(
            f"ACL {out_macip[0]!r} is an Ethernet (MAC/IP) ACL: VPP checks those on input only",
            path=where + "/egress",
        )
    if len(macip) > 1:
        raise ValidationError(
            f"at most one Ethernet (MAC/IP) ACL per interface in VPP; {interface} has {', '.join(macip)}",
            path=where + "/ingress",
        )
    ins = [keys.acl(n) for n in ingress if n not in macip]
    outs = [keys.acl(n) for n in egress]
    if len(ins) + len(outs) > MAX_PER_INTERFACE:
        raise ValidationError(
            f"{interface}: {len(ins) + len(outs)} ACLs, VPP allows at most {MAX_PER_INTERFACE} per interface",
            path=where,
        )
    dev = if_keys.interface(interface)
    items: list[Item[Value]] = []
    if ins or outs:
        value = AttachmentValue(interface, tuple(ins), tuple(outs))
        deps = (dev, *dict.fromkeys(ins + outs))
        items.append(Item(keys.attachment(interface), value, deps=deps, owner=interface, origin=origin))
    if macip:
        mkey = keys.macip(macip[0])
        mvalue = MacipAttachmentValue(interface, mkey)
        items.append(
            Item(keys.macip_attachment(interface), mvalue, deps=(dev, mkey), owner=interface, origin=origin)
        )
    return items


def _entry(e: Entry | None) -> Entry:
    assert e is not None
    return e


def interface_attachment_items(interface: str, entry: Entry, config: Lookup) -> list[Item[Value]]:
    return attachment_items(interface, acl_sets(entry, "ingress"), acl_sets(entry, "egress"), config)


def attachment_references(entry: Entry) -> list[RootId]:
    """The ACL roots an attachment reads (an ACL's type decides whether it is a MAC/IP ACL)."""
    return [keys.root(n) for n in {*acl_sets(entry, "ingress"), *acl_sets(entry, "egress")}]
