"""`make record-vpp`: send the agent's calls and the error cases it handles to real VPP 26.06, store the
answers as tests/fixtures/vpp/<scenario>.json (replayed against vppsim by tests/integration/
test_vpp_fixtures.py in every `make test`).

Each scenario runs on a fresh VPP with three af_packet ports (GigabitEthernet0/8/0, 0/9/0, 0/a/0 =
sw_if_index 1, 2, 3, as vppsim's ports; see tests/vpp/_realvpp.py). The arguments are the ones the
agent's descriptors and retrieval send (agent/vpp/descriptors/*.py, agent/vpp/retrieve.py,
agent/vpp/link.py); the error cases are the refusals the agent must turn into a failed, reverted commit.

    .venv/bin/python tests/vpp/record_vpp.py [scenario ...]
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
sys.path.insert(0, str(HERE))

from _realvpp import RealVpp, missing_vpp, remove_tree  # noqa: E402
from _vpp_fixtures import FIXTURE_DIR, Runner  # noqa: E402

from agent.vpp.api import MESSAGES_USED  # noqa: E402
from agent.vpp.connection import expected_crcs  # noqa: E402

ALL = 0xFFFFFFFF
P0, P1, P2 = 1, 2, 3  # sw_if_index of GigabitEthernet0/8/0, 0/9/0, 0/a/0
PORTS = 3
ADMIN_UP = 1
ONE_TAG, TWO_TAGS, DOT1AD, EXACT = 2, 4, 8, 16
NO_LABELS = [{"is_uniform": 0, "label": 0, "ttl": 0, "exp": 0}] * 16
NO_MAC = "00:00:00:00:00:00"


def ref(step: int, field: str = "sw_if_index") -> dict[str, Any]:
    return {"$ref": [step, field]}


def path(
    nh: str | None, weight: int = 1, preference: int = 0, table: int = 0, kind: int = 0
) -> dict[str, Any]:
    """A fib_path as agent/vpp/descriptors/route.py builds it."""
    is6 = nh is not None and ":" in nh
    return {
        "sw_if_index": ALL,
        "table_id": table,
        "rpf_id": 0,
        "weight": weight,
        "preference": preference,
        "type": kind,
        "flags": 0,
        "proto": 1 if is6 else 0,
        "nh": {"address": {"ip6" if is6 else "ip4": nh}} if nh else {},
        "n_labels": 0,
        "label_stack": NO_LABELS,
    }


def route(table: int, prefix: str, *paths: dict[str, Any], is_add: bool = True) -> dict[str, Any]:
    ps = list(paths) if is_add else []
    return {
        "is_add": is_add,
        "is_multipath": False,
        "route": {"table_id": table, "prefix": prefix, "n_paths": len(ps), "paths": ps},
    }


class Recorder:
    """Sends each step at once (so later steps may refer to earlier answers) and keeps the log."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.steps: list[dict[str, Any]] = []

    def __call__(self, msg: str, note: str = "", events: bool = False, **args: Any) -> int:
        step: dict[str, Any] = {"send": msg, "args": args}
        if note:
            step["note"] = note
        if events:
            step["events"] = True
        step["answer"] = self.runner.run(step)
        if msg == "get_api_json":
            step["answer"]["reply"]["json"] = _used_api_files(step["answer"]["reply"]["json"])
            step["note"] = (
                "json reduced at recording to VPP's API files that define a message the agent uses (the "
                "whole reply is ~2 MB; the replay compares only those messages' CRCs)"
            )
        self.steps.append(step)
        return len(self.steps) - 1


def _used_api_files(text: str) -> str:
    used = set(expected_crcs(MESSAGES_USED))
    files = json.loads(text)
    return json.dumps([f for f in files if any(m[0] in used for m in f.get("messages", []))])


def dump_all(r: Recorder) -> int:
    """The agent's inventory read (agent/vpp/retrieve.py)."""
    return r("sw_interface_dump", sw_if_index=ALL, name_filter_valid=False, name_filter="")


# ---------------------------------------------------------------------- scenarios


def connection(r: Recorder) -> None:
    """What the agent's connection does: register, learn the definitions, check the version; the
    telemetry probe's control_ping."""
    r("sockclnt_create", name="bng-agent", note="then sockclnt_delete on the same socket")
    r("get_api_json")
    r("show_version")
    r("control_ping")


def interfaces(r: Recorder) -> None:
    """Ports, loopbacks, tags, admin state, MTU and sub-interfaces, with the refusals the agent handles."""
    dump_all(r)
    r("sw_interface_dump", sw_if_index=P1, name_filter_valid=False, name_filter="", note="one interface")
    r("sw_interface_set_flags", sw_if_index=P0, flags=ADMIN_UP)
    r("sw_interface_set_flags", sw_if_index=P2, flags=ADMIN_UP)
    r("sw_interface_set_flags", sw_if_index=99, flags=ADMIN_UP, note="no such interface")
    r("sw_interface_set_mtu", sw_if_index=P2, mtu=[8000, 0, 0, 0])
    r("sw_interface_set_mtu", sw_if_index=99, mtu=[1500, 0, 0, 0], note="no such interface")
    loop = r("create_loopback", mac_address=NO_MAC)
    r("sw_interface_tag_add_del", is_add=True, sw_if_index=ref(loop), tag="bng-agent:loopback0")
    r("sw_interface_tag_add_del", is_add=True, sw_if_index=99, tag="bng-agent:x", note="no such interface")
    r("sw_interface_set_flags", sw_if_index=ref(loop), flags=ADMIN_UP)
    loop1 = r("create_loopback", mac_address="02:00:00:00:00:77", note="a configured MAC")
    r("sw_interface_set_mtu", sw_if_index=ref(loop), mtu=[1400, 0, 0, 0])
    s100 = r(
        "create_subif",
        sw_if_index=P2,
        sub_id=100,
        sub_if_flags=ONE_TAG | EXACT,
        outer_vlan_id=100,
        inner_vlan_id=0,
    )
    r(
        "create_subif",
        sw_if_index=P2,
        sub_id=3000042,
        sub_if_flags=TWO_TAGS | DOT1AD | EXACT,
        outer_vlan_id=300,
        inner_vlan_id=42,
        note="QinQ, 802.1ad outer tag",
    )
    r(
        "create_subif",
        sw_if_index=P2,
        sub_id=100,
        sub_if_flags=ONE_TAG | EXACT,
        outer_vlan_id=101,
        inner_vlan_id=0,
        note="sub_id taken",
    )
    r(
        "create_subif",
        sw_if_index=P2,
        sub_id=7,
        sub_if_flags=ONE_TAG | EXACT,
        outer_vlan_id=100,
        inner_vlan_id=0,
        note="VLAN taken by .100",
    )
    r(
        "create_subif",
        sw_if_index=99,
        sub_id=5,
        sub_if_flags=ONE_TAG | EXACT,
        outer_vlan_id=5,
        inner_vlan_id=0,
        note="no such parent",
    )
    down = r(
        "create_subif",
        sw_if_index=P1,
        sub_id=9,
        sub_if_flags=ONE_TAG | EXACT,
        outer_vlan_id=9,
        inner_vlan_id=0,
        note="on a port that is admin down",
    )
    r("sw_interface_set_flags", sw_if_index=ref(down), flags=ADMIN_UP, note="up while its port is down")
    r("create_vlan_subif", sw_if_index=P0, vlan_id=10)
    r("create_vlan_subif", sw_if_index=P0, vlan_id=10, note="VLAN taken")
    r("create_vlan_subif", sw_if_index=P0, vlan_id=4096, note="VLAN out of range")
    r(
        "sw_interface_tag_add_del",
        is_add=True,
        sw_if_index=ref(s100),
        tag="bng-agent:GigabitEthernet0/a/0.100",
    )
    r("sw_interface_set_flags", sw_if_index=ref(s100), flags=ADMIN_UP)
    r("sw_interface_set_mtu", sw_if_index=ref(s100), mtu=[1500, 0, 0, 0])
    dump_all(r)
    r("sw_interface_tag_add_del", is_add=False, sw_if_index=ref(s100), tag="")
    r("delete_subif", sw_if_index=ref(s100))
    r("delete_subif", sw_if_index=P0, note="a port is not a sub-interface")
    r("delete_subif", sw_if_index=99, note="no such interface")
    r("delete_loopback", sw_if_index=ref(loop1))
    r("delete_loopback", sw_if_index=P1, note="a port is not a loopback")
    r("delete_loopback", sw_if_index=99, note="no such interface")
    dump_all(r)


