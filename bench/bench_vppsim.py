"""Benchmark vppsim through vpp-papi's asyncio client, the way the agent talks to VPP.

Measures (JSON on stdout):
  * pipelined create_subif request/reply pairs per second with a window of requests in flight;
  * the same with one request in flight (latency-bound);
  * building up to --interfaces sub-interfaces, then a full sw_interface_dump and reading /if/names
    from the stats segment with vpp_papi.vpp_stats.VPPStats.

    .venv/bin/python bench/bench_vppsim.py [--interfaces 100000] [--window 256] [--calls 20000]
                                           [--interface-symlinks --stats-size-mb 768]
                                           [--vpp-api-socket RUN/api.sock --vpp-stats-socket RUN/stats.sock]

With ``--vpp-api-socket`` and ``--vpp-stats-socket`` the same runs against a real VPP (e.g. ``make
vpp-run``'s run directory) instead of a vppsim it starts: the port is ``GigabitEthernet0/8/0``, created as
an af_packet interface on a veth if VPP lacks it (bench/realvpp.py, removed at the end); VPP's CPU time
is read from the pid in ``vpp.pid`` next to the API socket when there is one. The sub-interfaces it
creates are deleted at the end, as with vppsim.

CPU time is measured per side (this process with ``time.process_time``, the emulator from
``/proc/<pid>/stat``) because the machine is shared: wall-clock rates swing with other jobs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

from vpp_papi.vpp_papi_async import VPPApiClient
from vpp_papi.vpp_stats import VPPStats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.realvpp import Ports, ensure_ports, remove_ports

ROOT = Path(__file__).resolve().parent.parent
TWO_TAGS_DOT1AD_EXACT = 4 | 8 | 16


def start_vppsim(tmp: str, stats_mb: int, symlinks: bool) -> tuple[subprocess.Popen[bytes], str, str]:
    api, stats = os.path.join(tmp, "api.sock"), os.path.join(tmp, "stats.sock")
    proc = subprocess.Popen(
        [
            sys.executable,
            *os.environ.get("VPPSIM_PYFLAGS", "").split(),
            "-m",
            "vppsim.cli",
            "--api-socket",
            api,
            "--stats-socket",
            stats,
            "--ports",
            "2",
            "--stats-size-mb",
            str(stats_mb),
            *([] if symlinks else ["--no-interface-symlinks"]),
        ],
        cwd=ROOT,
    )
    deadline = time.monotonic() + 30
    while not (os.path.exists(api) and os.path.exists(stats)):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("vppsim did not start")
        time.sleep(0.05)
    return proc, api, stats


def process_cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of another process (``/proc/<pid>/stat`` fields 14 and 15); NaN unknown."""
    if pid is None:
        return float("nan")
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_rss_mb(pid: int | None) -> int:
    if pid is None:
        return -1
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return -1


PORT = "GigabitEthernet0/8/0"  # vppsim's first port (sw_if_index 1)
PARENT = 1  # the port's sw_if_index (set in run() for a real VPP)


def subif_args(i: int) -> dict[str, Any]:
    return {
        "sw_if_index": PARENT,
        "sub_id": i,
        "sub_if_flags": TWO_TAGS_DOT1AD_EXACT,
        "outer_vlan_id": 1 + i // 4000,
        "inner_vlan_id": 1 + i % 4000,
    }


async def pipelined(client: VPPApiClient, start: int, count: int, window: int) -> float:
    """Keep ``window`` create_subif calls in flight; returns calls per second.

    Replies come back in request order, so waiting for the oldest outstanding call is enough to keep
    the window full (no per-completion scan of every pending future).
    """
    t0 = time.perf_counter()
    in_flight: deque[asyncio.Future[Any]] = deque()
    failures = 0
    for i in range(start, start + count):
        in_flight.append(client.api.create_subif(**subif_args(i)))
        if len(in_flight) >= window:
            failures += (await in_flight.popleft()).retval != 0
    while in_flight:
        failures += (await in_flight.popleft()).retval != 0
    if failures:
        raise RuntimeError(f"{failures} create_subif calls failed")
    return count / (time.perf_counter() - t0)


async def delete_all(client: VPPApiClient, indices: list[int], window: int) -> int:
    in_flight: deque[asyncio.Future[Any]] = deque()
    ok = 0
    for idx in indices:
        in_flight.append(client.api.delete_subif(sw_if_index=idx))
        if len(in_flight) >= window:
            ok += (await in_flight.popleft()).retval == 0
    while in_flight:
        ok += (await in_flight.popleft()).retval == 0
    return ok


