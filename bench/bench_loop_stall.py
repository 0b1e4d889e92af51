"""How long the event loop stalls while a large edit and commit run; prints JSON.

Run: .venv/bin/python bench/bench_loop_stall.py [--count 10000] [--reads 1]

A ticker task sleeps 1 ms in a loop and records the longest gap between its wake-ups, while the
candidate receives one NETCONF-style ``<config>`` creating ``--count`` sub-interfaces
(``Datastores.edit_config_async``) and is committed (``TransactionManager.commit``, which validates in
a worker thread), and a reader prints running (``read_async``) in a loop. Reported: wall time of the
edit and the commit, the longest loop stall during each, and how many running reads completed while
they were in progress. With everything on the loop the stall equals the operation's duration and no
read completes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_commit import NullSouthbound
from bench_datastore import subif_config

from agent.datastore.journal import Journal
from agent.datastore.session import Session
from agent.datastore.store import Datastores
from agent.model import load_model_set
from agent.txn import TransactionManager


class Ticker:
    """Measures the longest gap between 1 ms sleeps, i.e. the longest time the loop was not free."""

    def __init__(self) -> None:
        self.max_gap = 0.0
        self.stop = False

    async def run(self) -> None:
        last = time.perf_counter()
        for _ in range(10_000_000):
            if self.stop:
                return
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            self.max_gap = max(self.max_gap, now - last - 0.001)
            last = now


async def measured(op: Any, ds: Datastores) -> dict[str, Any]:
    ticker = Ticker()
    reads = 0
    done = False

    async def reader() -> None:
        nonlocal reads
        for _ in range(1_000_000):
            if done:
                return
            await ds.read_async("running", fmt="json")
            reads += 1 if not done else 0

    tick = asyncio.create_task(ticker.run())
    rd = asyncio.create_task(reader())
    await asyncio.sleep(0.01)
    t0 = time.perf_counter()
    await op()
    elapsed = time.perf_counter() - t0
    done = True
    ticker.stop = True
    await tick
    await rd
    return {
        "wall_s": round(elapsed, 3),
        "max_loop_stall_ms": round(ticker.max_gap * 1e3, 1),
        "running_reads_meanwhile": reads,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    model = load_model_set()
    base = Path(args.dir)
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    ds = Datastores(model)
    tm = TransactionManager(ds, Journal(base / "data", model), NullSouthbound())
    await tm.start()
    s = Session.create("bench", "netconf")
    # a small committed configuration so that running reads have something to print
    ds.edit_config("candidate", subif_config(100, args.shape), session=s)
    await tm.commit(s)
    config = subif_config(args.count, args.shape)
    out: dict[str, Any] = {"count": args.count, "shape": args.shape}

    async def edit() -> None:
        await ds.edit_config_async("candidate", config, session=s)

    async def commit() -> None:
        await tm.commit(s)

    out["edit"] = await measured(edit, ds)
    out["commit"] = await measured(commit, ds)
    await tm.stop()
    shutil.rmtree(base, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--shape", choices=("bng", "ietf"), default="bng")
    ap.add_argument("--dir", default=str(Path(__file__).resolve().parents[1] / "var" / "bench-loop-stall"))
    print(json.dumps(asyncio.run(run(ap.parse_args())), indent=2))


if __name__ == "__main__":
    main()
