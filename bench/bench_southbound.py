"""Benchmark the VPP southbound against vppsim or a real VPP (JSON on stdout).

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
                                               [--no-call-timing] [--vpp-api-socket PATH]
                                               [--vpp-restart-command CMD]

Real VPP (``--vpp-api-socket``, e.g. the ``api.sock`` in ``make vpp-run``'s run directory): the bench
gives VPP the 4 ports the configuration names if it lacks them (af_packet on veths it creates, renamed to
``GigabitEthernet0/8/0`` ... as vppsim calls its ports; see bench/realvpp.py) and removes them at the end.
Each cold start needs an empty VPP: with ``--vpp-restart-command`` (a shell command that restarts that
VPP, e.g. ``make vpp-stop vpp-run VPP_RUN_DIR=/tmp/v``) VPP is restarted before each run, and the resync
after a VPP restart is measured too; without it the bench empties VPP by reconciling the agent to an
empty configuration (which deletes everything the agent's tag marks) and reports how long that took.
The bare loop maps the ``sw_if_index`` values of the recorded calls onto the ones VPP hands out in its
own run (a VPP that reuses freed indexes assigns them in another order).

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
from collections import deque
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vpp_papi.vpp_papi_async import VPPApiClient  # noqa: E402

from agent.telemetry.latency import LatencyHistogram  # noqa: E402
from agent.vpp.connection import VppConnection  # noqa: E402
from agent.vpp.southbound import VppSouthbound  # noqa: E402
from bench.realvpp import Ports, ensure_ports, remove_ports, restart_vpp  # noqa: E402

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


CREATES = ("create_subif", "create_loopback", "bond_create2")  # replies carry the new sw_if_index
IF_FIELDS = ("sw_if_index", "unnumbered_sw_if_index", "bond_sw_if_index")

Recorded = list[list[Any]]  # [msg, args, sw_if_index the call created in the agent's run or None]


async def _remapped(msg: str, args: dict[str, Any], remap: dict[int, Any]) -> dict[str, Any]:
    """``args`` with every interface index the recorded run created replaced by this run's index."""

    async def new(old: Any) -> Any:
        got = remap.get(old)
        if got is None:
            return old
        if isinstance(got, asyncio.Future):
            got = remap[old] = int((await got).sw_if_index)  # its create is still in flight: wait
        return got

    out = dict(args)
    for k in IF_FIELDS:
        if k in out:
            out[k] = await new(out[k])
    if msg == "ip_route_add_del":
        route = dict(out["route"])
        route["paths"] = [{**p, "sw_if_index": await new(p["sw_if_index"])} for p in route["paths"]]
        out["route"] = route
    return out


async def bare_loop(api: str, calls: Recorded, window: int) -> dict[str, Any]:
    """The same write calls through vpp_papi_async alone, pipelined with ``window`` in flight.

    Per message: the span from its first request to its last reply (the agent sends one kind of item
    after another, so the spans are close to each message's own time)."""
    client = VPPApiClient(server_address=api, read_timeout=120)  # stock vpp-papi, nothing of the agent's
    assert await client.connect("bare", asyncio.Queue()) == 0
    pending: deque[tuple[str, Any]] = deque()
    remap: dict[int, Any] = {}
    spans: dict[str, list[float]] = {}
    failures = 0

    async def settle() -> None:
        nonlocal failures
        msg, fut = pending.popleft()
        r = await fut
        spans[msg][1] = time.perf_counter()
        failures += r.retval != 0

    t0 = time.perf_counter()
    for msg, args, created in calls:
        args = await _remapped(msg, args, remap)
        fut = getattr(client.api, msg)(**args)
        if msg not in spans:
            spans[msg] = [time.perf_counter(), 0.0, 0]
        spans[msg][2] += 1
        if created is not None:
            remap[created] = fut
        pending.append((msg, fut))
        if len(pending) >= window:
            await settle()
    while pending:
        await settle()
    seconds = time.perf_counter() - t0
    await client.disconnect()
    return {
        "calls": len(calls),
        "seconds": round(seconds, 3),
        "per_second": round(len(calls) / seconds),
        "failures": failures,
        "per_message": {
            m: {"calls": n, "seconds": round(b - a, 3), "per_second": round(n / (b - a)) if b > a else None}
            for m, (a, b, n) in spans.items()
        },
    }


