"""Benchmark the subscriber session table against vppsim or a real VPP (JSON on stdout).

One run, with ``--sessions`` IPoE sessions (default 10,000) on a 1:1 QinQ access port (a tagged
sub-interface per session, in a VRF, unnumbered to a loopback, with a host route) or, with ``--shared``,
on a shared access port (a host route each):

* attach: every session opened and bound (``open`` + ``bind_ipv4``, ``--concurrency`` at a time, as
  a DHCP relay under load would call them), logged (fsync on) and programmed: sessions/s, and the
  agent-side process's CPU per session (steadier than the rate on a shared machine; vppsim's is apart);
* memory: the agent process's RSS growth per session across the attach (table, log view, southbound
  run-time items, name map);
* bind latency: how long ``bind_ipv4`` takes (what a DHCP relay waits before it forwards the ACK:
  logged and programmed), p50/p99 over the attach; and the event delay: from that call returning to
  its ``changed`` event reaching a watcher (the feed of gNMI ON_CHANGE and NETCONF notifications; the
  event is published just before the call returns, so this is 0 unless the watcher lags);
* gNMI ON_CHANGE latency (``--gnmi-samples``, vppsim only): ``bng-agent run`` in a child process
  (tests/integration/_sessions_child.py) with a pygnmi ON_CHANGE subscriber on the session list; a
  session is opened and bound ``--gnmi-samples`` times, one after the other; reported: from the request
  to the update arriving (an upper bound: it includes opening, logging and programming the session),
  and from the manager's call returning to the update arriving;
* restart (VPP kept its state): a new agent-side stack loads the log, restores the table, preloads
  the southbound and reconciles VPP: seconds to ready, sessions restored, write calls sent (0 expected);
* restart (VPP restarted too; vppsim, or real VPP with ``--vpp-restart-command``): the same into an
  empty VPP, which the reconcile fills again;
* detach: the agent side started once more, then every session released (``--concurrency`` at a time,
  as DHCPRELEASEs would): logged and removed from VPP: sessions/s, CPU per session, release latency.

    .venv/bin/python bench/bench_sessions.py [--sessions 10000] [--shared] [--concurrency 200]
                                             [--vpp-api-socket PATH [--vpp-restart-command CMD]]
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.features.acl.session import AclSessionHook  # noqa: E402
from agent.sessions.api import SessionKey, TerminateCause  # noqa: E402
from agent.sessions.service import SubscriberService  # noqa: E402
from agent.vpp.link import VppLink  # noqa: E402
from agent.vpp.southbound import VppSouthbound  # noqa: E402
from bench.realvpp import Ports, ensure_ports, remove_ports, restart_vpp  # noqa: E402

P0, P1 = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"
INNER = 4000  # C-VLANs per S-VLAN used


def with_acl(doc: dict[str, Any], rules: int) -> dict[str, Any]:
    """One ACL of ``rules`` ACEs in the session template's ``acl-ingress`` (every 1:1 session gets it on
    its sub-interface through the ACL feature's session hook; VPP holds the ACL once)."""
    aces = [
        {
            "name": f"r{i}",
            "matches": {
                "ipv4": {"destination-ipv4-network": f"198.51.{i // 256 % 256}.{i % 256}/32"},
                "tcp": {"destination-port": {"operator": "eq", "port": 25}},
            },
            "actions": {"forwarding": "ietf-access-control-list:drop"},
        }
        for i in range(rules)
    ]
    aces.append({"name": "rest", "actions": {"forwarding": "ietf-access-control-list:accept"}})
    doc["ietf-access-control-list:acls"] = {"acl": [{"name": "sub-in", "aces": {"ace": aces}}]}
    doc["bng-subscribers:subscribers"]["session-templates"]["template"][0]["acl-ingress"] = "sub-in"
    return doc


