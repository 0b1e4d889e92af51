"""Read what VPP holds back into items (the descriptors' ``retrieve``), correlating by tag and by name.

An interface belongs to the agent when its tag is ``bng-agent:<name>`` (the configured name, which is how
a loopback VPP calls ``loop3`` is found again); an untagged interface whose VPP name is a configured
name (a physical port, or an object someone created with the name the config asks for) is managed but
not owned. Everything else is foreign: reported as unmanaged and never touched. Dumps are pipelined:
one request per interface and family goes out before the first reply is awaited.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from agent.vpp.config import ConfigIndex
from agent.vpp.connection import VppConnection
from agent.vpp.descriptors.route import NO_INTERFACE
from agent.vpp.flatten import family, member, path_sort_key
from agent.vpp.items import TAG_PREFIX, Item
from agent.vpp.naming import NameMap

ALL = 0xFFFFFFFF
# "GigabitEthernet0/8/0.7 (up): " -- VPP prints a space before the newline of unnumbered interfaces
_CLI_IF_HEADER = re.compile(r"^(\S+) \((?:up|dn)\):\s*$")
PATH_LOCAL = 1


@dataclass
class Retrieved:
    names: NameMap
    items: dict[str, Item]
    owned_interfaces: set[str] = field(default_factory=set)
    managed_interfaces: set[str] = field(default_factory=set)
    unmanaged: list[dict[str, Any]] = field(default_factory=list)
    index_of: dict[str, int] = field(default_factory=dict)
    other_routes: dict[str, Item] = field(default_factory=dict)


def _str_ip(addr: Any, is_ip6: bool) -> str | None:
    if addr is None:
        return None
    v = getattr(addr, "ip6" if is_ip6 else "ip4", addr)
    try:
        ip = ipaddress.ip_address(v if not isinstance(v, bytes) else bytes(v))
    except ValueError:
        return None
    return None if ip.is_unspecified else str(ip)


async def retrieve(
    conn: VppConnection, config: ConfigIndex, applied_routes: set[str], orphans: dict[str, int] | None = None
) -> Retrieved:
    """Everything the reconciler compares with intended configuration. ``orphans`` (name -> index):
    interfaces a failed commit created and could not delete, known as the agent's even without a tag."""
    orphan_names = {idx: name for name, idx in (orphans or {}).items()}
    details = await conn.dump("sw_interface_dump", sw_if_index=ALL, name_filter_valid=False, name_filter="")
    names = NameMap()
    out = Retrieved(names=names, items={})
    agent_name: dict[int, str] = {}
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
        elif vpp_name in config.interfaces and vpp_name not in names:
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
    bonds = {int(b.sw_if_index): b for b in await conn.dump("sw_bond_interface_dump", sw_if_index=ALL)}
    managed = [d for d in details if agent_name.get(int(d.sw_if_index)) in out.managed_interfaces]
    for d in managed:
        _interface_items(d, agent_name, bonds, out)
    member_futs = [
        (bond_idx, conn.send("sw_member_interface_dump", sw_if_index=bond_idx))
        for bond_idx in bonds
        if agent_name.get(bond_idx) in out.managed_interfaces
    ]
    addr_futs = []
    table_futs = []
    for d in managed:
        name = agent_name[int(d.sw_if_index)]
        for is_ip6 in (False, True):
            addr_futs.append((name, conn.send("ip_address_dump", sw_if_index=d.sw_if_index, is_ipv6=is_ip6)))
            table_futs.append(
                (name, is_ip6, conn.send("sw_interface_get_table", sw_if_index=d.sw_if_index, is_ipv6=is_ip6))
            )
    tables_fut = conn.send("ip_table_dump")
    for bond_idx, fut in member_futs:
        _, members = await fut
        for m in members:
            port = names.name_of(int(m.sw_if_index))
            if port is None or port not in out.managed_interfaces:
                continue
            value = {
                "bond": agent_name[bond_idx],
                "passive": bool(m.is_passive),
                "long_timeout": bool(m.is_long_timeout),
            }
            deps = (f"interface/{port}", f"interface/{agent_name[bond_idx]}")
            out.items[f"member/{port}"] = Item(f"member/{port}", "bond-member", value, deps, port)
    for name, fut in addr_futs:
        _, addrs = await fut
        for a in addrs:
            prefix = str(ipaddress.ip_interface(str(a.prefix)))
            key = f"address/{name}/{prefix}"
            out.items[key] = Item(
                key, "address", {"interface": name, "prefix": prefix}, (f"interface/{name}",), name
            )
    for name, is_ip6, fut in table_futs:
        reply = await fut
        if reply.retval == 0 and reply.vrf_id != 0:
            key = f"binding/{name}/{family(is_ip6)}"
            value = {"interface": name, "table_id": int(reply.vrf_id), "is_ip6": is_ip6}
            out.items[key] = Item(key, "table-binding", value, (f"interface/{name}",), name)
    _, tables = await tables_fut
    await _tables_and_routes(conn, config, [t.table for t in tables], out, applied_routes)
    if any(member(member(e, "ipv4"), "unnumbered") is not None for e in config.interfaces.values()):
        vpp_to_agent = {str(d.interface_name): agent_name[int(d.sw_if_index)] for d in managed}
        vpp_to_agent.update(
            {str(d.interface_name): n for d in details if (n := agent_name.get(int(d.sw_if_index)))}
        )
        await _unnumbered(conn, vpp_to_agent, out)
    return out