def real_vpp_pid(api: str) -> int | None:
    """The pid ``make vpp-run`` wrote next to the API socket, if any."""
    try:
        with open(os.path.join(os.path.dirname(api), "vpp.pid")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


async def run(ns: argparse.Namespace) -> dict[str, Any]:
    global PARENT
    with tempfile.TemporaryDirectory() as tmp:
        load_before = os.getloadavg()[0]
        proc: subprocess.Popen[bytes] | None = None
        ports = Ports(ns.vpp_api_socket or "")
        if ns.vpp_api_socket:
            api, stats_path, pid = ns.vpp_api_socket, ns.vpp_stats_socket, real_vpp_pid(ns.vpp_api_socket)
            ports = await ensure_ports(api, [PORT])
        else:
            proc, api, stats_path = start_vppsim(tmp, ns.stats_size_mb, ns.interface_symlinks)
            pid = proc.pid
        try:
            if ns.vpp_api_socket:
                client = VPPApiClient(server_address=api)
                await client.connect("bench-index", asyncio.Queue())
                _, details = await client.api.sw_interface_dump()
                PARENT = next(d.sw_if_index for d in details if d.interface_name == PORT)
                await client.disconnect()
            client = VPPApiClient(server_address=api)
            events: asyncio.Queue[Any] = asyncio.Queue()
            if await client.connect("bench", events) != 0:
                raise RuntimeError("connect failed")
            n = 1
            t0 = time.perf_counter()
            for _ in range(ns.serial_calls):
                r = await client.api.create_subif(**subif_args(n))
                assert r.retval == 0
                n += 1
            serial_rate = ns.serial_calls / (time.perf_counter() - t0)
            c0, s0 = time.process_time(), process_cpu_seconds(pid)
            rate = await pipelined(client, n, ns.calls, ns.window)
            client_us = (time.process_time() - c0) / ns.calls * 1e6
            server_us = (process_cpu_seconds(pid) - s0) / ns.calls * 1e6
            n += ns.calls
            t0 = time.perf_counter()
            remaining = max(0, ns.interfaces - n + 1)
            if remaining:
                await pipelined(client, n, remaining, ns.window)
            build_s = time.perf_counter() - t0
            rss_mb = process_rss_mb(pid)
            t0 = time.perf_counter()
            _, details = await client.api.sw_interface_dump()
            dump_s = time.perf_counter() - t0
            reader = VPPStats(socketname=stats_path)
            reader.connect()
            t0 = time.perf_counter()
            names = reader["/if/names"]
            stats_s = time.perf_counter() - t0
            reader.disconnect()
            t0 = time.perf_counter()
            # only the sub-interfaces of this bench's port (a real VPP may hold others)
            subs = [d.sw_if_index for d in details if d.sup_sw_if_index == PARENT != d.sw_if_index]
            c0, s0 = time.process_time(), process_cpu_seconds(pid)
            deleted = await delete_all(client, subs, ns.window)
            delete_client_us = (time.process_time() - c0) / max(1, len(subs)) * 1e6
            delete_server_us = (process_cpu_seconds(pid) - s0) / max(1, len(subs)) * 1e6
            delete_s = time.perf_counter() - t0
            await client.disconnect()
            return {
                "benchmark": "real VPP at " + api if ns.vpp_api_socket else "vppsim",
                "create_subif_pipelined_per_s": round(rate),
                "window": ns.window,
                "client_cpu_us_per_call": round(client_us, 1),
                "server_cpu_us_per_call": round(server_us, 1),
                # what two otherwise idle cores would sustain: the busier side sets the pace
                "cpu_bound_estimate_per_s": round(1e6 / max(client_us, server_us)),
                "load_average_1m_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                "interface_symlinks": ns.interface_symlinks,
                "pipelined_calls": ns.calls,
                "create_subif_serial_per_s": round(serial_rate),
                "interfaces": len(details),
                "build_remaining_s": round(build_s, 2),
                "server_rss_mb": rss_mb,
                "sw_interface_dump_s": round(dump_s, 2),
                "stats_if_names": len([x for x in names if x]),
                "stats_read_if_names_s": round(stats_s, 3),
                "delete_subif_all": deleted,
                "delete_subif_all_s": round(delete_s, 2),
                "delete_client_cpu_us_per_call": round(delete_client_us, 1),
                "delete_server_cpu_us_per_call": round(delete_server_us, 1),
            }
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
            await remove_ports(ports)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--interfaces", type=int, default=100_000)
    p.add_argument("--calls", type=int, default=20_000)
    p.add_argument("--serial-calls", type=int, default=2_000)
    p.add_argument("--window", type=int, default=256)
    p.add_argument("--stats-size-mb", type=int, default=256)
    p.add_argument(
        "--interface-symlinks",
        action="store_true",
        help="keep VPP's 17 /interfaces/<name>/* stats symlinks per interface (what the agent's vppsim uses)",
    )
    p.add_argument("--vpp-api-socket", help="run against the real VPP behind this API socket, not vppsim")
    p.add_argument("--vpp-stats-socket", help="that VPP's stats socket (needed with --vpp-api-socket)")
    ns = p.parse_args()
    if ns.vpp_api_socket and not ns.vpp_stats_socket:
        p.error("--vpp-api-socket needs --vpp-stats-socket")
    print(json.dumps(asyncio.run(run(ns)), indent=2))


if __name__ == "__main__":
    main()
