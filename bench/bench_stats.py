"""Benchmark: vppsim's stats segment read by the real ``vpp_papi.vpp_stats.VPPStats``.

Prints one JSON document. For each interface count it measures, with and without VPP's per-interface
``/interfaces/<name>/<counter>`` symlinks:

- publishing the interfaces (``add_interfaces``, one lock),
- one bulk traffic update touching 10,000 interfaces (``add_traffic_bulk``),
- a reader's first read of ``/if/names``, ``/if/rx`` and ``/if/tx`` after that update (the epoch moved, so
  VPPStats re-reads the whole directory first, as it does against VPP),
- the same read again with nothing changed (no directory refresh), and single counters on their own.

Cases: no symlinks with locked updates; VPP's symlinks with locked updates (every update makes readers
re-read 17 directory entries per interface); VPP's symlinks with in-place updates (VPP's own behaviour:
the epoch only moves on structural changes).

Usage: .venv/bin/python bench/bench_stats.py [--counts 10000,100000] [--workers 0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from vpp_papi.vpp_stats import VPPStats

from vppsim.stats import StatsSegment

T = TypeVar("T")
BULK_ROWS = 10_000


class LoopThread:
    """An event loop on a side thread: the stats socket answers while the main thread reads."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


def read_interfaces(reader: VPPStats) -> tuple[int, int]:
    names = reader["/if/names"]
    rx = reader["/if/rx"]
    tx = reader["/if/tx"]
    rx_packets = sum(cell[0] for row in rx for cell in row)
    return len(names), rx_packets + sum(cell[0] for row in tx for cell in row)


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def one_case(
    loop: LoopThread, count: int, symlinks: bool, under_lock: bool, workers: int, sock_dir: str
) -> dict[str, Any]:
    size = (768 << 20) if symlinks and count > 20_000 else (128 << 20)
    seg = StatsSegment(size, workers=workers, interface_symlinks=symlinks, counters_under_lock=under_lock)
    path = os.path.join(sock_dir, f"stats-{count}-{int(symlinks)}-{int(under_lock)}.sock")
    try:
        names = [(i, f"GigabitEthernet0/8/0.{i}" if i else "local0") for i in range(count)]
        t0 = time.perf_counter()
        seg.add_interfaces(names)
        t_add = time.perf_counter() - t0

        server = loop.run(seg.serve(path))
        reader = VPPStats(path)
        t0 = time.perf_counter()
        reader.connect()
        t_connect = time.perf_counter() - t0

        link = f"/interfaces/GigabitEthernet0_8_0.{count - 1}/rx"
        rows = [(i, 10, 6400, 5, 3200) for i in range(0, count, max(1, count // BULK_ROWS))][:BULK_ROWS]
        t0 = time.perf_counter()
        seg.add_traffic_bulk(rows)
        t_bulk = time.perf_counter() - t0

        t0 = time.perf_counter()
        n_names, packets = read_interfaces(reader)
        t_read_after_update = time.perf_counter() - t0
        t0 = time.perf_counter()
        n_names2, packets2 = read_interfaces(reader)
        t_read_steady = time.perf_counter() - t0
        assert n_names == n_names2 == count, (n_names, count)
        assert packets == packets2 == 15 * len(rows), (packets, len(rows))
        _, t_names = timed(lambda: reader["/if/names"])
        _, t_rx = timed(lambda: reader["/if/rx"])
        _, t_drops = timed(lambda: reader["/if/drops"])
        _, t_one_link = timed(lambda: reader["/if/rx"][:, count - 1] if not symlinks else reader[link])
        reader.disconnect()
        server.close()
        return {
            "interfaces": count,
            "symlinks": symlinks,
            "counters_under_lock": under_lock,
            "workers": workers,
            "directory_entries": len(reader.directory),
            "segment_bytes": size,
            "add_interfaces_s": round(t_add, 4),
            "reader_connect_s": round(t_connect, 4),
            "bulk_update_rows": len(rows),
            "bulk_update_s": round(t_bulk, 4),
            "bulk_update_rows_per_s": round(len(rows) / t_bulk),
            "read_names_rx_tx_after_update_s": round(t_read_after_update, 4),
            "read_names_rx_tx_steady_s": round(t_read_steady, 4),
            "read_names_s": round(t_names, 4),
            "read_rx_combined_s": round(t_rx, 4),
            "read_drops_simple_s": round(t_drops, 4),
            "read_one_interface_rx_s": round(t_one_link, 4),
        }
    finally:
        seg.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--counts", default="10000,100000")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--no-symlinks-only", action="store_true", help="skip the symlink cases")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    loop = LoopThread()
    results = []
    try:
        with tempfile.TemporaryDirectory() as sock_dir:
            cases = [(False, True)] if args.no_symlinks_only else [(False, True), (True, True), (True, False)]
            for count in counts:
                for symlinks, under_lock in cases:
                    results.append(one_case(loop, count, symlinks, under_lock, args.workers, sock_dir))
    finally:
        loop.stop()
    print(
        json.dumps(
            {
                "benchmark": "stats_segment",
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
