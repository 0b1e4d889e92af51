"""Drift through the agent process: ``bng-agent run --sim`` with the demo node, changed behind its back.

An operator's own vpp-papi client deletes a managed sub-interface, sets one admin down and removes an
address. A NETCONF client subscribed to the stream hears ``bng-agent:vpp-drift`` for each, Prometheus
shows ``bng_agent_resync_repairs_total`` grow and ``bng_agent_in_sync`` stay or return to 1, the log has
one WARNING line per repaired item, and VPP is back as configured: within 2 s for what VPP reports with
an event (delete, admin state), within one audit interval for the rest. With ``drift-repair = false`` the
drift is reported instead: in-sync false (``agent-state`` and the gauge) until the operator puts it back.
"""

from __future__ import annotations

import ipaddress
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lxml import etree
from ncclient import manager
from test_telemetry_gnmi import PASSWORD, START_TIMEOUT, scrape, startup
from vpp_papi import VPPApiClient

from agent.vpp.api import api_json_files

ROOT = Path(__file__).resolve().parents[2]
AGENT_NS = "urn:bng-agent:yang:bng-agent"
SUB = "BondEthernet0.10"  # 198.51.100.2/30 in VRF internet (examples/demo-config.json)
SUB2 = "BondEthernet0.11"  # 198.51.100.6/30
VLAN = "GigabitEthernet0/a/0.100"
AUDIT = 1.0
GET_AGENT_STATE = f"""
<get-data xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
          xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores">
  <datastore>ds:operational</datastore>
  <xpath-filter xmlns:a="{AGENT_NS}">/a:agent-state/a:vpp/a:in-sync</xpath-filter>
</get-data>"""


class Agent:
    def __init__(self, tmp_path: Path, settings: str) -> None:
        conf = tmp_path / "agent.toml"
        conf.write_text(f'netconf-host = "127.0.0.1"\nlog-level = "INFO"\n{settings}')
        self.log_path = tmp_path / "agent.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "agent.cli", "run", "--sim", "--data-dir", str(tmp_path / "data"),
                "--config", str(conf), "--startup", str(startup(tmp_path)),
                "--netconf-port", "0", "--gnmi-port", "0", "--metrics-port", "0",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )  # fmt: skip
        out = ""
        sel = selectors.DefaultSelector()
        assert self.proc.stdout is not None
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while "data directory:" not in out:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise AssertionError(f"agent did not start:\n{out}\n{self.log_path.read_text()[-3000:]}")
                for key, _ in sel.select(timeout=0.5):
                    out += os.read(key.fileobj.fileno(), 65536).decode()  # type: ignore[union-attr]
        finally:
            sel.close()
        netconf = re.search(r"ssh -p (\d+)", out)
        metrics = re.search(r"Prometheus: (\S+)", out)
        api = re.search(r"VPP API socket: (\S+)", out)
        assert netconf and metrics and api, out
        self.netconf_port = int(netconf.group(1))
        self.metrics = metrics.group(1)
        self.api_socket = api.group(1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()

    def netconf(self) -> Any:
        return manager.connect(
            host="127.0.0.1",
            port=self.netconf_port,
            username="admin",
            password=PASSWORD,
            hostkey_verify=False,
            look_for_keys=False,
            allow_agent=False,
            timeout=30,
        )

    def metric(self, name: str) -> float:
        return scrape(self.metrics)[(name, ())]


@contextmanager
def running(tmp_path: Path, settings: str) -> Iterator[Agent]:
    a = Agent(tmp_path, settings)
    try:
        yield a
    finally:
        a.stop()


@contextmanager
def operator(api_socket: str) -> Iterator[Any]:
    c = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=api_socket)
    c.connect("operator")
    try:
        yield c.api
    finally:
        c.disconnect()


def vpp(api_socket: str) -> dict[str, dict[str, Any]]:
    """VPP's interfaces by name: admin state and addresses."""
    with operator(api_socket) as api:
        out = {}
        for d in api.sw_interface_dump(sw_if_index=0xFFFFFFFF):
            addrs = sorted(
                str(ipaddress.ip_interface(str(a.prefix)))
                for v6 in (False, True)
                for a in api.ip_address_dump(sw_if_index=d.sw_if_index, is_ipv6=v6)
            )
            out[str(d.interface_name)] = {
                "index": int(d.sw_if_index),
                "up": bool(int(d.flags) & 1),
                "addrs": addrs,
            }
        return out


