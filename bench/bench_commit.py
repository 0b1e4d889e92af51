"""Transaction costs with durable persistence (issue #3 targets); prints JSON.

Run: .venv/bin/python bench/bench_commit.py [--count 10000] [--rounds 50] [--shape bng|ietf]
         [--rate-count 100] [--seconds 3] [--dir DIR]

Everything goes through TransactionManager.commit with the journal fsyncing on the disk that holds
``--dir`` (default: var/bench-commit in the checkout, not /tmp, which may be tmpfs). The southbound is a
null one (plans one step per change, applies nothing), so the numbers are the agent's side only.

  bulk_commit_s        commit of one edit creating N sub-interfaces with an IPv4 address each
                       (validate, plan, swap, journal write + fsync; target < 1 s); the edit itself is
                       reported separately as bulk_edit_s
  one_leaf_commit_ms   one-leaf candidate edit + commit on that datastore, median of rounds (< 50 ms)
                       (wall clock and process CPU time: the machine is shared);
                       validate_ms is the part spent in Datastores.prepare_commit_async (libyang validation
                       of the whole candidate), txn_ms the rest (plan, swap, journal write + fsync)
  fsync_per_s          the disk: 128-byte append + fsync, back to back
  commit_rate          one-leaf writable-running commits per second with C concurrent clients, and
                       fsyncs per commit (group commit: < 1 when clients overlap); measured on a
                       separate datastore of --rate-count sub-interfaces so that persistence, not
                       validation, is what limits the rate
  journal_append_rate  durable journal appends per second with C concurrent writers (no validation):
                       the ceiling persistence puts on the commit rate
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_datastore import subif_config

from agent.datastore.changes import Change
from agent.datastore.journal import CommitRecord, Journal
from agent.datastore.session import Session
from agent.datastore.store import Datastores
from agent.model import load_model_set
from agent.txn import Plan, PlanStep, TransactionManager

IFS = "/ietf-interfaces:interfaces"


class NullSouthbound:
    """Plans one step per change and applies nothing: isolates the agent's side."""

    async def plan(self, running: Any, changes: list[Change]) -> Plan:
        return Plan(steps=[PlanStep(c.op, c.path) for c in changes], changes=changes)

    async def apply(self, plan: Plan) -> None:
        return None


def fsync_rate(directory: Path, seconds: float) -> float:
    path = directory / "fsync-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    n = 0
    end = time.perf_counter() + seconds
    try:
        while time.perf_counter() < end and n < 1_000_000:
            os.write(fd, b"x" * 128)
            os.fsync(fd)
            n += 1
    finally:
        os.close(fd)
        path.unlink()
    return n / seconds


async def journal_rate(directory: Path, model: Any, seconds: float) -> dict[str, Any]:
    """Durable appends per second with C concurrent writers: the persistence ceiling for commits."""
    journal = Journal(directory, model)
    journal.load()
    change = [Change("modify", f"{IFS}/interface[name='x']/description", "a", "b")]
    out = {}
    for clients in (1, 16, 64):
        done = 0
        fsyncs0 = journal.fsync_count
        stop_at = time.perf_counter() + seconds

        async def writer(stop_at: float) -> None:
            nonlocal done
            for _ in range(1_000_000):
                if time.perf_counter() >= stop_at:
                    break
                rec = CommitRecord(id=journal.last_id + 1, time=time.time(), user="b", origin="bench")
                await journal.append(rec, change)
                done += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(writer(stop_at) for _ in range(clients)))
        elapsed = time.perf_counter() - t0
        out[str(clients)] = {
            "appends_per_s": round(done / elapsed, 1),
            "fsyncs_per_append": round((journal.fsync_count - fsyncs0) / max(done, 1), 3),
        }
    await journal.close()
    return out


