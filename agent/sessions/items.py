"""A session -> the VPP items that carry it (origin ``session``), built with the features' own item
builders so a session's objects compare with what reconcile reads back from VPP.

The VPP shape of an IPoE session (docs/subscribers.md, "In VPP"):

* **1:1 VLAN** (access interface ``vlan-model per-subscriber``): a sub-interface per session,
  ``<access>.<sub-id>`` (sub-id = VLAN, or outer * 10000 + inner for QinQ, as bng-interfaces names
  sub-interfaces), exact-match on the subscriber's tags, tagged ``bng-agent:<name>`` like every object
  the agent creates, admin-up, bound to the session's VRF, unnumbered to the template's
  ``unnumbered-interface`` (the gateway loopback); then a host route to each address through it.
* **Shared VLAN** (``shared``): the access interface is configuration (its VRF binding and unnumbered
  come from there); the session adds a host route per address to the subscriber through it.
* IPv4 ``/32`` and IPv6 ``/128``: ``route/<scope>/<addr>`` via the address on the session interface;
  a delegated prefix: via the session's first IPv6 address when it has one, else attached to the
  session interface.
* Then each :class:`~agent.sessions.api.SessionHook` (QoS policers, ACLs, NAT) adds its items.

Only an ``active`` session (one with an address) is in VPP; nothing is programmed before the server
handed out an address. Items depend on configuration (the VRF table, the loopback, the access port):
missing configuration keeps them ``pending`` in the southbound until it exists.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from agent.features.base import FlattenContext, Lookup
from agent.features.interfaces import keys as if_keys
from agent.features.interfaces.descriptors import DOT1AD, EXACT_MATCH, ONE_TAG, TWO_TAGS
from agent.features.interfaces.items import interface_items
from agent.features.interfaces.values import (
    AdminUpValue,
    SubifValue,
    TableBindingValue,
    TagValue,
    UnnumberedValue,
)
from agent.features.registry import INTERFACE_TYPES
from agent.features.routes import keys as route_keys
from agent.features.routes.descriptors import PATH_NORMAL
from agent.features.routes.values import Path, RouteValue
from agent.features.vrfs import keys as vrf_keys
from agent.features.vrfs.items import table_id as vrf_table_id
from agent.features.vrfs.items import vrf_families
from agent.sessions.api import IPv6Network, Session, SessionHook, SessionState
from agent.sessions.templates import AccessConfig
from agent.vpp.items import Item, Value, tag_for


def session_items(
    s: Session, access: AccessConfig, config: Lookup, hooks: Sequence[SessionHook] = ()
) -> list[Item[Value]]:
    """Every item of session ``s`` (none unless it is active)."""
    if s.state is not SessionState.ACTIVE or not s.addresses():
        return []
    ai = access.interfaces.get(s.key.access_interface)
    per_subscriber = s.interface != s.key.access_interface
    vrf = s.vrf
    items: list[Item[Value]] = []
    if per_subscriber:
        template = access.templates.get(s.template or "")
        items += subif_items(s, vrf, template.unnumbered if template else None, ai, config)
    table = 0
    if vrf is not None:
        v = config.get(vrf_keys.root(vrf))
        table = vrf_table_id(v) if v is not None else 0
    items += _routes(s, vrf, table, per_subscriber)
    for hook in hooks:
        items += [
            it if it.origin == "session" else dataclasses.replace(it, origin="session")
            for it in hook.items(s, config)
        ]
    return items


def subif_items(
    s: Session, vrf: str | None, unnumbered: str | None, ai: Any, config: Lookup
) -> list[Item[Value]]:
    """The per-subscriber sub-interface's items, built directly (restoring 10,000 sessions calls this
    10,000 times; going through the interfaces feature's JSON entry parser took 0.25 ms a call). They
    equal what :func:`~agent.features.interfaces.items.interface_items` makes of the same sub-interface
    entry (:func:`subif_items_via_config`; a unit test holds the two together), minus the dependency on
    the parent's MTU item: a configured sub-interface waits for it, a session's never does (the parent's
    MTU, configured or not, is programmed with the port, long before any session)."""
    k = s.key
    name = s.interface
    ikey = if_keys.interface(name)
    sub_id = int(name.rpartition(".")[2])
    if k.inner_vlan is None:
        flags, outer, inner = ONE_TAG | EXACT_MATCH, k.outer_vlan or 0, 0
    else:
        rng = ai.range_for(k.outer_vlan, k.inner_vlan) if ai is not None else None
        dot1ad = (rng.outer_tag_type if rng is not None else "dot1ad") == "dot1ad"
        flags, outer, inner = (
            TWO_TAGS | EXACT_MATCH | (DOT1AD if dot1ad else 0),
            k.outer_vlan or 0,
            k.inner_vlan,
        )
    items: list[Item[Value]] = [
        Item(
            ikey,
            SubifValue(k.access_interface, sub_id, flags, outer, inner),
            (if_keys.interface(k.access_interface),),
            None,
            "session",
        ),
        Item(if_keys.tag(name), TagValue(tag_for(name)), (ikey,), name, "session"),
        Item(if_keys.admin_up(name), AdminUpValue(), (ikey,), name, "session"),
    ]
    bound: dict[bool, str] = {}
    v = config.get(vrf_keys.root(vrf)) if vrf is not None else None
    if vrf is not None and v is not None:
        table = vrf_table_id(v)
        for is_ip6 in vrf_families(v):
            bound[is_ip6] = bkey = if_keys.binding(name, is_ip6)
            deps = (ikey, vrf_keys.table(vrf, is_ip6))
            items.append(
                Item(
                    bkey,
                    TableBindingValue(name, table, is_ip6),
                    deps,
                    name,
                    "session",
                )
            )
    if unnumbered is not None:
        udeps = (ikey, if_keys.interface(unnumbered), *(bound[f] for f in sorted(bound)))
        items.append(Item(if_keys.unnumbered(name), UnnumberedValue(unnumbered), udeps, name, "session"))
    return items


def subif_items_via_config(
    s: Session, vrf: str | None, unnumbered: str | None, ai: Any, config: Lookup
) -> list[Item[Value]]:
    """The same items through the interfaces feature (the reference :func:`subif_items` must equal)."""
    parent_mtu = if_keys.mtu(s.key.access_interface)
    entry = _subif_entry(s, vrf, unnumbered, ai)
    return [
        Item(it.key, it.value, tuple(d for d in it.deps if d != parent_mtu), it.owner, "session", it.order)
        for it in interface_items(entry, FlattenContext(config, INTERFACE_TYPES))
    ]


def _subif_entry(s: Session, vrf: str | None, unnumbered: str | None, ai: Any) -> dict[str, Any]:
    k = s.key
    if k.inner_vlan is None:
        enc: dict[str, Any] = {"single-tagged": {"vlan-id": k.outer_vlan, "tag-type": "dot1q"}}
    else:
        rng = ai.range_for(k.outer_vlan, k.inner_vlan) if ai is not None else None
        outer_type = rng.outer_tag_type if rng is not None else "dot1ad"
        enc = {
            "double-tagged": {
                "outer-vlan-id": k.outer_vlan,
                "inner-vlan-id": k.inner_vlan,
                "outer-tag-type": outer_type,
            }
        }
    sub_id = int(s.interface.rpartition(".")[2])
    entry: dict[str, Any] = {
        "name": s.interface,
        "type": "iana-if-type:l2vlan",
        "bng-interfaces:sub-interface": {
            "parent-interface": k.access_interface,
            "sub-id": sub_id,
            "encapsulation": {**enc, "exact-match": True},
        },
    }
    if vrf is not None:
        entry["bng-vrf:vrf"] = vrf
    if unnumbered is not None:
        entry["ietf-ip:ipv4"] = {"bng-interfaces:unnumbered": {"use-interface": unnumbered}}
    return entry


def _routes(s: Session, vrf: str | None, table: int, per_subscriber: bool) -> list[Item[Value]]:
    scope = route_keys.vrf_scope(vrf) if vrf is not None else route_keys.global_scope()
    iface = s.interface
    base_deps = [if_keys.interface(iface)]
    items: list[Item[Value]] = []

    def add(prefix: str, is_ip6: bool, via: str | None) -> None:
        deps = list(base_deps)
        if vrf is not None:
            deps.append(vrf_keys.table(vrf, is_ip6))
            if per_subscriber:
                deps.append(if_keys.binding(iface, is_ip6))
        if per_subscriber and not is_ip6:
            deps.append(if_keys.unnumbered(iface))
        path = Path(via, iface, 1, 0, PATH_NORMAL, 0)
        value = RouteValue(table, is_ip6, prefix, (path,))
        items.append(Item(route_keys.route(scope, prefix), value, tuple(sorted(set(deps))), origin="session"))

    if s.ipv4 is not None:
        a = str(s.ipv4.address)
        add(f"{a}/32", False, a)
    for lease in s.ipv6:
        a = str(lease.address)
        add(f"{a}/128", True, a)
    first6 = str(s.ipv6[0].address) if s.ipv6 else None
    for lease in s.prefixes:
        assert isinstance(lease.address, IPv6Network)
        add(str(lease.address), True, first6)
    return items
