"""The whole node on real VPP: ``bng-agent run --vpp-api-socket ... --vpp-stats-socket ...`` with the demo
configuration (LACP bond, QinQ, VRFs, ECMP, unnumbered) on four af_packet ports, a NETCONF commit, and
an agent restart that finds everything in place and sends VPP nothing."""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path

from _realvpp import RealVpp
from test_agent_run import (
    NEW_SUBIF,
    RunningAgent,
    demo_startup_with_password,
    demo_subinterfaces,
    vpp_interfaces,
)


def logged(agent: RunningAgent, pattern: str, timeout: float = 60.0) -> re.Match[str]:
    """Wait for a line matching ``pattern`` in the agent's log (the first resync runs after the banner)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, agent.err)
        if found is not None:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no {pattern!r} in the agent's log:\n{agent.err[-3000:]}")


def test_the_demo_node_runs_on_real_vpp_and_a_restarted_agent_changes_nothing(
    vppsim: RealVpp, tmp_path: Path
) -> None:
    vpp = vppsim
    for _ in range(2):  # the demo's four ports: GigabitEthernet0/8/0 .. 0/b/0
        vpp.ctl("add_port")
    data = tmp_path / "data"
    password = "lane-Secret-1"
    sockets = (vpp.api_socket, vpp.stats_socket)
    agent = RunningAgent(data, "--startup", str(demo_startup_with_password(tmp_path, password)), vpp=sockets)
    try:
        logged(agent, r"reconcile items=\d+ repairs=\d+ vpp_writes=[1-9]\d*")
        ifs = vpp_interfaces(vpp.api_socket)
        tagged = {
            v["tag"].removeprefix("bng-agent:") for v in ifs.values() if v["tag"].startswith("bng-agent:")
        }
        assert demo_subinterfaces() <= tagged
        assert ifs["BondEthernet0"]["tag"] == "bng-agent:BondEthernet0"
        with agent.netconf(password) as m:
            m.edit_config(target="candidate", config=NEW_SUBIF)
            m.commit()
        new = vpp_interfaces(vpp.api_socket)["GigabitEthernet0/b/0.3999"]
        assert new["tag"] == "bng-agent:GigabitEthernet0/b/0.3999" and new["addresses"] == ["198.18.99.1/24"]
        assert agent.metrics_url is not None
        with urllib.request.urlopen(agent.metrics_url, timeout=10) as resp:
            metrics = resp.read().decode()
        assert re.search(r'bng_interface_receive_bytes_total\{interface="GigabitEthernet0/8/0"', metrics)
    finally:
        assert agent.stop() == 0, agent.err[-3000:]

    # the agent went, VPP stayed: a new agent on the same data directory finds every object and writes nothing
    again = RunningAgent(data, vpp=sockets)
    try:
        logged(again, r"reconcile items=\d+ repairs=0 vpp_writes=0 ")
        assert vpp_interfaces(vpp.api_socket)["GigabitEthernet0/b/0.3999"]["addresses"] == ["198.18.99.1/24"]
    finally:
        assert again.stop() == 0
