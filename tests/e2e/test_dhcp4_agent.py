"""The DHCPv4 relay in ``bng-agent run --sim``: the relay configuration comes from the node's startup
configuration, the agent registers UDP 67 on vppsim's punt socket and programs the broadcast receive
entry, ISC dhclient in a namespace (on a veth backing vppsim's port) gets an address from Kea (in another
namespace) through the agent; the session appears on a gNMI ON_CHANGE subscription, in the operational
datastore (NETCONF ``<get-data>``), as a host route in VPP's FIB and in the Prometheus metrics, and
``dhclient -r`` removes it from all of them.

Root: namespaces and veths made here and removed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _dhcp4_helpers import DHCLIENT, KeaServer, client_script, stop_pid_file
from _gnmi_streams import subscribe_stream
from _packetio_helpers import Netns
from lxml import etree
from pygnmi.client import gNMIclient  # type: ignore[import-untyped]
from test_agent_run import RunningAgent
from vpp_papi import VPPApiClient

from agent.vpp.api import api_json_files
from vppsim.control import send_command

PORT = "GigabitEthernet0/8/0"
PASSWORD = "dhcp4-e2e-secret"
SUB_NS = "urn:bng-agent:yang:bng-subscribers"
SESSIONS = "/bng-subscribers:subscribers/sessions"
GET_SESSIONS = f"""
<get-data xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
          xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores">
  <datastore>ds:operational</datastore>
  <xpath-filter xmlns:s="{SUB_NS}">/s:subscribers/s:sessions</xpath-filter>