def events(r: Recorder) -> None:
    """want_interface_events and the sw_interface_event messages the agent's link and telemetry read."""
    r("want_interface_events", enable_disable=1, pid=4242, events=True)
    r("sw_interface_set_flags", sw_if_index=P0, flags=ADMIN_UP, events=True)
    loop = r("create_loopback", mac_address=NO_MAC, events=True)
    r("sw_interface_set_flags", sw_if_index=ref(loop), flags=ADMIN_UP, events=True)
    sub = r(
        "create_subif",
        sw_if_index=P0,
        sub_id=20,
        sub_if_flags=ONE_TAG | EXACT,
        outer_vlan_id=20,
        inner_vlan_id=0,
        events=True,
    )
    r("sw_interface_set_flags", sw_if_index=ref(sub), flags=ADMIN_UP, events=True)
    r("sw_interface_set_flags", sw_if_index=P0, flags=0, events=True, note="port down: its sub-interface too")
    r("delete_subif", sw_if_index=ref(sub), events=True)
    r("delete_loopback", sw_if_index=ref(loop), events=True)
    r("want_interface_events", enable_disable=0, pid=4242, events=True)
    r("sw_interface_set_flags", sw_if_index=P0, flags=ADMIN_UP, events=True, note="no longer subscribed")


def bonds(r: Recorder) -> None:
    """Bonds and members as agent/vpp/descriptors/bond*.py send them, and the refusals around them."""
    bond = r(
        "bond_create2",
        mode=5,
        lb=1,
        numa_only=False,
        enable_gso=False,
        use_custom_mac=False,
        mac_address=NO_MAC,
        id=0,
        note="LACP, l34",
    )
    r(
        "bond_create2",
        mode=5,
        lb=1,
        numa_only=False,
        enable_gso=False,
        use_custom_mac=False,
        mac_address=NO_MAC,
        id=0,
        note="instance 0 taken",
    )
    xor = r(
        "bond_create2",
        mode=3,
        lb=0,
        numa_only=False,
        enable_gso=False,
        use_custom_mac=True,
        mac_address="02:00:00:00:00:b1",
        id=7,
        note="xor, l2, configured MAC",
    )
    r("bond_add_member", sw_if_index=P0, bond_sw_if_index=ref(bond), is_passive=False, is_long_timeout=False)
    r("bond_add_member", sw_if_index=P1, bond_sw_if_index=ref(bond), is_passive=True, is_long_timeout=True)
    r(
        "bond_add_member",
        sw_if_index=P1,
        bond_sw_if_index=ref(xor),
        is_passive=False,
        is_long_timeout=False,
        note="already a member",
    )
    r(
        "bond_add_member",
        sw_if_index=ref(xor),
        bond_sw_if_index=ref(bond),
        is_passive=False,
        is_long_timeout=False,
        note="a bond as member",
    )
    r(
        "bond_add_member",
        sw_if_index=P2,
        bond_sw_if_index=P0,
        is_passive=False,
        is_long_timeout=False,
        note="not a bond",
    )
    r(
        "bond_add_member",
        sw_if_index=99,
        bond_sw_if_index=ref(bond),
        is_passive=False,
        is_long_timeout=False,
        note="no such interface",
    )
    r("sw_bond_interface_dump", sw_if_index=ALL)
    r("sw_member_interface_dump", sw_if_index=ref(bond))
    r("sw_member_interface_dump", sw_if_index=ref(xor), note="no members")
    r(
        "create_subif",
        sw_if_index=P0,
        sub_id=10,
        sub_if_flags=ONE_TAG | EXACT,
        outer_vlan_id=10,
        inner_vlan_id=0,
        note="a sub-interface on a bond member",
    )
    sub = r(
        "create_subif",
        sw_if_index=ref(bond),
        sub_id=100,
        sub_if_flags=ONE_TAG | EXACT,
        outer_vlan_id=100,
        inner_vlan_id=0,
    )
    r("sw_interface_set_flags", sw_if_index=ref(bond), flags=ADMIN_UP)
    r("sw_interface_set_flags", sw_if_index=ref(sub), flags=ADMIN_UP)
    dump_all(r)
    r("bond_detach_member", sw_if_index=P1)
    r("bond_detach_member", sw_if_index=P2, note="not a member")
    r("sw_member_interface_dump", sw_if_index=ref(bond))
    r("bond_delete", sw_if_index=ref(bond), note="with a member and a sub-interface")
    dump_all(r)
    r("delete_subif", sw_if_index=ref(sub), note="the deleted bond's sub-interface")
    r("bond_delete", sw_if_index=ref(xor))
    r("bond_delete", sw_if_index=P2, note="not a bond")
    r("sw_bond_interface_dump", sw_if_index=ALL)
    dump_all(r)


