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
import sys
from collections.abc import Sequence
from typing import Any

from agent.features.base import FlattenContext, Lookup
from agent.features.interfaces import keys as if_keys
from agent.features.interfaces.items import interface_items
from agent.features.registry import INTERFACE_TYPES
from agent.features.routes import keys as route_keys
from agent.features.routes.descriptors import PATH_NORMAL
from agent.features.routes.values import Path, RouteValue
from agent.features.vrfs import keys as vrf_keys
from agent.features.vrfs.items import table_id as vrf_table_id
from agent.sessions.api import IPv6Network, Session, SessionHook, SessionState
from agent.sessions.templates import AccessConfig
from agent.vpp.items import Item, Value


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
        entry = _subif_entry(s, vrf, template.unnumbered if template else None, ai)
        # a configured sub-interface waits for its parent's MTU item; a session's never does (the
        # parent's MTU, configured or not, is programmed with the port, long before any session)
        parent_mtu = if_keys.mtu(s.key.access_interface)
        for it in interface_items(entry, FlattenContext(config, INTERFACE_TYPES)):
            deps = tuple(d for d in it.deps if d != parent_mtu)
            items.append(Item(it.key, it.value, deps, it.owner, "session", it.order))
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
    return [_interned(it) for it in items]


def _interned(it: Item[Value]) -> Item[Value]:
    """The same item with its key, dependencies and owner as interned strings: a session's seven items
    name the same few keys about twenty times, and the southbound keeps them for the session's life."""
    it.key = sys.intern(it.key)
    it.deps = tuple(sys.intern(d) for d in it.deps)
    if it.owner is not None:
        it.owner = sys.intern(it.owner)
    return it


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
