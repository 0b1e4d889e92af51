"""DHCPv4 relay test helpers: Kea in a network namespace reached from the root namespace over a veth,
ISC dhclient in the subscriber namespace, and scapy-built client messages.

Kea (Debian ``kea-dhcp4-server``) runs in namespace ``kea-<tag>`` on ``198.18.x.2/30`` (RFC 2544's
benchmarking range, derived from the pid so parallel runs differ); the relay's server side is the root
namespace end ``198.18.x.1``, which is the groups' ``gateway-address`` (giaddr, link selection)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from ipaddress import IPv4Address
from pathlib import Path

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Dot1AD, Dot1Q, Ether
from scapy.packet import Packet, raw

KEA = shutil.which("kea-dhcp4") or "/usr/sbin/kea-dhcp4"
DHCLIENT = shutil.which("dhclient") or "/usr/sbin/dhclient"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def server_addresses(pid: int | None = None) -> tuple[IPv4Address, IPv4Address]:
    """(relay side, Kea side) of a /30 in 198.18.0.0/15 chosen by pid and a random part."""
    n = ((pid or os.getpid()) * 7 + uuid.uuid4().int) % (1 << 15)
    base = IPv4Address("198.18.0.0") + n * 4
    return base + 1, base + 2


class KeaServer:
    """kea-dhcp4 in its own namespace. ``subnets``: (subnet, pool start, pool end, router) each.
    Lease file in memory only; every packet logged at debug level to ``log_file``."""

    def __init__(
        self,
        workdir: Path,
        subnets: list[tuple[str, str, str, str]],
        *,
        lease_time: int = 3600,
    ) -> None:
        assert os.path.exists(KEA), "kea-dhcp4 is missing: apt-get install kea-dhcp4-server (make sysdeps)"
        tag = uuid.uuid4().hex[:8]
        self.ns = f"kea-{tag}"
        self.host, self.peer = f"keah{tag}", f"kean{tag}"
        self.relay_address, self.address = server_addresses()
        self.workdir = workdir
        self.log_file = workdir / "kea.log"
        self.proc: subprocess.Popen[bytes] | None = None
        _ip("netns", "add", self.ns)
        try:
            _ip("link", "add", self.host, "type", "veth", "peer", "name", self.peer)
            _ip("link", "set", self.peer, "netns", self.ns)
            _ip("addr", "add", f"{self.relay_address}/30", "dev", self.host)
            _ip("link", "set", self.host, "up")
            self._exec("ip", "addr", "add", f"{self.address}/30", "dev", self.peer)
            self._exec("ip", "link", "set", self.peer, "up")
            self._exec("ip", "link", "set", "lo", "up")
            self._start(subnets, lease_time)
        except BaseException:
            self.stop()
            raise

    def _exec(self, *argv: str) -> None:
        subprocess.run(["ip", "netns", "exec", self.ns, *argv], check=True, capture_output=True)

    def _start(self, subnets: list[tuple[str, str, str, str]], lease_time: int) -> None:
        conf = {
            "Dhcp4": {
                "interfaces-config": {
                    "interfaces": [f"{self.peer}/{self.address}"],
                    "dhcp-socket-type": "udp",
                },
                "lease-database": {"type": "memfile", "persist": False},
                "valid-lifetime": lease_time,
                "renew-timer": lease_time // 2,
                "rebind-timer": lease_time * 7 // 8,
                "subnet4": [
                    {
                        "id": i + 1,
                        "subnet": subnet,
                        "pools": [{"pool": f"{start} - {end}"}],
                        "option-data": [{"name": "routers", "data": router}],
                    }
                    for i, (subnet, start, end, router) in enumerate(subnets)
                ],
                "loggers": [
                    {
                        "name": "kea-dhcp4",
                        "output_options": [{"output": str(self.log_file)}],
                        "severity": "DEBUG",
                        "debuglevel": 40,
                    }
                ],
            }
        }
        path = self.workdir / "kea-dhcp4.json"
        path.write_text(json.dumps(conf))
        env = {
            **os.environ,
            "KEA_PIDFILE_DIR": str(self.workdir),
            "KEA_LOCKFILE_DIR": str(self.workdir),
            "KEA_LOGGER_DESTINATION": str(self.log_file),
        }
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, KEA, "-c", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"kea-dhcp4 exited: {err} {self.log_text()[-2000:]}")
            if "DHCP4_STARTED" in self.log_text():
                return
            time.sleep(0.1)
        raise RuntimeError("kea-dhcp4 did not start in 30 s: " + self.log_text()[-2000:])

    def log_text(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # ip netns exec execs kea-dhcp4 in place: this pid is Kea's
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        subprocess.run(["ip", "link", "del", self.host], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)


def client_script(path: Path) -> Path:
    """A dhclient script that only sets the address on the namespace's interface (the stock
    dhclient-script would rewrite the host's /etc/resolv.conf)."""
    path.write_text(
        "#!/bin/sh\n"
        'case "$reason" in\n'
        '  BOUND|RENEW|REBIND|REBOOT) ip addr flush dev "$interface";'
        ' ip addr add "$new_ip_address/24" dev "$interface" ;;\n'
        '  RELEASE|EXPIRE|FAIL|STOP) ip addr flush dev "$interface" ;;\n'
        "esac\n"
        "exit 0\n"
    )
    path.chmod(0o755)
    return path


def stop_pid_file(pid_file: Path) -> None:
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)


def _tagged(pkt: Packet, tags: tuple[tuple[str, int], ...]) -> Packet:
    for kind, vid in tags:
        pkt = pkt / (Dot1AD(vlan=vid) if kind == "ad" else Dot1Q(vlan=vid))
    return pkt


def client_message(
    mac: str,
    xid: int,
    kind: str,
    *,
    tags: tuple[tuple[str, int], ...] = (),
    options: list[tuple[str, object]] | None = None,
    giaddr: str = "0.0.0.0",
    ciaddr: str = "0.0.0.0",
    dst: str = "255.255.255.255",
    dst_mac: str = "ff:ff:ff:ff:ff:ff",
) -> bytes:
    """A client's DHCP message as a whole frame (scapy), broadcast unless told otherwise."""
    pkt = _tagged(Ether(src=mac, dst=dst_mac), tags)
    opts: list[object] = [("message-type", kind), *(options or []), "end"]
    bootp = BOOTP(
        chaddr=bytes.fromhex(mac.replace(":", "")), xid=xid, flags=0x8000, giaddr=giaddr, ciaddr=ciaddr
    ) / DHCP(options=opts)
    return raw(pkt / IP(src=ciaddr, dst=dst) / UDP(sport=68, dport=67) / bootp)


def parse_reply(frame: bytes) -> tuple[Ether, dict[str, object]]:
    """A frame the relay sent to a client and its DHCP options by name."""
    pkt = Ether(frame)
    opts = {o[0]: o[1] for o in pkt[DHCP].options if isinstance(o, tuple)}
    return pkt, opts


__all__ = ["BOOTP", "DHCLIENT", "IP", "KEA", "UDP", "KeaServer", "client_message", "parse_reply"]