def drift_notification(m: Any, timeout: float) -> dict[str, Any]:
    """The next ``bng-agent:vpp-drift``: its leaves, and ``items`` as (operation, key) pairs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = m.take_notification(block=True, timeout=max(0.1, deadline - time.monotonic()))
        if n is None:
            continue
        body = etree.fromstring(n.notification_xml.encode()).find(f"{{{AGENT_NS}}}vpp-drift")
        if body is None:
            continue
        got: dict[str, Any] = {etree.QName(c).localname: c.text for c in body if len(c) == 0}
        got["items"] = [
            (i.findtext(f"{{{AGENT_NS}}}operation"), i.findtext(f"{{{AGENT_NS}}}key"))
            for i in body.iterfind(f"{{{AGENT_NS}}}item")
        ]
        return got
    raise AssertionError(f"no vpp-drift notification within {timeout} s")


def in_sync(m: Any) -> str | None:
    reply = etree.fromstring(m.dispatch(etree.fromstring(GET_AGENT_STATE)).xml.encode())
    return reply.findtext(f".//{{{AGENT_NS}}}in-sync")


def wait(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout} s"
        time.sleep(0.05)


def test_drift_is_repaired_notified_counted_and_logged(tmp_path: Path) -> None:
    with running(tmp_path, f"drift-audit-interval = {AUDIT}\n") as agent, agent.netconf() as m:
        m.create_subscription()
        first = agent.metric("bng_agent_resync_repairs_total")
        assert first > 0  # the first reconcile programmed the demo configuration: it counts
        assert agent.metric("bng_agent_in_sync") == 1.0
        before = vpp(agent.api_socket)

        # a managed sub-interface deleted: VPP's event, repaired in < 2 s
        with operator(agent.api_socket) as api:
            t0 = time.monotonic()
            assert api.delete_subif(sw_if_index=before[SUB]["index"]).retval == 0
        got = drift_notification(m, 5.0)
        assert (got["detected-by"], got["action"]) == ("event", "repaired")
        assert ("create", f"interface/{SUB}") in got["items"]
        assert ("create", f"address/{SUB}/198.51.100.2/30") in got["items"]
        assert int(got["repairs"]) == len(got["items"])
        wait(lambda: SUB in vpp(agent.api_socket), 2.0)
        assert time.monotonic() - t0 < 2.0
        now = vpp(agent.api_socket)[SUB]
        assert (now["up"], now["addrs"]) == (before[SUB]["up"], before[SUB]["addrs"])

        # admin down behind the agent's back: an event too
        with operator(agent.api_socket) as api:
            assert api.sw_interface_set_flags(sw_if_index=before[VLAN]["index"], flags=0).retval == 0
        got = drift_notification(m, 5.0)
        assert got["items"] == [("create", f"admin-up/{VLAN}")] and got["detected-by"] == "event"
        assert vpp(agent.api_socket)[VLAN]["up"]

        # an address removed: no event, the audit finds it within one interval
        with operator(agent.api_socket) as api:
            prefix = ipaddress.ip_interface("198.51.100.6/30")
            sw = before[SUB2]["index"]
            assert api.sw_interface_add_del_address(sw_if_index=sw, is_add=False, prefix=prefix).retval == 0
        got = drift_notification(m, AUDIT + 3.0)
        assert (got["detected-by"], got["items"]) == (
            "audit",
            [("create", f"address/{SUB2}/198.51.100.6/30")],
        )
        assert vpp(agent.api_socket)[SUB2]["addrs"] == before[SUB2]["addrs"]

        wait(lambda: agent.metric("bng_agent_resync_repairs_total") >= first + 3, 5.0)
        assert agent.metric("bng_agent_in_sync") == 1.0
        assert in_sync(m) == "true"
    log = agent.log_path.read_text()
    assert re.search(rf"WARNING .*vpp drift source=event action=repaired create interface/{SUB}:", log), log
    assert re.search(rf"WARNING .*vpp drift source=audit action=repaired create address/{SUB2}/", log), log


def test_with_repair_off_drift_is_reported_until_put_back(tmp_path: Path) -> None:
    settings = f"drift-audit-interval = {AUDIT}\ndrift-repair = false\n"
    with running(tmp_path, settings) as agent, agent.netconf() as m:
        m.create_subscription()
        repairs = agent.metric("bng_agent_resync_repairs_total")
        sw = vpp(agent.api_socket)[SUB]["index"]
        prefix = ipaddress.ip_interface("198.51.100.2/30")
        with operator(agent.api_socket) as api:
            assert api.sw_interface_add_del_address(sw_if_index=sw, is_add=False, prefix=prefix).retval == 0
        got = drift_notification(m, AUDIT + 3.0)
        assert (got["action"], got["items"]) == ("reported", [("create", f"address/{SUB}/198.51.100.2/30")])
        assert in_sync(m) == "false"
        wait(lambda: agent.metric("bng_agent_in_sync") == 0.0, 3.0)
        time.sleep(2 * AUDIT)
        assert "198.51.100.2/30" not in vpp(agent.api_socket)[SUB]["addrs"]  # left as the operator made it
        assert agent.metric("bng_agent_resync_repairs_total") == repairs
        # the operator puts it back: in sync again
        with operator(agent.api_socket) as api:
            assert api.sw_interface_add_del_address(sw_if_index=sw, is_add=True, prefix=prefix).retval == 0
        wait(lambda: in_sync(m) == "true", AUDIT + 3.0)
        wait(lambda: agent.metric("bng_agent_in_sync") == 1.0, 3.0)
    assert "vpp drift source=audit action=reported create address/" in agent.log_path.read_text()
