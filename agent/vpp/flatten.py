"""Configuration roots (JSON-IETF) -> planner items, with per-instance dependencies.

Each interface entry yields its interface item plus derived items (tag, admin state, MTU, bond
membership, table bindings, addresses, unnumbered); each VRF yields its tables and routes; the global
routing container yields routes in table 0. Values are normalised (addresses via :mod:`ipaddress`, defaults
filled in, next hops in a canonical order) exactly like :mod:`agent.vpp.retrieve` builds them from VPP
dumps, so "configured" and "found in VPP" compare with ``==``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from agent.vpp.config import RootId
from agent.vpp.descriptors.bond import AUTO_ID, LB, MODES
from agent.vpp.descriptors.route import PATH_DROP, PATH_NORMAL
from agent.vpp.descriptors.subif import DEFAULT, DOT1AD, EXACT_MATCH, NO_TAGS, ONE_TAG, TWO_TAGS
from agent.vpp.items import TAG_PREFIX, Item, tag_for

SPECIAL_PATH_TYPES = {"blackhole": PATH_DROP, "unreachable": 5, "prohibit": 6}
_BOND_NAME = re.compile(r"^BondEthernet(\d+)$")

VrfTables = Callable[[str], dict[str, Any] | None]  # vrf name -> its entry (for table-id, families)
Interfaces = Callable[[str], dict[str, Any] | None]  # interface name -> its entry (a member's bond)


_MISSING = object()


def member(d: dict[str, Any] | None, local: str, default: Any = None) -> Any:
    """A JSON-IETF member by local name (whether or not it carries a module prefix)."""
    if not d:
        return default
    v = d.get(local, _MISSING)
    if v is not _MISSING:
        return v
    suffix = ":" + local
    for k, v in d.items():
        if k.endswith(suffix):
            return v
    return default


def if_type(entry: dict[str, Any]) -> str:
    return str(member(entry, "type", "")).rpartition(":")[2]


def interface_kind(entry: dict[str, Any]) -> str | None:
    t = if_type(entry)
    return {
        "l2vlan": "subif",
        "ieee8023adLag": "bond",
        "softwareLoopback": "loopback",
        "ethernetCsmacd": "ethernet",
    }.get(t)


def vrf_families(vrf: dict[str, Any]) -> list[bool]:
    """``is_ip6`` flags of the tables a VRF has (both unless switched off)."""
    out = []
    if member(vrf, "ipv4", True):
        out.append(False)
    if member(vrf, "ipv6", True):
        out.append(True)
    return out


def family(is_ip6: bool) -> str:
    return "ipv6" if is_ip6 else "ipv4"


def subif_value(sub: dict[str, Any]) -> dict[str, Any]:
    enc = member(sub, "encapsulation", {}) or {}
    exact = bool(member(enc, "exact-match", True))
    single = member(enc, "single-tagged")
    double = member(enc, "double-tagged")
    outer = inner = 0
    if single is not None:
        flags = ONE_TAG | (DOT1AD if member(single, "tag-type", "dot1q") == "dot1ad" else 0)
        flags |= EXACT_MATCH if exact else 0
        outer = int(member(single, "vlan-id"))
    elif double is not None:
        flags = TWO_TAGS | (DOT1AD if member(double, "outer-tag-type", "dot1ad") == "dot1ad" else 0)
        flags |= EXACT_MATCH if exact else 0
        outer, inner = int(member(double, "outer-vlan-id")), int(member(double, "inner-vlan-id"))
    elif member(enc, "default-match") is not None:
        flags = DEFAULT
    else:
        flags = NO_TAGS
    return {
        "parent": str(member(sub, "parent-interface")),
        "sub_id": int(member(sub, "sub-id")),
        "flags": flags,
        "outer": outer,
        "inner": inner,
    }


def bond_value(name: str, bond: dict[str, Any] | None) -> dict[str, Any]:
    mode = MODES[member(bond, "mode", "lacp")]
    m = _BOND_NAME.match(name)
    mac = member(bond, "mac-address")
    return {
        "id": int(m.group(1)) if m else AUTO_ID,
        "mode": mode,
        "lb": LB[member(bond, "load-balance", "l2")],
        "numa_only": bool(member(bond, "numa-only", False)),
        "mac": str(mac).lower() if mac else None,
    }


def lacp_long_timeout(bond_entry: dict[str, Any] | None) -> bool:
    """A member's ``is_long_timeout``: the bond's ``lacp-rate`` is slow (VPP's default is the short
    timeout, so ``fast`` is the default rate; a non-LACP bond ignores it and gets the default)."""
    bond = member(bond_entry, "bond")
    if member(bond, "mode", "lacp") != "lacp":
        return False
    return bool(member(bond, "lacp-rate", "fast") == "slow")


def interface_items(
    entry: dict[str, Any], vrfs: VrfTables, interfaces: Interfaces | None = None
) -> list[Item]:
    """Items of one ``/if:interfaces/interface`` entry (nothing for kinds VPP is not asked to hold)."""
    name = str(entry["name"])
    kind = interface_kind(entry)
    if kind is None:
        return []
    ikey = f"interface/{name}"
    items: list[Item] = []
    value: dict[str, Any] = {}
    deps: tuple[str, ...] = ()
    parent: str | None = None
    if kind == "subif":
        value = subif_value(member(entry, "sub-interface", {}) or {})
        parent = value["parent"]
        # VPP gives a new sub-interface its parent's MTU: set the parent's first
        deps = (f"interface/{parent}", f"mtu/{parent}")
    elif kind == "bond":
        value = bond_value(name, member(entry, "bond"))
    elif kind == "loopback":
        mac = member(member(entry, "loopback"), "mac-address")
        value = {"mac": str(mac).lower() if mac else None}
    items.append(Item(ikey, kind, value, deps))
    if kind != "ethernet":
        items.append(Item(f"tag/{name}", "tag", {"tag": tag_for(name)}, (ikey,), name))
    if member(entry, "enabled", True):
        items.append(Item(f"admin-up/{name}", "admin-up", {}, (ikey,), name))
    mtu = member(entry, "mtu")
    if mtu is not None:
        mdeps = (ikey, f"mtu/{parent}") if parent else (ikey,)
        items.append(Item(f"mtu/{name}", "mtu", {"mtu": int(mtu)}, mdeps, name))
    bm = member(entry, "bond-member")
    if bm is not None and kind == "ethernet":
        bond = str(member(bm, "bond"))
        value = {
            "bond": bond,
            "passive": bool(member(bm, "lacp-passive", False)),
            "long_timeout": lacp_long_timeout(interfaces(bond) if interfaces is not None else None),
        }
        items.append(Item(f"member/{name}", "bond-member", value, (ikey, f"interface/{bond}"), name))
    vrf_name = member(entry, "vrf")
    vrf = vrfs(str(vrf_name)) if vrf_name else None
    bound: set[bool] = set()
    if vrf is not None:
        table_id = int(member(vrf, "table-id"))
        for is_ip6 in vrf_families(vrf):
            bound.add(is_ip6)
            bkey = f"binding/{name}/{family(is_ip6)}"
            value = {"interface": name, "table_id": table_id, "is_ip6": is_ip6}
            deps = (ikey, f"vrf/{vrf_name}/{family(is_ip6)}")
            items.append(Item(bkey, "table-binding", value, deps, name))
    for is_ip6 in (False, True):
        ip = member(entry, family(is_ip6))
        for a in member(ip, "address", []) or []:
            prefix = _address(a)
            adeps: tuple[str, ...] = (ikey,)
            if is_ip6 in bound:
                adeps += (f"binding/{name}/{family(is_ip6)}",)
            value = {"interface": name, "prefix": prefix}
            items.append(Item(f"address/{name}/{prefix}", "address", value, adeps, name))
    unnum = member(member(entry, "ipv4"), "unnumbered")
    if unnum is not None:
        use = str(member(unnum, "use-interface"))
        # VPP checks the lender's addresses when the borrower's table binding changes
        udeps = (ikey, f"interface/{use}", *(f"binding/{name}/{family(f)}" for f in sorted(bound)))
        items.append(Item(f"unnumbered/{name}", "unnumbered", {"use": use}, udeps, name))
    return items


def _address(a: dict[str, Any]) -> str:
    ip = str(member(a, "ip"))
    plen = member(a, "prefix-length")
    if plen is None:
        mask = member(a, "netmask")
        plen = ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen if mask else 32
    if ":" not in ip and int(plen) <= 32:
        return f"{ip}/{plen}"  # libyang prints inet:ipv4-address in its canonical dotted-quad form
    return str(ipaddress.ip_interface(f"{ip}/{plen}"))


def vrf_items(name: str, entry: dict[str, Any], vrfs: VrfTables) -> list[Item]:
    table_id = int(member(entry, "table-id"))
    items: list[Item] = []
    families = vrf_families(entry)
    for is_ip6 in families:
        value = {"table_id": table_id, "is_ip6": is_ip6, "name": TAG_PREFIX + name}
        items.append(Item(f"vrf/{name}/{family(is_ip6)}", "vrf-table", value))
    items += route_items(f"vrf:{name}", table_id, member(entry, "static-routes"), vrfs, name, families)
    return items


def global_items(entry: dict[str, Any] | None, vrfs: VrfTables) -> list[Item]:
    return route_items("global", 0, member(entry, "static-routes"), vrfs, None, [False, True])


def route_items(
    scope: str,
    table_id: int,
    routes: dict[str, Any] | None,
    vrfs: VrfTables,
    vrf: str | None,
    families: list[bool],
) -> list[Item]:
    items: list[Item] = []
    for is_ip6 in (False, True):
        for r in member(routes, f"{family(is_ip6)}-route", []) or []:
            prefix = str(ipaddress.ip_network(str(member(r, "prefix")), strict=False))
            paths, deps = _paths(r, table_id, vrfs, is_ip6)
            if vrf is not None:
                deps.add(f"vrf/{vrf}/{family(is_ip6)}")
            value = {"table_id": table_id, "is_ip6": is_ip6, "prefix": prefix, "paths": paths}
            items.append(Item(f"route/{scope}/{prefix}", "route", value, tuple(sorted(deps))))
    return items


def _paths(
    r: dict[str, Any], table_id: int, vrfs: VrfTables, is_ip6: bool
) -> tuple[list[dict[str, Any]], set[str]]:
    special = member(r, "special-next-hop")
    deps: set[str] = set()
    if special is not None:
        path = {
            "address": None,
            "interface": None,
            "weight": 1,
            "preference": 0,
            "type": SPECIAL_PATH_TYPES[special],
            "nh_table": 0,
        }
        return [path], deps
    paths = []
    for nh in member(r, "next-hop", []) or []:
        addr = member(nh, "address")
        intf = member(nh, "outgoing-interface")
        nh_vrf = member(nh, "next-hop-vrf")
        nh_table = table_id
        if nh_vrf:
            v = vrfs(str(nh_vrf))
            nh_table = int(member(v, "table-id")) if v else table_id
            deps.add(f"vrf/{nh_vrf}/{family(is_ip6)}")
        if intf:
            deps.add(f"interface/{intf}")
        paths.append(
            {
                "address": str(ipaddress.ip_address(str(addr))) if addr else None,
                "interface": str(intf) if intf else None,
                "weight": int(member(nh, "weight", 1)),
                "preference": int(member(nh, "preference", 0)),
                "type": PATH_NORMAL,
                "nh_table": nh_table if addr else 0,
            }
        )
    paths.sort(key=path_sort_key)
    return paths, deps


def path_sort_key(p: dict[str, Any]) -> tuple[Any, ...]:
    return (p.get("address") or "", p.get("interface") or "", p["weight"], p["preference"], p["type"])


def root_items(
    root: RootId, entry: dict[str, Any] | None, vrfs: VrfTables, interfaces: Interfaces | None = None
) -> list[Item]:
    """Every item one configuration root yields (none when the root is absent)."""
    kind, name = root
    if kind == "global":
        return global_items(entry, vrfs) if entry is not None else []
    if entry is None:
        return []
    if kind == "if":
        return interface_items(entry, vrfs, interfaces)
    return vrf_items(name, entry, vrfs)
