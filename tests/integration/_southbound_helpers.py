"""The agent's commit path wired to a real vppsim, for the southbound tests (not a test module).

:class:`AgentStack` runs Datastores + Journal + TransactionManager + VppSouthbound + VppLink in the test's
event loop, exactly as ``bng-agent run`` wires them. :func:`vpp_snapshot` reads VPP back with vpp-papi's
synchronous client (the project's API files, not the agent's code), naming interfaces by VPP name so two
snapshots compare even when sw_if_index values moved.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from pathlib import Path
from typing import Any

from vpp_papi import VPPApiClient

from agent.datastore.journal import Journal
from agent.datastore.session import Session
from agent.datastore.store import Datastores
from agent.model import load_model_set
from agent.txn import TransactionManager
from agent.vpp.link import VppLink
from agent.vpp.southbound import VppSouthbound

ALL = 0xFFFFFFFF
IF = "/ietf-interfaces:interfaces"
VRFS = "/bng-vrf:vrfs"
GLOBAL = "/bng-vrf:global-routing"
SESSION = Session(id=1, user="admin", origin="netconf")


def port(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "iana-if-type:ethernetCsmacd", **extra}


def subif(parent: str, sub_id: int, *, vlan: Any = None, inner: Any = None, **extra: Any) -> dict[str, Any]:
    """A sub-interface entry (``vlan``/``inner``: int VLAN ids; typed Any so ``**`` extras type-check)."""
    if inner is None:
        enc: dict[str, Any] = {"single-tagged": {"vlan-id": vlan or sub_id}}
    else:
        enc = {"double-tagged": {"outer-vlan-id": vlan or sub_id, "inner-vlan-id": inner}}
    return {
        "name": f"{parent}.{sub_id}",
        "type": "iana-if-type:l2vlan",
        "bng-interfaces:sub-interface": {"parent-interface": parent, "sub-id": sub_id, "encapsulation": enc},
        **extra,
    }


def addrs(v4: str | None = None, v6: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if v4:
        ip, plen = v4.split("/")
        out["ietf-ip:ipv4"] = {"address": [{"ip": ip, "prefix-length": int(plen)}]}
    if v6:
        ip, plen = v6.split("/")
        out["ietf-ip:ipv6"] = {"address": [{"ip": ip, "prefix-length": int(plen)}]}
    return out


def route(prefix: str, *hops: tuple[str, int, int]) -> dict[str, Any]:
    """A static route with next hops (address, weight, preference)."""
    return {
        "prefix": prefix,
        "next-hop": [
            {"id": str(i), "address": a, "weight": w, "preference": p} for i, (a, w, p) in enumerate(hops)
        ],
    }


class AgentStack:
    """The agent's datastore/commit/southbound stack against one VPP API socket."""

    def __init__(self, api_socket: str, data_dir: Path) -> None:
        self.api_socket = api_socket
        self.data_dir = data_dir
        self.model = load_model_set()
        self.journal = Journal(data_dir, self.model, fsync=False)
        loaded = self.journal.load()
        self.loaded = loaded
        self.ds = Datastores(self.model, running=loaded.running_json or None)
        self.sb = VppSouthbound()
        self.sb.load_config(self.ds.running.json())
        self.link = VppLink(api_socket, self.sb, timeout=5.0, backoff_initial=0.05, backoff_max=0.5)
        self.txn = TransactionManager(self.ds, self.journal, self.sb)

    async def start(self) -> None:
        await self.link.start()
        assert await self.link.wait_ready(30), f"VPP link not ready: {self.link.fatal}"
        await self.txn.start(self.loaded)

    async def stop(self) -> None:
        await self.txn.stop()
        await self.link.stop()

    async def commit(
        self,
        *,
        updates: list[tuple[str, Any]] | None = None,
        replaces: list[tuple[str, Any]] | None = None,
        deletes: list[str] | None = None,
    ) -> Any:
        self.ds.edit_gnmi(
            "candidate",
            deletes=deletes or [],
            replaces=replaces or [],
            updates=updates or [],
            session=SESSION,
        )
        return await self.txn.commit(SESSION)

    async def discard(self) -> None:
        self.ds.discard_changes(SESSION)

    async def wait_reconnected(self, connects_before: int, timeout: float = 20.0) -> None:
        """Wait until the link has reconnected (and reconciled) after a VPP restart."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.link.connects > connects_before and self.link.ready.is_set():
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the agent did not reconnect to VPP in time")


def _nat_snapshot(c: Any, name: dict[int, str]) -> dict[str, Any]:
    """VPP's NAT44 state: nat44-ed's running config, addresses, interfaces, static mappings; det44's maps
    and interfaces."""
    rc = c.api.nat44_show_running_config()
    t = rc.timeouts
    return {
        "sessions": int(rc.sessions),
        "timeouts": (int(t.udp), int(t.tcp_established), int(t.tcp_transitory), int(t.icmp)),
        "addresses": sorted((str(a.ip_address), int(a.vrf_id)) for a in c.api.nat44_address_dump()),
        "interfaces": sorted((name[i.sw_if_index], int(i.flags)) for i in c.api.nat44_interface_dump()),
        "static": sorted(
            (
                str(m.local_ip_address),
                int(m.local_port),
                str(m.external_ip_address),
                int(m.external_port),
                int(m.protocol),
                int(m.vrf_id),
                int(m.flags),
                str(m.tag),
            )
            for m in c.api.nat44_static_mapping_dump()
        ),
        "det44_maps": sorted(
            (
                str(m.in_addr),
                int(m.in_plen),
                str(m.out_addr),
                int(m.out_plen),
                int(m.sharing_ratio),
                int(m.ports_per_host),
            )
            for m in c.api.det44_map_dump()
        ),
        "det44_interfaces": sorted(
            (name[i.sw_if_index], bool(i.is_inside), bool(i.is_outside)) for i in c.api.det44_interface_dump()
        ),
    }


def _snapshot_sync(api_socket: str, api_files: list[str]) -> dict[str, Any]:
    c = VPPApiClient(apifiles=api_files, server_address=api_socket)
    c.connect("snapshot")
    try:
        ifs = c.api.sw_interface_dump(sw_if_index=ALL)
        name = {i.sw_if_index: str(i.interface_name) for i in ifs}
        interfaces: dict[str, Any] = {}
        for i in ifs:
            if i.sw_if_index == 0:
                continue
            n = name[i.sw_if_index]
            entry = {
                "admin_up": bool(int(i.flags) & 1),
                "mtu": int(i.mtu[0]),
                "tag": str(i.tag),
                "dev_type": str(i.interface_dev_type),
                "addresses": sorted(
                    str(ipaddress.ip_interface(str(a.prefix)))
                    for v6 in (False, True)
                    for a in c.api.ip_address_dump(sw_if_index=i.sw_if_index, is_ipv6=v6)
                ),
                "tables": [
                    int(c.api.sw_interface_get_table(sw_if_index=i.sw_if_index, is_ipv6=v6).vrf_id)
                    for v6 in (False, True)
                ],
            }
            if i.sw_if_index != i.sup_sw_if_index:
                entry["sub"] = {
                    "parent": name[i.sup_sw_if_index],
                    "sub_id": int(i.sub_id),
                    "flags": int(i.sub_if_flags),
                    "outer": int(i.sub_outer_vlan_id),
                    "inner": int(i.sub_inner_vlan_id),
                }
            interfaces[n] = entry
        bonds = {}
        for b in c.api.sw_bond_interface_dump(sw_if_index=ALL):
            members = c.api.sw_member_interface_dump(sw_if_index=b.sw_if_index)
            bonds[name[b.sw_if_index]] = {
                "mode": int(b.mode),
                "lb": int(b.lb),
                "members": sorted(str(m.interface_name) for m in members),
            }
        tables = sorted(
            (int(t.table.table_id), bool(t.table.is_ip6), str(t.table.name)) for t in c.api.ip_table_dump()
        )
        routes: dict[str, Any] = {}
        for table_id, is_ip6, _ in [(0, False, ""), (0, True, ""), *tables]:
            for r in c.api.ip_route_dump(table={"table_id": table_id, "is_ip6": is_ip6}):
                paths = []
                for p in r.route.paths:
                    addr = p.nh.address.ip6 if is_ip6 else p.nh.address.ip4
                    ip = ipaddress.ip_address(addr)
                    paths.append(
                        (
                            None if ip.is_unspecified else str(ip),
                            name.get(p.sw_if_index),
                            int(p.weight),
                            int(p.preference),
                            int(p.type),
                        )
                    )
                routes[f"{table_id}/{r.route.prefix}"] = sorted(paths, key=str)
        mroutes = sorted(
            (table_id, str(r.route.prefix.grp_address.ip6), int(r.route.n_paths))
            for table_id, is_ip6, _ in [(0, True, ""), *tables]
            if is_ip6
            for r in c.api.ip_mroute_dump(table={"table_id": table_id, "is_ip6": True})
        )
        ra: dict[str, Any] = {}
        for d in c.api.sw_interface_ip6nd_ra_dump(sw_if_index=ALL):
            if d.sw_if_index not in name:
                continue  # created after the interface dump above (an agent repairing drift meanwhile)
            # prefix lifetimes count down while RAs go out (ip6_ra.c): only whether they are infinite
            ra[name[d.sw_if_index]] = (
                bool(d.send_radv),
                bool(d.adv_managed_flag),
                bool(d.adv_other_flag),
                int(d.adv_router_lifetime),
                float(d.max_radv_interval),
                float(d.min_radv_interval),
                sorted(
                    (
                        str(p.prefix),
                        bool(p.onlink_flag),
                        bool(p.autonomous_flag),
                        bool(p.decrement_lifetime_flag),
                    )
                    for p in d.prefixes
                ),
            )
        proxy_arp = sorted(
            name[d.sw_if_index] for d in c.api.proxy_arp_intfc_dump() if d.sw_if_index in name
        )  # VPP also reports indices of deleted interfaces (agent/features/proxyarp/descriptors.py)
        ranges = sorted(
            (int(d.proxy.table_id), str(d.proxy.low), str(d.proxy.hi)) for d in c.api.proxy_arp_dump()
        )
        limits = []
        for af in (0, 1):
            r = c.api.ip_neighbor_config_get(af=af)
            limits.append((int(r.max_number), int(r.max_age), bool(r.recycle)))
        policers = sorted(
            (
                str(p.name),
                int(p.type),
                int(p.cir),
                int(p.eir),
                int(p.cb),
                int(p.eb),
                bool(p.color_aware),
                tuple(
                    (int(a.type), int(a.dscp)) for a in (p.conform_action, p.exceed_action, p.violate_action)
                ),
            )
            for p in c.api.policer_dump(match_name_valid=False, match_name="")
        )
        exporters = [
            (str(d.collector_address), int(d.collector_port), str(d.src_address), int(d.vrf_id),
             int(d.path_mtu), int(d.template_interval), bool(d.udp_checksum))
            for d in c.api.ipfix_exporter_dump()
        ]  # fmt: skip
        return {
            "interfaces": interfaces,
            "bonds": bonds,
            "tables": tables,
            "routes": routes,
            "proxy_arp": proxy_arp,
            "proxy_arp_ranges": ranges,
            "neighbor_limits": limits,
            "ra": ra,
            "mroutes": mroutes,
            **_acls(c, name),
            "policers": policers,
            "nat": _nat_snapshot(c, name),
            "ipfix_exporters": exporters,
        }
    finally:
        c.disconnect()


def _acls(c: Any, name: dict[int, str]) -> dict[str, Any]:
    """The ACL plugin's ACLs and MAC/IP ACLs by tag (indices are VPP's to choose) and each interface's
    lists by interface name."""
    tag = {int(d.acl_index): str(d.tag) for d in c.api.acl_dump(acl_index=ALL)}
    acls = {str(d.tag): [tuple(str(x) for x in r) for r in d.r] for d in c.api.acl_dump(acl_index=ALL)}
    mtag = {int(d.acl_index): str(d.tag) for d in c.api.macip_acl_dump(acl_index=ALL)}
    macips = {
        str(d.tag): [tuple(str(x) for x in r) for r in d.r] for d in c.api.macip_acl_dump(acl_index=ALL)
    }
    lists = {
        name[d.sw_if_index]: (
            [tag[a] for a in d.acls[: d.n_input]],
            [tag[a] for a in d.acls[d.n_input : d.count]],
        )
        for d in c.api.acl_interface_list_dump(sw_if_index=ALL)
        if d.count
    }
    macip_lists = {
        name[d.sw_if_index]: mtag[d.acls[0]] for d in c.api.macip_acl_interface_list_dump(sw_if_index=ALL)
    }
    return {"acls": acls, "macip_acls": macips, "acl_lists": lists, "macip_lists": macip_lists}


async def vpp_snapshot(api_socket: str) -> dict[str, Any]:
    """Everything VPP holds that the agent programs, read with vpp-papi's own client."""
    from agent.vpp.api import api_json_files

    files = [str(p) for p in api_json_files()]
    return await asyncio.to_thread(_snapshot_sync, api_socket, files)


async def wait_for_interface(api_socket: str, name: str) -> dict[str, Any]:
    """The VPP snapshot once ``name`` exists in VPP (polled for up to ~10 s)."""
    snap: dict[str, Any] = {}
    for _ in range(200):
        snap = await vpp_snapshot(api_socket)
        if name in snap["interfaces"]:
            return snap
        await asyncio.sleep(0.05)
    raise AssertionError(f"{name} never appeared in VPP: {sorted(snap.get('interfaces', {}))}")