def ip(r: Recorder) -> None:
    """VRF tables, table binding, addresses, unnumbered, routes and the agent's reads of them."""
    r("ip_table_add_del", is_add=True, table={"table_id": 10, "is_ip6": False, "name": "bng-agent:internet"})
    r("ip_table_add_del", is_add=True, table={"table_id": 10, "is_ip6": True, "name": "bng-agent:internet"})
    r("ip_table_add_del", is_add=True, table={"table_id": 20, "is_ip6": False, "name": "bng-agent:voice"})
    r("ip_table_dump")
    sub = r(
        "create_subif",
        sw_if_index=P2,
        sub_id=100,
        sub_if_flags=ONE_TAG | EXACT,
        outer_vlan_id=100,
        inner_vlan_id=0,
    )
    sub2 = r(
        "create_subif",
        sw_if_index=P2,
        sub_id=200,
        sub_if_flags=ONE_TAG | EXACT,
        outer_vlan_id=200,
        inner_vlan_id=0,
    )
    r("sw_interface_set_flags", sw_if_index=P2, flags=ADMIN_UP)
    r("sw_interface_set_flags", sw_if_index=ref(sub), flags=ADMIN_UP)
    r("sw_interface_set_table", sw_if_index=ref(sub), is_ipv6=False, vrf_id=10)
    r("sw_interface_set_table", sw_if_index=ref(sub), is_ipv6=True, vrf_id=10)
    r("sw_interface_set_table", sw_if_index=ref(sub2), is_ipv6=True, vrf_id=30, note="no IPv6 table 30")
    r("sw_interface_set_table", sw_if_index=99, is_ipv6=False, vrf_id=10, note="no such interface")
    r("sw_interface_get_table", sw_if_index=ref(sub), is_ipv6=False)
    r("sw_interface_get_table", sw_if_index=ref(sub), is_ipv6=True)
    r("sw_interface_get_table", sw_if_index=ref(sub2), is_ipv6=False)
    r("sw_interface_get_table", sw_if_index=99, is_ipv6=False, note="no such interface")
    add = {"is_add": True, "del_all": False}
    r("sw_interface_add_del_address", sw_if_index=ref(sub), prefix="100.64.1.1/24", **add)
    r("sw_interface_add_del_address", sw_if_index=ref(sub), prefix="2001:db8:1::1/64", **add)
    r("sw_interface_add_del_address", sw_if_index=ref(sub), prefix="100.64.1.1/24", note="again", **add)
    r("sw_interface_add_del_address", sw_if_index=ref(sub), prefix="100.64.1.2/24", note="same subnet", **add)
    r(
        "sw_interface_add_del_address",
        sw_if_index=P0,
        prefix="100.64.1.9/24",
        note="other VRF: no conflict",
        **add,
    )
    r("sw_interface_set_table", sw_if_index=ref(sub2), is_ipv6=False, vrf_id=10)
    r(
        "sw_interface_add_del_address",
        sw_if_index=ref(sub2),
        prefix="100.64.1.5/24",
        note="overlaps .100's subnet in table 10",
        **add,
    )
    r(
        "sw_interface_set_table",
        sw_if_index=ref(sub),
        is_ipv6=False,
        vrf_id=20,
        note="table change with addresses configured",
    )
    r("sw_interface_add_del_address", sw_if_index=99, prefix="10.0.0.1/24", note="no such interface", **add)
    r(
        "sw_interface_add_del_address",
        sw_if_index=ref(sub),
        is_add=False,
        del_all=False,
        prefix="100.64.99.1/24",
        note="delete an address that is not there",
    )
    r("ip_address_dump", sw_if_index=ref(sub), is_ipv6=False)
    r("ip_address_dump", sw_if_index=ref(sub), is_ipv6=True)
    r("ip_address_dump", sw_if_index=P1, is_ipv6=False, note="none")
    loop = r("create_loopback", mac_address=NO_MAC)
    r("sw_interface_add_del_address", sw_if_index=ref(loop), prefix="100.64.0.1/32", **add)
    r("sw_interface_set_unnumbered", sw_if_index=ref(loop), unnumbered_sw_if_index=P1, is_add=True)
    r(
        "sw_interface_set_unnumbered",
        sw_if_index=ref(loop),
        unnumbered_sw_if_index=ref(sub),
        is_add=True,
        note="lender in table 0, borrower in table 10",
    )
    r(
        "sw_interface_set_unnumbered",
        sw_if_index=99,
        unnumbered_sw_if_index=P1,
        is_add=True,
        note="no such lender",
    )
    r("sw_interface_set_flags", sw_if_index=P1, flags=ADMIN_UP)
    r("sw_interface_set_flags", sw_if_index=ref(loop), flags=ADMIN_UP)
    r("cli_inband", cmd="show interface address")
    r("ip_address_dump", sw_if_index=P1, is_ipv6=False, note="an unnumbered interface")
    r(
        "ip_route_add_del",
        **route(10, "0.0.0.0/0", path("100.64.1.254", 3, 0, 10), path("100.64.1.253", 1, 0, 10)),
    )
    r(
        "ip_route_add_del",
        **route(10, "198.18.0.0/15", path("100.64.1.254", 1, 0, 10), path("100.64.1.250", 1, 10, 10)),
    )
    r("ip_route_add_del", **route(10, "2001:db8:100::/48", path("2001:db8:1::fe", 1, 0, 10)))
    r("ip_route_add_del", **route(0, "198.51.100.0/24", path(None, 1, 0, 0, kind=2)), note="blackhole")
    r("ip_route_add_del", **route(0, "203.0.113.0/24", path("192.0.2.1")))
    r("ip_route_add_del", **route(55, "203.0.113.0/24", path("192.0.2.1", table=55)), note="no table 55")
    r("ip_route_add_del", **route(0, "203.0.113.0/24", path("192.0.2.9", 5)), note="replace the path set")
    r("ip_route_dump", table={"table_id": 10, "is_ip6": False, "name": ""})
    r("ip_route_dump", table={"table_id": 10, "is_ip6": True, "name": ""})
    r("ip_route_dump", table={"table_id": 0, "is_ip6": False, "name": ""})
    r("ip_route_dump", table={"table_id": 55, "is_ip6": False, "name": ""}, note="no such table")
    r("ip_route_add_del", **route(0, "203.0.113.0/24", is_add=False))
    r("ip_route_add_del", **route(0, "203.0.113.0/24", is_add=False), note="already gone")
    r("ip_table_replace_begin", table={"table_id": 20, "is_ip6": False, "name": ""})
    r("ip_table_replace_end", table={"table_id": 20, "is_ip6": False, "name": ""})
    r("ip_table_replace_begin", table={"table_id": 77, "is_ip6": False, "name": ""}, note="no such table")
    r("sw_interface_set_unnumbered", sw_if_index=ref(loop), unnumbered_sw_if_index=P1, is_add=False)
    r(
        "sw_interface_add_del_address",
        sw_if_index=ref(sub),
        is_add=False,
        del_all=False,
        prefix="100.64.1.1/24",
    )
    r("sw_interface_add_del_address", sw_if_index=ref(sub), is_add=False, del_all=True, prefix="0.0.0.0/0")
    r("sw_interface_set_table", sw_if_index=ref(sub), is_ipv6=False, vrf_id=0)
    r("ip_table_add_del", is_add=False, table={"table_id": 20, "is_ip6": False, "name": ""})
    r("ip_table_add_del", is_add=False, table={"table_id": 20, "is_ip6": False, "name": ""}, note="again")
    r("ip_table_dump")
    r("ip_route_dump", table={"table_id": 10, "is_ip6": False, "name": ""})


def punt(kind: tuple[int, int, int]) -> dict[str, Any]:
    """vl_api_punt_t for an L4 registration, as agent/packetio/punt.py PuntKind.api builds it."""
    af, protocol, port = kind
    return {"type": 0, "punt": {"l4": {"af": af, "protocol": protocol, "port": port}}}


DHCPV4, DHCPV6, RS = (0, 17, 67), (1, 17, 547), (1, 58, 133)
CLIENT_SOCKET = "/tmp/bng-agent-fixture-punt.sock"  # the agent's datagram socket (never bound here)


def packetio(r: Recorder) -> None:
    """The packet path (agent/packetio): punt registrations for DHCPv4/DHCPv6 servers and router
    solicitations, the registration dump, deregistration, and the PPPoE plugin's control-plane interface."""
    for kind in (DHCPV4, DHCPV6, RS):
        r("punt_socket_register", header_version=1, punt=punt(kind), pathname=CLIENT_SOCKET)
    r("punt_socket_register", header_version=1, punt=punt(DHCPV4), pathname=CLIENT_SOCKET, note="again")
    r("punt_socket_dump", type=0)
    r("punt_socket_deregister", punt=punt(DHCPV6))
    r("punt_socket_deregister", punt=punt(DHCPV6), note="not registered")
    r("punt_socket_dump", type=0)
    r("pppoe_add_del_cp", sw_if_index=P0, is_add=1)
    r("pppoe_add_del_cp", sw_if_index=0, is_add=1, note="local0")
    r("pppoe_add_del_cp", sw_if_index=P0, is_add=0)


