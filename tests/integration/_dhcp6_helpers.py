"""DHCPv6 relay test helpers: Kea (``kea-dhcp6``) in a network namespace reached from the root namespace
over a veth with unique-local addresses, and dhcpcd as the subscriber's DHCPv6 client (IA_NA + IA_PD) in
the subscriber namespace.

Kea's namespace gets ``fdXX:...::2/64`` and the root end ``...::1/64`` (a ULA /64 derived from the pid and
a random part, RFC 4193), so parallel runs never share addresses."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from ipaddress import IPv6Address
from pathlib import Path

KEA6 = shutil.which("kea-dhcp6") or "/usr/sbin/kea-dhcp6"
DHCPCD = shutil.which("dhcpcd") or "/usr/sbin/dhcpcd"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def server_addresses() -> tuple[IPv6Address, IPv6Address]:
    """(relay side, Kea side) of a ULA /64 chosen by pid and a random part."""
    n = (os.getpid() * 7919 + uuid.uuid4().int) % (1 << 40)
    base = IPv6Address((0xFD << 120) | (n << 80))
    return base + 1, base + 2


def _wait_dad(argv_prefix: list[str], dev: str, addr: IPv6Address, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(
            [*argv_prefix, "ip", "-6", "addr", "show", "dev", dev], capture_output=True, text=True
        )
        if str(addr) in out.stdout and "tentative" not in out.stdout:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{addr} on {dev} never left DAD")


class Kea6Server:
    """kea-dhcp6 in its own namespace: one subnet (matched by the relay's link-address) with an address
    pool and a prefix-delegation pool; leases in memory; every packet logged to ``log_file``."""

    def __init__(
        self,
        workdir: Path,
        subnet: str,
        pool: str,
        pd_prefix: str,
        pd_len: int,
        delegated_len: int,
        *,
        lifetime: int = 3600,
    ) -> None:
        assert os.path.exists(KEA6), "kea-dhcp6 is missing: apt-get install kea-dhcp6-server (make sysdeps)"
        tag = uuid.uuid4().hex[:8]
        self.ns = f"kea6-{tag}"
        self.host, self.peer = f"k6h{tag}", f"k6n{tag}"
        self.relay_address, self.address = server_addresses()
        self.workdir = workdir
        self.log_file = workdir / "kea6.log"
        self.proc: subprocess.Popen[bytes] | None = None
        _ip("netns", "add", self.ns)
        try:
            _ip("link", "add", self.host, "type", "veth", "peer", "name", self.peer)
            _ip("link", "set", self.peer, "netns", self.ns)
            subprocess.run(["sysctl", "-qw", f"net.ipv6.conf.{self.host}.disable_ipv6=0"], check=True)
            _ip("addr", "add", f"{self.relay_address}/64", "dev", self.host, "nodad")
            _ip("link", "set", self.host, "up")
            ns = ["ip", "netns", "exec", self.ns]
            subprocess.run([*ns, "sysctl", "-qw", f"net.ipv6.conf.{self.peer}.disable_ipv6=0"], check=True)
            self._exec("ip", "addr", "add", f"{self.address}/64", "dev", self.peer, "nodad")
            self._exec("ip", "link", "set", self.peer, "up")
            self._exec("ip", "link", "set", "lo", "up")
            _wait_dad(ns, self.peer, self.address)
            self._start(subnet, pool, pd_prefix, pd_len, delegated_len, lifetime)
        except BaseException:
            self.stop()
            raise

    def _exec(self, *argv: str) -> None:
        subprocess.run(["ip", "netns", "exec", self.ns, *argv], check=True, capture_output=True)

    def _start(
        self, subnet: str, pool: str, pd_prefix: str, pd_len: int, delegated: int, lifetime: int
    ) -> None:
        conf = {
            "Dhcp6": {
                # relayed traffic arrives unicast on this address
                "interfaces-config": {"interfaces": [f"{self.peer}/{self.address}"]},
                "lease-database": {"type": "memfile", "persist": False},
                "server-id": {"type": "LLT", "persist": False},  # nothing written to /var/lib/kea
                "valid-lifetime": lifetime,
                "preferred-lifetime": lifetime // 2,
                "renew-timer": lifetime // 4,
                "rebind-timer": lifetime // 2,
                "subnet6": [
                    {
                        "id": 1,
                        "subnet": subnet,
                        "pools": [{"pool": pool}],
                        "pd-pools": [{"prefix": pd_prefix, "prefix-len": pd_len, "delegated-len": delegated}],
                    }
                ],
                "loggers": [
                    {
                        "name": "kea-dhcp6",
                        "output_options": [{"output": str(self.log_file)}],
                        "severity": "DEBUG",
                        "debuglevel": 40,
                    }
                ],
            }
        }
        path = self.workdir / "kea-dhcp6.json"
        path.write_text(json.dumps(conf))
        env = {
            **os.environ,
            "KEA_PIDFILE_DIR": str(self.workdir),
            "KEA_LOCKFILE_DIR": str(self.workdir),
            "KEA_LOGGER_DESTINATION": str(self.log_file),
        }
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, KEA6, "-c", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"kea-dhcp6 exited: {err} {self.log_text()[-2000:]}")
            if "DHCP6_STARTED" in self.log_text():
                return
            time.sleep(0.1)
        raise RuntimeError("kea-dhcp6 did not start in 30 s: " + self.log_text()[-2000:])

    def log_text(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # ip netns exec execs kea-dhcp6 in place
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        subprocess.run(["ip", "link", "del", self.host], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)


class Dhcpcd:
    """dhcpcd (DHCPv6 only, IA_NA 1 and IA_PD 2) on ``iface`` in namespace ``ns``, in the foreground,
    its own config, pid and lease files in ``workdir``; it starts DHCPv6 when an RA with M=1 arrives."""

    def __init__(self, ns: str, iface: str, workdir: Path) -> None:
        self.ns, self.iface, self.workdir = ns, iface, workdir
        self.log_file = workdir / "dhcpcd.log"
        conf = workdir / "dhcpcd.conf"
        conf.write_text(
            f"ipv6only\nnohook resolv.conf\nnoipv4ll\nduid\ninterface {iface}\n  ia_na 1\n  ia_pd 2\n"
        )
        self.conf = conf
        self.proc = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                ns,
                DHCPCD,
                "-6",
                "-B",
                "-d",
                "-f",
                str(conf),
                "--logfile",
                str(self.log_file),
                iface,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )

    def log_text(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def release(self, timeout: float = 10.0) -> None:
        """``dhcpcd -k``: release the leases (Release to the server) and exit."""
        subprocess.run(
            ["ip", "netns", "exec", self.ns, DHCPCD, "-6", "-k", "-f", str(self.conf), self.iface],
            capture_output=True,
            timeout=timeout,
        )
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
