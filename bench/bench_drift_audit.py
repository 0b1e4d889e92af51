"""Benchmark the drift audit against vppsim (JSON on stdout).

Configuration: ``--subifs`` VLAN sub-interfaces over 4 ports, each with an IPv4 and an IPv6 address,
alternating between 2 VRFs (the shape of ``bench_southbound.py``, without routes). After a cold start
(reconcile of an empty vppsim) this measures, ``--audits`` times each:

* a periodic audit with nothing changed (agent CPU: ``time.process_time`` of the audit coroutine's
  process; vppsim runs in its own process and is not counted) -- the target is < 200 ms at 10,000;
* an audit after one address was removed behind the agent's back (found and repaired);
* an event audit of one deleted sub-interface (found and re-created, wall time from the delete to the
  repair's end).

    .venv/bin/python bench/bench_drift_audit.py [--subifs 10000] [--audits 5]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import ipaddress
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_southbound import config, start_vppsim, stop  # noqa: E402

from agent.vpp.audit import DriftAuditor  # noqa: E402
from agent.vpp.connection import VppConnection  # noqa: E402
from agent.vpp.southbound import VppSouthbound  # noqa: E402


def ms(xs: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(xs) * 1e3, 1),
        "min_ms": round(min(xs) * 1e3, 1),
        "max_ms": round(max(xs) * 1e3, 1),
    }


async def run(ns: argparse.Namespace) -> dict[str, Any]:
    tmp = tempfile.mkdtemp(prefix="bench-drift-")
    proc, api = start_vppsim(tmp, "drift")
    try:
        sb = VppSouthbound()
        sb.load_config(config(ns.subifs, 0))
        conn = VppConnection(api, timeout=60)
        await conn.connect()
        sb.attach(conn)
        t0 = time.perf_counter()
        await sb.reconcile()
        cold = time.perf_counter() - t0
        auditor = DriftAuditor(sb)
        gc.collect()
        quiet_cpu, quiet_wall = [], []
        reads = 0
        for _ in range(ns.audits):
            w0, c0 = time.perf_counter(), time.process_time()
            res = await auditor.audit()
            quiet_cpu.append(time.process_time() - c0)
            quiet_wall.append(time.perf_counter() - w0)
            assert not res.drift, res.steps[:5]
            reads = res.reads
        # one address removed by another client: the next audit finds and repairs it
        name = next(k.partition("/")[2] for k in sb.applied if k.startswith("interface/") and "." in k)
        addr = next(it for it in sb.applied.values() if it.kind == "address" and it.owner == name)
        idx = sb.names.index(name)
        other = VppConnection(api, client_name="operator", timeout=60)
        await other.connect()
        prefix = ipaddress.ip_interface(addr.value["prefix"])
        rv = await other.call("sw_interface_add_del_address", sw_if_index=idx, is_add=False, prefix=prefix)
        assert rv.retval == 0
        c0 = time.process_time()
        res = await auditor.audit()
        drift_cpu = time.process_time() - c0
        assert res.action == "repaired" and len(res.steps) == 1, res
        # a sub-interface deleted: the event audit of that one index
        idx = sb.names.index(name)
        w0 = time.perf_counter()
        assert (await other.call("delete_subif", sw_if_index=idx)).retval == 0
        c0 = time.process_time()
        res = await auditor.audit(indices=[idx], source="event")
        event_cpu = time.process_time() - c0
        event_wall = time.perf_counter() - w0
        assert res.action == "repaired", res
        await other.close()
        await conn.close()
        return {
            "subifs": ns.subifs,
            "items": len(sb.applied),
            "cold_start_seconds": round(cold, 2),
            "quiet_audit_agent_cpu": ms(quiet_cpu),
            "quiet_audit_wall": ms(quiet_wall),
            "quiet_audit_vpp_reads": reads,
            "address_drift_audit_agent_cpu_ms": round(drift_cpu * 1e3, 1),
            "deleted_subif_event_audit": {
                "agent_cpu_ms": round(event_cpu * 1e3, 1),
                "wall_ms_from_delete_to_repaired": round(event_wall * 1e3, 1),
                "repair_steps": len(res.steps),
            },
        }
    finally:
        stop(proc)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--subifs", type=int, default=10000)
    p.add_argument("--audits", type=int, default=5)
    print(json.dumps(asyncio.run(run(p.parse_args())), indent=2))


if __name__ == "__main__":
    main()
