"""NETCONF server throughput and latency with a pipelined asyncssh client; prints JSON.

Issue #6 targets:
* small edit-config + commit pairs on ONE session reach >= 80 % of the machine's durable-write rate
  (a commit is acknowledged only once it is fsynced, so the disk is the bound);
* 10 concurrent sessions reach >= 3x that rate in total (commits that arrive together share a fsync);
* 50 concurrent sessions without errors;
* get-config of a running datastore with 10,000 sub-interfaces in under 1.5 s including transfer;
* edit-config creating 10,000 sub-interfaces + commit (here to the recording southbound; the VPP
  southbound is wired by issue #5).

ncclient waits up to 100 ms per request in its own I/O loop, so it cannot measure this; the client
here writes requests without waiting for replies (a window of outstanding requests per session) and
matches replies by message-id. The server runs as a separate process (``python -m agent.netconf``),
so client and server do not share an interpreter.

Usage: .venv/bin/python bench/bench_netconf.py [--seconds 5] [--window 8] [--subifs 10000]
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

import asyncssh

ROOT = Path(__file__).resolve().parents[1]
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
IANAIFT = "urn:ietf:params:xml:ns:yang:iana-if-type"
PASSWORD = "bench-password"
HELLO = (
    f'<hello xmlns="{NC}"><capabilities><capability>urn:ietf:params:netconf:base:1.1</capability>'
    "</capabilities></hello>]]>]]>"
).encode()


def fsync_rate(directory: Path, seconds: float) -> float:
    """Atomic durable writes per second: write a temp file, fsync it, rename, fsync the directory."""
    target = directory / "probe"
    tmp = directory / "probe.tmp"
    dfd = os.open(directory, os.O_RDONLY)
    n, start = 0, time.perf_counter()
    try:
        while time.perf_counter() - start < seconds and n < 100_000:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.write(fd, b"x" * 256)
            os.fsync(fd)
            os.close(fd)
            os.replace(tmp, target)
            os.fsync(dfd)
            n += 1
    finally:
        os.close(dfd)
    return n / (time.perf_counter() - start)


def chunk(msg: bytes) -> bytes:
    return b"\n#%d\n" % len(msg) + msg + b"\n##\n"


class Client:
    """One NETCONF session that can keep several requests in flight."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.buf = b""
        self.errors = 0
        self.next_id = 0

    async def open(self) -> None:
        self.conn = await asyncssh.connect(
            "127.0.0.1",
            self.port,
            username="admin",
            password=PASSWORD,
            known_hosts=None,
            client_keys=None,
            agent_path=None,
        )
        self.w, self.r, _ = await self.conn.open_session(subsystem="netconf", encoding=None)
        while b"]]>]]>" not in self.buf:
            self.buf += await self.r.read(65536)
        self.buf = self.buf.split(b"]]>]]>", 1)[1]
        self.w.write(HELLO)

    def send(self, op: str) -> None:
        self.next_id += 1
        self.w.write(chunk(f'<rpc xmlns="{NC}" message-id="{self.next_id}">{op}</rpc>'.encode()))

    async def reply(self) -> bytes:
        """The next reply body (chunks concatenated)."""
        while True:
            end = self.buf.find(b"\n##\n")
            if end >= 0:
                raw, self.buf = self.buf[:end], self.buf[end + 4 :]
                body, pos = b"", 0
                while pos < len(raw):
                    nl = raw.index(b"\n", pos + 2)
                    size = int(raw[pos + 2 : nl])
                    body += raw[nl + 1 : nl + 1 + size]
                    pos = nl + 1 + size
                if b"<rpc-error>" in body:
                    self.errors += 1
                    if self.errors <= 3:
                        print(body[:400].decode(errors="replace"), file=sys.stderr)
                return body
            data = await self.r.read(1 << 20)
            if not data:
                raise ConnectionError("server closed the session")
            self.buf += data

    async def close(self) -> None:
        self.conn.close()
        await self.conn.wait_closed()


def edit(name: str, value: str) -> str:
    return (
        f'<edit-config><target><candidate/></target><config xmlns="{NC}"><interfaces xmlns="{IF_NS}">'
        f'<interface><name>{name}</name><type xmlns:ianaift="{IANAIFT}">ianaift:ethernetCsmacd</type>'
        f"<description>{value}</description></interface></interfaces></config></edit-config>"
    )


async def commit_loop(client: Client, name: str, seconds: float, window: int) -> tuple[int, list[float]]:
    """edit-config + commit pairs for ``seconds`` with ``window`` pairs outstanding.

    Returns (commits, latencies)."""
    sent: list[float] = []
    done = 0
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    i = 0
    while True:
        while len(sent) - done < window and time.perf_counter() < deadline:
            client.send(edit(name, f"v{i}"))
            client.send("<commit/>")
            sent.append(time.perf_counter())
            i += 1
        if done == len(sent):
            break
        await client.reply()  # edit-config
        await client.reply()  # commit
        latencies.append(time.perf_counter() - sent[done])
        done += 1
    return done, latencies


