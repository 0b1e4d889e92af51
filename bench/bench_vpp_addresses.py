"""Probe what an interface address add costs in VPP as interfaces grow (JSON on stdout).

Builds ``--subifs`` VLAN sub-interfaces over the ports VPP already has (the ``--ports`` names), binds
them alternately to ``--vrfs`` tables (0: all stay in table 0), then adds one IPv4 and one IPv6 address
per sub-interface, each phase pipelined with ``--window`` requests in flight through stock
vpp_papi_async. Every phase reports its rate, and the address phases a curve (seconds per
``--chunk`` calls), so a per-call cost that grows with the number of interfaces shows as a rising curve.

Variants (``--order``, comma-separated phases) show which part of VPP's work grows, e.g.

    subif,table,up,v4,v6      the agent's order before the fix (admin up before the addresses)
    subif,table,v4,v6,up      admin up last
    subif,table,ip6,v6,v4,up  IPv6 enabled explicitly (sw_interface_ip6_enable_disable) first
    subif,table,up,both       v4 and v6 of each interface back to back, interfaces in name order
    subif,table,v4g,v6g,up    addresses grouped by family, then by table ("g")

    .venv/bin/python bench/bench_vpp_addresses.py --vpp-api-socket /tmp/vpp/api.sock \
        --ports GigabitEthernet0/8/0,GigabitEthernet0/9/0 --subifs 4000 --order subif,table,up,v4,v6

Run it against a freshly started VPP each time (the sub-interfaces it creates stay).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vpp_papi.vpp_papi_async import VPPApiClient  # noqa: E402

ONE_TAG_EXACT = 2 | 16
PORTS = ["GigabitEthernet0/8/0", "GigabitEthernet0/9/0", "GigabitEthernet0/a/0", "GigabitEthernet0/b/0"]


def v4(i: int) -> str:
    return f"10.{i // 16384}.{(i // 64) % 256}.{(i % 64) * 4 + 1}/30"


def v6(i: int) -> str:
    return f"2001:db8:{i:x}::1/64"


async def pipelined(
    client: VPPApiClient, calls: list[tuple[str, dict[str, Any]]], window: int, chunk: int
) -> tuple[float, list[float], list[Any], int]:
    """Send ``calls`` with ``window`` in flight; seconds, seconds per chunk, replies, failures."""
    inflight: deque[Any] = deque()
    replies: list[Any] = []
    curve: list[float] = []
    failures = 0
    t0 = last = time.perf_counter()

    async def settle() -> None:
        nonlocal failures, last
        r = await inflight.popleft()
        replies.append(r)
        if r.retval != 0:
            failures += 1
        if len(replies) % chunk == 0:
            now = time.perf_counter()
            curve.append(round(now - last, 3))
            last = now

    for msg, args in calls:
        inflight.append(getattr(client.api, msg)(**args))
        if len(inflight) >= window:
            await settle()
    while inflight:
        await settle()
    return time.perf_counter() - t0, curve, replies, failures


async def run(ns: argparse.Namespace) -> dict[str, Any]:
    client = VPPApiClient(server_address=ns.vpp_api_socket, read_timeout=120)
    assert await client.connect("probe", asyncio.Queue()) == 0
    ports = ns.ports.split(",")
    _, details = await client.api.sw_interface_dump()  # vpp_papi_async: (control_ping_reply, details)
    index = {d.interface_name: d.sw_if_index for d in details}
    missing = [p for p in ports if p not in index]
    if missing:
        raise SystemExit(f"VPP has no {missing}; it has {sorted(index)}")
    per_port = (ns.subifs + len(ports) - 1) // len(ports)
    tables = [100 * (k + 1) for k in range(ns.vrfs)]
    subifs: list[int] = []
    out: dict[str, Any] = {"subifs": ns.subifs, "vrfs": ns.vrfs, "window": ns.window, "order": ns.order}
    phases: dict[str, Any] = {}
    t_all = time.perf_counter()
    for p in ports:  # VPP refuses to bring a sub-interface up while its parent is down
        r = await client.api.sw_interface_set_flags(sw_if_index=index[p], flags=1)
        assert r.retval == 0, r
    for t in tables:
        for is_ip6 in (False, True):
            r = await client.api.ip_table_add_del(
                is_add=True, table={"table_id": t, "is_ip6": is_ip6, "name": f"probe-{t}"}
            )
            assert r.retval == 0, r
    for phase in ns.order.split(","):
        calls: list[tuple[str, dict[str, Any]]]
        if phase == "subif":
            calls = []
            for i in range(ns.subifs):
                parent, vlan = ports[i // per_port], 1 + i % per_port
                calls.append(
                    (
                        "create_subif",
                        {
                            "sw_if_index": index[parent],
                            "sub_id": vlan,
                            "sub_if_flags": ONE_TAG_EXACT,
                            "outer_vlan_id": vlan,
                            "inner_vlan_id": 0,
                        },
                    )
                )
        elif phase == "table":
            calls = (
                [
                    (
                        "sw_interface_set_table",
                        {"sw_if_index": s, "is_ipv6": f, "vrf_id": tables[i % len(tables)]},
                    )
                    for i, s in enumerate(subifs)
                    for f in (False, True)
                ]
                if tables
                else []
            )
        elif phase == "up":
            calls = [("sw_interface_set_flags", {"sw_if_index": s, "flags": 1}) for s in subifs]
        elif phase == "ip6":
            calls = [("sw_interface_ip6_enable_disable", {"sw_if_index": s, "enable": True}) for s in subifs]
        elif phase in ("v4", "v6", "v4g", "v6g", "both", "bothg"):
            # "g": grouped by table (every interface of the first VRF, then of the next); without it the
            # interfaces' own order, which alternates between the VRFs. "both": v4 and v6 of one
            # interface back to back (the agent's order before the fix: items sorted by key).
            fams = {"v4": (v4,), "v6": (v6,), "both": (v4, v6)}[phase.rstrip("g")]
            order = list(enumerate(subifs))
            if phase.endswith("g") and tables:
                order.sort(key=lambda e: e[0] % len(tables))
            calls = [
                (
                    "sw_interface_add_del_address",
                    {"sw_if_index": s, "is_add": True, "del_all": False, "prefix": fmt(i)},
                )
                for i, s in order
                for fmt in fams
            ]
        else:
            raise SystemExit(f"unknown phase {phase}")
        seconds, curve, replies, failures = await pipelined(client, calls, ns.window, ns.chunk)
        if phase == "subif":
            subifs = [int(r.sw_if_index) for r in replies]
        phases[phase] = {
            "calls": len(calls),
            "seconds": round(seconds, 3),
            "per_second": round(len(calls) / seconds) if seconds else None,
            "failures": failures,
            **({"seconds_per_chunk": curve} if phase not in ("subif", "table") else {}),
        }
    out["phases"] = phases
    out["seconds"] = round(time.perf_counter() - t_all, 3)
    await client.disconnect()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vpp-api-socket", required=True)
    p.add_argument(
        "--ports",
        default="GigabitEthernet0/8/0,GigabitEthernet0/9/0,GigabitEthernet0/a/0,GigabitEthernet0/b/0",
    )
    p.add_argument("--subifs", type=int, default=10000)
    p.add_argument("--vrfs", type=int, default=2)
    p.add_argument("--window", type=int, default=1024)
    p.add_argument("--chunk", type=int, default=1000)
    p.add_argument("--order", default="subif,table,up,v4,v6")
    ns = p.parse_args()
    print(json.dumps(asyncio.run(run(ns)), indent=2))


if __name__ == "__main__":
    main()
