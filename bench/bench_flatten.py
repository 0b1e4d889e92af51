"""CPU cost of turning a whole configuration into items and a plan, without VPP (JSON on stdout).

The configuration is ``bench_southbound.py``'s (``--subifs`` sub-interfaces with IPv4+IPv6 over 2 VRFs,
``--routes`` ECMP routes: 71,012 items at the defaults). Measured with ``time.process_time`` (CPU of this
process, so other jobs on a shared machine disturb it little), best of ``--repeat``:

* load: the southbound's configuration index (roots and the references between them);
* flatten: every root -> items (what a reconcile intends);
* plan: items -> ordered steps from nothing (a cold start's plan).

    .venv/bin/python bench/bench_flatten.py [--subifs 10000] [--routes 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_southbound  # noqa: E402

from agent.vpp.executor import paused_gc  # noqa: E402
from agent.vpp.planner import plan_items  # noqa: E402
from agent.vpp.southbound import VppSouthbound  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subifs", type=int, default=10000)
    ap.add_argument("--routes", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ns = ap.parse_args()
    doc = bench_southbound.config(ns.subifs, ns.routes)
    best: dict[str, float] = {}
    items_n = steps_n = 0
    for _ in range(ns.repeat):
        gc.collect()
        sb = VppSouthbound()
        with paused_gc():  # as the southbound runs both (plan and reconcile pause the collector)
            t0 = time.process_time()
            sb.load_config(doc)
            t1 = time.process_time()
            items, _ = sb.intended_items()
            t2 = time.process_time()
            steps = plan_items({}, items)
            t3 = time.process_time()
        items_n, steps_n = len(items), len(steps)
        for k, v in (("load_s", t1 - t0), ("flatten_s", t2 - t1), ("plan_s", t3 - t2)):
            best[k] = min(best.get(k, float("inf")), v)
    out = {"subifs": ns.subifs, "routes": ns.routes, "items": items_n, "steps": steps_n}
    out.update({k: round(v, 3) for k, v in best.items()})
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
