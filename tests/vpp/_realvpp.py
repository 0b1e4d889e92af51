"""A real VPP 26.06 (the one `make vpp` installed) with the same surface as the integration tests' VppSim.

Why the same surface: the real-VPP lane (tests/vpp) runs the integration tests' own bodies; they call
``vppsim_factory(ports=N)``, ``sim.api_socket``, ``sim.ctl("add_port")``, ``sim.crash()``, ``sim.start()``
and ``sim.client()``. :class:`RealVpp` does each of those to a real VPP:

* VPP is started with the lab startup file ``deploy/vpp-lab.conf.in`` (no hugepages, no NIC), rendered
  as ``scripts/vpp-run.sh`` renders it, in a run directory of its own (sockets, shared-memory prefix), as
  a child process of the test, so instances of other users and of other tests are never touched.
* Ports: VPP has no NIC here. Each port is a veth pair; VPP takes one end as an af_packet interface
  (``create host-interface name <veth>``, named ``host-<veth>`` by VPP) and renames it
  (``set interface name``) to the PCI-style name a server NIC would have, ``GigabitEthernet0/8/0``,
  ``GigabitEthernet0/9/0``, ... -- the names vppsim gives its ports and the demo configuration uses.
  The other end (``<veth>p``) stays in the host: traffic written to it arrives on the VPP port.
* ``crash()`` is SIGKILL (VPP gone without a goodbye, as in a crash); ``start()`` brings up an empty VPP
  with the same ports (the veths survive, the af_packet interfaces are created again, in the same order,
  so they get the same sw_if_index values as a restarted server's NICs would).
* Controls that real VPP cannot do on af_packet are refused with :class:`Unsupported`: a cable pull
  (af_packet's link state follows the admin state, ``src/plugins/af_packet/device.c``
  ``af_packet_interface_admin_up_down``), fault injection and synthetic traffic rates.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import zlib
from pathlib import Path
from typing import Any

from vpp_papi import VPPApiClient

from agent.vpp.api import api_json_files

ROOT = Path(__file__).resolve().parents[2]
LAB_STARTUP = ROOT / "deploy" / "vpp-lab.conf.in"
START_TIMEOUT = 60.0  # a loaded 2-core machine with several VPPs starting: seconds, not minutes
VPP_PREFIX = Path(os.environ.get("VPP_PREFIX", "/opt/bng-vpp/26.06"))
FIRST_PCI_SLOT = 8  # as vppsim: GigabitEthernet0/8/0 is the first NIC
PORT_MTU = 9000  # the veth MTU: a server NIC configured for jumbo frames, as vppsim's ports (9000)


class Unsupported(RuntimeError):
    """A vppsim control-channel command that has no real-VPP equivalent on af_packet ports."""


def vpp_binary() -> Path:
    return VPP_PREFIX / "bin" / "vpp"


def missing_vpp() -> str | None:
    """Why the lane cannot run here, or None when a built VPP is installed."""
    if not os.access(vpp_binary(), os.X_OK):
        return (
            f"no VPP at {vpp_binary()}: build it first with `make vpp VPP_SRC=<checkout of v26.06>` "
            f"(or point VPP_PREFIX at the prefix it was installed to)"
        )
    if os.geteuid() != 0:
        return "the real-VPP lane needs root (VPP, veth pairs, af_packet)"
    return None


def port_name(slot: int) -> str:
    return f"GigabitEthernet0/{slot:x}/0"


class RealVpp:
    """One real VPP process in ``directory`` with ``ports`` af_packet ports on veth pairs."""

    def __init__(self, directory: str, ports: int = 2) -> None:
        self.directory = os.path.realpath(directory)
        self.api_socket = os.path.join(self.directory, "api.sock")
        self.stats_socket = os.path.join(self.directory, "stats.sock")
        self.cli_socket = os.path.join(self.directory, "cli.sock")
        # veth names are global and at most 15 characters: "vl" + 6 hex digits of the run dir + index
        self._veth_base = f"vl{zlib.crc32(self.directory.encode()) & 0xFFFFFF:06x}"
        self.ports: list[str] = [port_name(FIRST_PCI_SLOT + i) for i in range(ports)]
        self._veths: list[str] = []
        self._clients: list[VPPApiClient] = []
        self.pid: int | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        try:
            self.start()
        except BaseException:
            self.destroy()  # a VPP that started but whose ports failed, and any veth made, go too
            raise

    # ------------------------------------------------------------------ process

    def start(self) -> None:
        """Start VPP with the lab startup file (deploy/vpp-lab.conf.in, rendered as scripts/vpp-run.sh
        renders it) and wait until its API socket, stats socket and CLI answer."""
        for p in (self.api_socket, self.stats_socket, self.cli_socket):
            if os.path.exists(p):
                os.unlink(p)
        conf = Path(self.directory, "startup.conf")
        conf.write_text(render_startup(self.directory))
        out = open(Path(self.directory, "vpp.out"), "ab")  # noqa: SIM115 -- VPP's stdout for its lifetime
        self.proc = subprocess.Popen(
            [str(vpp_binary()), "-c", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
        out.close()
        self.pid = self.proc.pid
        deadline = time.monotonic() + START_TIMEOUT
        while not self._answers():
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"VPP exited at start ({self.proc.returncode}); see {self.directory}/vpp.out"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"VPP did not answer within {START_TIMEOUT:g} s; see {self.directory}")
            time.sleep(0.1)
        for i, name in enumerate(self.ports):
            self._attach_port(i, name)

    def _answers(self) -> bool:
        for path, kind in ((self.api_socket, socket.SOCK_STREAM), (self.stats_socket, socket.SOCK_SEQPACKET)):
            try:
                with socket.socket(socket.AF_UNIX, kind) as s:
                    s.settimeout(1)
                    s.connect(path)
            except OSError:
                return False
        try:
            self.vppctl("show", "version")
        except (RuntimeError, subprocess.TimeoutExpired):
            return False
        return True

    def _veth(self, i: int) -> str:
        return f"{self._veth_base}{i}"

    def _attach_port(self, i: int, name: str) -> None:
        veth = self._veth(i)
        if not Path("/sys/class/net", veth).exists():
            _ip("link", "add", veth, "mtu", str(PORT_MTU), "type", "veth", "peer", "name", f"{veth}p")
            self._veths.append(veth)
            # no IPv6 on either end: the host would send router solicitations and MLD reports into the
            # port, which VPP would count as traffic nobody sent
            for end in (veth, f"{veth}p"):
                Path(f"/proc/sys/net/ipv6/conf/{end}/disable_ipv6").write_text("1\n")
            _ip("link", "set", f"{veth}p", "mtu", str(PORT_MTU), "up")
        _ip("link", "set", veth, "up")
        self.vppctl("create", "host-interface", "name", veth)
        self.vppctl("set", "interface", "name", f"host-{veth}", name)

    def peer(self, name: str) -> str:
        """The host end of port ``name``'s veth pair (write frames there to make them arrive in VPP)."""
        return f"{self._veth(self.ports.index(name))}p"

    def vppctl(self, *args: str) -> str:
        """One CLI command through the instance's CLI socket; raises when VPP reports an error."""
        out = subprocess.run(
            [str(VPP_PREFIX / "bin" / "vppctl"), "-s", self.cli_socket, *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        text = out.stdout + out.stderr
        if out.returncode != 0 or "unknown input" in text or text.lstrip().startswith("error"):
            raise RuntimeError(f"vppctl {' '.join(args)}: {text.strip()}")
        return text

    def crash(self) -> int:
        """Kill VPP with SIGKILL (no clean shutdown, as a crash); returns the signal number."""
        self._disconnect_clients()
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.proc = self.pid = None
        return signal.SIGKILL

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        """Stop VPP (SIGTERM, SIGKILL after 10 s); the veths stay for a later start()."""
        self._disconnect_clients()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = self.pid = None

    def destroy(self) -> None:
        """Stop VPP and delete the veth pairs this instance created."""
        self.stop()
        for veth in self._veths:
            subprocess.run(["ip", "link", "del", veth], capture_output=True, timeout=10)
        self._veths.clear()

    def _disconnect_clients(self) -> None:
        for c in self._clients:
            try:
                if c.transport.connected:
                    c.disconnect()
            except Exception:  # VPP may already be gone
                pass
        self._clients.clear()

    # ------------------------------------------------------------------ the VppSim surface

    def client(self, name: str = "test") -> VPPApiClient:
        """A connected synchronous vpp-papi client loading the project's API files."""
        c = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=self.api_socket)
        c.connect(name)
        self._clients.append(c)
        return c

    def ctl(self, cmd: str, **args: Any) -> dict[str, Any]:
        """vppsim's control commands that have a real-VPP equivalent (``ping``, ``add_port``)."""
        if cmd == "ping":
            return {"ok": True, "pid": self.pid}
        if cmd == "add_port":
            name = port_name(FIRST_PCI_SLOT + len(self.ports))
            self.ports.append(name)
            self._attach_port(len(self.ports) - 1, name)
            idx = self.sw_if_index(name)
            return {"ok": True, "sw_if_index": idx, "name": name}
        raise Unsupported(f"{cmd!r} has no real-VPP equivalent on af_packet ports (tests/vpp/_realvpp.py)")

    def sw_if_index(self, name: str) -> int:
        c = self.client("lane-lookup")
        try:
            for i in c.api.sw_interface_dump(sw_if_index=0xFFFFFFFF):
                if str(i.interface_name) == name:
                    return int(i.sw_if_index)
        finally:
            c.disconnect()
            self._clients.remove(c)
        raise KeyError(name)

    def send_frames(self, name: str, count: int, size: int = 64) -> None:
        """Write ``count`` Ethernet frames of ``size`` bytes into port ``name`` (VPP receives them).

        Broadcast frames with the IEEE local-experimental EtherType 0x88b5: VPP counts them on the port's
        rx counters and drops them (no node takes that EtherType).
        """
        frame = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x88\xb5"
        frame += bytes(size - len(frame))
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
            s.bind((self.peer(name), 0))
            for _ in range(count):
                s.send(frame)


def render_startup(run_dir: str) -> str:
    """deploy/vpp-lab.conf.in for one instance, with the values scripts/vpp-run.sh gives its placeholders:
    the run directory, the plugin directory under VPP_PREFIX, a shared-memory prefix derived from the run
    directory; the main thread is left unpinned. A placeholder this function does not know is an error,
    so a template change cannot slip through half-rendered."""
    plugin = next(VPP_PREFIX.rglob("vpp_plugins/af_packet_plugin.so"), None)
    if plugin is None:
        raise RuntimeError(f"no vpp_plugins/af_packet_plugin.so under {VPP_PREFIX}")
    values = {
        "RUN_DIR": run_dir,
        "PLUGIN_DIR": str(plugin.parent),
        "API_PREFIX": f"bngvpl-{zlib.crc32(run_dir.encode()):08x}",
        "MAIN_CORE": "# main-core: not pinned (tests/vpp)",
    }
    text = LAB_STARTUP.read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise RuntimeError(f"{LAB_STARTUP} has placeholders the lane does not know: {sorted(set(left))}")
    return text


def _ip(*args: str) -> None:
    out = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10)
    if out.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {out.stderr.strip()}")


def remove_tree(directory: str) -> None:
    shutil.rmtree(directory, ignore_errors=True)
