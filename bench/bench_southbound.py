"""Benchmark the VPP southbound against vppsim (JSON on stdout).

Configuration: ``--subifs`` VLAN sub-interfaces spread over 4 ports (VLAN ids are 12 bits), each with an
IPv4 and an IPv6 address, alternating between 2 VRFs, plus ``--routes`` static routes with 2 ECMP next
hops each. Measured in one run:

* cold start: the southbound reconciles an empty VPP to that configuration (retrieve, diff, apply);
* no-op resync: a second reconcile (must send zero write calls);
* resync after a VPP restart: vppsim is restarted empty and the southbound reconnects and reconciles;
* bare loop: the exact write calls of the cold start, replayed on a fresh vppsim by a plain pipelined
  vpp_papi_async loop (window ``--window``), to compare the agent's write rate with what the client
  library can do on its own.

    .venv/bin/python bench/bench_southbound.py [--subifs 10000] [--routes 1000] [--window 1024] [--rounds 2]
                                               [--no-call-timing]

Every agent connection times each call into a VPP API latency histogram, as ``bng-agent run`` does
(``VppConnection.on_call`` -> ``LatencyHistogram.observe``); ``--no-call-timing`` leaves that out, to
measure what the timing costs.

The agent's cold start and the bare loop alternate ``--rounds`` times (the machine is shared; alternating
exposes both to the same load); rates are totals over all rounds.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vpp_papi.vpp_papi_async import VPPApiClient  # noqa: E402

from agent.telemetry.latency import LatencyHistogram  # noqa: E402
from agent.vpp.connection import VppConnection  # noqa: E402
from agent.vpp.southbound import VppSouthbound  # noqa: E402

PORTS = ["GigabitEthernet0/8/0", "GigabitEthernet0/9/0", "GigabitEthernet0/a/0", "GigabitEthernet0/b/0"]


def start_vppsim(tmp: str, tag: str) -> tuple[subprocess.Popen[bytes], str]:
    api, stats = os.path.join(tmp, f"{tag}-api.sock"), os.path.join(tmp, f"{tag}-stats.sock")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vppsim.cli",
            "--api-socket",
            api,
            "--stats-socket",
            stats,
            "--ports",
            "4",
            "--no-interface-symlinks",
        ],
        cwd=ROOT,
    )
    deadline = time.monotonic() + 30
    while not (os.path.exists(api) and os.path.exists(stats)):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("vppsim did not start")
        time.sleep(0.05)
    return proc, api


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(10)


def config(subifs: int, routes: int) -> dict[str, Any]:
    interfaces: list[dict[str, Any]] = [{"name": p, "type": "iana-if-type:ethernetCsmacd"} for p in PORTS]
    per_port = (subifs + len(PORTS) - 1) // len(PORTS)
    for i in range(subifs):
        parent, vlan = PORTS[i // per_port], 1 + i % per_port
        interfaces.append(
            {
                "name": f"{parent}.{vlan}",
                "type": "iana-if-type:l2vlan",
                "bng-interfaces:sub-interface": {
                    "parent-interface": parent,
                    "sub-id": vlan,
                    "encapsulation": {"single-tagged": {"vlan-id": vlan}},
                },
                "bng-vrf:vrf": "red" if i % 2 else "blue",
                "ietf-ip:ipv4": {
                    "address": [
                        {"ip": f"10.{i // 16384}.{(i // 64) % 256}.{(i % 64) * 4 + 1}", "prefix-length": 30}
                    ]
                },
                "ietf-ip:ipv6": {"address": [{"ip": f"2001:db8:{i:x}::1", "prefix-length": 64}]},
            }
        )
    vrf_routes: dict[str, list[dict[str, Any]]] = {"blue": [], "red": []}
    for r in range(routes):
        vrf = "red" if r % 2 else "blue"
        hops = [
            {"id": str(k), "address": f"10.0.{k}.{2 + (r % 2) * 4}", "weight": 1 + k} for k in range(2)
        ]  # next hops in the first subnets of that VRF
        vrf_routes[vrf].append({"prefix": f"172.{16 + r // 256}.{r % 256}.0/24", "next-hop": hops})
    vrfs = [
        {"name": name, "table-id": tid, "static-routes": {"ipv4-route": vrf_routes[name]}}
        for name, tid in (("blue", 100), ("red", 200))
    ]
    return {"ietf-interfaces:interfaces": {"interface": interfaces}, "bng-vrf:vrfs": {"vrf": vrfs}}


async def bare_loop(api: str, calls: list[tuple[str, dict[str, Any]]], window: int) -> dict[str, Any]:
    """The same write calls through vpp_papi_async alone, pipelined with ``window`` in flight."""
    client = VPPApiClient(server_address=api, read_timeout=60)  # stock vpp-papi, nothing of the agent's
    assert await client.connect("bare", asyncio.Queue()) == 0
    pending: list[Any] = []
    failures = 0
    t0 = time.perf_counter()
    for msg, args in calls:
        pending.append(getattr(client.api, msg)(**args))
        if len(pending) >= window:
            r = await pending.pop(0)
            failures += r.retval != 0
    for f in pending:
        r = await f
        failures += r.retval != 0
    seconds = time.perf_counter() - t0
    await client.disconnect()
    return {
        "calls": len(calls),
        "seconds": round(seconds, 3),
        "per_second": round(len(calls) / seconds),
        "failures": failures,
    }


async def cold_start(
    api: str, cfg: dict[str, Any], window: int
) -> tuple[dict[str, Any], Any, Any, list[Any]]:
    """Reconcile an empty VPP to ``cfg``; returns the figures, the southbound, its connection and the
    write calls it sent (to replay them in the bare loop)."""
    sb = VppSouthbound(window=window)
    t0, cpu0 = time.perf_counter(), time.process_time()
    sb.load_config(cfg)
    conn = VppConnection(api, timeout=60)
    conn.on_call = OBSERVE
    await conn.connect()
    sb.attach(conn)
    recorded: list[tuple[str, dict[str, Any]]] = []
    send = conn.send

    def recording_send(msg: str, **args: Any) -> Any:
        if msg not in ("sw_interface_dump", "control_ping") and not msg.endswith(("_dump", "_get_table")):
            recorded.append((msg, args))
        return send(msg, **args)

    conn.send = recording_send  # type: ignore[method-assign]
    report = await sb.reconcile()
    conn.send = send  # type: ignore[method-assign]
    figures = {
        "seconds": round(time.perf_counter() - t0, 3),
        "agent_cpu_seconds": round(time.process_time() - cpu0, 3),
        "reconcile_seconds": round(report.seconds, 3),
        "items": len(sb.applied),
        "write_calls": report.write_calls,
        "agent_writes_per_second": round(report.write_calls / report.seconds),
    }
    return figures, sb, conn, recorded


async def run(ns: argparse.Namespace) -> dict[str, Any]:
    tmp = tempfile.mkdtemp(prefix="bench-sb-")
    cfg = config(ns.subifs, ns.routes)
    out: dict[str, Any] = {
        "subifs": ns.subifs,
        "routes": ns.routes,
        "window": ns.window,
        "call_timing": OBSERVE is not None,
    }

    # agent and bare loop alternate twice, so a busy machine penalises both the same way
    rounds = []
    recorded: list[Any] = []
    for r in range(ns.rounds):
        proc, api = start_vppsim(tmp, f"agent{r}")
        figures, sb, conn, recorded = await cold_start(api, cfg, ns.window)
        if r == 0:
            report = await sb.reconcile()
            out["noop_resync"] = {
                "seconds": round(report.seconds, 3),
                "write_calls": report.write_calls,
                "read_calls": report.read_calls,
            }
        await conn.close()
        stop(proc)
        if r == 0:
            proc, api = start_vppsim(tmp, "restart")
            t0 = time.perf_counter()
            conn = VppConnection(api, timeout=60)
            conn.on_call = OBSERVE
            await conn.connect()
            sb.attach(conn)
            report = await sb.reconcile()
            out["resync_after_vpp_restart"] = {
                "seconds": round(time.perf_counter() - t0, 3),
                "write_calls": report.write_calls,
                "read_calls": report.read_calls,
            }
            await conn.close()
            stop(proc)
        proc, api = start_vppsim(tmp, f"bare{r}")
        bare = await bare_loop(api, recorded, ns.window)
        stop(proc)
        rounds.append({"agent_cold_start": figures, "bare_vpp_papi_async_loop": bare})
    out["rounds"] = rounds
    out["cold_start_seconds_best"] = min(r["agent_cold_start"]["seconds"] for r in rounds)
    agent_rate = sum(r["agent_cold_start"]["write_calls"] for r in rounds) / sum(
        r["agent_cold_start"]["reconcile_seconds"] for r in rounds
    )
    bare_rate = sum(r["bare_vpp_papi_async_loop"]["calls"] for r in rounds) / sum(
        r["bare_vpp_papi_async_loop"]["seconds"] for r in rounds
    )
    out["agent_writes_per_second"] = round(agent_rate)
    out["bare_writes_per_second"] = round(bare_rate)
    out["agent_vs_bare_write_rate"] = round(agent_rate / bare_rate, 2)
    return out


OBSERVE: Any = None  # the per-call latency observer the agent connections get (see main)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--subifs", type=int, default=10000)
    p.add_argument("--routes", type=int, default=1000)
    p.add_argument("--window", type=int, default=1024)
    p.add_argument("--rounds", type=int, default=2, help="agent / bare-loop pairs (default 2)")
    p.add_argument("--no-call-timing", action="store_true", help="do not time calls into a histogram")
    ns = p.parse_args()
    global OBSERVE
    OBSERVE = None if ns.no_call_timing else LatencyHistogram().observe
    print(json.dumps(asyncio.run(run(ns)), indent=2))


if __name__ == "__main__":
    main()