def proxyarp(r: Recorder) -> None:
    """Proxy-ARP (agent/features/proxyarp): the interface switch, ranges per table, their dumps, the
    refusals the agent handles, the switch of a deleted interface, and the neighbour-table limits."""
    lo = r("create_loopback", mac_address=NO_MAC)
    r("sw_interface_add_del_address", sw_if_index=ref(lo), prefix="100.64.0.1/22", is_add=True, del_all=False)
    sub = r("create_subif", sw_if_index=P0, sub_id=100, sub_if_flags=ONE_TAG | EXACT, outer_vlan_id=100)
    r("sw_interface_set_unnumbered", sw_if_index=ref(lo), unnumbered_sw_if_index=ref(sub), is_add=True)
    r("proxy_arp_intfc_enable_disable", sw_if_index=ref(sub), enable=True)
    r("proxy_arp_intfc_enable_disable", sw_if_index=ref(sub), enable=True, note="again")
    r("proxy_arp_intfc_enable_disable", sw_if_index=P1, enable=False, note="never enabled")
    r("proxy_arp_intfc_enable_disable", sw_if_index=99, enable=True, note="no such interface")
    r("proxy_arp_intfc_dump")
    host = {"table_id": 0, "low": "100.64.0.1", "hi": "100.64.3.254"}
    r("proxy_arp_add_del", is_add=True, proxy=host)
    r("proxy_arp_add_del", is_add=True, proxy=host, note="again")
    r("proxy_arp_add_del", is_add=True, proxy={**host, "table_id": 77}, note="no such table")
    r("ip_table_add_del", is_add=True, table={"table_id": 9, "is_ip6": False, "name": "bng-agent:cust"})
    r("proxy_arp_add_del", is_add=True, proxy={"table_id": 9, "low": "10.60.0.1", "hi": "10.60.0.254"})
    r("proxy_arp_dump")
    r("proxy_arp_add_del", is_add=False, proxy=host)
    r("proxy_arp_add_del", is_add=False, proxy=host, note="not there")
    r("proxy_arp_dump")
    r("proxy_arp_intfc_enable_disable", sw_if_index=ref(sub), enable=False)
    r("proxy_arp_intfc_dump")
    sub2 = r("create_subif", sw_if_index=P0, sub_id=101, sub_if_flags=ONE_TAG | EXACT, outer_vlan_id=101)
    r("proxy_arp_intfc_enable_disable", sw_if_index=ref(sub2), enable=True)
    r("delete_subif", sw_if_index=ref(sub2), note="with proxy-ARP on")
    r("proxy_arp_intfc_dump", note="after the interface was deleted")
    for af in (0, 1):
        r("ip_neighbor_config_get", af=af)
    r("ip_neighbor_config", af=0, max_number=1000, max_age=600, recycle=True)
    r("ip_neighbor_config_get", af=0)
    r("ip_neighbor_config", af=0, max_number=50000, max_age=0, recycle=False, note="VPP's defaults")
    r("ip_neighbor_config_get", af=0)
    r("ip_neighbor_dump", sw_if_index=ALL, af=0)
    r("ip_neighbor_dump", sw_if_index=ref(sub), af=0)


def qos_action(kind: int, dscp: int = 0) -> dict[str, int]:
    return {"type": kind, "dscp": dscp}


DROP, TRANSMIT, MARK = qos_action(0), qos_action(1), qos_action(2, 46)


def policer_config(
    kind: int, cir: int, eir: int, cb: int, eb: int, *actions: dict[str, int], aware: bool = False
) -> dict[str, Any]:
    """A policer_config as agent/features/qos/values.py sends it (kbps, round to closest)."""
    conform, exceed, violate = actions or (TRANSMIT, DROP, DROP)
    return {
        "cir": cir,
        "eir": eir,
        "cb": cb,
        "eb": eb,
        "rate_type": 0,
        "round_type": 0,
        "type": kind,
        "color_aware": aware,
        "conform_action": conform,
        "exceed_action": exceed,
        "violate_action": violate,
    }


def policers(r: Recorder) -> None:
    """QoS policers (agent/features/qos): add, update, delete, attach per direction, the dumps reconcile
    reads, and the refusals the agent handles (a name twice, parameters VPP's xlate.c rejects, unknown
    index, name or interface)."""
    r("policer_dump", match_name_valid=False, match_name="", note="none yet")
    gold = r(
        "policer_add", name="bng-agent:GigabitEthernet0/8/0/in", infos=policer_config(0, 100000, 0, 125000, 0)
    )
    r(
        "policer_add",
        name="bng-agent:GigabitEthernet0/8/0/in",
        infos=policer_config(0, 1000, 0, 16000, 0),
        note="twice",
    )
    r("policer_add", name="bad-1r2c-eb", infos=policer_config(0, 1000, 0, 16000, 9000), note="1r2c with eb")
    r("policer_add", name="bad-2r3c", infos=policer_config(2, 2000, 1000, 16000, 32000), note="eir < cir")
    r(
        "policer_add",
        name="bad-2r3c-eb",
        infos=policer_config(2, 1000, 2000, 16000, 0),
        note="2r3c without eb",
    )
    silver = r(
        "policer_add",
        name="bng-agent:GigabitEthernet0/9/0/out",
        infos=policer_config(2, 20000, 50000, 16000, 32000, MARK, qos_action(2, 10), DROP),
    )
    r(
        "policer_add",
        name="bng-agent:1r3c",
        infos=policer_config(1, 8, 0, 1522, 3044),
        note="1r3c, smallest rate",
    )
    r(
        "policer_add",
        name="bng-agent:4115",
        infos=policer_config(3, 4000000, 10000000, 500000, 1000000, aware=True),
        note="RFC 4115 type, colour-aware",
    )
    r("policer_input", name="bng-agent:GigabitEthernet0/8/0/in", sw_if_index=P0, apply=True)
    r("policer_output", name="bng-agent:GigabitEthernet0/9/0/out", sw_if_index=P1, apply=True)
    r("policer_input", name="bng-agent:nope", sw_if_index=P0, apply=True, note="no such policer")
    r("policer_output", name="bng-agent:4115", sw_if_index=99, apply=True, note="no such interface")
    r(
        "policer_update",
        policer_index=ref(gold, "policer_index"),
        infos=policer_config(0, 200000, 0, 250000, 0),
    )
    r("policer_update", policer_index=99, infos=policer_config(0, 1000, 0, 16000, 0), note="no such policer")
    r(
        "policer_update",
        policer_index=ref(silver, "policer_index"),
        infos=policer_config(2, 60000, 50000, 16000, 32000),
        note="eir < cir: refused, the policer keeps its parameters",
    )
    r("policer_dump", match_name_valid=False, match_name="")
    r("policer_dump", match_name_valid=True, match_name="bng-agent:GigabitEthernet0/9/0/out", note="by name")
    r("policer_dump", match_name_valid=True, match_name="bng-agent:nope", note="unknown name")
    r("policer_dump_v2", policer_index=ref(silver, "policer_index"))
    r("policer_dump_v2", policer_index=99, note="a free slot")
    r("policer_dump_v2", policer_index=ALL)
    r("policer_input", name="bng-agent:GigabitEthernet0/8/0/in", sw_if_index=P0, apply=False)
    r("policer_output", name="bng-agent:GigabitEthernet0/9/0/out", sw_if_index=P1, apply=False)
    r("policer_del", policer_index=ref(gold, "policer_index"))
    r("policer_del", policer_index=ref(gold, "policer_index"), note="again")
    r("policer_dump", match_name_valid=False, match_name="")
    r(
        "policer_add",
        name="bng-agent:again",
        infos=policer_config(0, 64, 0, 4000, 0),
        note="reuses the free slot",
    )
    r("policer_dump_v2", policer_index=ALL)


def ra_config(sw_if_index: Any, **fields: Any) -> dict[str, Any]:
    """sw_interface_ip6nd_ra_config as agent/features/ra/descriptors.py ra_config builds it."""
    base = {
        "suppress": 0,
        "managed": 0,
        "other": 0,
        "ll_option": 0,
        "send_unicast": 0,
        "cease": 0,
        "is_no": False,
        "default_router": 0,
        "max_interval": 0,
        "min_interval": 0,
        "lifetime": 0,
        "initial_count": 0,
        "initial_interval": 0,
    }
    return {"sw_if_index": sw_if_index, **base, **fields}


def ra_prefix(sw_if_index: Any, prefix: str, valid: int, preferred: int, **flags: Any) -> dict[str, Any]:
    """sw_interface_ip6nd_ra_prefix as agent/features/ra/descriptors.py sends it."""
    base = {"use_default": False, "no_advertise": False, "off_link": False, "no_autoconfig": False}
    base |= {"no_onlink": False, "is_no": False}
    return {
        "sw_if_index": sw_if_index,
        "prefix": prefix,
        **base,
        **flags,
        "val_lifetime": valid,
        "pref_lifetime": preferred,
    }