def config(shared: bool, n: int) -> dict[str, Any]:
    outer_max = 100 + (n - 1) // INNER
    access = (
        {"interface": P0, "session-template": "t", "ipoe": {}}
        if shared
        else {
            "interface": P1,
            "session-template": "t",
            "vlan-model": "per-subscriber",
            "vlan-range": [
                {
                    "id": 1,
                    "outer-vlan-min": 100,
                    "outer-vlan-max": outer_max,
                    "inner-vlan-min": 1,
                    "inner-vlan-max": INNER,
                }
            ],
            "ipoe": {},
        }
    )
    unnumbered = {"ietf-ip:ipv4": {"bng-interfaces:unnumbered": {"use-interface": "loop0"}}}
    return {
        "bng-vrf:vrfs": {"vrf": [{"name": "cust", "table-id": 10}]},
        "ietf-interfaces:interfaces": {
            "interface": [
                {
                    "name": "loop0",
                    "type": "iana-if-type:softwareLoopback",
                    "bng-vrf:vrf": "cust",
                    "ietf-ip:ipv4": {"address": [{"ip": "100.64.0.1", "prefix-length": 32}]},
                },
                {"name": P0, "type": "iana-if-type:ethernetCsmacd", "bng-vrf:vrf": "cust", **unnumbered},
                {"name": P1, "type": "iana-if-type:ethernetCsmacd"},
            ]
        },
        "bng-subscribers:subscribers": {
            "session-templates": {
                "template": [{"name": "t", "vrf": "cust", "unnumbered-interface": "loop0"}]
            },
            "access-interfaces": {"access-interface": [access]},
        },
    }


