"""gNMI benchmarks (issue #7 targets); prints one JSON object.

* ``sample``: SAMPLE subscription over N interfaces x 8 counters at a 1 s interval, one client: updates per
  second delivered, and the sample period as seen by the client (timestamps and arrival times).
* ``on_change``: median / p90 latency from the start of a gNMI Set that changes one description until the
  ON_CHANGE update for it arrives on another stream (the Set is validated, planned, applied, journalled
  with fsync and published in between).
* ``set``: one SetRequest creating M QinQ sub-interfaces (with an IPv4 address each).

The agent runs in a child process (``--serve``: Datastores, Journal, TransactionManager with the
RecordingSouthbound, GnmiServer, and an operational provider that serves counters for N synthetic
interfaces); the client uses grpc.aio with the generated stubs, so client and server do not share a CPU
core's interpreter. Run: ``.venv/bin/python bench/bench_gnmi.py [--interfaces 10000] [--samples 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MD = [("username", "admin"), ("password", "bench-pw")]
IFS = "ietf-interfaces:interfaces"
COUNTERS = (
    "in-octets",
    "in-unicast-pkts",
    "in-discards",
    "in-errors",
    "out-octets",
    "out-unicast-pkts",
    "out-discards",
    "out-errors",
)


# ------------------------------------------------------------------------------------------- server


class Stats:
    """Operational counters for ``n`` interfaces named bench0..; the values move every call."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        c = self.calls
        parts = []
        for i in range(self.n):
            v = c * 1000 + i
            parts.append(
                f'{{"name":"bench{i}","type":"iana-if-type:ethernetCsmacd","statistics":{{'
                f'"in-octets":"{v}","in-unicast-pkts":"{v}","in-discards":{c},"in-errors":0,'
                f'"out-octets":"{v}","out-unicast-pkts":"{v}","out-discards":{c},"out-errors":0}}}}'
            )
        return f'{{"{IFS}":{{"interface":[' + ",".join(parts) + "]}}"


