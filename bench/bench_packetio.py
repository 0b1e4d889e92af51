"""Benchmark the subscriber packet path: punted DHCP-sized frames per second from one port into the
agent's packetio, with loss counted at every stage (JSON on stdout).

A client in a network namespace sends DHCPDISCOVERs (342-byte frames untagged; ``--tags 1`` 802.1Q,
``--tags 2`` 802.1ad/802.1Q QinQ) at ``--rate`` frames/s into a veth; the port behind it punts them to
the agent's punt socket (vppsim by default), and a service task takes every frame off its subscription.

    .venv/bin/python bench/bench_packetio.py [--rate 10000] [--seconds 5] [--tags 2] [--rounds 3]

Against real VPP (lab: ``make vpp-run`` with ``punt { socket }`` in its startup file and an af_packet port
on a veth, e.g. ``VPP_PORTS=...``):

    .venv/bin/python bench/bench_packetio.py --vpp-api-socket /run/bng-vpp/api.sock \\
        --port host-vpp0 --sender-if vpp0-peer [--sender-netns NS]

The bench programs the access side itself (port up, sub-interfaces with addresses, the 255.255.255.255/32
receive route) and removes the sub-interfaces afterwards. Reported per round: frames sent, received by the
service, dropped in packetio (by reason), and the emulator's own counters (port rx, punt "Socket TX" and
"Socket TX error") when it is vppsim; ``loss`` is sent - received.

Needs root (network namespaces, AF_PACKET). Sets ``net.unix.max_dgram_qlen`` to 16384 while it runs, as
deploy/sysctl.d/60-bng-agent.conf does on a BNG (restored at the end).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from _packetio_helpers import PEER, Netns, discover, program_access, set_broadcast_route  # noqa: E402
from vpp_papi import VPPApiClient  # noqa: E402

from agent.packetio import (  # noqa: E402
    DHCPV4_SERVER,
    PacketIO,
    PacketIOConfig,
    Protocol,
    SubscriptionClosed,
)
from agent.vpp.api import api_json_files  # noqa: E402
from agent.vpp.connection import VppConnection  # noqa: E402
from vppsim.control import send_command  # noqa: E402

QLEN = Path("/proc/sys/net/unix/max_dgram_qlen")


def tags_for(n: int, outer: str) -> tuple[tuple[str, int], ...]:
    return ((), (("q", 100),), ((outer, 200), ("q", 300)))[n]


def start_vppsim(tmp: str) -> tuple[subprocess.Popen[bytes], str, str]:
    api, stats, ctl = (os.path.join(tmp, n) for n in ("api.sock", "stats.sock", "ctl.sock"))
    argv = [sys.executable, "-m", "vppsim.cli", "--api-socket", api, "--stats-socket", stats]
    argv += ["--control-socket", ctl, "--punt-socket", os.path.join(tmp, "vpp-punt.sock")]
    proc = subprocess.Popen(argv, cwd=ROOT)
    deadline = time.monotonic() + 30
    while not all(os.path.exists(p) for p in (api, stats, ctl)):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("vppsim did not start")
        time.sleep(0.05)
    return proc, api, ctl


def unprogram(client: VPPApiClient, port: str) -> None:
    """Leave a real VPP as it was: the access sub-interfaces (their addresses go with them), the port's
    address, the broadcast receive route, the port down -- whatever of it exists."""
    names = {str(d.interface_name): int(d.sw_if_index) for d in client.api.sw_interface_dump()}
    for sub in (f"{port}.100", f"{port}.200300"):
        if sub in names:
            client.api.delete_subif(sw_if_index=names[sub])
    if port in names:
        client.api.sw_interface_add_del_address(sw_if_index=names[port], is_add=False, prefix="10.1.0.1/24")
        client.api.sw_interface_set_flags(sw_if_index=names[port], flags=0)
    set_broadcast_route(client, False, check=False)


def sender_cmd(netns: str | None, ifname: str, rate: float) -> list[str]:
    cmd = [sys.executable, str(PEER), "send", ifname, str(rate)]
    return ["ip", "netns", "exec", netns, *cmd] if netns else cmd


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process from /proc (clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def one_round(
    api_socket: str,
    port: str,
    sender: list[str],
    frame: bytes,
    n: int,
    ctl: str | None,
    agent_dir: str,
    sim_pid: int | None,
    read_delay: float,
) -> dict[str, Any]:
    conn = VppConnection(api_socket, timeout=10)
    await conn.connect()
    pio = PacketIO(
        PacketIOConfig(
            rate_per_port=1e9, burst_per_port=1_000_000, queue_per_port=1_000_000, read_delay=read_delay
        )
    )
    await pio.refresh(conn)
    await pio.open_punt(conn, os.path.join(agent_dir, "agent-punt.sock"), (DHCPV4_SERVER,))
    sub = pio.subscribe(Protocol.DHCPV4)
    got = 0
    first = last = 0.0
    before = send_command(ctl, "packet_status") if ctl else None
    if ctl is None:  # a real VPP: its own error counters tell where frames died
        await conn.call("cli_inband", cmd="clear errors")

    async def service() -> None:
        nonlocal got, first, last
        while True:
            try:
                batch = await sub.get_batch()
            except SubscriptionClosed:
                return
            if got == 0:
                first = batch[0].received_at
            got += len(batch)
            last = batch[-1].received_at

    consumer = asyncio.create_task(service())
    agent_cpu0 = time.process_time()
    sim_cpu0 = cpu_seconds(sim_pid) if sim_pid else 0.0
    proc = await asyncio.create_subprocess_exec(
        *sender, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=str(ROOT)
    )
    out, _ = await proc.communicate(f"{n}*{frame.hex()}\n".encode())
    sent_text, seconds_text = out.decode().split()
    sent, send_seconds = int(sent_text), float(seconds_text)
    # wait until nothing more arrives for 1 s
    seen = -1
    while seen != got:
        seen = got
        await asyncio.sleep(1.0)
    sub.close()
    await consumer
    agent_cpu = time.process_time() - agent_cpu0
    sim_cpu = cpu_seconds(sim_pid) - sim_cpu0 if sim_pid else None
    after = send_command(ctl, "packet_status") if ctl else None
    vpp_errors = None
    if ctl is None:
        reply = await conn.call("cli_inband", cmd="show errors")
        vpp_errors = [" ".join(line.split()) for line in str(reply.reply).splitlines()[1:] if line.strip()]
    await pio.close()
    await conn.close()
    result: dict[str, Any] = {
        "sent": sent,
        "send_seconds": round(send_seconds, 3),
        "offered_rate": round(sent / send_seconds) if send_seconds else None,
        "received": got,
        "loss": sent - got,
        "received_rate": round((got - 1) / (last - first)) if got > 1 and last > first else None,
        "packetio_drops": {f"{p}/{r}": v for (p, r), v in pio.counters.dropped.items()},
        # CPU per frame received, in microseconds: the agent (this process: socket reads, packetio, the
        # service loop, plus 1 s of idle polling at the end) and the emulator
        "agent_cpu_us_per_frame": round(agent_cpu / got * 1e6, 1) if got else None,
        "vppsim_cpu_us_per_frame": round(sim_cpu / got * 1e6, 1) if got and sim_cpu is not None else None,
    }
    if vpp_errors is not None:
        result["vpp_show_errors"] = vpp_errors
    if before and after:
        b, a = before["ports"].get(port, {}), after["ports"].get(port, {})
        bc, ac = (before["punt"] or {}).get("counters", {}), (after["punt"] or {}).get("counters", {})
        result["vppsim"] = {
            "port_rx": a.get("rx", 0) - b.get("rx", 0),
            "port_drops": {k: v - b.get("drops", {}).get(k, 0) for k, v in a.get("drops", {}).items()},
            "punt_socket_tx": ac.get("Socket TX", 0) - bc.get("Socket TX", 0),
            "punt_socket_tx_error": ac.get("Socket TX error", 0) - bc.get("Socket TX error", 0),
        }
    return result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rate", type=float, default=10_000, help="frames per second sent (default 10000)")
    p.add_argument("--seconds", type=float, default=5.0, help="seconds of sending per round (default 5)")
    p.add_argument("--tags", type=int, choices=(0, 1, 2), default=2, help="VLAN tags per frame (default 2)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument(
        "--read-delay", type=float, default=PacketIOConfig().read_delay, help="PacketIOConfig.read_delay (s)"
    )
    p.add_argument("--vpp-api-socket", help="a real VPP's API socket (default: start vppsim)")
    p.add_argument("--port", default="GigabitEthernet0/8/0", help="the access port's VPP name")
    p.add_argument("--sender-if", help="real VPP: the Linux interface frames are sent on (veth peer)")
    p.add_argument("--sender-netns", help="real VPP: the namespace --sender-if is in")
    p.add_argument(
        "--qinq-outer",
        choices=("ad", "q"),
        default="ad",
        help="QinQ outer tag: 802.1ad (default) or 802.1Q -- use q for a VPP af_packet port, whose input "
        "turns the kernel-stripped outer tag into 802.1Q (src/plugins/af_packet/node.c)",
    )
    ns = p.parse_args()

    old_qlen = QLEN.read_text().strip()
    QLEN.write_text("16384\n")
    tmp = tempfile.mkdtemp(prefix="bpio-", dir="/tmp")
    netns: Netns | None = None
    sim: subprocess.Popen[bytes] | None = None
    client: VPPApiClient | None = None
    try:
        if ns.vpp_api_socket:
            api_socket, ctl = ns.vpp_api_socket, None
            if not ns.sender_if:
                p.error("--sender-if is needed with --vpp-api-socket")
            sender = sender_cmd(ns.sender_netns, ns.sender_if, ns.rate)
        else:
            sim, api_socket, ctl = start_vppsim(tmp)
            netns = Netns()
            send_command(ctl, "back_port", name=ns.port, host_if=netns.host)
            sender = sender_cmd(netns.ns, netns.peer, ns.rate)
        client = VPPApiClient(apifiles=[str(f) for f in api_json_files()], server_address=api_socket)
        client.connect("bench-packetio")
        port_index = next(
            d.sw_if_index for d in client.api.sw_interface_dump() if d.interface_name == ns.port
        )
        assert client.api.sw_interface_set_flags(sw_if_index=port_index, flags=1).retval == 0
        program_access(client, port_index, dot1ad=ns.qinq_outer == "ad")
        frame = discover("02:00:00:00:aa:01", 0x1234, tags=tags_for(ns.tags, ns.qinq_outer))
        n = int(ns.rate * ns.seconds)
        rounds = [
            asyncio.run(
                one_round(
                    api_socket, ns.port, sender, frame, n, ctl, tmp, sim.pid if sim else None, ns.read_delay
                )
            )
            for _ in range(ns.rounds)
        ]
        report = {
            "bench": "packetio",
            "target": ns.vpp_api_socket or "vppsim",
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "load_average_1m": os.getloadavg()[0],
            },
            "frame_bytes": len(frame),
            "tags": ns.tags,
            "qinq_outer": ns.qinq_outer,
            "rate": ns.rate,
            "read_delay": ns.read_delay,
            "frames_per_round": n,
            "rounds": rounds,
            "total_loss": sum(r["loss"] for r in rounds),
        }
        print(json.dumps(report, indent=2))
    finally:
        if client is not None:
            if ns.vpp_api_socket:
                unprogram(client, ns.port)
            client.disconnect()
        if sim is not None:
            sim.terminate()
            sim.wait(10)
        if netns is not None:
            netns.remove()
        QLEN.write_text(f"{old_qlen}\n")
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
