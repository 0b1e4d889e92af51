"""Operational read of one interface among 10,000: scoped provider vs building every interface.

Builds a telemetry snapshot of N sub-interfaces with counters (no VPP needed), serves it through the
operational datastore as the agent does, and times ``Datastores.read("operational", xpath=...)`` -- the
call behind NETCONF ``<get-data>`` / ``<get>`` with an XPath filter and gNMI Get -- for one interface's
statistics, with the scoped provider and with the previous whole-list provider. Prints JSON.

    .venv/bin/python bench/bench_operational_scoped.py [--interfaces 10000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from agent.datastore.store import Datastores
from agent.model.context import load_model_set
from agent.telemetry.segment import CounterTable
from agent.telemetry.service import Telemetry
from agent.telemetry.snapshot import AgentCounters, InterfaceInfo, Inventory, Snapshot


def snapshot(n: int) -> Snapshot:
    names: list[str | None] = ["local0", *(f"GigabitEthernet0/8/0.{i}" for i in range(1, n + 1))]
    cols = {c: list(range(n + 1)) for c in ("rx:bytes", "rx:packets", "tx:bytes", "tx:packets", "drops")}
    table = CounterTable(names, cols, {"/sys/boottime": 1_700_000_000}, 1, time.time())
    ifs = {
        i: InterfaceInfo(
            i, names[i] or "", names[i] or "", True, True, 1_000_000, "00:00:00:00:00:00", 1500, 1
        )
        for i in range(1, n + 1)
    }
    return Snapshot(table, Inventory(ifs, (), {}, ()), AgentCounters(vpp_connected=True), time.time())


def timed(fn: Any, repeat: int) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"median_ms": round(statistics.median(times) * 1000, 2), "max_ms": round(max(times) * 1000, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--interfaces", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    model = load_model_set()
    snap = snapshot(args.interfaces)
    name = f"GigabitEthernet0/8/0.{args.interfaces // 2}"
    one = f"/ietf-interfaces:interfaces/interface[name='{name}']/statistics"
    out: dict[str, Any] = {"interfaces": args.interfaces, "xpath": one}

    scoped_ds = Datastores(model)
    tel = Telemetry("/nonexistent/stats.sock")
    tel.snapshot = snap
    tel.serve_operational(scoped_ds)

    def read_one(ds: Datastores) -> None:
        ds.read("operational", xpath=one, config_only=False, fmt="json")

    out["one_interface_scoped"] = timed(lambda: read_one(scoped_ds), args.repeat)

    whole_ds = Datastores(model)  # the previous behaviour: the provider builds every interface
    whole_ds.operational.register("/ietf-interfaces:interfaces", tel.operational_json)
    out["one_interface_whole_list_provider"] = timed(lambda: read_one(whole_ds), max(3, args.repeat // 4))
    out["all_interfaces"] = timed(
        lambda: scoped_ds.read(
            "operational", xpath="/ietf-interfaces:interfaces", config_only=False, fmt="json"
        ),
        3,
    )
    out["agent_state"] = timed(
        lambda: scoped_ds.read("operational", xpath="/bng-agent:agent-state", config_only=False, fmt="json"),
        args.repeat,
    )
    tel._executor.shutdown(wait=False)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
