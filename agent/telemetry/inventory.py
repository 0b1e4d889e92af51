"""Read VPP's interfaces, bond members, addresses and routes with dumps (not with per-leaf calls).

Counters come from the stats segment; everything else a network engineer asks about an interface
(oper-status, speed, MAC, MTU, VRF, addresses) and the routes VPP holds come from binary-API dumps. The
dumps run when the VPP connection comes up, after interface creation/deletion events, and at a slow
interval; per-interface requests (addresses, table binding) are pipelined, VPP answering them in order.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from typing import Any

from agent.telemetry.snapshot import BondMember, InterfaceInfo, Inventory, Route
from agent.vpp.connection import VppConnection
from agent.vpp.items import TAG_PREFIX

ALL = 0xFFFFFFFF
#: ``vl_api_if_status_flags_t`` (``src/vnet/interface_types.api``).
IF_ADMIN_UP = 1
IF_LINK_UP = 2
#: ``FIB_API_PATH_TYPE_LOCAL`` (``src/vnet/fib/fib_types.api``): VPP's receive entries for its own addresses.
PATH_LOCAL = 1
#: Requests in flight per batch of per-interface calls.
WINDOW = 512


def agent_name(vpp_name: str, tag: str) -> str:
    """The agent's name for a VPP interface: the name in its tag when the agent created it."""
    return tag[len(TAG_PREFIX) :] if tag.startswith(TAG_PREFIX) else vpp_name


def interface_info(d: Any, vrf: str = "default") -> InterfaceInfo:
    """An :class:`InterfaceInfo` from one ``sw_interface_details`` message."""
    flags = int(d.flags)
    return InterfaceInfo(
        sw_if_index=int(d.sw_if_index),
        name=agent_name(str(d.interface_name), str(d.tag or "")),
        vpp_name=str(d.interface_name),
        admin_up=bool(flags & IF_ADMIN_UP),
        link_up=bool(flags & IF_LINK_UP),
        speed_kbps=int(d.link_speed),
        mac=str(d.l2_address),
        link_mtu=int(d.link_mtu),
        sup_sw_if_index=int(d.sup_sw_if_index),
        vrf=vrf,
        managed=str(d.tag or "").startswith(TAG_PREFIX),
    )


def table_vrf_name(table_id: int, name: str) -> str:
    """The VRF label for a FIB table: the agent's VRF name for tables it created, else VPP's name/id."""
    if table_id == 0:
        return "default"
    if name.startswith(TAG_PREFIX):
        return name[len(TAG_PREFIX) :]
    return name or f"table-{table_id}"


