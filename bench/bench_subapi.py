"""Benchmark the gRPC subscriber API (proto/subscribers.proto) over TLS: List of every session, Watch
event latency (a manager change to the client's receipt), SetPolicy round trips (JSON on stdout).

The gNMI server with the subscriber service and a real subscriber manager (in memory: no session log,
no VPP, so the figures are the API's own) runs on this process's event loop; the client is grpc's
synchronous client in another thread, as a controller's script would be.

    .venv/bin/python bench/bench_subapi.py [--sessions 10000] [--events 2000] [--calls 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402

from agent.datastore.store import Datastores  # noqa: E402
from agent.gnmi import GnmiServer  # noqa: E402
from agent.model import load_model_set  # noqa: E402
from agent.sessions.api import PolicyAttr, PolicyOrigin, SessionKey  # noqa: E402
from agent.sessions.manager import SessionManager  # noqa: E402
from agent.sessions.policycheck import running_names  # noqa: E402
from agent.sessions.templates import AccessConfig  # noqa: E402
from agent.subapi import subscriber_service  # noqa: E402
from agent.txn import RecordingSouthbound, TransactionManager  # noqa: E402
from bindings.proto import subscribers_pb2 as pb  # noqa: E402
from bindings.proto import subscribers_pb2_grpc as pb_grpc  # noqa: E402

P0 = "GigabitEthernet0/8/0"
PASSWORD = "bench-pw"
MD = [("username", "admin"), ("password", PASSWORD)]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def ms(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values) * 1e3, 3),
        "p99_ms": round(pct(values, 0.99) * 1e3, 3),
        "max_ms": round(max(values) * 1e3, 3),
    }


async def main() -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=2_000)
    ap.add_argument("--calls", type=int, default=1_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-subapi-"))
    running = {
        "ietf-system:system": {"authentication": {"user": [{"name": "admin", "password": f"$0${PASSWORD}"}]}},
        "bng-vrf:vrfs": {"vrf": [{"name": "blue", "table-id": 20}, {"name": "red", "table-id": 30}]},
    }
    access = AccessConfig.from_entry(
        {
            "access-interfaces": {
                "access-interface": [{"interface": P0, "session-template": "t", "ipoe": {}}]
            },
            "session-templates": {"template": [{"name": "t"}]},
        }
    )
    model = load_model_set()
    ds = Datastores(model, running=json.dumps(running))
    mgr = SessionManager(access, policy_check=running_names(ds))
    server = GnmiServer(ds, TransactionManager(ds, None, RecordingSouthbound()), model, port=0, data_dir=tmp)
    server.add_service(subscriber_service(lambda: mgr))
    await server.start()
    assert server.tls_cert is not None
    creds = grpc.ssl_channel_credentials(server.tls_cert.read_bytes())
    channel = grpc.secure_channel(f"localhost:{server.bound_port}", creds)
    stub = pb_grpc.SubscribersStub(channel)
    out: dict[str, Any] = {
        "bench": "subapi",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "sessions": args.sessions,
    }
    for i in range(args.sessions):
        s = await mgr.open(
            SessionKey(
                P0,
                100 + i // 4000,
                1 + i % 4000,
                f"02:00:{i >> 24 & 255:02x}:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}",
            )
        )
        await mgr.bind_ipv4(s.id, ipaddress.IPv4Address(0x64400000 + i + 2), 3600)

    # List: every session in one response, and the same in pages of 1000
    def list_all() -> tuple[float, int, float]:
        t0 = time.perf_counter()
        r = stub.List(pb.ListRequest(), metadata=MD, timeout=60)
        t1 = time.perf_counter()
        after, n = 0, 0
        while True:
            page = stub.List(pb.ListRequest(page_size=1000, page_after=after), metadata=MD, timeout=60)
            n += len(page.sessions)
            if not page.next_page_after:
                break
            after = page.next_page_after
        return t1 - t0, len(r.sessions), time.perf_counter() - t1

    one, n, paged = await asyncio.to_thread(list_all)
    assert n == args.sessions
    out["list_all_s"] = round(one, 3)
    out["list_paged_1000_s"] = round(paged, 3)

    # Watch: a policy change by the manager (as a RADIUS CoA would make it) until the client holds the
    # event. Latency: one change at a time (the next once the previous arrived); throughput: a burst.
    sent: dict[int, float] = {}
    lat: list[float] = []
    got = threading.Semaphore(0)
    ready = threading.Event()
    done = threading.Event()
    burst = {"n": 0, "last": 0.0}

    def watch() -> None:
        stream = stub.Watch(pb.WatchRequest(skip_snapshot=True), metadata=MD)
        for ev in stream:
            if ev.kind == pb.SessionEvent.SYNC:
                ready.set()
                continue
            t = sent.pop(ev.session.id, None)
            if t is not None:
                lat.append(time.perf_counter() - t)
                got.release()
            else:
                burst["n"] += 1
                burst["last"] = time.perf_counter()
            if done.is_set() and burst["n"] >= args.events:
                stream.cancel()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    while not ready.is_set():
        await asyncio.sleep(0.01)
    for i in range(args.events):
        sid = 1 + i % args.sessions
        sent[sid] = time.perf_counter()
        await mgr.set_policy(sid, {PolicyAttr.VRF: "blue" if i % 2 else "red"}, PolicyOrigin.COA)
        await asyncio.to_thread(got.acquire, True, 10)
    done.set()
    t0 = time.perf_counter()
    for i in range(args.events):
        await mgr.set_policy(
            1 + i % args.sessions, {PolicyAttr.VRF: "red" if i % 2 else "blue"}, PolicyOrigin.COA
        )
    while watcher.is_alive() and time.perf_counter() - t0 < 60:
        await asyncio.sleep(0.01)
    out["watch_events"] = len(lat)
    out["watch_latency"] = ms(lat)
    out["watch_burst_events_per_s"] = round(burst["n"] / max(burst["last"] - t0, 1e-9))

    # SetPolicy: sequential round trips from the client (TLS, authentication, manager, reply)
    def calls() -> list[float]:
        rtt = []
        for i in range(args.calls):
            t = time.perf_counter()
            stub.SetPolicy(
                pb.SetPolicyRequest(id=1 + i % args.sessions, set={"vrf": "blue" if i % 2 else "red"}),
                metadata=MD,
                timeout=10,
            )
            rtt.append(time.perf_counter() - t)
        return rtt

    t = time.perf_counter()
    rtt = await asyncio.to_thread(calls)
    out["set_policy_per_s"] = round(args.calls / (time.perf_counter() - t))
    out["set_policy_rtt"] = ms(rtt)
    channel.close()
    await server.stop(0.1)
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main()), indent=1))
