"""A real Prometheus (Debian's ``prometheus``) scrapes ``bng-agent run --sim`` and evaluates the shipped
alert rules; metrics are read back through Prometheus' HTTP API, as a Grafana panel would.

Everything binds to 127.0.0.1 on ports chosen at run time; Prometheus keeps its TSDB in the test's tmp dir.
Traffic is driven through vppsim's control channel and the rates come back through PromQL.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vppsim.control import send_command

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "bng-agent.rules.yml"
START_TIMEOUT = 90.0
PORT = "GigabitEthernet0/8/0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[dict[str, str]]:
    """``bng-agent run --sim`` with every listener on 127.0.0.1 port 0; yields the banner's endpoints."""
    settings = tmp_path / "agent.toml"
    settings.write_text('netconf-host = "127.0.0.1"\nlog-level = "INFO"\n')
    log = (tmp_path / "agent.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agent.cli",
            "run",
            "--sim",
            "--data-dir",
            str(tmp_path / "data"),
            "--config",
            str(settings),
            "--netconf-port",
            "0",
            "--gnmi-port",
            "0",
            "--metrics-port",
            "0",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log,
    )
    out = ""
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while "data directory:" not in out:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError(
                    f"agent did not start:\n{out}\n{(tmp_path / 'agent.log').read_text()[-3000:]}"
                )
            for key, _ in sel.select(timeout=0.5):
                out += os.read(key.fileobj.fileno(), 65536).decode()  # type: ignore[union-attr]
        metrics = re.search(r"Prometheus: http://(\S+)/metrics", out)
        control = re.search(r"--control-socket (\S+)", out)
        assert metrics and control, out
        yield {"target": metrics.group(1), "control": control.group(1)}
    finally:
        sel.close()
        stop(proc)
        log.close()


class Prometheus:
    def __init__(self, directory: Path, target: str) -> None:
        self.binary = shutil.which("prometheus")
        assert self.binary, "prometheus is missing: install the Debian package 'prometheus' (make sysdeps)"
        self.directory = directory
        config = directory / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            f"rule_files:\n  - {RULES}\n"
            "scrape_configs:\n"
            "  - job_name: bng-agent\n    scrape_timeout: 900ms\n"
            f"    static_configs:\n      - targets: ['{target}']\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        for _ in range(3):  # the chosen port can be taken between choosing and binding: try another
            self.port = free_port()
            self.log = (directory / f"prometheus-{self.port}.log").open("w")
            self.proc = subprocess.Popen(
                [
                    self.binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={directory / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--log.level=warn",
                ],
                stdout=self.log,
                stderr=subprocess.STDOUT,
            )
            if self._ready(30):
                return
            stop(self.proc)
            self.log.close()
        raise AssertionError(
            "prometheus did not start: " + (directory / f"prometheus-{self.port}.log").read_text()
        )

    def _ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.2)
        return False

    def api(self, path: str, **params: str) -> Any:
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=10) as r:
            doc = json.loads(r.read())
        assert doc["status"] == "success", doc
        return doc["data"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        return list(self.api("query", query=promql)["result"])

    def wait_value(self, promql: str, ok: Any, timeout: float = 30.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        last: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            last = self.query(promql)
            if last and ok(float(last[0]["value"][1])):
                return last
            time.sleep(0.25)
        raise AssertionError(f"{promql} never satisfied the condition; last result {last}")

    def close(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.log.close()


@pytest.fixture
def prometheus(tmp_path: Path, agent: dict[str, str]) -> Iterator[Prometheus]:
    prom = Prometheus(tmp_path, agent["target"])
    try:
        yield prom
    finally:
        prom.close()


def test_prometheus_scrapes_the_agent_and_evaluates_the_rules(
    agent: dict[str, str], prometheus: Prometheus
) -> None:
    prometheus.wait_value('up{job="bng-agent"}', lambda v: v == 1)
    prometheus.wait_value("bng_vpp_connected", lambda v: v == 1)
    speed = prometheus.query(f'bng_interface_speed_bytes_per_second{{interface="{PORT}"}}')
    assert float(speed[0]["value"][1]) == 125e6 and speed[0]["metric"]["vrf"] == "default"

    # 1,000 packets/s of 64-byte frames arrive on the port
    send_command(agent["control"], "traffic", name=PORT, rx_pps=1000, rx_bps=64000)
    try:
        # once a full 4 s window has traffic in it the rate is ~64,000 bytes/s (the emulator ticks every
        # 100 ms and Prometheus scrapes every second, so allow for a tick more or less)
        rate = prometheus.wait_value(
            f'rate(bng_interface_receive_bytes_total{{interface="{PORT}"}}[4s])',
            lambda v: v > 40_000,
            timeout=40,
        )
        assert float(rate[0]["value"][1]) < 100_000
        both = prometheus.query(
            f'bng_interface_receive_bytes_total{{interface="{PORT}"}}'
            f' / on(interface, vrf) bng_interface_receive_packets_total{{interface="{PORT}",cast="unicast"}}'
        )
        assert float(both[0]["value"][1]) == 64.0  # bytes per packet: the counters' units line up
    finally:
        send_command(agent["control"], "traffic", name=PORT, rx_pps=0, rx_bps=0)

    # the shipped rules load and evaluate against real data without errors
    groups = prometheus.api("rules")["groups"]
    rules = {r["name"]: r for g in groups for r in g["rules"]}
    assert {"BngVppDown", "BngInterfaceDown", "BngStatsStale", "BngSubscriberSessionsDropped"} <= set(rules)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(
        r.get("lastEvaluation", "").startswith("0001") for r in rules.values()
    ):
        time.sleep(0.5)
        rules = {r["name"]: r for g in prometheus.api("rules")["groups"] for r in g["rules"]}
    bad = {n: r.get("lastError") for n, r in rules.items() if r["health"] != "ok"}
    assert not bad, bad
    assert rules["BngVppDown"]["state"] == "inactive"


def test_a_live_scrape_passes_promtool_check_metrics(agent: dict[str, str]) -> None:
    """What Prometheus would ingest from a running agent (the demo-less node after it connected to the
    emulator), checked by ``promtool check metrics``: base units, counter suffixes, complete histograms."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: install the Debian package 'prometheus' (make sysdeps)"
    deadline = time.monotonic() + 30
    body = b""
    while b"bng_vpp_connected 1.0" not in body:
        assert time.monotonic() < deadline, body[-2000:].decode()
        with urllib.request.urlopen(f"http://{agent['target']}/metrics", timeout=10) as r:
            body = r.read()
        time.sleep(0.2)
    assert (
        b'bng_commit_phase_duration_seconds_count{phase="apply"}' in body
    )  # every phase, even before a commit
    done = subprocess.run(
        [promtool, "check", "metrics"], input=body, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), (
        done.stdout.decode() + done.stderr.decode()
    )