async def _unnumbered(conn: VppConnection, vpp_to_agent: dict[str, str], out: Retrieved) -> None:
    """Unnumbered settings, from ``show interface address`` (src/vnet/interface_cli.c prints
    "<name> (up):" then "  unnumbered, use <lender>"): the message set the agent is pinned to has no
    dump for them, and the CLI text has been stable for many releases."""
    reply = await conn.call("cli_inband", cmd="show interface address")
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
            key = f"unnumbered/{current}"
            deps = (f"interface/{current}", f"interface/{lender}")
            out.items[key] = Item(key, "unnumbered", {"use": lender}, deps, current)


def _interface_items(d: Any, agent_name: dict[int, str], bonds: dict[int, Any], out: Retrieved) -> None:
    idx = int(d.sw_if_index)
    name = agent_name[idx]
    ikey = f"interface/{name}"
    dev = str(d.interface_dev_type)
    if int(d.type) == 1 or idx != int(d.sup_sw_if_index):
        parent = agent_name.get(int(d.sup_sw_if_index), f"#{d.sup_sw_if_index}")
        value: dict[str, Any] = {
            "parent": parent,
            "sub_id": int(d.sub_id),
            "flags": int(d.sub_if_flags),
            "outer": int(d.sub_outer_vlan_id),
            "inner": int(d.sub_inner_vlan_id),
        }
        out.items[ikey] = Item(ikey, "subif", value, (f"interface/{parent}",))
    elif idx in bonds:
        b = bonds[idx]
        value = {
            "id": int(b.id),
            "mode": int(b.mode),
            "lb": int(b.lb),
            "numa_only": bool(b.numa_only),
            "mac": str(d.l2_address).lower(),
        }
        out.items[ikey] = Item(ikey, "bond", value)
    elif dev.lower() == "loopback":
        out.items[ikey] = Item(ikey, "loopback", {"mac": str(d.l2_address).lower()})
    else:
        out.items[ikey] = Item(ikey, "ethernet", {})
    tag = str(d.tag or "")
    if tag:
        out.items[f"tag/{name}"] = Item(f"tag/{name}", "tag", {"tag": tag}, (ikey,), name)
    if int(d.flags) & 1:
        out.items[f"admin-up/{name}"] = Item(f"admin-up/{name}", "admin-up", {}, (ikey,), name)
    out.items[f"mtu/{name}"] = Item(f"mtu/{name}", "mtu", {"mtu": int(d.mtu[0])}, (ikey,), name)