def _created(fut: asyncio.Future[Any]) -> int | None:
    if fut.cancelled() or fut.exception() is not None:
        return None
    return int(fut.result().sw_if_index)


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
    recorded: Recorded = []
    send = conn.send

    def recording_send(msg: str, **args: Any) -> Any:
        fut = send(msg, **args)
        if msg not in ("sw_interface_dump", "control_ping") and not msg.endswith(("_dump", "_get_table")):
            entry: list[Any] = [msg, args, None]
            recorded.append(entry)
            if msg in CREATES:
                fut.add_done_callback(lambda f, e=entry: e.__setitem__(2, _created(f)))
        return fut

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


class Target:
    """Where each run happens: a vppsim started for it, or the real VPP behind ``--vpp-api-socket``."""

    def __init__(self, ns: argparse.Namespace, cfg: dict[str, Any]) -> None:
        self.real = ns.vpp_api_socket
        self.restart = ns.vpp_restart_command
        self.cfg = cfg
        self.window = ns.window
        self.tmp = tempfile.mkdtemp(prefix="bench-sb-")
        self.proc: subprocess.Popen[bytes] | None = None
        self.ports: list[Ports] = []
        self.emptied: list[float] = []  # seconds each reconcile to an empty configuration took

    @property
    def can_restart(self) -> bool:
        return self.real is None or bool(self.restart)

    async def fresh(self, tag: str) -> str:
        """The API socket of a VPP holding only the 4 ports."""
        if self.real is None:
            self.proc, api = start_vppsim(self.tmp, tag)
            return api
        if self.restart:
            await restart_vpp(self.restart, self.real)
        else:
            await self.empty()
        self.ports.append(await ensure_ports(self.real, PORTS))
        return str(self.real)

    async def empty(self) -> None:
        """Remove what earlier runs configured: reconcile the agent to an empty configuration."""
        sb = VppSouthbound(window=self.window)
        sb.load_config({})
        conn = VppConnection(self.real, timeout=120)
        await conn.connect()
        sb.attach(conn)
        t0 = time.perf_counter()
        await sb.reconcile()
        self.emptied.append(round(time.perf_counter() - t0, 3))
        await conn.close()

    async def done(self) -> None:
        """The run is over: stop its vppsim (a real VPP stays as it is)."""
        if self.proc is not None:
            stop(self.proc)
            self.proc = None

    async def close(self) -> None:
        await self.done()
        if self.real is not None and not self.restart:
            await self.empty()
        for ports in self.ports:
            await remove_ports(ports)


async def run(ns: argparse.Namespace) -> dict[str, Any]:
    cfg = config(ns.subifs, ns.routes)
    target = Target(ns, cfg)
    out: dict[str, Any] = {
        "vpp": "real VPP at " + ns.vpp_api_socket if ns.vpp_api_socket else "vppsim",
        "subifs": ns.subifs,
        "routes": ns.routes,
        "window": ns.window,
        "call_timing": OBSERVE is not None,
    }

    # agent and bare loop alternate, so a busy machine penalises both the same way
    rounds = []
    try:
        for r in range(ns.rounds):
            api = await target.fresh(f"agent{r}")
            figures, sb, conn, recorded = await cold_start(api, cfg, ns.window)
            if r == 0:
                report = await sb.reconcile()
                out["noop_resync"] = {
                    "seconds": round(report.seconds, 3),
                    "write_calls": report.write_calls,
                    "read_calls": report.read_calls,
                }
            await conn.close()
            await target.done()
            if r == 0 and target.can_restart:
                api = await target.fresh("restart")
                t0 = time.perf_counter()
                conn = VppConnection(api, timeout=120)
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
                await target.done()
            api = await target.fresh(f"bare{r}")
            bare = await bare_loop(api, recorded, ns.window)
            await target.done()
            rounds.append({"agent_cold_start": figures, "bare_vpp_papi_async_loop": bare})
    finally:
        await target.close()
    if target.emptied:
        out["seconds_to_empty_vpp_between_runs"] = target.emptied
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
    p.add_argument("--vpp-api-socket", help="run against the real VPP behind this API socket, not vppsim")
    p.add_argument(
        "--vpp-restart-command",
        help="shell command restarting that VPP (a fresh VPP per run; measures the resync after a restart)",
    )
    ns = p.parse_args()
    global OBSERVE
    OBSERVE = None if ns.no_call_timing else LatencyHistogram().observe
    print(json.dumps(asyncio.run(run(ns)), indent=2))


if __name__ == "__main__":
    main()
