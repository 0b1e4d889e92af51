"""The control channel: ports coming and going, traffic moving stats counters, injected failures and
delays, a crash that loses all state, and the ``bng-vppsim ctl`` command line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
from vpp_papi.vpp_stats import VPPStats

from vppsim.control import COMMANDS, ControlError

if TYPE_CHECKING:
    from conftest import VppSim


def rx_of(stats: VPPStats, sw_if_index: int) -> tuple[int, int]:
    rows = stats["/if/rx"]
    return (
        sum(row[sw_if_index][0] for row in rows if len(row) > sw_if_index),
        sum(row[sw_if_index][1] for row in rows if len(row) > sw_if_index),
    )


def test_add_and_remove_port(vppsim: VppSim) -> None:
    c = vppsim.client()
    r = vppsim.ctl("add_port")
    assert r["name"] == "GigabitEthernet0/a/0" and r["sw_if_index"] == 3
    d = c.api.sw_interface_dump(sw_if_index=3)[0]
    assert d.interface_name == "GigabitEthernet0/a/0" and int(d.flags) == 2
    sub = c.api.create_vlan_subif(sw_if_index=3, vlan_id=9).sw_if_index
    vppsim.ctl("remove_port", name="GigabitEthernet0/a/0")
    names = {x.interface_name for x in c.api.sw_interface_dump()}
    assert "GigabitEthernet0/a/0" not in names and "GigabitEthernet0/a/0.9" not in names
    assert c.api.delete_subif(sw_if_index=sub).retval == -2
    with pytest.raises(ControlError):
        vppsim.ctl("remove_port", sw_if_index=0)  # local0 is not a port
    with pytest.raises(ControlError):
        vppsim.ctl("link", sw_if_index=99, up=True)


def test_link_down_shows_in_dump_and_on_subinterfaces(vppsim: VppSim) -> None:
    c = vppsim.client()
    sub = c.api.create_vlan_subif(sw_if_index=1, vlan_id=20).sw_if_index
    c.api.sw_interface_set_flags(sw_if_index=1, flags=1)  # the port first: VPP refuses a sub up under it
    c.api.sw_interface_set_flags(sw_if_index=sub, flags=1)
    assert int(c.api.sw_interface_dump(sw_if_index=sub)[0].flags) == 3
    vppsim.ctl("link", sw_if_index=1, up=False)
    assert int(c.api.sw_interface_dump(sw_if_index=1)[0].flags) == 1  # admin up, carrier gone
    assert int(c.api.sw_interface_dump(sw_if_index=sub)[0].flags) == 1  # admin up, carrier gone
    vppsim.ctl("link", sw_if_index=1, up=True)
    assert int(c.api.sw_interface_dump(sw_if_index=sub)[0].flags) == 3


def test_traffic_moves_interface_counters(vppsim: VppSim) -> None:
    c = vppsim.client()
    sub = c.api.create_vlan_subif(sw_if_index=1, vlan_id=30).sw_if_index
    stats = VPPStats(socketname=vppsim.stats_socket)
    stats.connect()
    try:
        deadline = time.monotonic() + 5
        while "GigabitEthernet0/8/0.30" not in stats["/if/names"] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert stats["/if/names"][sub] == "GigabitEthernet0/8/0.30"
        assert rx_of(stats, sub) == (0, 0)
        vppsim.ctl("traffic", sw_if_index=sub, rx_pps=10_000, rx_bps=1_000_000)
        time.sleep(0.6)
        p1, b1 = rx_of(stats, sub)
        time.sleep(0.4)
        p2, b2 = rx_of(stats, sub)
        assert 0 < p1 < p2 and 0 < b1 < b2
        assert b2 == 100 * p2  # 1,000,000 bytes/s over 10,000 packets/s
        vppsim.ctl("traffic", sw_if_index=sub)  # all rates 0: stop
        time.sleep(0.3)
        p3, _ = rx_of(stats, sub)
        time.sleep(0.3)
        assert rx_of(stats, sub)[0] == p3
    finally:
        stats.disconnect()


def test_injected_failures_and_delays(vppsim: VppSim) -> None:
    c = vppsim.client()
    vppsim.ctl("fail", message="create_loopback", count=2, retval=-9)
    assert [c.api.create_loopback().retval for _ in range(3)] == [-9, -9, 0]
    vppsim.ctl("fail", message="sw_interface_dump", count=1, retval=-1)
    assert c.api.sw_interface_dump() == []  # a failing dump sends no details
    assert len(c.api.sw_interface_dump()) == 4
    vppsim.ctl("delay", message="show_version", count=1, seconds=0.5)
    t0 = time.monotonic()
    assert c.api.show_version().retval == 0
    assert time.monotonic() - t0 >= 0.45
    t0 = time.monotonic()
    c.api.show_version()
    assert time.monotonic() - t0 < 0.4


def test_a_delayed_call_holds_up_other_clients(vppsim: VppSim) -> None:
    slow, other = vppsim.client("slow"), vppsim.client("other")
    vppsim.ctl("delay", message="create_loopback", count=1, seconds=0.8)
    done: list[float] = []
    worker = threading.Thread(target=lambda: done.append(slow.api.create_loopback().retval))
    worker.start()
    # the slow call has reached the emulator once its delay rule is used up and VPP is stalled
    deadline = time.monotonic() + 5
    while not vppsim.ctl("faults")["stalled"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert vppsim.ctl("faults") == {"ok": True, "faults": {}, "stalled": True}
    t0 = time.monotonic()
    assert other.api.show_version().retval == 0
    waited = time.monotonic() - t0
    worker.join(timeout=10)
    assert done == [0]
    assert waited >= 0.3  # VPP's main thread was still busy with the slow call


def test_crash_exits_and_restart_starts_empty(vppsim: VppSim) -> None:
    c = vppsim.client()
    c.api.create_loopback()
    c.api.ip_table_add_del(is_add=True, table={"table_id": 9})
    c.api.sw_interface_add_del_address(sw_if_index=1, is_add=True, prefix="10.9.0.1/24")
    assert vppsim.crash() == 70
    vppsim.restart()
    c2 = vppsim.client()
    assert [d.interface_name for d in c2.api.sw_interface_dump()] == [
        "local0",
        "GigabitEthernet0/8/0",
        "GigabitEthernet0/9/0",
    ]
    assert {t.table.table_id for t in c2.api.ip_table_dump()} == {0}
    assert c2.api.ip_address_dump(sw_if_index=1, is_ipv6=False) == []


def test_ctl_command_line(vppsim: VppSim) -> None:
    def ctl(*args: str) -> tuple[int, Any]:
        p = subprocess.run(
            [sys.executable, "-m", "vppsim.cli", "ctl", "--control-socket", vppsim.control_socket, *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return p.returncode, json.loads(p.stdout)

    rc, out = ctl("add_port")
    assert rc == 0 and out["ok"] and out["name"] == "GigabitEthernet0/a/0"
    rc, out = ctl("link", "name=GigabitEthernet0/a/0", "up=false")
    assert rc == 0
    c = vppsim.client()
    assert int(c.api.sw_interface_dump(sw_if_index=out.get("sw_if_index", 3))[0].flags) == 0
    rc, out = ctl("frobnicate")
    assert rc == 1 and not out["ok"] and "unknown command" in out["error"]


def test_stats_names_follow_interface_creation_and_deletion(vppsim: VppSim) -> None:
    c = vppsim.client()
    stats = VPPStats(socketname=vppsim.stats_socket)
    stats.connect()
    try:
        names = stats["/if/names"]
        assert names[:3] == ["local0", "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"]
        loop = c.api.create_loopback().sw_if_index
        deadline = time.monotonic() + 5
        while len(stats["/if/names"]) <= loop and time.monotonic() < deadline:
            time.sleep(0.02)
        assert stats["/if/names"][loop] == "loop0"
        c.api.delete_loopback(sw_if_index=loop)
        names = stats["/if/names"]
        assert len(names) <= loop or not names[loop]  # VPP clears the entry of a deleted interface
        assert names[:3] == ["local0", "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"]
    finally:
        stats.disconnect()


def _ctl_text(vppsim: VppSim | None, *args: str) -> subprocess.CompletedProcess[str]:
    socket = ["--control-socket", vppsim.control_socket] if vppsim is not None else []
    return subprocess.run(
        [sys.executable, "-m", "vppsim.cli", "ctl", *socket, *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_ctl_help_lists_every_command_with_and_without_a_socket(vppsim: VppSim) -> None:
    for args, socket in ((["--help"], None), (["help"], None)):
        done = _ctl_text(socket, *args)
        assert done.returncode == 0, done.stderr
        for name in COMMANDS:
            assert f"\n  {name} " in done.stdout, (name, done.stdout)
        assert "show ip fib [summary] [table <id>]" in done.stdout
    done = _ctl_text(vppsim, "help")
    assert done.returncode == 0 and set(json.loads(done.stdout)["commands"]) == set(COMMANDS)


def test_ctl_cli_prints_vpps_show_interface_layout(vppsim: VppSim) -> None:
    """``cli show interface`` (and vppctl's ``cmd=`` spelling) prints VPP's columns
    (interface_format.c: "%=32s%=5s%=10s%=21s%=16s%=16s"; rows "%-32U%=5d%=10U%=21U", counters
    "%-16v%16Ld" continued at the counter column)."""
    c = vppsim.client()
    c.api.sw_interface_set_flags(sw_if_index=1, flags=1)
    vppsim.ctl("traffic", sw_if_index=1, rx_pps=1000, rx_bps=64000)
    deadline = time.monotonic() + 10
    while "rx packets" not in _ctl_text(vppsim, "cli", "show", "interface").stdout:
        assert time.monotonic() < deadline, "no counters shown"
        time.sleep(0.1)
    vppsim.ctl("traffic", sw_if_index=1, rx_pps=0, rx_bps=0)
    for args in (["cli", "cmd=show interface"], ["cli", "show", "interface"], ["cli", "sh", "int"]):
        done = _ctl_text(vppsim, *args)
        assert done.returncode == 0, done.stdout + done.stderr
        lines = done.stdout.splitlines()
        assert lines[0] == (
            "              Name               Idx    State  MTU (L3/IP4/IP6/MPLS)"
            "     Counter          Count     "
        )
        gig = next(n for n, line in enumerate(lines) if line.startswith("GigabitEthernet0/8/0 "))
        assert lines[gig].startswith(
            "GigabitEthernet0/8/0              1      up          9000/0/0/0     rx packets "
        )
        assert re.fullmatch(r" {68}rx bytes {8} +\d+", lines[gig + 1]), lines[gig + 1]
        assert lines[-1] == "local0                            0     down          0/0/0/0       "


def test_ctl_cli_show_ip_fib_table_and_summary(vppsim: VppSim) -> None:
    c = vppsim.client()
    c.api.ip_table_add_del(is_add=True, table={"table_id": 10, "is_ip6": False, "name": "blue"})
    c.api.sw_interface_set_table(sw_if_index=1, is_ipv6=False, vrf_id=10)
    c.api.sw_interface_set_flags(sw_if_index=1, flags=1)  # attached and local routes need the port up
    c.api.sw_interface_add_del_address(sw_if_index=1, is_add=True, prefix="192.0.2.1/24")
    path = {
        "sw_if_index": 1,
        "nh": {"address": {"ip4": "192.0.2.9"}},
        "weight": 1,
        "proto": 0,
        "label_stack": [{"is_uniform": 0, "label": 0, "ttl": 0, "exp": 0}] * 16,
    }
    route = {"table_id": 10, "prefix": "10.0.0.0/8", "n_paths": 1, "paths": [path]}
    assert c.api.ip_route_add_del(is_add=True, route=route).retval == 0
    out = _ctl_text(vppsim, "cli", "show", "ip", "fib", "table", "10").stdout
    lines = out.splitlines()
    assert lines[0].startswith("blue, fib_index:1, flow hash:[src dst sport dport proto flowlabel ]")
    assert not any(line.startswith("ipv4-VRF:0") for line in lines)  # only the table asked for
    at = lines.index("10.0.0.0/8")
    assert lines[at + 1 : at + 4] == [
        "  unicast-ip4-chain",
        lines[at + 2],
        "    [0] [@3]: arp-ipv4: via 192.0.2.9 GigabitEthernet0/8/0",
    ]
    assert re.fullmatch(
        r"  \[@0\]: dpo-load-balance: \[proto:ip4 index:\d+ buckets:1 uRPF:\d+ to:\[0:0\]\]", lines[at + 2]
    )
    assert "    [0] [@2]: dpo-receive: 192.0.2.1 on GigabitEthernet0/8/0" in lines
    assert "    [0] [@4]: ipv4-glean: [src:192.0.2.0/24] GigabitEthernet0/8/0" in lines
    summary = _ctl_text(vppsim, "cli", "show ip fib summary table 10").stdout.splitlines()
    assert summary[1] == "    Prefix length         Count     "  # "%=20s%=16s"
    assert "                  24               1" in summary  # "%20d%16d"


def test_ctl_show_vlan_is_vpps_answer_and_vlans_lists_sub_interfaces(vppsim: VppSim) -> None:
    c = vppsim.client()
    c.api.create_subif(sw_if_index=1, sub_id=7, sub_if_flags=2 | 16, outer_vlan_id=7)
    # VPP 26.06 has no "show vlan" (vlib/cli.c answers with the parse error, retval 0)
    assert _ctl_text(vppsim, "cli", "show", "vlan").stdout == "show: unknown input `vlan'\n"
    vlans = json.loads(_ctl_text(vppsim, "vlans").stdout)["vlans"]
    assert vlans == [
        {
            "name": "GigabitEthernet0/8/0.7",
            "sw_if_index": vlans[0]["sw_if_index"],
            "parent": "GigabitEthernet0/8/0",
            "sub_id": 7,
            "outer_vlan_id": 7,
            "outer": "dot1q",
            "exact_match": True,
        }
    ]
