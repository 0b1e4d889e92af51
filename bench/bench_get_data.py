"""RFC 8526 <get-data> of the operational datastore with its parameters, on 10,000 interfaces.

Half of the interfaces are configured in running (origin intended), the other half exist only in the
system (the telemetry snapshot: origin system). Times :func:`agent.datastore.nmda.get_data` -- the call
behind NETCONF ``<get-data>`` -- without parameters (the plain read), with ``with-origin``,
``config-filter`` true and false, an ``origin-filter`` and ``max-depth``, all printed as XML; the snapshot
stays the same across these reads (the interfaces are parsed once, by the first), except in the last case,
the plain read with a new snapshot before each read (what the first read after every poll costs). Prints
JSON.

    .venv/bin/python bench/bench_get_data.py [--interfaces 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import time
from typing import Any

from bench_operational_scoped import snapshot  # bench/ is sys.path[0] when run as a script

from agent.datastore.nmda import DataQuery, get_data
from agent.datastore.store import Datastores
from agent.model.context import load_model_set
from agent.telemetry.service import Telemetry


def running_json(n: int) -> str:
    ifs = [
        {"name": f"GigabitEthernet0/8/0.{i}", "type": "iana-if-type:ethernetCsmacd", "description": str(i)}
        for i in range(1, n + 1, 2)
    ]
    return json.dumps({"ietf-interfaces:interfaces": {"interface": ifs}})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--interfaces", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    model = load_model_set()
    ds = Datastores(model)
    ds.set_running(running_json(args.interfaces))
    tel = Telemetry("/nonexistent/stats.sock")
    tel.snapshot = snapshot(args.interfaces)
    tel.serve_operational(ds)

    cases: dict[str, DataQuery] = {
        "plain": DataQuery("operational"),
        "with_origin": DataQuery("operational", with_origin=True),
        "config_filter_false": DataQuery("operational", config_filter=False),
        "config_filter_true": DataQuery("operational", config_filter=True),
        "origin_filter_system": DataQuery("operational", origin_filter=("ietf-origin:system",)),
        "max_depth_3": DataQuery("operational", max_depth=3),
    }
    out: dict[str, Any] = {"interfaces": args.interfaces, "configured": (args.interfaces + 1) // 2}

    async def run() -> None:
        for name, query in [*cases.items(), ("plain_first_read_after_poll", cases["plain"])]:
            times, size = [], 0
            for _ in range(args.repeat):
                if name.endswith("after_poll"):
                    # a new snapshot, as after a poll: this read formats and parses the interfaces again
                    tel.snapshot = dataclasses.replace(tel.snapshot, taken_at=time.time())
                t0 = time.perf_counter()
                text = await get_data(ds, query)
                times.append(time.perf_counter() - t0)
                size = len(text)
            out[name] = {
                "median_ms": round(statistics.median(times) * 1000, 1),
                "max_ms": round(max(times) * 1000, 1),
                "reply_bytes": size,
            }

    asyncio.run(run())
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
