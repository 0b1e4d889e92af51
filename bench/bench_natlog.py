"""Benchmark the NAT event logging relay (agent/natlog) and, on real VPP, NAT44-ed with logging off/on.

Relay (always): a sender process plays VPP (NAT44 session records in VPP's layout, 53 per IPFIX message
as VPP packs them at path MTU 1450) at ``--rates`` records/s for ``--seconds`` each; the relay (this
process, as in the agent) exports to one collector process that counts every distinct record (each
carries a unique id in its timestamp field). Per rate: offered, received by the relay, delivered, lost,
and the relay's CPU. ``max_lossless_rate`` is the highest offered rate delivered without loss.

Collector down: the sender runs at ``--down-rate`` while the collector is stopped for ``--down-seconds``
(its port answers ICMP unreachable), then a new collector starts on the same port; reported: records
offered, delivered (distinct), lost, duplicates, the most the spill held (records and bytes).

    .venv/bin/python bench/bench_natlog.py [--rates 50000,100000,150000,200000] [--seconds 5]
        [--down-seconds 60] [--down-rate 20000]

Real VPP (``--vpp``): starts VPP 26.06 (tests/vpp/_realvpp.py) with two packet-generator interfaces,
NAT44-ED through VPP's CLI (inside pg0, outside pg1, a pool of 128 addresses; the nat feature was not on
main when this was written), exporter 0 to a collector behind pg1, and sends ``--pg-packets`` UDP
packets of distinct flows (each creates a session) with the packet generator, alternately with NAT event
logging off and on (``nat ipfix logging enable|disable``), ``--pg-rounds`` pairs in the same VPP (ABBA
order, as the session table grows from run to run). Reported per
run: CPU clocks per packet along the whole path (``show runtime`` Packet-Clocks x vectors, summed over
every node, / packets), the export packets VPP sent; per mode the median, packets/s of one core at the
CPU's clock, and the ratio on/off (in packets per second).

    .venv/bin/python bench/bench_natlog.py --vpp --skip-relay [--pg-packets 500000] [--pg-rounds 3]

JSON on stdout. Needs root for --vpp (VPP).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.flowexport.exporter import Format  # noqa: E402
from agent.natlog.link import CollectorSettings  # noqa: E402
from agent.natlog.relay import Relay, RelaySettings  # noqa: E402

RECORD = struct.Struct("!QBIIBHHI")  # VPP's NAT44 session record (ipfix_logging.c), 26 octets
PER_MSG = 53  # VPP at path MTU 1450

SENDER = r"""
import socket, struct, sys, time
host, port = sys.argv[1], int(sys.argv[2])
rate, seconds, first = float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
rec = struct.Struct("!QBIIBHHI")
tmpl = struct.pack("!HH", 263, 8) + b"".join(struct.pack("!HH", i, n) for i, n in
    ((323, 8), (230, 1), (8, 4), (225, 4), (4, 1), (7, 2), (227, 2), (234, 4)))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
s.connect((host, port))
def msg(seq, body, set_id):
    sets = struct.pack("!HH", set_id, 4 + len(body)) + body
    return struct.pack("!HHIII", 10, 16 + len(sets), int(time.time()), seq, 1) + sets
s.send(msg(0, tmpl, 2))
n = int(rate * seconds)
sent, seq, i = 0, 0, first
t0 = time.perf_counter()
last_tmpl = t0
while sent < n:
    k = min(53, n - sent)
    body = b"".join(rec.pack(i + j, 4, 0x0A000000 + ((i + j) & 0xFFFFFF), 0xC6336400 + ((i + j) & 255), 17,
                             1024 + (i + j) % 60000, 1024 + (i + j) % 64000, 0) for j in range(k))
    while True:
        try:
            s.send(msg(seq, body, 263))
            break
        except (BlockingIOError, ConnectionRefusedError):
            time.sleep(0.0005)
    seq += 1; sent += k; i += k
    now = time.perf_counter()
    if now - last_tmpl > 1.0:
        s.send(msg(seq, tmpl, 2)); last_tmpl = now
    ahead = sent / rate - (now - t0)
    if ahead > 0.002:
        time.sleep(ahead)
