"""Benchmark: telemetry at scale -- stats segment into the operational tree, and the /metrics scrape.

Prints one JSON document. For each interface count:

- ``read``: :class:`agent.telemetry.segment.SegmentReader` reading every interface's 13 counters
  (5 simple, 8 combined) from a stats segment laid out as VPP 26.06 lays it out (vppsim's writer, with
  VPP's 17 ``/interfaces/<name>/*`` symlinks per interface), right after a bulk counter update (the
  epoch moved) and again with nothing changed;
- ``tree``: that read turned into the operational ``ietf-interfaces`` JSON-IETF and parsed into libyang
  data trees (what a NETCONF ``<get>`` or gNMI Get of the interfaces subtree then merges and prints):
  in parts by the operational registry's worker threads, as the agent does once per snapshot, and, for
  comparison, as one text in one parse (the agent's path before);
- ``scrape``: an HTTP GET of ``/metrics`` from the exporter's server (plain and gzip), as Prometheus does.

With ``--inventory N`` it also starts a ``bng-vppsim`` process, creates N QinQ sub-interfaces and times
the inventory refresh (``read_inventory``: interface dumps, per-interface table and address dumps,
bonds, routes -- the periodic background load) and a stats read from that other process's segment.

Targets (issue #8): read + tree for 10,000 interfaces < 200 ms; scrape of 10,000 interfaces < 1 s.

Usage: .venv/bin/python bench/bench_telemetry.py [--counts 10000,100000] [--repeat 5] [--inventory 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from agent.datastore.operational import JsonParts, OperationalRegistry
from agent.model.context import load_model_set
from agent.telemetry.exporter import Exporter
from agent.telemetry.inventory import read_inventory
from agent.telemetry.latency import LatencyHistogram
from agent.telemetry.operational import interfaces_text
from agent.telemetry.segment import CounterTable, SegmentReader
from agent.telemetry.snapshot import AgentCounters, InterfaceInfo, Inventory, Snapshot
from agent.vpp.connection import VppConnection
from vppsim.stats import StatsSegment

T = TypeVar("T")


class LoopThread:
    """The stats socket answers on a side thread while the main thread reads."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1e3, 1)


def snapshot_for(table: CounterTable) -> Snapshot:
    ifs = {
        i: InterfaceInfo(
            i,
            name,
            name,
            True,
            True,
            1_000_000,
            f"02:00:00:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}",
            9000,
            1,
            "default",
        )
        for i, name in enumerate(table.names)
        if name is not None
    }
    return Snapshot(table, Inventory(ifs), AgentCounters(vpp_connected=True), time.time())


def one_count(loop: LoopThread, count: int, repeat: int, sock_dir: str, model: Any) -> dict[str, Any]:
    size = (768 << 20) if count > 20_000 else (128 << 20)
    seg = StatsSegment(size, workers=0, interface_symlinks=True, counters_under_lock=True)
    path = os.path.join(sock_dir, f"stats-{count}.sock")
    out: dict[str, Any] = {"interfaces": count}
    try:
        seg.add_interfaces([(i, f"GigabitEthernet0/8/0.{i}" if i else "local0") for i in range(count)])
        loop.run(seg.serve(path))
        reader = SegmentReader(path)
        _, out["connect_and_first_read_s"] = timed(reader.read)
        after_update, steady, tree_ms, json_ms, total = [], [], [], [], []
        parts_ms, total_single = [], []
        registry = OperationalRegistry(model.ctx)
        table = reader.read()
        # the poller keeps the inventory's InterfaceInfo objects from poll to poll (only counters move)
        inventory = snapshot_for(table).inventory
        for k in range(repeat):
            seg.add_traffic_bulk((i, 10 + k, 640 + k, 5, 7500) for i in range(1, count))
            table, t_read = timed(reader.read)
            after_update.append(t_read)
            _, t_steady = timed(reader.read)
            steady.append(t_steady)
            snap = Snapshot(table, inventory, AgentCounters(vpp_connected=True), time.time())
            t0 = time.perf_counter()
            doc = interfaces_text(snap)
            t_json = time.perf_counter() - t0
            json_ms.append(t_json)
            t0 = time.perf_counter()
            tree = model.ctx.parse_data_mem(str(doc), "json", parse_only=True, strict=True)
            t_tree = time.perf_counter() - t0
            tree_ms.append(t_tree)
            tree.free()
            # what the agent does: the document's parts parsed by the operational registry's workers
            assert isinstance(doc, JsonParts)
            t0 = time.perf_counter()
            trees = registry.parse_parts(doc.parts)
            t_parts = time.perf_counter() - t0
            parts_ms.append(t_parts)
            total_single.append(t_read + t_json + t_tree)
            total.append(t_read + t_json + t_parts)
            for t in trees:
                t.close()
        out["read_after_update_ms"] = median_ms(after_update)  # stats segment -> snapshot (the poll)
        out["read_steady_ms"] = median_ms(steady)
        out["operational_text_ms"] = median_ms(json_ms)
        out["libyang_tree_one_text_ms"] = median_ms(tree_ms)  # the whole document in one parse
        out["libyang_tree_parts_ms"] = median_ms(parts_ms)  # parts of PART_SIZE, PARSE_THREADS workers
        out["parts"] = len(doc.parts)
        out["read_to_tree_one_text_ms"] = median_ms(total_single)
        out["read_to_tree_ms"] = median_ms(total)
        out["directory_scans"] = reader.directory_scans
        reader.close()

        snap = snapshot_for(table)
        ex = Exporter(lambda: snap, LatencyHistogram(), port=0, max_interfaces=max(count, 20_000))
        ex.start()
        try:
            url = f"http://127.0.0.1:{ex.port}/metrics"
            plain, gz, size_plain, size_gz = [], [], 0, 0
            for _ in range(repeat):
                t0 = time.perf_counter()
                with urllib.request.urlopen(url, timeout=60) as r:
                    body = r.read()
                plain.append(time.perf_counter() - t0)
                size_plain = len(body)
                req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
                t0 = time.perf_counter()
                with urllib.request.urlopen(req, timeout=60) as r:
                    zbody = r.read()
                gz.append(time.perf_counter() - t0)
                size_gz = len(zbody)
                assert gzip.decompress(zbody).count(b"\n") > count * 10
            out["scrape_ms"] = median_ms(plain)
            out["scrape_gzip_ms"] = median_ms(gz)
            out["scrape_bytes"] = size_plain
            out["scrape_gzip_bytes"] = size_gz
            out["series"] = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
        finally:
            ex.stop()
    finally:
        seg.close()
    return out