def ra(r: Recorder) -> None:
    """Router advertisements (agent/features/ra): IPv6 enable, RA settings, M/O flags, prefixes, the RA
    dump the reconcile reads, and the refusals (IPv6 not enabled, lifetime not above max interval,
    unknown prefix). Ports stay admin down, so VPP sends no RA and the counters stay still."""
    r(
        "sw_interface_ip6nd_ra_config",
        note="IPv6 not enabled",
        **ra_config(P0, default_router=1, lifetime=1800),
    )
    r("sw_interface_ip6nd_ra_dump", sw_if_index=ALL, note="no IPv6 link anywhere")
    r("sw_interface_ip6_enable_disable", sw_if_index=P0, enable=True)
    r("sw_interface_ip6nd_ra_dump", sw_if_index=ALL, note="the RA record IPv6 enable made, defaults")
    r(
        "sw_interface_ip6nd_ra_config",
        **ra_config(P0, default_router=1, lifetime=1800, max_interval=600, min_interval=198),
    )
    r(
        "sw_interface_ip6nd_ra_config",
        note="router lifetime not above max interval",
        **ra_config(P0, default_router=1, lifetime=300, max_interval=600, min_interval=198),
    )
    r(
        "sw_interface_ip6nd_ra_config",
        note="min interval above 0.75 * max",
        **ra_config(P0, default_router=1, lifetime=1800, max_interval=600, min_interval=500),
    )
    r("sw_interface_ip6nd_ra_config", note="set M", **ra_config(P0, managed=1))
    r("sw_interface_ip6nd_ra_config", note="set O", **ra_config(P0, other=1))
    r("sw_interface_ip6nd_ra_prefix", **ra_prefix(P0, "2001:db8:1::/64", 2592000, 604800))
    r("sw_interface_ip6nd_ra_prefix", note="infinite", **ra_prefix(P0, "2001:db8:2::/64", ALL, 3600))
    r(
        "sw_interface_ip6nd_ra_prefix",
        note="no autoconfig, off link",
        **ra_prefix(P0, "2001:db8:3::/64", 7200, 3600, no_autoconfig=True, off_link=True, no_onlink=True),
    )
    r("sw_interface_ip6nd_ra_prefix", note="update", **ra_prefix(P0, "2001:db8:1::/64", 86400, 14400))
    r("sw_interface_ip6nd_ra_dump", sw_if_index=ALL)
    r(
        "sw_interface_ip6nd_ra_prefix",
        note="delete",
        **ra_prefix(P0, "2001:db8:3::/64", 7200, 3600, is_no=True),
    )
    r(
        "sw_interface_ip6nd_ra_prefix",
        note="delete unknown",
        **ra_prefix(P0, "2001:db8:9::/64", 7200, 3600, is_no=True),
    )
    r(
        "sw_interface_ip6nd_ra_prefix",
        note="other length of a known prefix",
        **ra_prefix(P0, "2001:db8:1::/56", 7200, 3600),
    )
    r("sw_interface_ip6nd_ra_config", note="clear M", **ra_config(P0, managed=1, is_no=True))
    r("sw_interface_ip6nd_ra_config", note="suppress", **ra_config(P0, suppress=1))
    r("sw_interface_ip6nd_ra_dump", sw_if_index=P0)
    r("sw_interface_ip6nd_ra_dump", sw_if_index=P1, note="IPv6 not enabled there")
    add = {"is_add": True, "del_all": False}
    r("sw_interface_add_del_address", sw_if_index=P1, prefix="2001:db8:20::1/64", **add)
    r("sw_interface_ip6nd_ra_dump", sw_if_index=ALL, note="an IPv6 address enables IPv6 too")
    r("sw_interface_ip6_enable_disable", sw_if_index=P0, enable=False)
    r("sw_interface_ip6_enable_disable", sw_if_index=P0, enable=False, note="not enabled")
    r("sw_interface_ip6nd_ra_dump", sw_if_index=ALL, note="P0's RA record went with its IPv6 link")
    r("sw_interface_ip6_enable_disable", sw_if_index=P0, enable=True, note="again: defaults")
    r("sw_interface_ip6nd_ra_config", note="no such interface", **ra_config(99, suppress=1))
    r(
        "sw_interface_ip6nd_ra_prefix",
        note="no such interface",
        **ra_prefix(99, "2001:db8:1::/64", 7200, 3600),
    )
    r("sw_interface_ip6_enable_disable", sw_if_index=99, enable=True, note="no such interface")
    r("sw_interface_ip6nd_ra_dump", sw_if_index=ALL)


def rule(
    action: int,
    src: str,
    dst: str,
    proto: int = 0,
    sport: tuple[int, int] = (0, 65535),
    dport: tuple[int, int] = (0, 65535),
    tcp: tuple[int, int] = (0, 0),
) -> dict[str, Any]:
    """A vl_api_acl_rule_t as agent/features/acl/descriptors.py rule_args builds it."""
    return {
        "is_permit": action,
        "src_prefix": src,
        "dst_prefix": dst,
        "proto": proto,
        "srcport_or_icmptype_first": sport[0],
        "srcport_or_icmptype_last": sport[1],
        "dstport_or_icmpcode_first": dport[0],
        "dstport_or_icmpcode_last": dport[1],
        "tcp_flags_mask": tcp[0],
        "tcp_flags_value": tcp[1],
    }


def macip_rule(action: int, mac: str, mask: str, src: str) -> dict[str, Any]:
    return {"is_permit": action, "src_mac": mac, "src_mac_mask": mask, "src_prefix": src}


