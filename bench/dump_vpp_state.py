"""Dump what a VPP holds, normalised so two VPPs configured in different orders compare with ``==``.

Interfaces by name (flags, tag, VLAN, MTU, table per family, addresses, IPv6 link-local), IP tables,
every unicast route of every table (connected and local entries included), with interface names in
place of ``sw_if_index`` values (VPP hands those out in creation order) and lists sorted.

Multicast routes are left out: on VPP 26.06 an ``ip_mroute_dump`` of a table whose special entries
hold a few hundred accepting interfaces never answers (the main thread spins in ``mspace_malloc`` /
``sched_yield``; seen with 500 sub-interfaces per table), and VPP has to be restarted. What they hold
follows from the interfaces' tables and addresses, which are compared.

    .venv/bin/python bench/dump_vpp_state.py --vpp-api-socket RUN/api.sock > a.json
    .venv/bin/python bench/dump_vpp_state.py --compare a.json b.json     # exit 1 and a summary if not equal

Used to check that a changed call order configures the same thing (docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import sys
from collections import deque
from typing import Any

from vpp_papi.vpp_papi_async import VPPApiClient

WINDOW = 256


async def _many(client: VPPApiClient, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Replies to ``calls`` in order, ``WINDOW`` in flight (dumps return their details list)."""
    out: list[Any] = []
    inflight: deque[tuple[bool, Any]] = deque()

    async def settle() -> None:
        is_dump, fut = inflight.popleft()
        r = await fut
        out.append(list(r[1]) if is_dump else r)  # vpp_papi_async: (control_ping_reply, details)

    for msg, args in calls:
        inflight.append((msg.endswith("_dump"), getattr(client.api, msg)(**args)))
        if len(inflight) >= WINDOW:
            await settle()
    while inflight:
        await settle()
    return out


def _path(p: Any, names: dict[int, str]) -> dict[str, Any]:
    nh = str(p.nh.address.ip6) if p.proto == 1 else str(p.nh.address.ip4)
    return {
        "interface": names.get(p.sw_if_index, p.sw_if_index),
        "type": int(p.type),
        "flags": int(p.flags),
        "proto": int(p.proto),
        "nh": nh,
        "table_id": p.table_id,
        "weight": p.weight,
        "preference": p.preference,
    }


def _link_local(mac: bytes) -> str:
    """fe80:: plus the modified EUI-64 of ``mac`` (RFC 4291 appendix A), as VPP makes it."""
    eui = bytes([mac[0] ^ 2, *mac[1:3], 0xFF, 0xFE, *mac[3:6]])
    return str(ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + eui))


async def dump(api: str) -> dict[str, Any]:
    client = VPPApiClient(server_address=api, read_timeout=120)
    assert await client.connect("state-dump", asyncio.Queue()) == 0
    _, details = await client.api.sw_interface_dump()
    names = {d.sw_if_index: d.interface_name for d in details}
    idx = sorted(names)
    macs = {d.sw_if_index: bytes.fromhex(str(d.l2_address).replace(":", "")) for d in details}
    eui64 = {d.sw_if_index: _link_local(macs[d.sup_sw_if_index]) for d in details}
    interfaces: dict[str, Any] = {}
    for d in details:
        interfaces[d.interface_name] = {
            "flags": int(d.flags),
            "tag": d.tag,
            "parent": names.get(d.sup_sw_if_index),
            "sub": [
                d.sub_id,
                d.sub_number_of_tags,
                d.sub_outer_vlan_id,
                d.sub_inner_vlan_id,
                int(d.sub_if_flags),
            ],
            "mtu": list(d.mtu),
        }
    tables = await _many(
        client,
        [("sw_interface_get_table", {"sw_if_index": i, "is_ipv6": f}) for i in idx for f in (False, True)],
    )
    addrs = await _many(
        client, [("ip_address_dump", {"sw_if_index": i, "is_ipv6": f}) for i in idx for f in (False, True)]
    )
    # vppsim offers only the agent's messages: what it lacks is left out of its dump
    ll_msg = "sw_interface_ip6_get_link_local_address"
    lls = (
        await _many(client, [(ll_msg, {"sw_if_index": i}) for i in idx])
        if hasattr(client.api, ll_msg)
        else []
    )
    for n, i in enumerate(idx):
        e = interfaces[names[i]]
        e["table_v4"], e["table_v6"] = tables[2 * n].vrf_id, tables[2 * n + 1].vrf_id
        e["addresses"] = sorted(str(a.prefix) for a in addrs[2 * n] + addrs[2 * n + 1])
        if lls:
            ll = str(lls[n].ip) if lls[n].retval == 0 else None
            # VPP derives it from the port's MAC, which af_packet ports pick at random on every start
            e["ip6_link_local"] = "EUI-64 of the port's MAC" if ll == eui64[i] else ll
    _, tdetails = await client.api.ip_table_dump()
    ip_tables = sorted(
        ({"table_id": t.table.table_id, "is_ip6": t.table.is_ip6, "name": t.table.name} for t in tdetails),
        key=lambda t: (t["table_id"], t["is_ip6"]),
    )
    routes: dict[str, Any] = {}
    for t in ip_tables:
        key = f"{t['table_id']}/{'ip6' if t['is_ip6'] else 'ip4'}"
        table = {"table_id": t["table_id"], "is_ip6": t["is_ip6"]}
        _, rd = await client.api.ip_route_dump(table=table)
        routes[key] = {
            str(r.route.prefix): sorted(
                (_path(p, names) for p in r.route.paths), key=lambda p: json.dumps(p, sort_keys=True)
            )
            for r in rd
        }
    await client.disconnect()
    return {"interfaces": interfaces, "tables": ip_tables, "routes": routes}


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """One line per difference, by section and key (at most 50)."""
    out: list[str] = []
    for section in sorted(a.keys() | b.keys()):
        x, y = a.get(section), b.get(section)
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(x.keys() | y.keys()):
                if x.get(k) != y.get(k):
                    out.append(f"{section} {k}: {json.dumps(x.get(k))[:200]} != {json.dumps(y.get(k))[:200]}")
        elif x != y:
            out.append(f"{section}: differs")
    return out[:20]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vpp-api-socket")
    p.add_argument("--compare", nargs=2, metavar="JSON")
    ns = p.parse_args()
    if ns.compare:
        with open(ns.compare[0]) as fa, open(ns.compare[1]) as fb:
            a, b = json.load(fa), json.load(fb)
        diffs = compare(a, b)
        summary = {
            "interfaces": len(a["interfaces"]),
            "routes": sum(len(v) for v in a["routes"].values()),
            "addresses": sum(len(i["addresses"]) for i in a["interfaces"].values()),
        }
        print(json.dumps({"equal": not diffs, "counts": summary, "differences": diffs}, indent=2))
        sys.exit(1 if diffs else 0)
    print(json.dumps(asyncio.run(dump(ns.vpp_api_socket)), indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