async def serve_app(data_dir: Path) -> None:
    """The whole agent as ``bng-agent run --sim`` builds it: VPP southbound programming vppsim."""
    from agent.app.main import Agent, Settings

    settings = Settings(
        data_dir=data_dir,
        startup=None,
        netconf_port=0,
        netconf_host="127.0.0.1",
        gnmi_port=0,
        metrics_port=0,
        vpp_api_socket="",
        vpp_stats_socket="",
        sim=True,
        sim_ports=4,
        log_level="WARNING",
    )
    agent = Agent(settings)
    await agent.start()
    print(json.dumps({"port": agent.gnmi.bound_port, "cert": str(agent.gnmi.tls_cert)}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await agent.stop()


async def serve(data_dir: Path, interfaces: int) -> None:
    from agent.datastore.journal import Journal
    from agent.datastore.store import Datastores
    from agent.gnmi import GnmiServer
    from agent.model import load_model_set
    from agent.txn import RecordingSouthbound, TransactionManager

    model = load_model_set()
    ds = Datastores(model)
    txn = TransactionManager(ds, Journal(data_dir / "journal", model), RecordingSouthbound())
    await txn.start()
    pw = data_dir / "pw"
    pw.write_text("bench-pw\n")
    ds.operational.register(f"/{IFS}", Stats(interfaces))
    server = GnmiServer(
        ds,
        txn,
        model,
        port=0,
        data_dir=data_dir,
        insecure=True,
        admin_password_file=pw,
        queue_limit=1_000_000,
    )
    await server.start()
    print(json.dumps({"port": server.bound_port}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    s = server.stats
    samples = int(s.get("samples", 0))
    if samples:
        per = s["sample-seconds"] / samples
        print(json.dumps({"server_seconds_per_sample": round(per, 3), "samples_taken": samples}), flush=True)
    await server.stop()
    await txn.stop()


# ------------------------------------------------------------------------------------------- client


def _path(*elems: tuple[str, dict[str, str]]) -> Any:
    from agent.gnmi.pb import gnmi

    return gnmi.Path(elem=[gnmi.PathElem(name=n, key=k) for n, k in elems])


async def bench_sample(stub: Any, samples: int) -> dict[str, Any]:
    from agent.gnmi.pb import gnmi

    path = _path((IFS, {}), ("interface", {"name": "*"}), ("statistics", {}))
    sub = gnmi.Subscription(path=path, mode=gnmi.SAMPLE, sample_interval=1_000_000_000)
    req = gnmi.SubscribeRequest(
        subscribe=gnmi.SubscriptionList(subscription=[sub], mode=0, encoding=gnmi.PROTO)
    )

    async def reqs() -> Any:
        yield req
        await asyncio.sleep(3600)

    call = stub.Subscribe(reqs(), metadata=MD)
    synced = False
    per_sample: dict[int, int] = {}
    first_arrival: dict[int, float] = {}
    last_arrival: dict[int, float] = {}
    first_stamp: dict[int, float] = {}
    async for resp in call:
        if resp.HasField("sync_response"):
            synced = True
            continue
        if not synced:
            continue
        ts = resp.update.timestamp
        now = time.monotonic()
        # one sample = the notifications sharing a sampling round; group by the second they were taken
        key = ts // 500_000_000
        per_sample[key] = per_sample.get(key, 0) + len(resp.update.update)
        first_arrival.setdefault(key, now)
        first_stamp.setdefault(key, ts / 1e9)
        last_arrival[key] = now
        if len(per_sample) > samples:
            break
    call.cancel()
    keys = sorted(per_sample)[:samples]
    starts = [first_arrival[k] for k in keys]
    periods = [b - a for a, b in itertools.pairwise(starts)]
    delivery = [last_arrival[k] - first_arrival[k] for k in keys]
    total = sum(per_sample[k] for k in keys)
    span = last_arrival[keys[-1]] - first_arrival[keys[0]]
    # from the first sample's start to the start of the sample after the last one counted
    nxt = sorted(per_sample)[len(keys)] if len(per_sample) > len(keys) else keys[-1]
    span_full = first_arrival[nxt] - first_arrival[keys[0]] if nxt != keys[-1] else span
    return {
        "updates_per_sample": [per_sample[k] for k in keys],
        "updates_per_second_sustained": round(total / max(span_full, 1e-6)),
        "updates_per_second_while_sending": round(
            statistics.mean(per_sample[k] / max(d, 1e-6) for k, d in zip(keys, delivery, strict=False))
        ),
        "sample_delivery_seconds": [round(d, 3) for d in delivery],
        "sample_period_seconds": [round(p, 3) for p in periods],
        "max_period_drift_pct": round(max(abs(p - 1.0) for p in periods) * 100, 1) if periods else None,
        "sample_timestamp_period_seconds": [
            round(b - a, 3) for a, b in itertools.pairwise([first_stamp[k] for k in keys])
        ],
        "span_seconds": round(span, 2),
    }


async def bench_on_change(stub: Any, rounds: int) -> dict[str, Any]:
    from agent.gnmi.pb import gnmi

    entry = {"name": "oc0", "type": "iana-if-type:ethernetCsmacd", "description": "start"}
    up = gnmi.Update(
        path=_path((IFS, {})), val=gnmi.TypedValue(json_ietf_val=json.dumps({"interface": [entry]}).encode())
    )
    await stub.Set(gnmi.SetRequest(update=[up]), metadata=MD)
    path = _path((IFS, {}), ("interface", {"name": "oc0"}), ("description", {}))
    sub = gnmi.Subscription(path=path, mode=gnmi.ON_CHANGE)
    req = gnmi.SubscribeRequest(
        subscribe=gnmi.SubscriptionList(subscription=[sub], mode=0, encoding=gnmi.PROTO)
    )
    queue: asyncio.Queue[tuple[float, str]] = asyncio.Queue()

    async def reqs() -> Any:
        yield req
        await asyncio.sleep(3600)

    call = stub.Subscribe(reqs(), metadata=MD)

    async def reader() -> None:
        async for resp in call:
            if resp.HasField("update") and resp.update.update:
                await queue.put((time.perf_counter(), resp.update.update[0].val.string_val))
            elif resp.HasField("sync_response"):
                await queue.put((time.perf_counter(), "<sync>"))

    task = asyncio.create_task(reader())
    while (await queue.get())[1] != "<sync>":
        pass
    latencies = []
    for i in range(rounds):
        text = f"change-{i}"
        started = time.perf_counter()
        await stub.Set(
            gnmi.SetRequest(update=[gnmi.Update(path=path, val=gnmi.TypedValue(string_val=text))]),
            metadata=MD,
        )
        while True:
            arrived, value = await asyncio.wait_for(queue.get(), 10)
            if value == text:
                latencies.append((arrived - started) * 1000)
                break
    call.cancel()
    task.cancel()
    latencies.sort()
    return {
        "rounds": rounds,
        "median_ms": round(statistics.median(latencies), 2),
        "p90_ms": round(latencies[int(len(latencies) * 0.9) - 1], 2),
        "max_ms": round(latencies[-1], 2),
    }


async def bench_set(stub: Any, count: int) -> dict[str, Any]:
    from agent.gnmi.pb import gnmi

    parent = "GigabitEthernet0/8/0"
    entries: list[dict[str, Any]] = [{"name": parent, "type": "iana-if-type:ethernetCsmacd"}]
    for n in range(1, count + 1):
        outer, inner = 100 + n // 4000, n % 4000 + 1
        sub_id = outer * 10000 + inner
        entries.append(
            {
                "name": f"{parent}.{sub_id}",
                "type": "iana-if-type:l2vlan",
                "bng-interfaces:sub-interface": {
                    "parent-interface": parent,
                    "sub-id": sub_id,
                    "encapsulation": {"double-tagged": {"outer-vlan-id": outer, "inner-vlan-id": inner}},
                },
                "ietf-ip:ipv4": {
                    "address": [
                        {"ip": f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}", "prefix-length": 32}
                    ]
                },
            }
        )
    body = json.dumps({"interface": entries}).encode()
    up = gnmi.Update(path=_path((IFS, {})), val=gnmi.TypedValue(json_ietf_val=body))
    started = time.perf_counter()
    resp = await stub.Set(gnmi.SetRequest(update=[up]), metadata=MD, timeout=300)
    elapsed = time.perf_counter() - started
    return {
        "subinterfaces": count,
        "request_bytes": len(body),
        "seconds": round(elapsed, 2),
        "ok": bool(resp.timestamp),
    }


async def client(port: int, args: argparse.Namespace, cert: str | None = None) -> dict[str, Any]:
    import grpc

    from agent.gnmi.pb import gnmi_grpc

    opts = [
        ("grpc.max_receive_message_length", 256 * 1024 * 1024),
        ("grpc.max_send_message_length", 256 * 1024 * 1024),
    ]
    if cert:
        creds = grpc.ssl_channel_credentials(Path(cert).read_bytes())
        channel = grpc.aio.secure_channel(f"localhost:{port}", creds, options=opts)
    else:
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=opts)
    async with channel:
        stub = gnmi_grpc.gNMIStub(channel)
        out: dict[str, Any] = {}
        if cert:  # the whole agent with vppsim: only the Set benchmark
            out["set_vppsim"] = await bench_set(stub, args.subinterfaces)
            return out
        if "sample" in args.only:
            out["sample"] = await bench_sample(stub, args.samples)
        if "on_change" in args.only:
            out["on_change"] = await bench_on_change(stub, args.rounds)
        if "set" in args.only:
            out["set_recording_southbound"] = await bench_set(stub, args.subinterfaces)
        return out


def run_child(args: argparse.Namespace, mode: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "BNG_AGENT_ADMIN_PASSWORD": "bench-pw"}
        proc = subprocess.Popen(
            [sys.executable, __file__, *mode, tmp, "--interfaces", str(args.interfaces)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert proc.stdout is not None
            line = ""
            while not line.startswith("{"):
                line = proc.stdout.readline()
                if not line:
                    raise RuntimeError("benchmark server did not start")
            info = json.loads(line)
            out = asyncio.run(client(info["port"], args, info.get("cert")))
            if proc.stdin:
                proc.stdin.close()
            for rest in proc.stdout:
                if rest.startswith("{"):
                    out.setdefault("server", {}).update(json.loads(rest))
            return out
        finally:
            if proc.stdin and not proc.stdin.closed:
                proc.stdin.close()
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interfaces", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--subinterfaces", type=int, default=10_000)
    parser.add_argument("--only", default="sample,on_change,set,set_vppsim")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--serve-app", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.interfaces))
        return
    if args.serve_app:
        asyncio.run(serve_app(args.serve_app))
        return
    result: dict[str, Any] = {}
    if {"sample", "on_change", "set"} & set(args.only.split(",")):
        result.update(run_child(args, ["--serve"]))
    if "set_vppsim" in args.only.split(","):
        result.update(run_child(args, ["--serve-app"]))
    result["params"] = {k: v for k, v in vars(args).items() if not k.startswith("serve")}
    result["cpus"] = os.cpu_count()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