def acl(r: Recorder) -> None:
    """The ACL plugin as agent/features/acl sends it: ACLs made, replaced in place and deleted, interface
    lists, MAC/IP ACLs, the counters switch and the reads of reconcile, with the refusals it handles."""
    web = [
        rule(1, "0.0.0.0/0", "192.0.2.0/24", 6, dport=(80, 80)),
        rule(2, "10.0.0.0/8", "0.0.0.0/0", 17, sport=(1024, 65535)),
        rule(1, "0.0.0.0/0", "0.0.0.0/0", 6, dport=(22, 23), tcp=(0x12, 0x02)),
        rule(0, "0.0.0.0/0", "0.0.0.0/0"),
        rule(0, "::/0", "::/0"),
    ]
    dns = [
        rule(1, "::/0", "2001:db8::53/128", 17, dport=(53, 53)),
        rule(1, "0.0.0.0/0", "0.0.0.0/0", 1, (8, 8), (0, 255)),
    ]
    r("acl_dump", acl_index=ALL, note="nothing yet")
    r("macip_acl_dump", acl_index=ALL)
    r("acl_interface_list_dump", sw_if_index=ALL, note="every interface, with empty lists")
    r("macip_acl_interface_list_dump", sw_if_index=ALL)
    r("cli_inband", cmd="show acl-plugin tables mask", note="counters off at start")
    a = r("acl_add_replace", acl_index=ALL, tag="bng-agent:web", count=len(web), r=web)
    b = r("acl_add_replace", acl_index=ALL, tag="bng-agent:dns", count=len(dns), r=dns)
    r("acl_stats_intf_counters_enable", enable=True)
    r("cli_inband", cmd="show acl-plugin tables mask", note="counters on")
    web2 = [rule(1, "0.0.0.0/0", "192.0.2.0/24", 6, dport=(8080, 8080)), *web[1:]]
    r(
        "acl_add_replace",
        acl_index=ref(a, "acl_index"),
        tag="bng-agent:web",
        count=len(web2),
        r=web2,
        note="replace in place: same index",
    )
    r("acl_add_replace", acl_index=77, tag="bng-agent:x", count=1, r=web[:1], note="replace a missing ACL")
    r(
        "acl_add_replace",
        acl_index=ALL,
        tag="bng-agent:x",
        count=1,
        r=[rule(1, "0.0.0.0/0", "0.0.0.0/0", 6, dport=(90, 80))],
        note="reversed port range",
    )
    r(
        "acl_add_replace",
        acl_index=ALL,
        tag="bng-agent:x",
        count=1,
        r=[rule(1, "0.0.0.0/0", "::/0")],
        note="two address families in one rule",
    )
    r("acl_add_replace", acl_index=ALL, tag="bng-agent:empty", count=0, r=[], note="no rules")
    r(
        "acl_interface_set_acl_list",
        sw_if_index=P0,
        count=2,
        n_input=1,
        acls=[ref(a, "acl_index"), ref(b, "acl_index")],
    )
    r(
        "acl_interface_set_acl_list",
        sw_if_index=P1,
        count=2,
        n_input=2,
        acls=[ref(b, "acl_index"), ref(a, "acl_index")],
    )
    r("acl_interface_set_acl_list", sw_if_index=P2, count=1, n_input=1, acls=[99], note="no such ACL")
    r(
        "acl_interface_set_acl_list",
        sw_if_index=99,
        count=1,
        n_input=1,
        acls=[ref(a, "acl_index")],
        note="no such interface",
    )
    r(
        "acl_interface_set_acl_list",
        sw_if_index=P2,
        count=2,
        n_input=2,
        acls=[ref(a, "acl_index"), ref(a, "acl_index")],
        note="the same ACL twice",
    )
    r("acl_interface_list_dump", sw_if_index=ALL)
    r("acl_interface_list_dump", sw_if_index=P0, note="one interface")
    r("acl_del", acl_index=ref(a, "acl_index"), note="in use on input")
    r("acl_interface_set_acl_list", sw_if_index=P1, count=0, n_input=0, acls=[], note="detach")
    r("acl_del", acl_index=ref(b, "acl_index"), note="in use on output")
    r("acl_dump", acl_index=ALL)
    r("acl_dump", acl_index=ref(b, "acl_index"), note="one ACL")
    macs = [
        macip_rule(1, "02:00:00:00:00:01", "ff:ff:ff:ff:ff:ff", "100.64.1.0/24"),
        macip_rule(0, NO_MAC, NO_MAC, "0.0.0.0/0"),
        macip_rule(0, NO_MAC, NO_MAC, "::/0"),
    ]
    m = r("macip_acl_add_replace", acl_index=ALL, tag="bng-agent:cpe", count=len(macs), r=macs)
    r(
        "macip_acl_add_replace",
        acl_index=ref(m, "acl_index"),
        tag="bng-agent:cpe",
        count=1,
        r=macs[:1],
        note="replace in place",
    )
    r(
        "macip_acl_add_replace",
        acl_index=55,
        tag="bng-agent:x",
        count=1,
        r=macs[:1],
        note="replace a missing one",
    )
    r("macip_acl_interface_add_del", is_add=True, sw_if_index=P1, acl_index=ref(m, "acl_index"))
    r("macip_acl_interface_add_del", is_add=True, sw_if_index=P0, acl_index=66, note="no such MAC/IP ACL")
    r(
        "macip_acl_interface_add_del",
        is_add=True,
        sw_if_index=99,
        acl_index=ref(m, "acl_index"),
        note="no such interface",
    )
    r(
        "macip_acl_interface_add_del",
        is_add=False,
        sw_if_index=P2,
        acl_index=ref(m, "acl_index"),
        note="nothing applied there",
    )
    r("macip_acl_interface_list_dump", sw_if_index=ALL)
    r("macip_acl_interface_list_dump", sw_if_index=P0, note="one interface without one")
    r("macip_acl_dump", acl_index=ALL)
    sub = r(
        "create_subif",
        sw_if_index=P2,
        sub_id=100,
        sub_if_flags=ONE_TAG | EXACT,
        outer_vlan_id=100,
        inner_vlan_id=0,
    )
    r("acl_interface_set_acl_list", sw_if_index=ref(sub), count=1, n_input=0, acls=[ref(b, "acl_index")])
    r("macip_acl_interface_add_del", is_add=True, sw_if_index=ref(sub), acl_index=ref(m, "acl_index"))
    r("delete_subif", sw_if_index=ref(sub), note="VPP drops its ACL lists and MAC/IP ACL")
    r("acl_interface_list_dump", sw_if_index=ALL)
    r("macip_acl_interface_list_dump", sw_if_index=ALL)
    r("acl_interface_set_acl_list", sw_if_index=P0, count=0, n_input=0, acls=[], note="detach")
    r("acl_del", acl_index=ref(a, "acl_index"))
    r("acl_del", acl_index=ref(a, "acl_index"), note="already deleted")
    r("macip_acl_del", acl_index=ref(m, "acl_index"), note="while applied: VPP unapplies it first")
    r("macip_acl_interface_list_dump", sw_if_index=ALL)
    r("macip_acl_del", acl_index=ref(m, "acl_index"), note="already deleted")
    r(
        "acl_add_replace",
        acl_index=ALL,
        tag="bng-agent:again",
        count=1,
        r=web[:1],
        note="reuses the freed index",
    )
    r("acl_dump", acl_index=ALL)
    r("acl_stats_intf_counters_enable", enable=False)
    r("cli_inband", cmd="show acl-plugin tables mask", note="counters off again")


ALL_DHCP = "ff02::1:2"


def mroute_dhcp6(table: int, is_add: bool = True, **extra: Any) -> dict[str, Any]:
    """ip_mroute_add_del for ff02::1:2 as agent/features/dhcp6/descriptors.py sends it: accept from any
    interface of the table, forward to the local stack (then ip6-local and the punt socket)."""
    local = {
        "sw_if_index": ALL,
        "table_id": 0,
        "rpf_id": 0,
        "weight": 1,
        "preference": 0,
        "type": 1,
        "flags": 0,
        "proto": 1,
        "nh": {},
        "n_labels": 0,
        "label_stack": NO_LABELS,
    }
    route = {
        "table_id": table,
        "entry_flags": 8,
        "rpf_id": 0,
        "prefix": {
            "af": 1,
            "grp_address_length": 128,
            "grp_address": {"ip6": ALL_DHCP},
            "src_address": {"ip6": "::"},
        },
        "n_paths": 1,
        "paths": [{"itf_flags": 4, "path": local}],
    }
    return {"is_add": is_add, "is_multipath": False, "route": route, **extra}


def dhcp6(r: Recorder) -> None:
    """The DHCPv6 relay's receive path (agent/features/dhcp6): the ff02::1:2 mroute that makes VPP take
    SOLICITs for itself (as dhcp6_proxy_set_server does), in the default table and a VRF, its dump,
    delete, and the refusals (no such table)."""
    r("ip_mroute_dump", table={"table_id": 0, "is_ip6": True}, note="VPP's own entries")
    r("ip_mroute_add_del", **mroute_dhcp6(0))
    r("ip_mroute_add_del", note="again", **mroute_dhcp6(0))
    r("ip_table_add_del", is_add=True, table={"table_id": 10, "is_ip6": True, "name": "bng-agent:internet"})
    r("ip_mroute_add_del", **mroute_dhcp6(10))
    r("ip_mroute_add_del", note="no such table", **mroute_dhcp6(77))
    r("ip_mroute_dump", table={"table_id": 0, "is_ip6": True})
    r("ip_mroute_dump", table={"table_id": 10, "is_ip6": True})
    r("ip_mroute_add_del", **mroute_dhcp6(10, is_add=False))
    r("ip_mroute_add_del", note="not there", **mroute_dhcp6(10, is_add=False))
    r("ip_mroute_dump", table={"table_id": 10, "is_ip6": True})
    r("ip_mroute_dump", table={"table_id": 77, "is_ip6": True}, note="no such table")


