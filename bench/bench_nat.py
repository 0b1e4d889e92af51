"""Configuring CGNAT at scale (issue #17 target: 64 pools over 16 VRFs with 1,000 static mappings, commit
to vppsim < 2 s); prints JSON.

    .venv/bin/python bench/bench_nat.py [--vrfs 16] [--pools-per-vrf 4] [--mappings 1000] [--real-vpp]

One commit (gNMI-style edit of ietf-nat with bng-nat, then TransactionManager.commit with the journal
fsyncing, planning, and every VPP call) creates 16 VRFs, 16 dynamic NAT instances (one per VRF, four /28
pools each), an inside sub-interface per VRF and one outside port, and 1,000 static port mappings spread
over the instances. Reported: the commit's wall time and VPP calls, then a one-mapping change and a
reconcile that finds nothing to do. ``--real-vpp`` runs the same against VPP 26.06 (`make vpp`; as root,
like `make test-vpp`), otherwise against vppsim.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT / "tests" / "vpp"))

from _southbound_helpers import IF, VRFS, AgentStack  # noqa: E402

from agent.app.sim import start_sim  # noqa: E402

NAT = "/ietf-nat:nat"
PORT, OUT = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"


def config(vrfs: int, pools_per_vrf: int, mappings: int) -> list[tuple[str, Any]]:
    subifs = [
        {
            "name": f"{PORT}.{100 + v}",
            "type": "iana-if-type:l2vlan",
            "bng-interfaces:sub-interface": {
                "parent-interface": PORT,
                "sub-id": 100 + v,
                "encapsulation": {"single-tagged": {"vlan-id": 100 + v}},
            },
            "bng-vrf:vrf": f"t{v}",
        }
        for v in range(vrfs)
    ]
    ports = [{"name": n, "type": "iana-if-type:ethernetCsmacd"} for n in (PORT, OUT)]
    instances = []
    for v in range(vrfs):
        pools = [
            {"pool-id": p + 1, "external-ip-pool": f"100.{64 + v}.{p * 16}.0/28"}
            for p in range(pools_per_vrf)
        ]
        instances.append(
            {
                "id": v + 1,
                "name": f"tenant-{v}",
                "bng-nat:vrf": f"t{v}",
                "bng-nat:inside-interface": [f"{PORT}.{100 + v}"],
                "bng-nat:outside-interface": [OUT],
                "policy": [{"id": 1, "external-ip-address-pool": pools}],
                "mapping-table": {"mapping-entry": []},
            }
        )
    for i in range(mappings):
        inst = instances[i % vrfs]
        inst["mapping-table"]["mapping-entry"].append(
            {
                "index": i + 1,
                "type": "static",
                "transport-protocol": 6,
                "internal-src-address": f"10.{i // 250}.{i % 250}.1/32",
                "internal-src-port": {"start-port-number": 80},
                "external-src-address": f"198.18.{i // 250}.{i % 250 + 1}/32",
                "external-src-port": {"start-port-number": 8080},
            }
        )
    return [
        (VRFS, {"vrf": [{"name": f"t{v}", "table-id": 1000 + v} for v in range(vrfs)]}),
        (IF, {"interface": ports + subifs}),
        (NAT, {"instances": {"instance": instances}}),
    ]


async def measure(api_socket: str, data: Path, ns: argparse.Namespace) -> dict[str, Any]:
    st = AgentStack(api_socket, data)
    await st.start()
    try:
        conn = st.sb.conn
        assert conn is not None
        writes0 = conn.writes
        t0 = time.perf_counter()
        await st.commit(updates=config(ns.vrfs, ns.pools_per_vrf, ns.mappings))
        commit_s = time.perf_counter() - t0
        calls = conn.writes - writes0
        path = f"{NAT}/instances/instance[id='1']/mapping-table/mapping-entry[index='1']/external-src-port"
        writes0 = conn.writes
        t0 = time.perf_counter()
        await st.commit(updates=[(path, {"start-port-number": 8081})])
        one_s = time.perf_counter() - t0
        one_calls = conn.writes - writes0
        t0 = time.perf_counter()
        report = await st.sb.reconcile()
        reconcile_s = time.perf_counter() - t0
    finally:
        await st.stop()
    return {
        "vrfs": ns.vrfs,
        "pools": ns.vrfs * ns.pools_per_vrf,
        "static_mappings": ns.mappings,
        "commit_s": round(commit_s, 3),
        "commit_vpp_calls": calls,
        "one_mapping_change_ms": round(one_s * 1000, 1),
        "one_mapping_change_vpp_calls": one_calls,
        "noop_reconcile_s": round(reconcile_s, 3),
        "noop_reconcile_writes": report.write_calls,
        "noop_reconcile_reads": report.read_calls,
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }


async def run(ns: argparse.Namespace) -> dict[str, Any]:
    directory = tempfile.mkdtemp(prefix="vn-", dir="/tmp")
    if ns.real_vpp:
        from _realvpp import RealVpp, remove_tree

        vpp = RealVpp(directory, ports=2)
        try:
            out = await measure(vpp.api_socket, Path(directory) / "data", ns)
        finally:
            vpp.destroy()
            remove_tree(directory)
        return {"target": "vpp 26.06", **out}
    sim = await start_sim(ports=2)
    try:
        out = await measure(sim.api_socket, Path(directory) / "data", ns)
    finally:
        await sim.stop()
    return {"target": "vppsim", **out}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vrfs", type=int, default=16)
    p.add_argument("--pools-per-vrf", type=int, default=4)
    p.add_argument("--mappings", type=int, default=1000)
    p.add_argument("--real-vpp", action="store_true", help="VPP 26.06 from `make vpp` instead of vppsim")
    print(json.dumps(asyncio.run(run(p.parse_args())), indent=2))


if __name__ == "__main__":
    main()