def first_subif_names(ds: Datastores, count: int) -> list[str]:
    doc = json.loads(ds.read("running", fmt="json", xpath=f"{IFS}/interface/name") or "{}")
    names = [e["name"] for e in doc.get("ietf-interfaces:interfaces", {}).get("interface", [])]
    return [n for n in names if "." in n][:count]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    model = load_model_set()
    base = Path(args.dir)
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    out: dict[str, Any] = {"count": args.count, "rounds": args.rounds, "dir": str(base)}
    out["fsync_per_s"] = round(fsync_rate(base, 1.0), 1)

    journal = Journal(base / "data", model)
    ds = Datastores(model)
    tm = TransactionManager(ds, journal, NullSouthbound())
    await tm.start()
    s = Session.create("bench", "netconf")
    validate_s = [0.0]
    real_prepare = ds.prepare_commit_async

    async def timed_prepare(*a: Any, **kw: Any) -> Any:
        t = time.perf_counter()
        try:
            return await real_prepare(*a, **kw)
        finally:
            validate_s[0] += time.perf_counter() - t

    ds.prepare_commit_async = timed_prepare  # type: ignore[method-assign]

    t0 = time.perf_counter()
    ds.edit_config("candidate", subif_config(args.count, args.shape), session=s)
    t1, c1 = time.perf_counter(), time.process_time()
    validate_s[0] = 0.0
    rec = await tm.commit(s)
    t2, c2 = time.perf_counter(), time.process_time()
    out["bulk_commit_cpu_s"] = round(c2 - c1, 3)
    out["shape"] = args.shape
    out["bulk_edit_s"] = round(t1 - t0, 3)
    out["bulk_commit_s"] = round(t2 - t1, 3)
    out["bulk_commit_validate_s"] = round(validate_s[0], 3)
    out["bulk_changes"] = rec.change_count

    names = first_subif_names(ds, 64)
    times, vtimes, cpus = [], [], []
    for i in range(args.rounds):
        path = f"{IFS}/interface[name='{names[i % len(names)]}']/description"
        validate_s[0] = 0.0
        t0, c0 = time.perf_counter(), time.process_time()
        ds.edit_gnmi("candidate", deletes=[], replaces=[], updates=[(path, f"round {i}")], session=s)
        await tm.commit(s)
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        vtimes.append(validate_s[0])
    out["one_leaf_commit_ms"] = {
        "median": round(statistics.median(times) * 1e3, 2),
        "p90": round(sorted(times)[int(len(times) * 0.9)] * 1e3, 2),
        "cpu_median": round(statistics.median(cpus) * 1e3, 2),
        "validate_median": round(statistics.median(vtimes) * 1e3, 2),
        "txn_median": round(statistics.median(t - v for t, v in zip(times, vtimes, strict=True)) * 1e3, 2),
    }
    await tm.stop()
    t0 = time.perf_counter()
    state = Journal(base / "data", model).load()
    out["reload_s"] = round(time.perf_counter() - t0, 3)
    out["reload_last_commit_id"] = state.last_commit_id

    # commit rate under concurrency, on a small datastore (persistence-bound)
    journal = Journal(base / "rate", model)
    ds = Datastores(model)
    tm = TransactionManager(ds, journal, NullSouthbound())
    await tm.start()
    ds.edit_config("candidate", subif_config(args.rate_count, args.shape), session=s)
    await tm.commit(s)
    names = first_subif_names(ds, 64)
    rates = {}
    for clients in (1, 4, 16, 64):
        sessions = [Session.create(f"c{i}", "gnmi") for i in range(clients)]
        done = 0
        fsyncs0 = journal.fsync_count
        stop_at = time.perf_counter() + args.seconds

        async def client(i: int, sessions: list[Session], stop_at: float) -> None:
            nonlocal done
            path = f"{IFS}/interface[name='{names[i % len(names)]}']/description"
            n = 0
            while time.perf_counter() < stop_at and n < 1_000_000:
                await tm.edit_running_gnmi(sessions[i], updates=[(path, f"c{i} n{n}")])
                n += 1
                done += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(client(i, sessions, stop_at) for i in range(clients)))
        elapsed = time.perf_counter() - t0
        rates[str(clients)] = {
            "commits_per_s": round(done / elapsed, 1),
            "fsyncs_per_commit": round((journal.fsync_count - fsyncs0) / max(done, 1), 3),
        }
    out["commit_rate"] = {"datastore_entries": args.rate_count, "by_clients": rates}
    await tm.stop()
    out["journal_append_rate"] = await journal_rate(base / "jrate", model, args.seconds)
    shutil.rmtree(base, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--shape", choices=("bng", "ietf"), default="bng")
    ap.add_argument("--rate-count", type=int, default=100)
    ap.add_argument("--dir", default=str(Path(__file__).resolve().parents[1] / "var" / "bench-commit"))
    args = ap.parse_args()
    print(json.dumps(asyncio.run(run(args)), indent=2))


if __name__ == "__main__":
    main()