NAT_INSIDE, NAT_OUTSIDE, NAT_ADDR_ONLY = 0x20, 0x10, 0x08


def static_v2(
    local: str,
    external: str,
    vrf: int,
    *,
    proto: int = 0,
    lport: int = 0,
    eport: int = 0,
    is_add: bool = True,
    tag: str = "",
) -> dict[str, Any]:
    """nat44_add_del_static_mapping_v2 as agent/features/nat/descriptors.py sends it."""
    return {
        "is_add": is_add,
        "match_pool": False,
        "flags": 0 if proto else NAT_ADDR_ONLY,
        "pool_ip_address": "0.0.0.0",
        "local_ip_address": local,
        "external_ip_address": external,
        "protocol": proto,
        "local_port": lport,
        "external_port": eport,
        "external_sw_if_index": ALL,
        "vrf_id": vrf,
        "tag": tag,
    }


def nat(r: Recorder) -> None:
    """NAT44 (agent/features/nat): the nat44-ed plugin, pools per VRF, interfaces, session limits,
    static mappings and port forwards, the reads for reconcile and operational state; det44 maps,
    interfaces and VPP's own forward/reverse answers; the refusals around them."""
    r("nat44_show_running_config", note="plugin disabled")
    rng = {"first_ip_address": "198.51.100.0", "last_ip_address": "198.51.100.3", "flags": 0}
    r("nat44_add_del_address_range", **rng, vrf_id=0, is_add=True, note="plugin disabled: UNSUPPORTED")
    r(
        "nat44_ed_plugin_enable_disable",
        enable=False,
        inside_vrf=0,
        outside_vrf=0,
        sessions=0,
        session_memory=0,
        flags=0,
        note="disable while disabled",
    )
    enable = {"inside_vrf": 0, "outside_vrf": 0, "sessions": 20000, "session_memory": 0, "flags": 0}
    r("nat44_ed_plugin_enable_disable", enable=True, **enable)
    r("nat44_ed_plugin_enable_disable", enable=True, **enable, note="enable while enabled")
    r("nat44_show_running_config", note="enabled, default timeouts")
    r("nat_set_timeouts", udp=120, tcp_established=7440, tcp_transitory=240, icmp=60)
    r("nat44_show_running_config", note="timeouts set")
    r("ip_table_add_del", is_add=True, table={"table_id": 10, "is_ip6": False, "name": "bng-agent:red"})
    r("nat44_add_del_address_range", **rng, vrf_id=0, is_add=True)
    r("nat44_add_del_address_range", **rng, vrf_id=10, is_add=True, note="addresses taken (in any VRF)")
    r(
        "nat44_add_del_address_range",
        first_ip_address="198.51.100.8",
        last_ip_address="198.51.100.9",
        flags=0,
        vrf_id=10,
        is_add=True,
    )
    r("nat44_address_dump")
    r("nat44_interface_add_del_feature", is_add=True, flags=NAT_INSIDE, sw_if_index=P0)
    r("nat44_interface_add_del_feature", is_add=True, flags=NAT_OUTSIDE, sw_if_index=P1)
    r("nat44_interface_add_del_feature", is_add=True, flags=NAT_OUTSIDE, sw_if_index=P1, note="again")
    r("nat44_interface_add_del_feature", is_add=True, flags=NAT_INSIDE, sw_if_index=P1, note="both sides")
    r(
        "nat44_interface_add_del_feature",
        is_add=True,
        flags=NAT_INSIDE,
        sw_if_index=99,
        note="no such interface",
    )
    r(
        "nat44_interface_add_del_feature",
        is_add=False,
        flags=NAT_INSIDE,
        sw_if_index=P2,
        note="not a NAT interface",
    )
    r("nat44_interface_dump")
    r("nat44_interface_add_del_feature", is_add=False, flags=NAT_INSIDE, sw_if_index=P1)
    r("nat44_interface_dump", note="P1 outside only")
    r("nat44_set_session_limit", session_limit=500, vrf_id=10)
    r("nat44_set_session_limit", session_limit=500, vrf_id=77, note="no such table")
    port_fwd = static_v2("10.0.0.5", "198.51.100.20", 10, proto=6, lport=8080, eport=80, tag="bng-agent:1/1")
    r("nat44_add_del_static_mapping_v2", **port_fwd)
    r("nat44_add_del_static_mapping_v2", **port_fwd, note="again: VALUE_EXIST")
    r("nat44_add_del_static_mapping_v2", **static_v2("10.0.0.6", "198.51.100.21", 0, tag="bng-agent:1/2"))
    r("nat44_static_mapping_dump")
    r("nat44_add_del_static_mapping_v2", **static_v2("10.0.0.6", "198.51.100.21", 0, is_add=False))
    r(
        "nat44_add_del_static_mapping_v2",
        **static_v2("10.0.0.7", "198.51.100.22", 0, is_add=False),
        note="no such mapping",
    )
    r("nat44_static_mapping_dump")
    r("nat44_user_dump")
    r("nat44_user_session_v3_dump", ip_address="10.0.0.5", vrf_id=10)
    r("nat44_add_del_address_range", **rng, vrf_id=0, is_add=False)
    r("nat44_add_del_address_range", **rng, vrf_id=0, is_add=False, note="gone already")
    r("nat44_address_dump")
    r("nat44_ed_plugin_enable_disable", enable=False, **{k: v for k, v in enable.items()})
    r("nat44_show_running_config", note="disabled again")
    r("nat44_address_dump", note="the plugin's disable removed them")
    r("nat44_interface_dump")
    r("nat44_static_mapping_dump")
    # det44
    det = {"inside_vrf": 0, "outside_vrf": 0}
    r("det44_plugin_enable_disable", enable=False, **det, note="disable while disabled")
    r("det44_plugin_enable_disable", enable=True, **det)
    r("det44_plugin_enable_disable", enable=True, **det, note="enable while enabled")
    dmap = {"in_addr": "100.64.0.0", "in_plen": 24, "out_addr": "192.0.2.0", "out_plen": 28}
    r("det44_add_del_map", is_add=True, **dmap)
    r("det44_add_del_map", is_add=True, **dmap, note="again: VALUE_EXIST")
    r("det44_add_del_map", is_add=True, in_addr="100.64.1.0", in_plen=22, out_addr="192.0.2.32", out_plen=27)
    r("det44_map_dump")
    r("det44_interface_add_del_feature", is_add=True, is_inside=True, sw_if_index=P2)
    r("det44_interface_add_del_feature", is_add=True, is_inside=True, sw_if_index=P2, note="again")
    r("det44_interface_add_del_feature", is_add=True, is_inside=False, sw_if_index=P1)
    r(
        "det44_interface_add_del_feature",
        is_add=True,
        is_inside=True,
        sw_if_index=99,
        note="no such interface",
    )
    r("det44_interface_dump")
    for host in ("100.64.0.0", "100.64.0.17", "100.64.0.255", "100.64.1.0", "100.64.3.255"):
        r("det44_forward", in_addr=host)
    r("det44_forward", in_addr="10.9.9.9", note="in no map")
    for out, port in (("192.0.2.0", 1024), ("192.0.2.1", 5056), ("192.0.2.15", 65535), ("192.0.2.63", 2047)):
        r("det44_reverse", out_addr=out, out_port=port)
    r("det44_reverse", out_addr="203.0.113.1", out_port=2000, note="in no map")
    r("det44_interface_add_del_feature", is_add=False, is_inside=True, sw_if_index=P2)
    r("det44_interface_add_del_feature", is_add=False, is_inside=True, sw_if_index=P2, note="gone already")
    r("det44_add_del_map", is_add=False, **dmap)
    r("det44_add_del_map", is_add=False, **dmap, note="gone already")
    r("det44_interface_add_del_feature", is_add=False, is_inside=False, sw_if_index=P1)
    r("det44_add_del_map", is_add=False, in_addr="100.64.1.0", in_plen=22, out_addr="192.0.2.32", out_plen=27)
    r("det44_map_dump", note="none left")
    r("det44_interface_dump", note="none left")
    # no det44_plugin_enable_disable(enable=False) here: after maps existed it kills VPP 26.06 (even with
    # none left), so the agent never sends it (agent/features/nat/descriptors.py Det44PluginDescriptor)