def cpu_seconds(pid: int | None) -> float:
    """User+system CPU time of a process (Linux /proc), 0 if unknown."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


SERVER_PID: int | None = None


async def sessions_rate(port: int, n: int, seconds: float, window: int) -> dict[str, Any]:
    clients = [Client(port) for _ in range(n)]
    await asyncio.gather(*(c.open() for c in clients))
    cpu0 = cpu_seconds(SERVER_PID)
    start = time.perf_counter()
    results = await asyncio.gather(
        *(commit_loop(c, f"bench{k}", seconds, window) for k, c in enumerate(clients))
    )
    elapsed = time.perf_counter() - start
    server_cpu = cpu_seconds(SERVER_PID) - cpu0
    errors = sum(c.errors for c in clients)
    await asyncio.gather(*(c.close() for c in clients))
    commits = sum(r[0] for r in results)
    lat = sorted(x for r in results for x in r[1])
    return {
        "sessions": n,
        "commits": commits,
        "errors": errors,
        "commits_per_s": round(commits / elapsed, 1),
        "latency_p50_ms": round(lat[len(lat) // 2] * 1000, 1) if lat else None,
        "latency_p99_ms": round(lat[int(len(lat) * 0.99)] * 1000, 1) if lat else None,
        # server CPU per edit-config+commit pair (SSH, parsing, edit, validate, plan, journal)
        "server_cpu_ms_per_commit": round(server_cpu / commits * 1000, 2) if commits and SERVER_PID else None,
        "server_cpu_share": round(server_cpu / elapsed, 2) if SERVER_PID else None,
    }


def subifs_config(count: int) -> str:
    parent = "GigabitEthernet0/8/0"
    eth = f'<type xmlns:ianaift="{IANAIFT}">ianaift:ethernetCsmacd</type>'
    parts = [f"<interface><name>{parent}</name>{eth}</interface>"]
    bi = "urn:bng-agent:yang:bng-interfaces"
    for n in range(count):
        outer, inner = 100 + n // 4000, n % 4000 + 1
        sub_id = outer * 10000 + inner  # bng-interfaces: sub-id = outer * 10000 + inner for QinQ
        parts.append(
            f"<interface><name>{parent}.{sub_id}</name>"
            f'<type xmlns:ianaift="{IANAIFT}">ianaift:l2vlan</type>'
            f'<sub-interface xmlns="{bi}"><parent-interface>{parent}</parent-interface>'
            f"<sub-id>{sub_id}</sub-id>"
            f"<encapsulation><double-tagged><outer-vlan-id>{outer}</outer-vlan-id>"
            f"<inner-vlan-id>{inner}</inner-vlan-id></double-tagged></encapsulation></sub-interface>"
            "</interface>"
        )
    return f'<config xmlns="{NC}"><interfaces xmlns="{IF_NS}">{"".join(parts)}</interfaces></config>'


async def large(port: int, count: int) -> dict[str, Any]:
    c = Client(port)
    await c.open()
    t0 = time.perf_counter()
    c.send(f"<edit-config><target><candidate/></target>{subifs_config(count)}</edit-config>")
    await c.reply()
    t1 = time.perf_counter()
    c.send("<commit/>")
    await c.reply()
    t2 = time.perf_counter()
    c.send("<get-config><source><running/></source></get-config>")
    body = await c.reply()
    t3 = time.perf_counter()
    errors = c.errors
    await c.close()
    return {
        "subinterfaces": count,
        "edit_config_s": round(t1 - t0, 2),
        "commit_s": round(t2 - t1, 2),
        "edit_plus_commit_s": round(t2 - t0, 2),
        "get_config_s": round(t3 - t2, 2),
        "get_config_bytes": len(body),
        "errors": errors,
    }


async def run(args: argparse.Namespace, port: int, data_dir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["durable_writes_per_s"] = round(fsync_rate(data_dir, args.fsync_seconds), 1)
    out["load_average_1m"] = os.getloadavg()[0]
    out["one_session"] = await sessions_rate(port, 1, args.seconds, args.window)
    out["ten_sessions"] = await sessions_rate(port, 10, args.seconds, args.window)
    out["fifty_sessions"] = await sessions_rate(port, 50, args.seconds, 2)
    base = out["durable_writes_per_s"]
    out["one_session_vs_disk"] = round(out["one_session"]["commits_per_s"] / base, 2)
    out["ten_sessions_vs_disk"] = round(out["ten_sessions"]["commits_per_s"] / base, 2)
    if args.subifs:
        out["large"] = await large(port, args.subifs)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--fsync-seconds", type=float, default=3.0)
    p.add_argument("--window", type=int, default=8, help="edit+commit pairs in flight per session")
    p.add_argument("--subifs", type=int, default=10_000, help="0 to skip the large edit/get-config")
    p.add_argument("--server-pid", type=int, help="with --connect: the server's pid, for its CPU time")
    p.add_argument(
        "--connect",
        type=int,
        metavar="PORT",
        help="use a server already listening on 127.0.0.1:PORT (admin password: bench-password)",
    )
    args = p.parse_args()
    global SERVER_PID
    if args.connect:
        SERVER_PID = args.server_pid
        with tempfile.TemporaryDirectory(prefix="bench-netconf-", dir=os.environ.get("BENCH_DIR")) as tmp:
            print(json.dumps(asyncio.run(run(args, args.connect, Path(tmp))), indent=2))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-netconf-", dir=os.environ.get("BENCH_DIR")) as tmp:
        data_dir = Path(tmp)
        pw = data_dir / "pw"
        pw.write_text(PASSWORD)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "agent.netconf",
                "--data-dir",
                str(data_dir / "srv"),
                "--admin-password-file",
                str(pw),
                "--max-sessions",
                "100",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line.startswith("port "):
                raise SystemExit(f"server did not start: {line!r}")
            port = int(line.split()[1])
            SERVER_PID = proc.pid
            result = asyncio.run(run(args, port, data_dir))
        finally:
            proc.terminate()
            proc.wait(30)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