async def inventory_case(count: int, repeat: int, sock_dir: str) -> dict[str, Any]:
    api, stats = os.path.join(sock_dir, "inv-api.sock"), os.path.join(sock_dir, "inv-stats.sock")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "vppsim.cli", "--api-socket", api, "--stats-socket", stats, "--ports", "2",
         "--stats-size-mb", "256", "--no-interface-symlinks"],
        cwd=root,
    )  # fmt: skip
    out: dict[str, Any] = {"interfaces": count + 3}
    try:
        deadline = time.monotonic() + 30
        while not (os.path.exists(api) and os.path.exists(stats)):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("vppsim did not start")
            await asyncio.sleep(0.05)
        conn = VppConnection(api, timeout=60)
        await conn.connect()
        try:
            t0 = time.perf_counter()
            window: list[Any] = []
            for i in range(count):
                args = {"sw_if_index": 1, "sub_id": i + 1, "sub_if_flags": 4 | 8 | 16,
                        "outer_vlan_id": 1 + i // 4000, "inner_vlan_id": 1 + i % 4000}  # fmt: skip
                window.append(conn.send("create_subif", **args))
                if len(window) >= 256:
                    await asyncio.gather(*window)
                    window.clear()
            await asyncio.gather(*window)
            out["create_s"] = round(time.perf_counter() - t0, 2)
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                inv = await read_inventory(conn)
                times.append(time.perf_counter() - t0)
            out["inventory_refresh_ms"] = median_ms(times)
            out["inventory_interfaces"] = len(inv.interfaces)
            t0 = time.perf_counter()
            await read_inventory(conn, details=False)
            out["interface_dump_only_ms"] = round((time.perf_counter() - t0) * 1e3, 1)
        finally:
            await conn.close()
        reader = SegmentReader(stats)
        _, out["stats_connect_and_first_read_s"] = timed(reader.read)
        reads = [timed(reader.read)[1] for _ in range(repeat)]
        out["stats_read_ms"] = median_ms(reads)
        reader.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--counts", default="10000")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--inventory", type=int, default=0, help="sub-interfaces for the vppsim inventory case")
    ns = ap.parse_args()
    model = load_model_set()
    loop = LoopThread()
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="bt-", dir="/tmp") as d:
            for c in (int(x) for x in ns.counts.split(",") if x):
                results.append(one_count(loop, c, ns.repeat, d, model))
            if ns.inventory:
                results.append({"vppsim_inventory": asyncio.run(inventory_case(ns.inventory, ns.repeat, d))})
    finally:
        loop.stop()
    print(
        json.dumps(
            {
                "bench": "telemetry",
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "targets": {"read_to_tree_ms_10k": 200, "scrape_ms_10k": 1000},
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