def natlog(r: Recorder) -> None:
    """NAT event logging (agent/features/natlog): VPP's IPFIX exporter 0 pointed at the agent's relay, its
    dump before and after, the refusals the agent handles (path MTU, no source, no such table, family
    mismatch), switching it off (collector 0.0.0.0), and nat_ipfix_enable_disable on and off (twice)."""
    r("ipfix_exporter_dump", note="a fresh VPP")
    relay = {"collector_port": 4739, "vrf_id": 0, "path_mtu": 1450, "template_interval": 20,
             "udp_checksum": True}  # fmt: skip
    r("set_ipfix_exporter", collector_address="127.0.0.1", src_address="192.0.2.1", **relay)
    r("ipfix_exporter_dump")
    r("set_ipfix_exporter", collector_address="127.0.0.1", src_address="192.0.2.1",
      **{**relay, "path_mtu": 1500}, note="path MTU above 1450")  # fmt: skip
    r("set_ipfix_exporter", collector_address="127.0.0.1", src_address="192.0.2.1",
      **{**relay, "path_mtu": 67}, note="path MTU below 68")  # fmt: skip
    r("set_ipfix_exporter", collector_address="127.0.0.1", src_address="0.0.0.0", **relay, note="no source")
    r("set_ipfix_exporter", collector_address="127.0.0.1", src_address="192.0.2.1",
      **{**relay, "vrf_id": 77}, note="no such table")  # fmt: skip
    r("set_ipfix_exporter", collector_address="127.0.0.1", src_address="2001:db8::1", **relay,
      note="source of another family")  # fmt: skip
    r("ip_table_add_del", is_add=True, table={"table_id": 9, "is_ip6": False, "name": "bng-agent:mgmt"})
    r("set_ipfix_exporter", collector_address="10.9.0.1", src_address="10.9.0.2",
      **{**relay, "vrf_id": 9, "collector_port": 2055, "path_mtu": 512, "template_interval": 5},
      note="in a VRF")  # fmt: skip
    r("ipfix_exporter_dump")
    r("nat_ipfix_enable_disable", domain_id=7, src_port=4739, enable=True)
    r("nat_ipfix_enable_disable", domain_id=7, src_port=4739, enable=True, note="again")
    r("nat_ipfix_enable_disable", domain_id=8, src_port=4740, enable=True, note="again, other domain")
    r("nat_ipfix_enable_disable", domain_id=7, src_port=4739, enable=False)
    r("nat_ipfix_enable_disable", domain_id=7, src_port=4739, enable=False, note="again")
    r("set_ipfix_exporter", collector_address="0.0.0.0", src_address="0.0.0.0",
      **{**relay, "path_mtu": 512, "collector_port": 4739}, note="off, as the agent deletes it")  # fmt: skip
    r("ipfix_exporter_dump")


def neighbor(sw_if_index: Any, ip: str, mac: str, flags: int = 0) -> dict[str, Any]:
    """vl_api_ip_neighbor_t as agent/ndguard/guard.py sends it (flags: 1 static, 0 dynamic)."""
    return {"sw_if_index": sw_if_index, "flags": flags, "mac_address": mac, "ip_address": ip}


def ndguard(r: Recorder) -> None:
    """The ND guard (agent/ndguard): the IPv6 neighbours of an access interface read with
    ip_neighbor_dump and a foreign one removed with ip_neighbor_add_del; static and dynamic entries, the
    refusals (no such interface, no such neighbour) and what deleting the interface leaves."""
    sub = r("create_subif", sw_if_index=P0, sub_id=100, sub_if_flags=ONE_TAG | EXACT, outer_vlan_id=100)
    r(
        "sw_interface_add_del_address",
        sw_if_index=ref(sub),
        prefix="2001:db8:a::1/64",
        is_add=True,
        del_all=False,
    )
    r("ip_neighbor_add_del", is_add=True, neighbor=neighbor(ref(sub), "2001:db8:a::10", "02:00:00:00:00:10"))
    r("ip_neighbor_add_del", is_add=True, neighbor=neighbor(ref(sub), "2001:db8:a::66", "02:00:00:00:00:66"))
    r(
        "ip_neighbor_add_del",
        note="static",
        is_add=True,
        neighbor=neighbor(ref(sub), "2001:db8:a::20", "02:00:00:00:00:20", flags=1),
    )
    r("ip_neighbor_add_del", note="IPv4", is_add=True, neighbor=neighbor(P1, "10.0.0.5", "02:00:00:00:00:05"))
    r("ip_neighbor_dump", sw_if_index=ref(sub), af=1)
    r("ip_neighbor_dump", sw_if_index=ALL, af=1)
    r("ip_neighbor_dump", sw_if_index=ALL, af=0)
    r("ip_neighbor_add_del", is_add=False, neighbor=neighbor(ref(sub), "2001:db8:a::66", "02:00:00:00:00:66"))
    r(
        "ip_neighbor_add_del",
        note="not there",
        is_add=False,
        neighbor=neighbor(ref(sub), "2001:db8:a::66", "02:00:00:00:00:66"),
    )
    r(
        "ip_neighbor_add_del",
        note="no such interface",
        is_add=True,
        neighbor=neighbor(99, "2001:db8:a::7", NO_MAC),
    )
    r("ip_neighbor_dump", sw_if_index=ref(sub), af=1)
    r("delete_subif", sw_if_index=ref(sub))
    r("ip_neighbor_dump", sw_if_index=ALL, af=1, note="the interface's neighbours went with it")


SCENARIOS: dict[str, Callable[[Recorder], None]] = {
    "connection": connection,
    "interfaces": interfaces,
    "events": events,
    "bonds": bonds,
    "ip": ip,
    "packetio": packetio,
    "proxyarp": proxyarp,
    "ra": ra,
    "acl": acl,
    "policers": policers,
    "nat": nat,
    "dhcp6": dhcp6,
    "ndguard": ndguard,
    "natlog": natlog,
}


def record(name: str) -> Path:
    directory = tempfile.mkdtemp(prefix="vr-", dir="/tmp")
    vpp = RealVpp(directory, ports=PORTS)
    try:
        version = vpp.vppctl("show", "version").strip()
        runner = Runner(vpp.api_socket)
        rec = Recorder(runner)
        try:
            SCENARIOS[name](rec)
        finally:
            runner.close()
    finally:
        vpp.destroy()
        remove_tree(directory)
    doc = {
        "scenario": name,
        "description": (SCENARIOS[name].__doc__ or "").strip(),
        "recorded_with": version,
        "recorded_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ports": PORTS,
        # the lab startup file has `punt { socket ... }`: replay starts vppsim with --punt-socket too
        "punt_socket": True,
        "port_backing": "af_packet on veth pairs, renamed GigabitEthernet0/<slot>/0 (tests/vpp/_realvpp.py)",
        "steps": rec.steps,
    }
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    out = FIXTURE_DIR / f"{name}.json"
    out.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")
    return out


def main(argv: list[str]) -> int:
    why = missing_vpp()
    if why is not None:
        print(f"record-vpp: {why}", file=sys.stderr)
        return 2
    names = argv or list(SCENARIOS)
    for name in names:
        out = record(name)
        print(f"record-vpp: {name}: {len(json.loads(out.read_text())['steps'])} steps -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