async def _tables_and_routes(
    conn: VppConnection, config: ConfigIndex, tables: list[Any], out: Retrieved, applied_routes: set[str]
) -> None:
    vrf_by_table = {int(member(v, "table-id")): n for n, v in config.vrfs.items()}
    scopes: list[tuple[int, bool, str, bool]] = [(0, False, "global", False), (0, True, "global", False)]
    for t in tables:
        table_id, is_ip6, tname = int(t.table_id), bool(t.is_ip6), str(t.name or "")
        if table_id == 0:
            continue
        owned = tname.startswith(TAG_PREFIX)
        vrf = vrf_by_table.get(table_id) or (tname[len(TAG_PREFIX) :] if owned else None)
        if vrf is None:
            out.unmanaged.append({"kind": "ip-table", "table_id": table_id, "is_ip6": is_ip6, "name": tname})
            continue
        key = f"vrf/{vrf}/{family(is_ip6)}"
        out.items[key] = Item(key, "vrf-table", {"table_id": table_id, "is_ip6": is_ip6, "name": tname})
        scopes.append((table_id, is_ip6, f"vrf:{vrf}", owned))
    futs = [
        (s, conn.send("ip_route_dump", table={"table_id": s[0], "is_ip6": s[1], "name": ""})) for s in scopes
    ]
    connected_by_table = _connected_prefixes(out)
    for (table_id, is_ip6, scope, owned), fut in futs:
        _, routes = await fut
        connected = connected_by_table.get((table_id, is_ip6), set())
        for r in routes:
            _route_item(r.route, table_id, is_ip6, scope, owned, connected, out, applied_routes)


def _connected_prefixes(out: Retrieved) -> dict[tuple[int, bool], set[str]]:
    """Per (table, family): prefixes VPP adds for interface addresses (attached and host routes)."""
    table_of: dict[tuple[str, bool], int] = {}
    for it in out.items.values():
        if it.kind == "table-binding":
            table_of[(it.value["interface"], it.value["is_ip6"])] = it.value["table_id"]
    prefixes: dict[tuple[int, bool], set[str]] = {}
    for it in out.items.values():
        if it.kind != "address":
            continue
        addr = ipaddress.ip_interface(it.value["prefix"])
        is_ip6 = addr.version == 6
        table_id = table_of.get((it.value["interface"], is_ip6), 0)
        got = prefixes.setdefault((table_id, is_ip6), set())
        got.add(str(addr.network))
        got.add(f"{addr.ip}/{addr.max_prefixlen}")
    return prefixes


def _route_item(
    r: Any,
    table_id: int,
    is_ip6: bool,
    scope: str,
    owned: bool,
    connected: set[str],
    out: Retrieved,
    applied_routes: set[str],
) -> None:
    prefix = str(ipaddress.ip_network(str(r.prefix), strict=False))
    key = f"route/{scope}/{prefix}"
    paths = []
    looks_static = False
    for p in r.paths:
        ptype = int(p.type)
        if ptype == PATH_LOCAL:
            return
        addr = _str_ip(p.nh.address, is_ip6)
        sw = int(p.sw_if_index)
        intf = out.names.name_of(sw) if sw != NO_INTERFACE else None
        if addr is not None:
            # VPP's own entries (default drop, multicast, link-local) have no next-hop address; a
            # special-next-hop route is only recognised as the agent's while it is configured or applied.
            looks_static = True
        paths.append(
            {
                "address": addr,
                "interface": intf,
                "weight": int(p.weight) or 1,
                "preference": int(p.preference),
                "type": ptype,
                "nh_table": int(p.table_id) if addr else 0,
            }
        )
    if prefix in connected and key not in applied_routes:
        return
    paths.sort(key=path_sort_key)
    deps = tuple(sorted({f"interface/{p['interface']}" for p in paths if p["interface"]}))
    value = {"table_id": table_id, "is_ip6": is_ip6, "prefix": prefix, "paths": paths}
    item = Item(key, "route", value, deps)
    if key in applied_routes or (owned and looks_static):
        out.items[key] = item
    else:
        # Not provably the agent's (table 0, or not a static-looking route): compared only if configured.
        out.other_routes[key] = item
