"""``bng-subscribers:subscribers`` -> router-advertisement items for each IPoE access interface.

An access interface gets RAs when its session template names an ``ra-policy``: the chain is
``access-interface/session-template`` -> ``template/ra-policy`` -> ``ra-policies/ra-policy``. The
policy says the intervals, the router lifetime, the M/O flags (``address-mode``) and which prefixes go
into the Prefix Information options: the interface's own global IPv6 prefixes (from ``ietf-ip``) unless
``advertise-interface-prefixes`` is false, plus the policy's ``prefix`` list.

Values are normalised exactly as :mod:`.retrieve` builds them from ``sw_interface_ip6nd_ra_dump``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from agent.features.base import FlattenContext, Lookup
from agent.features.interfaces import keys as if_keys
from agent.features.jsonietf import member
from agent.features.ra import keys
from agent.features.ra.values import INFINITE, Ip6LinkValue, RaFlagValue, RaPrefixValue, RaValue
from agent.vpp.config import Entry, RootId
from agent.vpp.items import Item, Value

# ra-policy defaults (bng-subscribers.yang); libyang's JSON leaves defaults out
MAX_INTERVAL = 600
MIN_INTERVAL = 198
ROUTER_LIFETIME = 1800
VALID_LIFETIME = 2592000
PREFERRED_LIFETIME = 604800

#: address-mode -> (M, O, A)
MODES: dict[str, tuple[bool, bool, bool]] = {
    "slaac": (False, False, True),
    "slaac-dhcpv6-stateless": (False, True, True),
    "dhcpv6-stateful": (True, True, False),
}


@dataclass(frozen=True, slots=True)
class AccessRa:
    """One access interface and the RA policy in force on it."""

    interface: str
    policy: Entry


def _list(container: Any, name: str) -> list[dict[str, Any]]:
    return list(member(container, name, []) or [])


def access_ra(subscribers: Entry) -> list[AccessRa]:
    """Access interfaces accepting IPoE whose template names an RA policy, with that policy."""
    templates = {
        str(t["name"]): t for t in _list(member(subscribers, "session-templates"), "template") if "name" in t
    }
    policies = {
        str(p["name"]): p for p in _list(member(subscribers, "ra-policies"), "ra-policy") if "name" in p
    }
    out: list[AccessRa] = []
    for ai in _list(member(subscribers, "access-interfaces"), "access-interface"):
        if member(ai, "ipoe") is None:
            continue  # RAs to PPPoE subscribers go inside their PPP session, not on the access VLAN
        template = templates.get(str(member(ai, "session-template", "")))
        policy = policies.get(str(member(template, "ra-policy", ""))) if template else None
        if policy is not None:
            out.append(AccessRa(str(member(ai, "interface")), policy))
    return out


def references(subscribers: Entry) -> Iterable[RootId]:
    """The access interfaces with RAs: their IPv6 addresses are advertised."""
    return [if_keys.root(a.interface) for a in access_ra(subscribers)]


def interface_prefixes(entry: Entry | None) -> list[str]:
    """The global (not link-local) IPv6 networks configured on an interface, sorted."""
    out: set[str] = set()
    for a in _list(member(entry, "ipv6"), "address"):
        net = ipaddress.IPv6Interface(f"{member(a, 'ip')}/{member(a, 'prefix-length')}").network
        if not net.is_link_local:
            out.add(str(net))
    return sorted(out)


def _lifetimes(valid: int, preferred: int) -> tuple[int, int]:
    # ip6_ra.c ip6_ra_prefix: either lifetime infinite makes both infinite
    if valid == INFINITE or preferred == INFINITE:
        return INFINITE, INFINITE
    return valid, preferred


def ra_items(subscribers: Entry, config: FlattenContext | Lookup) -> list[Item[Value]]:
    """Items for every access interface with an RA policy."""
    items: list[Item[Value]] = []
    for a in access_ra(subscribers):
        items += _interface_items(a, config.get(if_keys.root(a.interface)))
    return items


def _interface_items(a: AccessRa, if_entry: Entry | None) -> list[Item[Value]]:
    name, p = a.interface, a.policy
    managed, other, auto = MODES[str(member(p, "address-mode", "slaac"))]
    link = keys.ip6_link(name)
    ra = keys.ra(name)
    value = RaValue(
        name,
        int(member(p, "max-interval", MAX_INTERVAL)),
        int(member(p, "min-interval", MIN_INTERVAL)),
        int(member(p, "router-lifetime", ROUTER_LIFETIME)),
    )
    items: list[Item[Value]] = [
        Item(link, Ip6LinkValue(name), (if_keys.interface(name),), name),
        Item(ra, value, (link,), name),
    ]
    for flag, on in ((keys.MANAGED, managed), (keys.OTHER, other)):
        if on:
            items.append(Item(keys.ra_flag(name, flag), RaFlagValue(name, flag), (ra,), name))
    valid = int(member(p, "valid-lifetime", VALID_LIFETIME))
    preferred = int(member(p, "preferred-lifetime", PREFERRED_LIFETIME))
    prefixes: dict[str, RaPrefixValue] = {}
    if member(p, "advertise-interface-prefixes", True):
        for net in interface_prefixes(if_entry):
            v, pr = _lifetimes(valid, preferred)
            prefixes[net] = RaPrefixValue(name, net, v, pr, True, auto)
    for e in _list(p, "prefix"):
        net = str(ipaddress.IPv6Network(str(member(e, "prefix")), strict=False))
        v, pr = _lifetimes(
            int(member(e, "valid-lifetime", valid)), int(member(e, "preferred-lifetime", preferred))
        )
        prefixes[net] = RaPrefixValue(
            name, net, v, pr, bool(member(e, "on-link", True)), bool(member(e, "autonomous", auto))
        )
    for net, pv in sorted(prefixes.items()):
        items.append(Item(keys.ra_prefix(name, net), pv, (link,), name))
    return items