</get-data>"""


def sessions(agent: RunningAgent) -> list[dict[str, str | None]]:
    with agent.netconf(PASSWORD) as m:
        root = etree.fromstring(m.dispatch(etree.fromstring(GET_SESSIONS)).xml.encode())
    return [
        {etree.QName(c).localname: c.text for c in s if not len(c)} for s in root.iter(f"{{{SUB_NS}}}session")
    ]


def gnmi_updates(
    sub: object, until: str, timeout: float = 20.0, deletes_only: bool = False
) -> dict[str, object]:
    """Updates (path -> value; deletes -> None) until a path ends with ``until`` (or, with
    ``deletes_only``, until a delete came; only deletes are returned then)."""
    got: dict[str, object] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = sub.get_update(timeout=max(0.1, deadline - time.monotonic()))  # type: ignore[attr-defined]
        up = msg.get("update") or {}
        prefix = up.get("prefix") or ""
        for u in up.get("update") or []:
            got[f"{prefix}/{u['path']}" if prefix else u["path"]] = u["val"]
        for d in up.get("delete") or []:
            d = d if isinstance(d, str) else json.dumps(d, sort_keys=True)
            got[f"{prefix}/{d}" if prefix else d] = None
        if deletes_only:
            deleted = {k: v for k, v in got.items() if v is None}
            if deleted:
                return deleted
        elif any(k.endswith(until) for k in got):
            return got
    raise AssertionError(f"no gNMI update ending in {until}: {got}")


def host_routes(api_socket: str) -> dict[str, list[str]]:
    """VPP's /32 routes in table 0 inside the subscriber subnet, with their paths' interfaces."""
    c = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=api_socket)
    c.connect("dhcp4-e2e-routes")
    try:
        names = {int(d.sw_if_index): d.interface_name for d in c.api.sw_interface_dump()}
        out = {}
        for r in c.api.ip_route_dump(table={"table_id": 0, "is_ip6": False, "name": ""}):
            prefix = str(r.route.prefix)
            own = ("10.1.0.0/32", "10.1.0.1/32", "10.1.0.255/32")  # VPP's for the attached /24
            if prefix.startswith("10.1.0.") and prefix.endswith("/32") and prefix not in own:
                out[prefix] = [names.get(int(p.sw_if_index), "?") for p in r.route.paths]
        return out
    finally:
        c.disconnect()


def startup(kea: KeaServer) -> dict[str, object]:
    return {
        "ietf-interfaces:interfaces": {
            "interface": [
                {
                    "name": PORT,
                    "type": "iana-if-type:ethernetCsmacd",
                    "ietf-ip:ipv4": {"address": [{"ip": "10.1.0.1", "prefix-length": 24}]},
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


@pytest.fixture
def kea(tmp_path: Path) -> Iterator[KeaServer]:
    server = KeaServer(tmp_path, [("10.1.0.0/24", "10.1.0.100", "10.1.0.199", "10.1.0.1")])
    yield server
    server.stop()


def metric(url: str, name: str) -> float:
    body = urllib.request.urlopen(url, timeout=10).read().decode()
    found = re.findall(rf"^{re.escape(name)} (\S+)$", body, re.M)
    return float(found[0]) if found else 0.0


def wait_metric(url: str, name: str, value: float, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while metric(url, name) != value:
        assert time.monotonic() < deadline, f"{name} never became {value}"
        time.sleep(0.2)


def test_dhclient_through_the_agents_relay(tmp_path: Path, kea: KeaServer) -> None:
    config = tmp_path / "startup.json"
    config.write_text(json.dumps(startup(kea)))
    data = tmp_path / "data"
    secret = tmp_path / "admin-password"
    secret.write_text(PASSWORD + "\n")
    agent = RunningAgent(
        data, "--startup", str(config), "--gnmi-insecure", "--admin-password-file", str(secret)
    )
    ns = Netns()
    client = None
    pid_file, lease_file = tmp_path / "dhclient.pid", tmp_path / "dhclient.leases"
    try:
        control = re.search(r"--control-socket (\S+)", agent.out)
        assert control is not None and agent.metrics_url is not None, agent.out
        send_command(control.group(1), "back_port", name=PORT, host_if=ns.host)
        status = send_command(control.group(1), "packet_status")
        assert [r["port"] for r in status["punt"]["registrations"]] == [67]  # the agent's relay
        c = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=agent.api_socket)
        c.connect("dhcp4-e2e")
        try:
            table0 = c.api.ip_route_dump(table={"table_id": 0, "is_ip6": False, "name": ""})
            bcast = [r for r in table0 if str(r.route.prefix) == "255.255.255.255/32"]
            assert bcast and bcast[0].route.paths[0].type == 1  # the receive (local) entry
            mac = next(str(d.l2_address) for d in c.api.sw_interface_dump() if d.interface_name == PORT)
        finally:
            c.disconnect()
        subprocess.run(
            ns.exec("ip", "neigh", "replace", "10.1.0.1", "lladdr", mac, "dev", ns.peer), check=True
        )
        assert agent.gnmi is not None and sessions(agent) == []
        host, _, gport = agent.gnmi.group(1).rpartition(":")
        client = gNMIclient(target=(host, int(gport)), username="admin", password=PASSWORD, insecure=True)
        client.__enter__()
        request = {"subscription": [{"path": SESSIONS, "mode": "on_change"}], "mode": "stream"}
        sub = subscribe_stream(client, {**request, "encoding": "json_ietf"})
        for _ in range(5):
            if sub.get_update(timeout=10).get("sync_response"):
                break
        script = client_script(tmp_path / "script.sh")
        base = [DHCLIENT, "-4", "-v", "-sf", str(script), "-lf", str(lease_file), "-pf", str(pid_file)]
        done = subprocess.run(ns.exec(*base, "-1", ns.peer), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr + kea.log_text()[-2000:]
        assert "DHCPACK of 10.1.0.1" in done.stderr and "from 10.1.0.1" in done.stderr
        address = re.search(r"DHCPACK of (\S+) from", done.stderr).group(1)  # type: ignore[union-attr]
        got = gnmi_updates(sub, "/ipv4-address")  # ON_CHANGE: the session appeared
        entry = next(k for k in got if k.endswith("/ipv4-address")).rsplit("/", 1)[0]
        assert got[f"{entry}/ipv4-address"] == address and got[f"{entry}/state"] == "established"
        listed = sessions(agent)
        assert len(listed) == 1
        assert listed[0]["access-interface"] == PORT and listed[0]["ipv4-address"] == address
        assert host_routes(agent.api_socket) == {f"{address}/32": [PORT]}  # programmed in VPP
        wait_metric(agent.metrics_url, "bng_dhcp4_leases", 1.0)
        assert metric(agent.metrics_url, "bng_dhcp4_leases_bound_total") == 1.0
        released = subprocess.run(ns.exec(*base, "-r", ns.peer), capture_output=True, text=True, timeout=60)
        assert released.returncode == 0, released.stderr
        gone = gnmi_updates(sub, "", deletes_only=True)  # ON_CHANGE: the session left
        assert any("session" in k for k in gone), gone
        wait_metric(agent.metrics_url, "bng_dhcp4_leases", 0.0)
        assert metric(agent.metrics_url, 'bng_dhcp4_leases_ended_total{reason="release"}') == 1.0
        assert sessions(agent) == [] and host_routes(agent.api_socket) == {}
        sub.close()
    finally:
        if client is not None:
            client.__exit__(None, None, None)
        stop_pid_file(pid_file)
        ns.remove()
        agent.stop()