async def _pipelined(conn: VppConnection, requests: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Send ``requests`` with up to :data:`WINDOW` in flight; replies in request order."""
    out: list[Any] = []
    for start in range(0, len(requests), WINDOW):
        futs = [conn.send(msg, **args) for msg, args in requests[start : start + WINDOW]]
        out.extend(await asyncio.gather(*futs))
    return out


async def read_inventory(conn: VppConnection, *, details: bool = True) -> Inventory:
    """One full inventory. ``details=False`` reads interfaces only.

    The interfaces' admin/link state comes from the last request sent (the freshest possible).
    """
    ifs = await conn.dump("sw_interface_dump", sw_if_index=ALL, name_filter_valid=False, name_filter="")
    if not details:
        return Inventory(interfaces={int(d.sw_if_index): interface_info(d) for d in ifs}, read_at=time.time())
    tables = await conn.dump("ip_table_dump")
    vrf_of_table = {(int(t.table.table_id), bool(t.table.is_ip6)): str(t.table.name or "") for t in tables}
    per_if: list[tuple[str, dict[str, Any]]] = []
    for d in ifs:
        idx = int(d.sw_if_index)
        per_if.append(("sw_interface_get_table", {"sw_if_index": idx, "is_ipv6": False}))
        for is_ip6 in (False, True):
            per_if.append(("ip_address_dump", {"sw_if_index": idx, "is_ipv6": is_ip6}))
    replies = await _pipelined(conn, per_if)
    interfaces: dict[int, InterfaceInfo] = {}
    addresses: dict[int, tuple[str, ...]] = {}
    for k, d in enumerate(ifs):
        table_reply, v4, v6 = replies[3 * k : 3 * k + 3]
        table_id = int(table_reply.vrf_id) if int(table_reply.retval) == 0 else 0
        vrf = table_vrf_name(table_id, vrf_of_table.get((table_id, False), ""))
        info = interface_info(d, vrf)
        interfaces[info.sw_if_index] = info
        prefixes = [str(ipaddress.ip_interface(str(a.prefix))) for a in (*v4[1], *v6[1])]
        if prefixes:
            addresses[info.sw_if_index] = tuple(prefixes)
    members = await _bond_members(conn, interfaces)
    routes = await _routes(conn, vrf_of_table, interfaces)
    # Admin/link state from a dump sent last, so the state installed is as fresh as the inventory ends;
    # events that arrive meanwhile trigger their own one-interface dump (see Telemetry._interface_events).
    final = await conn.dump("sw_interface_dump", sw_if_index=ALL, name_filter_valid=False, name_filter="")
    vrfs = {idx: info.vrf for idx, info in interfaces.items()}
    interfaces = {
        int(d.sw_if_index): interface_info(d, vrfs.get(int(d.sw_if_index), "default")) for d in final
    }
    return Inventory(interfaces, members, addresses, routes, time.time())


async def _bond_members(conn: VppConnection, interfaces: dict[int, InterfaceInfo]) -> tuple[BondMember, ...]:
    bonds = await conn.dump("sw_bond_interface_dump", sw_if_index=ALL)
    out = []
    for bond, (_, members) in zip(
        bonds,
        await _pipelined(
            conn, [("sw_member_interface_dump", {"sw_if_index": int(b.sw_if_index)}) for b in bonds]
        ),
        strict=True,
    ):
        bond_info = interfaces.get(int(bond.sw_if_index))
        for m in members:
            info = interfaces.get(int(m.sw_if_index))
            if bond_info is None or info is None:
                continue
            # VPP's member dump has no per-member "active" flag; a member carries traffic when its
            # carrier is up and the bond itself is admin up (the bond's active_members counts them).
            out.append(
                BondMember(
                    bond_info.name,
                    info.name,
                    info.link_up and bond_info.admin_up,
                    bond_info.sw_if_index,
                    info.sw_if_index,
                )
            )
    return tuple(out)


async def _routes(
    conn: VppConnection, vrf_of_table: dict[tuple[int, bool], str], interfaces: dict[int, InterfaceInfo]
) -> tuple[Route, ...]:
    scopes = sorted(set(vrf_of_table) | {(0, False), (0, True)})
    dumps = await _pipelined(
        conn, [("ip_route_dump", {"table": {"table_id": t, "is_ip6": v6, "name": ""}}) for t, v6 in scopes]
    )
    out: list[Route] = []
    for (table_id, is_ip6), (_, routes) in zip(scopes, dumps, strict=True):
        vrf = table_vrf_name(table_id, vrf_of_table.get((table_id, is_ip6), ""))
        for r in routes:
            route = r.route
            hops: list[str] = []
            local = False
            for p in route.paths:
                if int(p.type) == PATH_LOCAL:
                    local = True
                    break
                hops.append(_hop(p, is_ip6, interfaces))
            if not local:
                prefix = str(ipaddress.ip_network(str(route.prefix), strict=False))
                out.append(Route(vrf, prefix, tuple(hops)))
    return tuple(out)


def _hop(p: Any, is_ip6: bool, interfaces: dict[int, InterfaceInfo]) -> str:
    nh = getattr(p.nh.address, "ip6" if is_ip6 else "ip4", None)
    addr = ""
    if nh is not None:
        try:
            ip = ipaddress.ip_address(bytes(nh) if isinstance(nh, bytes | bytearray) else nh)
            addr = "" if ip.is_unspecified else str(ip)
        except ValueError:
            addr = ""
    info = interfaces.get(int(p.sw_if_index))
    via = info.name if info is not None else ""
    return " ".join(x for x in (addr, via) if x) or "drop"


async def read_interfaces(
    conn: VppConnection, indices: list[int]
) -> tuple[dict[int, InterfaceInfo], dict[int, tuple[str, ...]]]:
    """State, VRF and addresses of just these interfaces (new ones, or ones a commit touched): four
    pipelined requests each plus one ``ip_table_dump``, instead of a full inventory."""
    tables = await conn.dump("ip_table_dump")
    vrf_of_table = {int(t.table.table_id): str(t.table.name or "") for t in tables if not t.table.is_ip6}
    requests: list[tuple[str, dict[str, Any]]] = []
    for idx in indices:
        requests.append(
            ("sw_interface_dump", {"sw_if_index": idx, "name_filter_valid": False, "name_filter": ""})
        )
        requests.append(("sw_interface_get_table", {"sw_if_index": idx, "is_ipv6": False}))
        for is_ip6 in (False, True):
            requests.append(("ip_address_dump", {"sw_if_index": idx, "is_ipv6": is_ip6}))
    replies = await _pipelined(conn, requests)
    infos: dict[int, InterfaceInfo] = {}
    addresses: dict[int, tuple[str, ...]] = {}
    for k, idx in enumerate(indices):
        (_, details), table_reply, v4, v6 = replies[4 * k : 4 * k + 4]
        if not details:
            continue  # gone again
        table_id = int(table_reply.vrf_id) if int(table_reply.retval) == 0 else 0
        infos[idx] = interface_info(details[0], table_vrf_name(table_id, vrf_of_table.get(table_id, "")))
        addresses[idx] = tuple(str(ipaddress.ip_interface(str(a.prefix))) for a in (*v4[1], *v6[1]))
    return infos, addresses
