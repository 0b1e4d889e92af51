"""Telemetry through the agent process: ``bng-agent run --sim`` with the demo node, a carrier loss driven
through vppsim's control channel, seen by a gNMI ON_CHANGE subscriber (pygnmi) and in ``/metrics``,
counters sampled over gNMI while traffic flows, and state read with NETCONF ``<get-data>``.

All listeners are on 127.0.0.1 with ports chosen at run time; gNMI runs over TLS with the certificate the
agent generated in its data directory.
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _gnmi_streams import subscribe_stream
from lxml import etree
from ncclient import manager
from prometheus_client.parser import text_string_to_metric_families
from pygnmi.client import gNMIclient  # type: ignore[import-untyped]

from vppsim.control import send_command

ROOT = Path(__file__).resolve().parents[2]
DEMO_JSON = ROOT / "examples" / "demo-config.json"
PASSWORD = "telemetry-Secret-1"
MEMBER = "GigabitEthernet0/8/0"  # a member of BondEthernet0 in the demo configuration
IFS = "/ietf-interfaces:interfaces"
START_TIMEOUT = 90.0


def startup(tmp_path: Path) -> Path:
    hashed = subprocess.run(
        ["openssl", "passwd", "-6", "-salt", "telemetrysalt", PASSWORD],
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


@pytest.fixture
def node(tmp_path: Path) -> Iterator[dict[str, Any]]:
    settings = tmp_path / "agent.toml"
    settings.write_text('netconf-host = "127.0.0.1"\nlog-level = "INFO"\nacl-interval = 0.3\n')
    data = tmp_path / "data"
    log = (tmp_path / "agent.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "agent.cli", "run", "--sim", "--data-dir", str(data),
            "--config", str(settings), "--startup", str(startup(tmp_path)),
            "--netconf-port", "0", "--gnmi-port", "0", "--metrics-port", "0",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log,
    )  # fmt: skip
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
        gnmi = re.search(r"gNMI \(TLS\): \S+:(\d+)", out)
        netconf = re.search(r"ssh -p (\d+)", out)
        metrics = re.search(r"Prometheus: (\S+)", out)
        control = re.search(r"--control-socket (\S+)", out)
        assert gnmi and netconf and metrics and control, out
        cert = next((data / "gnmi").glob("*cert*.pem"))
        yield {
            "gnmi": int(gnmi.group(1)),
            "netconf": int(netconf.group(1)),
            "metrics": metrics.group(1),
            "control": control.group(1),
            "cert": cert,
        }
    finally:
        sel.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        log.close()


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(url, timeout=10) as r:
        text = r.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def flat(msg: dict[str, Any]) -> dict[str, Any]:
    up = msg.get("update") or {}
    prefix = up.get("prefix") or ""
    return {(f"{prefix}/{u['path']}" if prefix else u["path"]): u["val"] for u in up.get("update") or []}


def wait_metric(
    url: str, key: tuple[str, tuple[tuple[str, str], ...]], want: float, timeout: float = 15
) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = scrape(url).get(key)
        if last == want:
            return
        time.sleep(0.1)
    raise AssertionError(f"{key} stayed {last}, expected {want}")


def test_carrier_loss_reaches_gnmi_on_change_and_prometheus(node: dict[str, Any]) -> None:
    member = (("bond", "BondEthernet0"), ("member", MEMBER))
    oper = ("bng_interface_oper_up", (("interface", MEMBER), ("vrf", "default")))
    wait_metric(node["metrics"], oper, 1.0)
    wait_metric(node["metrics"], ("bng_bond_member_active", member), 1.0)
    path = f"{IFS}/interface[name={MEMBER}]/oper-status"
    with gNMIclient(
        target=("127.0.0.1", node["gnmi"]), username="admin", password=PASSWORD, path_cert=str(node["cert"])
    ) as client:
        sub = subscribe_stream(
            client,
            {
                "subscription": [{"path": path, "mode": "on_change"}],
                "mode": "stream",
                "encoding": "json_ietf",
            },
        )
        try:
            first = sub.get_update(timeout=15)
            while not first.get("sync_response"):
                assert flat(first) == {path.lstrip("/"): "up"}  # the initial value
                first = sub.get_update(timeout=15)
            started = time.monotonic()
            send_command(node["control"], "link", name=MEMBER, up=False)
            msg = sub.get_update(timeout=10)
            assert flat(msg) == {path.lstrip("/"): "down"}
            assert time.monotonic() - started < 5  # pushed by the event, not found by a poll
            send_command(node["control"], "link", name=MEMBER, up=True)
            assert flat(sub.get_update(timeout=10)) == {path.lstrip("/"): "up"}
        finally:
            sub.close()
    send_command(node["control"], "link", name=MEMBER, up=False)
    wait_metric(node["metrics"], oper, 0.0)
    wait_metric(node["metrics"], ("bng_bond_member_active", member), 0.0)


def test_counters_sampled_over_gnmi_while_traffic_flows(node: dict[str, Any]) -> None:
    port = "GigabitEthernet0/b/0"
    path = f"{IFS}/interface[name={port}]/statistics/in-octets"
    send_command(node["control"], "traffic", name=port, rx_pps=1000, rx_bps=64000)
    try:
        with gNMIclient(
            target=("127.0.0.1", node["gnmi"]),
            username="admin",
            password=PASSWORD,
            path_cert=str(node["cert"]),
        ) as client:
            sub = subscribe_stream(
                client,
                {
                    "subscription": [{"path": path, "mode": "sample", "sample_interval": 500_000_000}],
                    "mode": "stream",
                    "encoding": "json_ietf",
                },
            )
            try:
                values: list[int] = []
                deadline = time.monotonic() + 20
                while len(values) < 4 and time.monotonic() < deadline:
                    msg = sub.get_update(timeout=10)
                    for p, v in flat(msg).items():
                        assert p == path.lstrip("/")
                        values.append(int(v))  # counter64 arrives as a string of digits (RFC 7951)
            finally:
                sub.close()
    finally:
        send_command(node["control"], "traffic", name=port, rx_pps=0, rx_bps=0)
    assert len(values) >= 4, values
    assert values == sorted(values) and values[-1] > values[0]
    assert all(v % 64 == 0 for v in values)  # 64-byte frames: octets move in whole frames


NMDA = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
DS = "urn:ietf:params:xml:ns:yang:ietf-datastores"
IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
BNG_IF_NS = "urn:bng-agent:yang:bng-interfaces"


def test_netconf_get_data_reads_state_and_counters(node: dict[str, Any]) -> None:
    port = "GigabitEthernet0/a/0"
    send_command(node["control"], "traffic", name=port, tx_pps=1000, tx_bps=1500000)  # 1,500-byte frames out
    time.sleep(1.5)
    send_command(node["control"], "traffic", name=port, tx_pps=0, tx_bps=0)
    time.sleep(1.5)  # a poll after the last emulator tick
    xpath = f"/if:interfaces/if:interface[if:name='{port}']"
    rpc = (
        f'<get-data xmlns="{NMDA}" xmlns:ds="{DS}"><datastore>ds:operational</datastore>'
        f'<xpath-filter xmlns:if="{IF_NS}">{xpath}</xpath-filter></get-data>'
    )
    with manager.connect(
        host="127.0.0.1",
        port=node["netconf"],
        username="admin",
        password=PASSWORD,
        hostkey_verify=False,
        look_for_keys=False,
        allow_agent=False,
        timeout=30,
    ) as m:
        reply = etree.fromstring(m.dispatch(etree.fromstring(rpc)).xml.encode())
    (intf,) = reply.iter(f"{{{IF_NS}}}interface")

    def leaf(path: str) -> str:
        found = intf.find(path, {"if": IF_NS, "bif": BNG_IF_NS})
        assert found is not None and found.text is not None, path
        return str(found.text)

    assert leaf("if:name") == port
    assert leaf("if:oper-status") == "up"  # enabled in the demo configuration, carrier up
    assert leaf("if:speed") == "1000000000"
    assert leaf("if:description")  # intended configuration merged with state (NMDA)
    out_octets, out_pkts = (
        int(leaf("if:statistics/if:out-octets")),
        int(leaf("if:statistics/if:out-unicast-pkts")),
    )
    assert out_pkts >= 500 and out_octets == 1500 * out_pkts
    assert leaf("if:statistics/if:in-octets") == "0"
    assert int(leaf("bif:vpp-state/bif:sw-if-index")) > 0
    assert leaf("bif:vpp-state/bif:link-mtu") == "9000"
