"""The DHCPv4 relay in ``bng-agent run --sim``: the relay configuration comes from the node's startup
configuration, the agent registers UDP 67 on vppsim's punt socket and programs the broadcast receive
entry, ISC dhclient in a namespace (on a veth backing vppsim's port) gets an address from Kea (in another
namespace) through the agent, the lease shows in the agent's Prometheus metrics, and ``dhclient -r``
ends it there.

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
from _dhcp4_helpers import DHCLIENT, KeaServer, client_script, stop_pid_file
from _packetio_helpers import Netns
from test_agent_run import RunningAgent
from vpp_papi import VPPApiClient

from agent.vpp.api import api_json_files
from vppsim.control import send_command

PORT = "GigabitEthernet0/8/0"


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
    agent = RunningAgent(data, "--startup", str(config))
    ns = Netns()
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
        script = client_script(tmp_path / "script.sh")
        base = [DHCLIENT, "-4", "-v", "-sf", str(script), "-lf", str(lease_file), "-pf", str(pid_file)]
        done = subprocess.run(ns.exec(*base, "-1", ns.peer), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr + kea.log_text()[-2000:]
        assert "DHCPACK of 10.1.0.1" in done.stderr and "from 10.1.0.1" in done.stderr
        wait_metric(agent.metrics_url, "bng_dhcp4_leases", 1.0)
        assert metric(agent.metrics_url, "bng_dhcp4_leases_bound_total") == 1.0
        released = subprocess.run(ns.exec(*base, "-r", ns.peer), capture_output=True, text=True, timeout=60)
        assert released.returncode == 0, released.stderr
        wait_metric(agent.metrics_url, "bng_dhcp4_leases", 0.0)
        assert metric(agent.metrics_url, 'bng_dhcp4_leases_ended_total{reason="release"}') == 1.0
    finally:
        stop_pid_file(pid_file)
        ns.remove()
        agent.stop()
