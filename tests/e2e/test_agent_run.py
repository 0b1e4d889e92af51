"""The whole node: ``bng-agent run --sim`` with the demo configuration, driven over NETCONF.

The agent is started as an operator would start it (a separate process, vppsim as its child), VPP is
read back with vpp-papi's own client, a NETCONF client commits a change, SIGTERM stops everything, and a
second start on the same data directory brings the committed configuration back into a fresh VPP.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from ncclient import manager
from vpp_papi import VPPApiClient

from agent.vpp.api import api_json_files
from vppsim.control import send_command

ROOT = Path(__file__).resolve().parents[2]
DEMO_JSON = ROOT / "examples" / "demo-config.json"
START_TIMEOUT = 90.0
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


class RunningAgent:
    """``bng-agent run`` as a process: on vppsim (``--sim``), or on a VPP given as ``vpp=(api, stats)``."""

    def __init__(self, data_dir: Path, *extra: str, vpp: tuple[str, str] | None = None) -> None:
        backend = ["--sim"] if vpp is None else ["--vpp-api-socket", vpp[0], "--vpp-stats-socket", vpp[1]]
        settings = data_dir.parent / "agent.toml"
        settings.write_text('netconf-host = "127.0.0.1"\nlog-level = "INFO"\n')
        self.log_path = data_dir.parent / f"agent-{time.monotonic_ns()}.log"
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "agent.cli",
                "run",
                *backend,
                "--data-dir",
                str(data_dir),
                "--config",
                str(settings),
                "--netconf-port",
                "0",
                "--gnmi-port",
                "0",
                "--metrics-port",
                "0",
                *extra,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.out = ""
        self._wait_for("data directory:")
        self.netconf_port = int(re.search(r"ssh -p (\d+)", self.out).group(1))  # type: ignore[union-attr]
        self.api_socket = re.search(r"VPP API socket: (\S+)", self.out).group(1)  # type: ignore[union-attr]
        metrics = re.search(r"Prometheus: (\S+)", self.out)
        self.metrics_url = metrics.group(1) if metrics else None
        self.gnmi = re.search(r"gNMI \((?:TLS|plaintext)\): (\S+)", self.out)

    def netconf(self, password: str) -> Any:
        """An ncclient session to this agent as ``admin`` (a context manager)."""
        return manager.connect(
            host="127.0.0.1",
            port=self.netconf_port,
            username="admin",
            password=password,
            hostkey_verify=False,
            look_for_keys=False,
            allow_agent=False,
            timeout=30,
        )

    def _wait_for(self, marker: str) -> None:
        sel = selectors.DefaultSelector()
        assert self.proc.stdout is not None
        sel.register(self.proc.stdout, selectors.EVENT_READ, "out")
        deadline = time.monotonic() + START_TIMEOUT
        while marker not in self.out:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise AssertionError(f"agent did not start:\n{self.out}\n{self.err[-3000:]}")
            for key, _ in sel.select(timeout=0.5):
                chunk = os.read(key.fileobj.fileno(), 65536)  # type: ignore[union-attr]
                self.out += chunk.decode()
        sel.close()

    @property
    def err(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate(timeout=10)
        self.out += out or ""
        self.log.close()
        return int(self.proc.returncode)


def vpp_interfaces(api_socket: str) -> dict[str, Any]:
    c = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=api_socket)
    c.connect("e2e")
    try:
        out = {}
        for i in c.api.sw_interface_dump(sw_if_index=0xFFFFFFFF):
            addrs = [
                str(a.prefix)
                for v6 in (False, True)
                for a in c.api.ip_address_dump(sw_if_index=i.sw_if_index, is_ipv6=v6)
            ]
            out[str(i.interface_name)] = {"tag": str(i.tag), "flags": int(i.flags), "addresses": addrs}
        return out
    finally:
        c.disconnect()


def demo_subinterfaces() -> set[str]:
    doc = json.loads(DEMO_JSON.read_text())
    return {
        e["name"] for e in doc["ietf-interfaces:interfaces"]["interface"] if e["type"].endswith(":l2vlan")
    }


NEW_SUBIF = """
<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces">
    <interface>
      <name>GigabitEthernet0/b/0.3999</name>
      <type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:l2vlan</type>
      <sub-interface xmlns="urn:bng-agent:yang:bng-interfaces">
        <parent-interface>GigabitEthernet0/b/0</parent-interface>
        <sub-id>3999</sub-id>
        <encapsulation><single-tagged><vlan-id>3999</vlan-id></single-tagged></encapsulation>
      </sub-interface>
      <ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip">
        <address><ip>198.18.99.1</ip><prefix-length>24</prefix-length></address>
      </ipv4>
    </interface>
  </interfaces>
