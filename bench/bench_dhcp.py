"""DHCPv4 relay benchmark: N subscribers attach through full DHCP exchanges with Kea behind the agent's
relay, then detach (RELEASE), each way at a set rate; relay latency (DISCOVER into the access port to
DISCOVER out to the server) and the agent's memory per session.

The whole node runs as an operator runs it: ``bng-agent run`` (``--sim``, or ``--vpp-api-socket`` for a
real VPP started with ``punt { socket }``, e.g. ``make vpp-run``) with a startup configuration that relays
DHCPv4 on GigabitEthernet0/8/0 to Kea 2.2 in a network namespace (link selection, server-id override).
The load client (bench/_dhcp_load_client.py) sends from a raw socket on the veth that backs the port
(vppsim's ``back_port``; on real VPP the af_packet port's veth peer). Relayed DISCOVERs are timestamped
by the kernel (SO_TIMESTAMPNS) on the veth towards Kea; client send times come from the client.

    sudo .venv/bin/python bench/bench_dhcp.py --sessions 10000 --rate 1000
    sudo .venv/bin/python bench/bench_dhcp.py --sessions 10000 --rate 1000 \\
        --vpp-api-socket /tmp/vpp/api.sock --vpp-stats-socket /tmp/vpp/stats.sock

Prints one JSON object. Numbers go to docs/performance.md ("DHCPv4 relay").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from _dhcp4_helpers import KeaServer  # noqa: E402

PORT = "GigabitEthernet0/8/0"
SO_TIMESTAMPNS = 35


def startup(kea: KeaServer, n: int) -> dict[str, Any]:
    return {
        "ietf-interfaces:interfaces": {
            "interface": [
                {
                    "name": PORT,
                    "type": "iana-if-type:ethernetCsmacd",
                    "ietf-ip:ipv4": {"address": [{"ip": "10.64.0.1", "prefix-length": 16}]},
                }
            ]
        },
        "bng-subscribers:subscribers": {
            "session-templates": {"template": [{"name": "residential"}]},
            "dhcpv4-relay": {
                "server-group": [
                    {
                        "name": "kea",
                        "server": [str(kea.address)],
                        "gateway-address": str(kea.relay_address),
                        "link-selection": True,
                        "server-id-override": True,
                        "response-timeout": 30,
                    }
                ]
            },
            "access-interfaces": {
                "access-interface": [
                    {"interface": PORT, "session-template": "residential", "ipoe": {"dhcpv4-relay": "kea"}}
                ]
            },
        },
    }


class Agent:
    def __init__(
        self, workdir: Path, config: Path, vpp: tuple[str, str] | None, profile: str | None = None
    ) -> None:
        backend = ["--sim"] if vpp is None else ["--vpp-api-socket", vpp[0], "--vpp-stats-socket", vpp[1]]
        settings = workdir / "agent.toml"
        settings.write_text(
            f'netconf-host = "127.0.0.1"\nlog-level = "WARNING"\npunt-socket = "{workdir}/agent-punt.sock"\n'
        )
        self.log = (workdir / "agent.log").open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable, *(["-m", "cProfile", "-o", profile] if profile else []),
                "-m", "agent.cli", "run", *backend,
                "--data-dir", str(workdir / "data"), "--config", str(settings), "--startup", str(config),
                "--netconf-port", "0", "--gnmi-port", "0", "--metrics-port", "0",
            ],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log, text=True,
        )  # fmt: skip
        self.out = ""
        assert self.proc.stdout is not None
        while "data directory:" not in self.out:  # the banner's last line
            line = self.proc.stdout.readline()
            if not line:
                log = (workdir / "agent.log").read_text()[-3000:]
                raise RuntimeError(f"agent did not start: {self.out}\n{log}")
            self.out += line
        self.metrics = re.search(r"Prometheus: (\S+)", self.out).group(1)  # type: ignore[union-attr]
        self.api_socket = re.search(r"VPP API socket: (\S+)", self.out).group(1)  # type: ignore[union-attr]
        control = re.search(r"--control-socket (\S+)", self.out)
        self.control = control.group(1) if control else None

    def metric(self, name: str) -> float:
        body = urllib.request.urlopen(self.metrics, timeout=10).read().decode()
        found = re.findall(rf"^{re.escape(name)} (\S+)$", body, re.M)
        return float(found[0]) if found else 0.0

    def rss_kib(self) -> int:
        text = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", text).group(1))  # type: ignore[union-attr]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()


class Sniffer(threading.Thread):
    """Kernel receive timestamps of relayed DISCOVERs (by xid) on the veth towards the server."""

    def __init__(self, ifname: str) -> None:
        super().__init__(daemon=True)
        # ETH_P_ALL: frames this host sends are only copied to sockets of every protocol (dev_queue_xmit_nit)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
        self.sock.bind((ifname, 0))
        self.sock.settimeout(0.5)
        self.seen: dict[int, float] = {}
        self.stopping = False

    def run(self) -> None:
        while not self.stopping:
            try:
                data, anc, _, addr = self.sock.recvmsg(2048, 64)
            except TimeoutError:
                continue
            if addr[2] != socket.PACKET_OUTGOING or len(data) < 14 + 28 + 240 or data[12:14] != b"\x08\x00":
                continue
            ihl = (data[14] & 0x0F) * 4
            udp = 14 + ihl
            if data[23] != 17 or struct.unpack_from("!H", data, udp + 2)[0] != 67:
                continue
            b = udp + 8
            if data[b] != 1:
                continue
            opts, mtype = b + 240, 0
            while opts + 1 < len(data) and data[opts] != 255:
                if data[opts] == 53:
                    mtype = data[opts + 2]
                    break
                opts += 1 if data[opts] == 0 else 2 + data[opts + 1]
            if mtype != 1:
                continue
            ts = time.time()
            for level, kind, value in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", value[:16])
                    ts = sec + nsec / 1e9
            xid = struct.unpack_from("!I", data, b + 4)[0]
            self.seen.setdefault(xid, ts)


def veth_pair(tag: str) -> tuple[str, str]:
    a, b = f"bdha{tag}", f"bdhb{tag}"
    subprocess.run(["ip", "link", "add", a, "type", "veth", "peer", "name", b], check=True)
    for end in (a, b):
        subprocess.run(["sysctl", "-qw", f"net.ipv6.conf.{end}.disable_ipv6=1"], check=True)
        subprocess.run(["ip", "link", "set", end, "up"], check=True)
    return a, b


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


def vpp_host_routes(api_socket: str) -> int:
    """/32 routes in table 0 inside the subscriber pool (what the subscriber manager programs)."""
    from vpp_papi import VPPApiClient

    from agent.vpp.api import api_json_files

    c = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=api_socket)
    c.connect("bench-dhcp")
    try:
        routes = c.api.ip_route_dump(table={"table_id": 0, "is_ip6": False, "name": ""})
        return sum(
            1
            for r in routes
            if str(r.route.prefix).startswith("10.64.") and str(r.route.prefix).endswith("/32")
        )
    finally:
        c.disconnect()


def run(args: argparse.Namespace) -> dict[str, Any]:
    tag = os.urandom(3).hex()
    workdir = Path(tempfile.mkdtemp(prefix="bdh-", dir="/tmp"))
    qlen = Path("/proc/sys/net/unix/max_dgram_qlen")
    old_qlen = qlen.read_text().strip()
    qlen.write_text("16384\n")  # deploy/sysctl.d/60-bng-agent.conf
    kea = KeaServer(workdir, [("10.64.0.0/16", "10.64.1.0", "10.64.255.250", "10.64.0.1")], lease_time=3600)
    config = workdir / "startup.json"
    config.write_text(json.dumps(startup(kea, args.sessions)))
    vpp = (args.vpp_api_socket, args.vpp_stats_socket) if args.vpp_api_socket else None
    ports = None
    client_if = None
    veth: tuple[str, str] | None = None
    agent = None
    try:
        if vpp is None:
            veth = veth_pair(tag)
            client_if = veth[1]
        else:
            from realvpp import ensure_ports  # bench/realvpp.py: the port as af_packet on a veth

            ports = asyncio.run(ensure_ports(vpp[0], [PORT]))
            client_if = (
                next(v for n, v in ports.created if n == PORT) + "p" if ports.created else args.client_if
            )
        agent = Agent(workdir, config, vpp, args.profile)
        if vpp is None:
            from vppsim.control import send_command

            assert agent.control is not None and veth is not None
            send_command(agent.control, "back_port", name=PORT, host_if=veth[0])
        sniffer = Sniffer(kea.host)
        sniffer.start()
        rss0 = agent.rss_kib()
        peak: dict[str, float] = {"rss": rss0, "leases": 0, "vpp_routes": -1}
        running = threading.Event()
        running.set()

        def monitor() -> None:
            assert agent is not None
            while running.is_set():
                peak["rss"] = max(peak["rss"], agent.rss_kib())
                leases = agent.metric("bng_dhcp4_leases")
                peak["leases"] = max(peak["leases"], leases)
                if leases >= 0.9 * args.sessions and peak["vpp_routes"] < 0:
                    peak["vpp_routes"] = vpp_host_routes(agent.api_socket)
                time.sleep(0.1)

        watcher = threading.Thread(target=monitor, daemon=True)
        watcher.start()
        out = workdir / "client.json"
        client = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "_dhcp_load_client.py"), str(client_if),
             str(args.sessions), str(args.rate), str(out), args.tags],
            cwd=ROOT, capture_output=True, text=True, timeout=args.sessions / args.rate * 4 + 300,
        )  # fmt: skip
        if client.returncode != 0:
            raise RuntimeError("load client failed: " + client.stderr[-3000:])
        res = json.loads(out.read_text())
        # detach: leases gone in the agent after the last RELEASE
        deadline = time.time() + 120
        while agent.metric("bng_dhcp4_leases") > 0 and time.time() < deadline:
            time.sleep(0.05)
        detach_done = time.time()
        running.clear()
        watcher.join()
        sniffer.stopping = True
        lat = [
            (sniffer.seen[int(x)] - t) * 1000
            for x, t in res["discover_sent"].items()
            if int(x) in sniffer.seen
        ]
        bound = res["bound"]
        result = {
            "backend": "vpp" if vpp else "vppsim",
            "sessions": args.sessions,
            "rate": args.rate,
            "bound": bound,
            "client_retransmits": res.get("retransmits", 0),
            "attach_seconds": round(res["attach_s"], 3),
            "attach_per_second": round(bound / res["attach_s"], 1) if res["attach_s"] else None,
            "released": res["release_sent"],
            "detach_seconds": round(detach_done - res["detach_start"], 3),
            "detach_per_second": round(res["release_sent"] / (detach_done - res["detach_start"]), 1),
            "leases_left": agent.metric("bng_dhcp4_leases"),
            "leases_bound_total": agent.metric("bng_dhcp4_leases_bound_total"),
            "relay_latency_ms": {
                "n": len(lat),
                "p50": round(percentile(lat, 50), 3),
                "p99": round(percentile(lat, 99), 3),
                "max": round(max(lat), 3) if lat else None,
            },
            "agent_rss_kib_before": rss0,
            "agent_rss_kib_peak": peak["rss"],
            "memory_per_session_bytes": round((peak["rss"] - rss0) * 1024 / bound) if bound else None,
            "leases_peak": peak["leases"],
            # host routes in VPP once 90 % of the sessions were bound (one dump, while attaching goes on)
            "vpp_subscriber_routes_at_90pct": peak["vpp_routes"],
            "server_timeouts": agent.metric('bng_dhcp4_relay_errors_total{reason="server-timeout"}'),
        }
        return result
    finally:
        if agent is not None:
            agent.stop()
        kea.stop()
        if veth is not None:
            subprocess.run(["ip", "link", "del", veth[0]], capture_output=True)
        if ports is not None:
            from realvpp import remove_ports

            asyncio.run(remove_ports(ports))
        qlen.write_text(f"{old_qlen}\n")
        subprocess.run(["rm", "-rf", str(workdir)], check=False)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", type=int, default=10_000)
    p.add_argument("--rate", type=float, default=1000.0, help="DISCOVERs (and RELEASEs) per second")
    p.add_argument("--tags", default="", help="client VLAN tags, e.g. q100 or ad200,q300 (default untagged)")
    p.add_argument("--vpp-api-socket", default=None)
    p.add_argument("--vpp-stats-socket", default=None)
    p.add_argument("--client-if", default=None, help="real VPP: the veth peer of the access port")
    p.add_argument("--profile", default=None, help="run the agent under cProfile, stats to this file")
    args = p.parse_args()
    print(json.dumps(run(args), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