print(sent, time.perf_counter() - t0, flush=True)
"""

COLLECTOR = r"""
import signal, socket, struct, sys
port = int(sys.argv[1]); size = int(sys.argv[2]); dump = sys.argv[3]
seen = bytearray(size)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
s.bind(("127.0.0.1", port))
total = 0
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
s.settimeout(0.2)
print("ready", flush=True)
while not stop:
    try:
        d = s.recv(65535)
    except socket.timeout:
        continue
    pos = 16
    while pos + 4 <= len(d):
        sid, slen = struct.unpack_from("!HH", d, pos)
        if sid >= 256:
            for (rid,) in struct.iter_unpack("!Q18x", d[pos + 4: pos + 4 + (slen - 4) // 26 * 26]):
                if rid < size:
                    seen[rid] = 1
                total += 1
        pos += max(4, slen)
open(dump, "wb").write(seen)
print(sum(seen), total, flush=True)
"""


def free_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def start_collector(port: int, size: int, dump: Path) -> subprocess.Popen[str]:
    """A counting collector; at SIGTERM it writes a byte per record id (1: received) to ``dump``."""
    p = subprocess.Popen([sys.executable, "-c", COLLECTOR, str(port), str(size), str(dump)],
                         stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    return p


def stop_collector(p: subprocess.Popen[str]) -> tuple[int, int]:
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=60)
    distinct, total = out.split()
    return int(distinct), int(total)


def collector(port: int) -> CollectorSettings:
    """One IPFIX collector with a rate limit far above what is offered (the bench measures the relay)."""
    return CollectorSettings("c", "127.0.0.1", port, Format.IPFIX, 1e7)


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def drain(relay: Relay, expect_in: int, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        link = next(iter(relay.links.values()))
        if relay.counters.records_in >= expect_in and len(link.queue) == 0 and link.inflight == 0:
            return
        await asyncio.sleep(0.05)


async def run_sender(port: int, rate: float, seconds: float, first: int) -> tuple[int, float]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SENDER, "127.0.0.1", str(port), str(rate), str(seconds), str(first),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await proc.communicate()
    sent, took = out.split()
    return int(sent), float(took)


async def relay_rate(rate: float, seconds: float, tmp: Path) -> dict[str, Any]:
    cport, rport = free_port(), free_port()
    n = int(rate * seconds)
    coll = start_collector(cport, n + 1, tmp / "seen")
    settings = RelaySettings(("127.0.0.1", rport), (collector(cport),), memory_records=2_000_000,
                             spill_bytes=1 << 30)  # fmt: skip
    relay = Relay(settings, tmp / f"spill-{int(rate)}")
    await relay.start()
    c0, t0 = cpu(), time.perf_counter()
    sent, took = await run_sender(rport, rate, seconds, 0)
    await drain(relay, sent, 30)
    wall = time.perf_counter() - t0
    used = cpu() - c0
    await asyncio.sleep(0.3)
    distinct, total = stop_collector(coll)
    out = {
        "offered_rate": rate,
        "sender_rate": round(sent / took),
        "records_sent_by_vpp": sent,
        "received_by_relay": relay.counters.records_in,
        "delivered": distinct,
        "duplicates": total - distinct,
        "lost": sent - distinct,
        "relay_cpu_seconds": round(used, 2),
        "wall_seconds": round(wall, 2),
        "rejected": dict(relay.counters.rejected),
    }
    await relay.stop()
    return out


async def relay_down(rate: float, seconds: float, down: float, tmp: Path) -> dict[str, Any]:
    """Collector up for ``seconds``, down for ``down`` seconds, up again; sender runs throughout."""
    cport, rport = free_port(), free_port()
    total_s = seconds + down + seconds
    n = int(rate * total_s)
    coll = start_collector(cport, n + 1, tmp / "seen1")
    settings = RelaySettings(("127.0.0.1", rport), (collector(cport),), memory_records=200_000,
                             spill_bytes=1 << 30)  # fmt: skip
    relay = Relay(settings, tmp / "spill-down")
    await relay.start()
    link = relay.links["c"]
    sender = asyncio.ensure_future(run_sender(rport, rate, total_s, 0))
    await asyncio.sleep(seconds)
    d1, t1 = stop_collector(coll)
    went_down = time.monotonic()
    peak_records = peak_bytes = 0
    while time.monotonic() - went_down < down:
        peak_records = max(peak_records, len(link.queue))
        peak_bytes = max(peak_bytes, link.queue.spill_unread)
        await asyncio.sleep(0.1)
    coll = start_collector(cport, n + 1, tmp / "seen2")
    sent, _took = await sender
    await drain(relay, sent, 120)
    await asyncio.sleep(0.5)
    d2, t2 = stop_collector(coll)
    a, b = (tmp / "seen1").read_bytes(), (tmp / "seen2").read_bytes()
    union = sum(1 for x, y in zip(a[:sent], b[:sent], strict=True) if x or y)
    out = {
        "rate": rate,
        "collector_down_seconds": down,
        "records_sent_by_vpp": sent,
        "received_by_relay": relay.counters.records_in,
        "delivered_before": d1,
        "delivered_after": d2,
        "delivered_distinct": union,
        "lost": sent - union,
        "resent_in_flight": link.counters.resent,
        "duplicates": (t1 + t2) - union,
        "spilled_records": link.queue.spilled_records,
        "peak_queued_records": peak_records,
        "peak_spill_bytes": peak_bytes,
        "dropped": link.queue.dropped,
    }
    await relay.stop()
    return out


async def relay_bench(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-natlog-") as d:
        tmp = Path(d)
        rates = [await relay_rate(float(r), args.seconds, tmp) for r in args.rates.split(",")]
        lossless = [r["offered_rate"] for r in rates if r["lost"] == 0]
        down = await relay_down(args.down_rate, 5.0, args.down_seconds, tmp) if args.down_seconds else None
    return {"rates": rates, "max_lossless_rate": max(lossless) if lossless else 0, "collector_down": down}


# ------------------------------------------------------------------------------------------- real VPP


def vpp_bench(args: argparse.Namespace) -> dict[str, Any]:
    """NAT44-ED on real VPP, logging off and on alternately in one VPP (``--pg-rounds`` pairs)."""
    sys.path.insert(0, str(ROOT / "tests" / "vpp"))
    sys.path.insert(0, str(ROOT / "tests" / "integration"))
    from _realvpp import RealVpp

    vpp = RealVpp(tempfile.mkdtemp(prefix="vb-", dir="/tmp"), ports=0)
    n = args.pg_packets
    runs: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    try:
        cli = vpp.vppctl
        for pg, addr in (("pg0", "10.0.0.1/8"), ("pg1", "198.51.100.1/24")):
            cli(f"create packet-generator interface {pg}")
            cli(f"set interface ip address {pg} {addr}")
            cli(f"set interface state {pg} up")
        cli(f"nat44 plugin enable sessions {2 * n * args.pg_rounds + (1 << 20)}")
        cli("nat44 add address 198.51.100.64 - 198.51.100.191")
        cli("set interface nat44 in pg0 out pg1")
        cli("ip neighbor pg1 198.51.100.2 02:00:00:00:00:02")
        cli("ip route add 0.0.0.0/0 via 198.51.100.2 pg1")
        # exporter 0 to a collector behind pg1: the export packets leave VPP as they would on a BNG
        cli("set ipfix exporter collector 198.51.100.2 port 4739 src 198.51.100.1 path-mtu 1450 "
            "template-interval 20")  # fmt: skip
        k = 0
        error = None
        try:
            for rnd in range(args.pg_rounds):
                # ABBA order: the session table grows run after run, so neither mode always runs later
                for mode in ("off", "on") if rnd % 2 == 0 else ("on", "off"):
                    cli("nat ipfix logging " + ("enable" if mode == "on" else "disable"))
                    k += 1
                    name = f"s{k}"
                    # every packet a new flow (source address and port both move), so a new NAT session
                    udp = f"UDP: 10.{k}.0.2 - 10.{k}.0.255 -> 203.0.113.1 UDP: 1024 - 65000 -> 53"
                    stream = f"name {name} limit {n} size 64-64 interface pg0 node ip4-input"
                    cli(f"packet-generator new {{ {stream} data {{ {udp} incrementing 10 }} }}")
                    tx0 = _tx_packets(cli("show interface pg1"))
                    cli("clear runtime")
                    cli(f"packet-generator enable-stream {name}")
                    deadline = time.monotonic() + 600
                    while time.monotonic() < deadline and " Yes " in cli("show packet-generator"):
                        time.sleep(0.1)
                    r = _runtime(cli("show runtime"), n)
                    r["export_packets"] = _tx_packets(cli("show interface pg1")) - tx0 - n
                    runs[mode].append(r)
                    cli(f"packet-generator delete {name}")
        except RuntimeError as exc:  # VPP gave up (e.g. out of memory for more sessions): keep what ran
            error = str(exc)
        hz = _cpu_hz()
        out: dict[str, Any] = {
            "pg_packets_per_run": n,
            "rounds": args.pg_rounds,
            "cpu_hz": hz,
            "error": error,
        }
        if error is not None:
            runs = {m: rs[: min(len(runs["off"]), len(runs["on"]))] for m, rs in runs.items()}  # whole pairs
        for mode, rs in runs.items():
            cpp = sorted(r["clocks_per_packet"] for r in rs)[len(rs) // 2]
            out[f"logging_{mode}"] = {
                "clocks_per_packet_median": cpp,
                "pps_one_core": round(hz / cpp) if hz and cpp else None,
                "runs": rs,
            }
        off, on = (
            out["logging_off"]["clocks_per_packet_median"],
            out["logging_on"]["clocks_per_packet_median"],
        )
        out["ratio_on_off"] = round(off / on, 3) if on else None
        with contextlib.suppress(RuntimeError, IndexError):
            out["sessions"] = cli("show nat44 summary").splitlines()[2].strip()
            out["vpp"] = cli("show version").strip()
        return out
    finally:
        vpp.destroy()


def _tx_packets(text: str) -> int:
    for line in text.splitlines():
        parts = line.split()
        if "tx" in parts and "packets" in parts:
            return int(parts[parts.index("packets") + 1])
    return 0


def _cpu_hz() -> float | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("cpu MHz"):
                return float(line.split(":")[1]) * 1e6
    except OSError:
        pass
    return None


def _runtime(text: str, n: int) -> dict[str, Any]:
    """CPU clocks per packet along the whole path (every node that saw vectors: pg-input, ip4, the NAT
    nodes, the output), from ``show runtime``'s Packet-Clocks column, and the NAT nodes' share."""
    nodes: dict[str, tuple[int, float]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 6:
            continue
        with contextlib.suppress(ValueError):
            vectors, clocks = int(parts[-4]), float(parts[-2])
            if vectors > 0:
                nodes[parts[0]] = (vectors, clocks)
    total = sum(v * c for v, c in nodes.values())
    nat = {k: round(c, 1) for k, (_v, c) in nodes.items() if k.startswith("nat")}
    return {"clocks_per_packet": round(total / n, 1), "nat_node_clocks": nat, "nodes": sorted(nodes)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rates", default="50000,100000,150000,200000")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--down-seconds", type=float, default=60.0)
    ap.add_argument("--down-rate", type=float, default=20000.0)
    ap.add_argument("--vpp", action="store_true", help="also run NAT44-ED with logging off/on on real VPP")
    ap.add_argument("--pg-packets", type=int, default=500_000)
    ap.add_argument("--pg-rounds", type=int, default=3)
    ap.add_argument("--skip-relay", action="store_true")
    args = ap.parse_args()
    out: dict[str, Any] = {
        "bench": "natlog",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
        "command": " ".join(sys.argv),
    }
    if not args.skip_relay:
        out["relay"] = asyncio.run(relay_bench(args))
    if args.vpp:
        out["vpp_nat44_ed"] = vpp_bench(args)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