</config>
"""


def demo_startup_with_password(tmp_path: Path, password: str) -> Path:
    """The demo configuration (JSON-IETF) with the admin user's password set to ``password``."""
    hashed = subprocess.run(
        ["openssl", "passwd", "-6", "-salt", "e2esaltvalue", password],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    doc = json.loads(DEMO_JSON.read_text())
    for user in doc["ietf-system:system"]["authentication"]["user"]:
        if user["name"] == "admin":
            user["password"] = hashed
    path = tmp_path / "startup.json"
    path.write_text(json.dumps(doc))
    return path


def test_agent_runs_the_demo_node_and_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    password = "e2e-Secret-1"
    agent = RunningAgent(data, "--startup", str(demo_startup_with_password(tmp_path, password)))
    try:
        vpp = vpp_interfaces(agent.api_socket)
        tagged = {
            v["tag"].removeprefix("bng-agent:") for v in vpp.values() if v["tag"].startswith("bng-agent:")
        }
        assert demo_subinterfaces() <= tagged
        assert "BondEthernet0" in vpp and vpp["BondEthernet0"]["tag"] == "bng-agent:BondEthernet0"
        assert re.search(r"reconcile items=\d+ repairs=\d+ vpp_writes=\d+", agent.err)
        assert agent.gnmi is not None and agent.metrics_url is not None, agent.out
        with urllib.request.urlopen(agent.metrics_url, timeout=10) as resp:
            assert resp.status == 200 and resp.read()

        with agent.netconf(password) as m:
            m.edit_config(target="candidate", config=NEW_SUBIF)
            m.commit()
        vpp = vpp_interfaces(agent.api_socket)
        new = vpp["GigabitEthernet0/b/0.3999"]
        assert new["tag"] == "bng-agent:GigabitEthernet0/b/0.3999" and new["addresses"] == ["198.18.99.1/24"]
        # the commit's calls were timed into the VPP API latency histogram
        with urllib.request.urlopen(agent.metrics_url, timeout=10) as resp:
            metrics = resp.read().decode()
        for msg in ("create_subif", "sw_interface_add_del_address"):
            count = re.search(rf'bng_vpp_api_latency_seconds_count\{{msg="{msg}"\}} (\S+)', metrics)
            assert count is not None and float(count.group(1)) >= 1, msg
    finally:
        status = agent.stop()
    assert status == 0, agent.err[-3000:]
    # one structured line per transaction from the txn layer and from the southbound
    applied = re.search(
        r"southbound apply txn=(\d+) items=\d+ steps=\d+ vpp_calls=[1-9]\d* reverted=0 ok=True ms=", agent.err
    )
    assert applied is not None, agent.err[-3000:]
    assert re.search(rf"txn id={applied.group(1)} .*changes=\d+ steps=\d+", agent.err)
    assert not os.path.exists(agent.api_socket)  # vppsim went with the agent

    again = RunningAgent(data)  # no --startup: the journal has what was committed
    try:
        vpp = vpp_interfaces(again.api_socket)
        assert vpp["GigabitEthernet0/b/0.3999"]["addresses"] == ["198.18.99.1/24"]
        assert demo_subinterfaces() <= {v["tag"].removeprefix("bng-agent:") for v in vpp.values()}
    finally:
        assert again.stop() == 0


PYGNMI_CAPABILITIES = """
import json, os, sys
from pygnmi.client import gNMIclient
host, port, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tls = {"path_cert": sys.argv[4]} if len(sys.argv) > 4 else {"insecure": True}  # trusted server cert
wait = int(os.environ.get("PYGNMI_WAIT", "20"))
with gNMIclient(target=(host, port), username="admin", password=password, gnmi_timeout=wait, **tls) as gc:
    caps = gc.capabilities()
print(json.dumps(sorted(m["name"] for m in caps["supported_models"])))
"""


def pygnmi_capabilities(target: str, password: str, *tls_cert: str) -> list[str]:
    """A gNMI Capabilities with pygnmi (plaintext, or TLS trusting ``tls_cert``), in its own interpreter
    (pygnmi registers its own copy of gnmi.proto, which clashes with the server's in one process)."""
    host, _, port = target.rpartition(":")
    done = subprocess.run(
        [sys.executable, "-c", PYGNMI_CAPABILITIES, host, port, password, *tls_cert],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return list(json.loads(done.stdout))


def test_make_run_banner_logs_in_with_the_demo_credentials(tmp_path: Path) -> None:
    """``make run``'s start-up (the demo configuration) plus ``--gnmi-insecure``: the banner names the
    demo login, and the netconf-console2 command line it prints works as printed."""
    agent = RunningAgent(
        tmp_path / "data", "--startup", str(ROOT / "examples" / "demo-config.xml"), "--gnmi-insecure"
    )
    try:
        assert "login: user 'admin', password 'admin'" in agent.out, agent.out
        assert agent.gnmi is not None and "gNMI (plaintext):" in agent.out
        assert f"gnmic -a {agent.gnmi.group(1)} -u admin -p admin --insecure capabilities" in agent.out
        models = pygnmi_capabilities(agent.gnmi.group(1), "admin")
        assert "ietf-interfaces" in models and "bng-interfaces" in models
        cmd = re.search(r"(netconf-console2 --host .*--get-config)", agent.out)
        assert cmd is not None, agent.out
        argv = cmd.group(1).split()
        argv[0] = str(Path(sys.executable).parent / "netconf-console2")
        got = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert got.returncode == 0, got.stderr[-2000:]
        assert "GigabitEthernet0/8/0" in got.stdout and "<hostname>bng1</hostname>" in got.stdout
    finally:
        assert agent.stop() == 0, agent.err[-3000:]


def test_admin_password_file_is_the_bootstrap_login_for_netconf_and_gnmi(tmp_path: Path) -> None:
    secret = tmp_path / "admin-password"
    secret.write_text("from-a-file-42\n")
    agent = RunningAgent(tmp_path / "data", "--gnmi-insecure", "--admin-password-file", str(secret))
    try:
        assert "password 'admin'" not in agent.out and "-p PASSWORD" in agent.out
        assert f"with the password in {secret}" in agent.out
        assert agent.gnmi is not None
        assert "ietf-interfaces" in pygnmi_capabilities(agent.gnmi.group(1), "from-a-file-42")
        with agent.netconf("from-a-file-42") as m:
            assert "<data" in m.get_config(source="running").data_xml
        # the wrong password is refused on gNMI too
        host, _, port = agent.gnmi.group(1).rpartition(":")
        bad = subprocess.run(
            [sys.executable, "-c", PYGNMI_CAPABILITIES, host, port, "wrong"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert bad.returncode != 0
    finally:
        assert agent.stop() == 0, agent.err[-3000:]


def test_inconsistent_tls_flags_are_refused_before_anything_starts(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("not used")
    for extra in (["--gnmi-tls-cert", str(cert)], ["--gnmi-insecure", "--gnmi-client-ca", str(cert)]):
        done = subprocess.run(
            [sys.executable, "-m", "agent.cli", "run", "--sim", "--data-dir", str(tmp_path / "d"), *extra],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert "gnmi" in done.stderr and "Traceback" not in done.stderr
        assert not (tmp_path / "d").exists()


def test_gnmi_serves_the_operators_certificate(tmp_path: Path) -> None:
    cert, key = tmp_path / "gnmi.pem", tmp_path / "gnmi.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    secret = tmp_path / "admin-password"
    secret.write_text("tls-pw-7")
    agent = RunningAgent(
        tmp_path / "data",
        *("--gnmi-tls-cert", str(cert), "--gnmi-tls-key", str(key), "--admin-password-file", str(secret)),
    )
    try:
        assert agent.gnmi is not None and "gNMI (TLS):" in agent.out
        assert f"--tls-ca {cert} capabilities" in agent.out
        assert "ietf-interfaces" in pygnmi_capabilities(agent.gnmi.group(1), "tls-pw-7", str(cert))
        # the generated self-signed certificate was not used
        assert not list((tmp_path / "data" / "gnmi").glob("*.pem"))
        host, _, port = agent.gnmi.group(1).rpartition(":")
        plain = subprocess.run(
            [sys.executable, "-c", PYGNMI_CAPABILITIES, host, port, "tls-pw-7"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYGNMI_WAIT": "3"},
        )
        assert plain.returncode != 0  # no plaintext on a TLS port
    finally:
        assert agent.stop() == 0, agent.err[-3000:]


def _fresh_shell(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``line`` run as pasted into a new login shell: not in the checkout, no virtualenv on PATH."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8"}
    return subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def _banner_line(out: str, pattern: str) -> str:
    match = re.search(rf"^\s*({pattern}.*)$", out, re.M)
    assert match is not None, f"no {pattern!r} line in:\n{out}"
    return match.group(1).split("   (")[0].strip()


def test_banner_commands_work_as_printed_from_a_fresh_shell(tmp_path: Path) -> None:
    """``make run``'s banner (TLS on, the demo configuration): the NETCONF, gNMI and vppsim command lines
    work pasted into a shell that has not activated the virtualenv and is not in the checkout; the gNMI
    line verifies the server certificate the agent really uses (printed by its absolute path)."""
    agent = RunningAgent(tmp_path / "data", "--startup", str(ROOT / "examples" / "demo-config.xml"))
    shell = tmp_path / "elsewhere"
    shell.mkdir()
    try:
        cert = (tmp_path / "data" / "gnmi" / "gnmi-cert.pem").absolute()
        assert f"server certificate: {cert} (self-signed" in agent.out, agent.out
        assert "--skip-verify" not in agent.out
        assert f"gnmic -a {agent.gnmi.group(1)} -u admin -p admin --tls-ca {cert} capabilities" in agent.out  # type: ignore[union-attr]
        assert f"source {Path(sys.prefix).absolute() / 'bin' / 'activate'}" in agent.out

        got = _fresh_shell(_banner_line(agent.out, r"/\S+/netconf-console2 "), shell)
        assert got.returncode == 0, got.stderr[-2000:]
        assert "<hostname>bng1</hostname>" in got.stdout

        got = _fresh_shell(_banner_line(agent.out, r"/\S+/pygnmicli "), shell)
        assert got.returncode == 0, got.stderr[-2000:]
        assert "ietf-interfaces" in got.stdout and "bng-interfaces" in got.stdout

        got = _fresh_shell(_banner_line(agent.out, r"/\S+/bng-vppsim ctl .* cli show interface"), shell)
        assert got.returncode == 0, got.stderr[-2000:]
        assert re.search(r"^BondEthernet0\.10 +\d+ +up ", got.stdout, re.M), got.stdout
    finally:
        assert agent.stop() == 0, agent.err[-3000:]


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper that never comes counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_sigkill_of_the_agent_takes_its_emulator_with_it(tmp_path: Path) -> None:
    """``kill -9`` of the agent: its vppsim child does not live on (re-parented, with the old state and
    a socket the next agent would not use); it exits within two seconds and removes its sockets."""
    agent = RunningAgent(tmp_path / "data")
    control = re.search(r"--control-socket (\S+)", agent.out)
    assert control is not None, agent.out
    sim_pid = int(send_command(control.group(1), "ping")["pid"])
    assert _alive(sim_pid)
    agent.proc.kill()
    agent.proc.wait(timeout=10)
    deadline = time.monotonic() + 2.0
    while _alive(sim_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert not _alive(sim_pid), "vppsim outlived its agent"
        assert not Path(control.group(1)).exists()
        assert not Path(control.group(1)).parent.exists()  # the private socket directory too
    finally:
        if _alive(sim_pid):
            os.kill(sim_pid, signal.SIGKILL)  # our own child's child: do not leave it behind
        agent.stop()