def key(i: int, shared: bool) -> SessionKey:
    mac = f"02:{i >> 24 & 255:02x}:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}:01"
    if shared:
        return SessionKey(P0, None, None, mac)
    return SessionKey(P1, 100 + i // INNER, 1 + i % INNER, mac)


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def cpu_s() -> float:
    """CPU seconds this (agent-side) process used so far: on a shared machine the wall-clock rate moves
    with the load, the CPU per session much less."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _delta(a: float | None, b: float | None) -> float | None:
    return round(b - a, 3) if a is not None and b is not None else None


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(p * len(xs)))] * 1000, 2) if xs else 0.0


class Vpp:
    """vppsim started by the bench, or the real VPP behind ``--vpp-api-socket``."""

    def __init__(self, ns: argparse.Namespace, tmp: str) -> None:
        self.ns, self.tmp = ns, tmp
        self.proc: subprocess.Popen[bytes] | None = None
        self.api = ns.vpp_api_socket or os.path.join(tmp, "api.sock")
        self.ports: Ports | None = None

    async def start(self) -> None:
        if self.ns.vpp_api_socket:
            self.ports = await ensure_ports(self.api, [P0, P1])
            return
        stats = os.path.join(self.tmp, "stats.sock")
        for p in (self.api, stats):
            if os.path.exists(p):
                os.unlink(p)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vppsim.cli", "--api-socket", self.api, "--stats-socket", stats,
             "--ports", "2", "--no-interface-symlinks"],
            cwd=ROOT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not os.path.exists(self.api):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("vppsim did not start")
            await asyncio.sleep(0.05)

    async def restart(self) -> bool:
        """An empty VPP again; False when that is not possible (real VPP without a restart command)."""
        if self.ns.vpp_api_socket:
            if not self.ns.vpp_restart_command:
                return False
            await restart_vpp(self.ns.vpp_restart_command, self.api)
            self.ports = await ensure_ports(self.api, [P0, P1])
            return True
        self.stop()
        await self.start()
        return True

    def cpu_s(self) -> float | None:
        """vppsim's CPU seconds so far (``/proc/PID/stat`` utime + stime); ``None`` for a real VPP."""
        if self.proc is None:
            return None
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


async def stack(
    vpp: Vpp, data: Path, doc: dict[str, Any]
) -> tuple[VppLink, SubscriberService, dict[str, float]]:
    """The agent's side as ``bng-agent run`` builds it: restore, connect (first reconcile), start."""
    c0, t0 = cpu_s(), time.perf_counter()
    sb = VppSouthbound()
    sb.load_config(doc)
    service = SubscriberService(data, sb, hooks=[AclSessionHook()])
    service.restore()
    t1 = time.perf_counter()
    link = VppLink(vpp.api, sb, timeout=60.0, backoff_initial=0.05, backoff_max=0.5)
    await link.start()
    if not await link.wait_ready(600):
        raise RuntimeError(f"VPP link not ready: {link.fatal}")
    t2 = time.perf_counter()
    await service.start()
    return (
        link,
        service,
        {
            "restore_s": round(t1 - t0, 3),
            "reconcile_s": round(t2 - t1, 3),
            "total_s": round(t2 - t0, 3),
            "agent_cpu_s": round(cpu_s() - c0, 3),
        },
    )


async def attach(service: SubscriberService, n: int, shared: bool, concurrency: int) -> dict[str, Any]:
    mgr = service.manager
    binds: list[float] = []
    seen: dict[int, float] = {}
    returned: dict[int, float] = {}

    async def watch() -> None:
        async for ev in mgr.watch(replay=False):
            if ev.kind == "changed":
                seen[ev.session.id] = time.perf_counter()

    watcher = asyncio.create_task(watch())
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            s = await mgr.open(key(i, shared))
            t = time.perf_counter()
            address = ipaddress.IPv4Address(int(ipaddress.IPv4Address("100.64.0.2")) + i)
            await mgr.bind_ipv4(s.id, address, 3600)
            returned[s.id] = time.perf_counter()
            binds.append(returned[s.id] - t)

    rss0 = rss_kib()
    c0, t0 = cpu_s(), time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    dt, cpu = time.perf_counter() - t0, cpu_s() - c0
    await asyncio.sleep(0.05)
    watcher.cancel()
    rss1 = rss_kib()
    delays = [max(0.0, seen[i] - t) for i, t in returned.items() if i in seen]
    return {
        "sessions": len(mgr.table),
        "seconds": round(dt, 3),
        "sessions_per_s": round(n / dt),
        "agent_cpu_s": round(cpu, 3),
        "agent_cpu_ms_per_session": round(cpu * 1000 / n, 3),
        "rss_growth_bytes_per_session": round((rss1 - rss0) * 1024 / n),
        "bind_ms": {"p50": pct(binds, 0.5), "p99": pct(binds, 0.99), "max": pct(binds, 1.0)},
        "events_seen": len(delays),
        "event_delay_after_return_ms": {"p99": pct(delays, 0.99), "max": pct(delays, 1.0)},
        "log": dict(service.log.stats),
        "vpp_submissions": service.programmer.submissions,
    }


async def detach(service: SubscriberService, concurrency: int) -> dict[str, Any]:
    """Every session released (a DHCPRELEASE each, ``concurrency`` at a time): logged and removed from
    VPP; sessions/s and the agent-side CPU per session, as for the attach."""
    mgr = service.manager
    ids = [s.id for s in mgr.list()]
    sem = asyncio.Semaphore(concurrency)
    lat: list[float] = []

    async def one(i: int) -> None:
        async with sem:
            t = time.perf_counter()
            await mgr.release(i, TerminateCause.RELEASE)
            lat.append(time.perf_counter() - t)

    c0, t0 = cpu_s(), time.perf_counter()
    await asyncio.gather(*(one(i) for i in ids))
    dt, cpu = time.perf_counter() - t0, cpu_s() - c0
    return {
        "sessions_released": len(ids),
        "sessions_left": len(mgr.table),
        "seconds": round(dt, 3),
        "sessions_per_s": round(len(ids) / dt) if dt > 0 else 0,
        "agent_cpu_s": round(cpu, 3),
        "agent_cpu_ms_per_session": round(cpu * 1000 / max(1, len(ids)), 3),
        "release_ms": {"p50": pct(lat, 0.5), "p99": pct(lat, 0.99), "max": pct(lat, 1.0)},
        "items_left_in_southbound": len(service.southbound.runtime.entries),
    }


async def restart(vpp: Vpp, data: Path, doc: dict[str, Any], n: int, vpp_too: bool) -> dict[str, Any]:
    link, service, times = await stack(vpp, data, doc)
    try:
        sb = service.southbound
        states = sb.runtime_state()
        report = sb.last_report
        return {
            **times,
            "vpp_restarted": vpp_too,
            "sessions_restored": len(service.manager.table),
            "lost": n - len(service.manager.table),
            "items_applied": sum(1 for s in states.values() if s == "applied"),
            "items_not_applied": sum(1 for s in states.values() if s != "applied"),
            "reconcile_write_calls": report.write_calls if report is not None else None,
        }
    finally:
        await service.stop()
        await link.stop()


async def run(ns: argparse.Namespace) -> dict[str, Any]:
    tmp = tempfile.mkdtemp(prefix="bench-sess-", dir="/tmp")
    data = Path(tmp) / "data"
    doc = config(ns.shared, ns.sessions)
    if ns.acl_rules:
        doc = with_acl(doc, ns.acl_rules)
    vpp = Vpp(ns, tmp)
    await vpp.start()
    try:
        link, service, _ = await stack(vpp, data, doc)
        try:
            result: dict[str, Any] = {
                "vpp": "real VPP at " + ns.vpp_api_socket if ns.vpp_api_socket else "vppsim",
                "model": "shared" if ns.shared else "per-subscriber (QinQ sub-interface each)",
                "acl_rules": ns.acl_rules,
            }
            v0 = vpp.cpu_s()
            result["attach"] = await attach(service, ns.sessions, ns.shared, ns.concurrency)
            result["attach"]["vppsim_cpu_s"] = _delta(v0, vpp.cpu_s())
        finally:
            await service.stop()
            await link.stop()
        result["restart_vpp_kept_state"] = await restart(vpp, data, doc, ns.sessions, False)
        if await vpp.restart():
            result["restart_vpp_restarted"] = await restart(vpp, data, doc, ns.sessions, True)
        link, service, _ = await stack(vpp, data, doc)
        try:
            v0 = vpp.cpu_s()
            result["detach"] = await detach(service, ns.concurrency)
            result["detach"]["vppsim_cpu_s"] = _delta(v0, vpp.cpu_s())
        finally:
            await service.stop()
            await link.stop()
        return result
    finally:
        if vpp.ports is not None:
            await remove_ports(vpp.ports)
        vpp.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def gnmi_latency(samples: int) -> dict[str, Any]:
    """Session appearing -> gNMI ON_CHANGE update, through the whole agent (see the module doc)."""
    from pygnmi.client import gNMIclient  # type: ignore[import-untyped]

    sys.path.insert(0, str(ROOT / "tests"))
    from _gnmi_streams import subscribe_stream  # type: ignore[import-not-found]

    tmp = Path(tempfile.mkdtemp(prefix="bench-sess-gnmi-", dir="/tmp"))
    doc = json.loads((ROOT / "examples" / "demo-config.json").read_text())
    for user in doc["ietf-system:system"]["authentication"]["user"]:
        if user["name"] == "admin":
            user["password"] = "$0$bench-pw"
    (tmp / "startup.json").write_text(json.dumps(doc))
    child = subprocess.Popen(
        [sys.executable, "tests/integration/_sessions_child.py", "--data-dir", str(tmp / "data"),
         "--startup", str(tmp / "startup.json")],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None
    try:
        ready = json.loads(child.stdout.readline())
        with gNMIclient(
            target=("127.0.0.1", ready["gnmi"]), username="admin", password="bench-pw", insecure=True
        ) as c:
            sub = subscribe_stream(
                c,
                {
                    "subscription": [{"path": "/bng-subscribers:subscribers/sessions", "mode": "on_change"}],
                    "mode": "stream",
                    "encoding": "json_ietf",
                },
            )
            try:
                while not sub.get_update(timeout=10).get("sync_response"):
                    pass
                from_request: list[float] = []
                from_return: list[float] = []
                for i in range(samples):
                    mac = f"02:00:00:01:{i >> 8:02x}:{i & 255:02x}"
                    ipv4 = str(ipaddress.IPv4Address("100.64.200.1") + i)
                    cmd = {"op": "open", "interface": "GigabitEthernet0/a/0.100", "mac": mac, "ipv4": ipv4}
                    t0 = time.time()
                    child.stdin.write(json.dumps(cmd) + "\n")
                    child.stdin.flush()
                    got = None
                    while got is None:
                        msg = sub.get_update(timeout=10)
                        for u in (msg.get("update") or {}).get("update") or []:
                            if u["path"].endswith("/ipv4-address"):
                                got = time.time()
                    done = json.loads(child.stdout.readline())["done"]
                    from_request.append(got - t0)
                    from_return.append(max(0.0, got - done))
            finally:
                sub.close()
        child.communicate('{"op": "quit"}\n', timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "samples": samples,
        "from_request_ms": {
            "p50": pct(from_request, 0.5),
            "p99": pct(from_request, 0.99),
            "max": pct(from_request, 1.0),
        },
        "from_call_return_ms": {
            "p50": pct(from_return, 0.5),
            "p99": pct(from_return, 0.99),
            "max": pct(from_return, 1.0),
        },
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sessions", type=int, default=10_000)
    p.add_argument("--shared", action="store_true", help="shared-VLAN access (host routes only)")
    p.add_argument("--concurrency", type=int, default=200)
    p.add_argument("--vpp-api-socket", help="run against the real VPP behind this API socket, not vppsim")
    p.add_argument("--vpp-restart-command", help="shell command that restarts that VPP (empty state)")
    p.add_argument(
        "--acl-rules",
        type=int,
        default=0,
        help="a shared ingress ACL of this many ACEs on every session (0: none)",
    )
    p.add_argument("--gnmi-samples", type=int, default=200, help="0: skip the gNMI ON_CHANGE latency run")
    ns = p.parse_args()
    result = asyncio.run(run(ns))
    if ns.gnmi_samples and not ns.vpp_api_socket:
        result["gnmi_on_change"] = gnmi_latency(ns.gnmi_samples)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
