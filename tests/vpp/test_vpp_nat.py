"""NAT44 on real VPP 26.06: the agent programs two VRFs' pools, inside/outside interfaces and a static
mapping through ietf-nat; VPP's packet generator then sends UDP from the same inside address in both
VRFs and a hairpinned TCP flow, and VPP's own session dumps (nat44_user_dump,
nat44_user_session_v3_dump) show each VRF translated to its own pool and the hairpin translated to the
static mapping's inside host. Deterministic NAT: the agent's det44 arithmetic (the det44-forward /
det44-reverse RPCs) gives VPP's det44_forward / det44_reverse answers for every host of a mapping."""

from __future__ import annotations

import ipaddress
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _realvpp import RealVpp
from _southbound_helpers import IF, VRFS, AgentStack, addrs, port, route

from agent.features.nat import lookup
from agent.features.nat.keys import ROOT
from agent.features.nat.operational import NatMonitor

P0, P1, P2 = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0", "GigabitEthernet0/a/0"
NAT = "/ietf-nat:nat"
GLOBAL = "/bng-vrf:global-routing"


def pool_instance(iid: int, vrf: str, pool: str, inside: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": iid,
        "bng-nat:vrf": vrf,
        "bng-nat:inside-interface": [inside],
        "bng-nat:outside-interface": [P2],
        "policy": [{"id": 1, "external-ip-address-pool": [{"pool-id": 1, "external-ip-pool": pool}]}],
        **extra,
    }


HAIRPIN_MAP = {
    "mapping-entry": [
        {
            "index": 1,
            "type": "static",
            "transport-protocol": 6,
            "internal-src-address": "10.0.0.2/32",
            "internal-src-port": {"start-port-number": 80},
            "external-src-address": "198.51.100.10/32",
            "external-src-port": {"start-port-number": 8080},
        }
    ]
}

CONFIG = [
    (VRFS, {"vrf": [{"name": "a", "table-id": 1}, {"name": "b", "table-id": 2}]}),
    (
        IF,
        {
            "interface": [
                port(P0, **{"bng-vrf:vrf": "a"}, **addrs("10.0.0.254/24")),
                port(P1, **{"bng-vrf:vrf": "b"}, **addrs("10.0.0.254/24")),
                port(P2, **addrs("192.168.99.1/24")),
            ]
        },
    ),
    (GLOBAL, {"static-routes": {"ipv4-route": [route("0.0.0.0/0", ("192.168.99.2", 1, 0))]}}),
    (
        NAT,
        {
            "instances": {
                "instance": [
                    pool_instance(1, "a", "198.51.100.0/30", P0, **{"mapping-table": HAIRPIN_MAP}),
                    pool_instance(2, "b", "198.51.100.4/30", P1),
                ]
            }
        },
    ),
]


def pg(vpp: RealVpp, name: str, interface: str, ip: str, l4: str) -> None:
    """One packet from ``interface`` into ip4-input (VPP's packet generator, src/vnet/pg/cli.c; the data
    needs a payload after the headers, here 8 incrementing bytes)."""
    out = vpp.vppctl(
        f"packet-generator new {{ name {name} limit 1 size 64-64 interface {interface} node ip4-input "
        f"data {{ {ip} {l4} incrementing 8 }} }}"
    )
    assert not out.strip(), out  # the CLI answers nothing when the stream was created


def sessions(api: Any, user: str, vrf: int) -> list[Any]:
    return list(api.nat44_user_session_v3_dump(ip_address=user, vrf_id=vrf))


async def test_two_vrfs_translate_the_same_inside_address_from_their_own_pools_and_hairpin(
    vppsim_factory: Callable[..., RealVpp], tmp_path: Path
) -> None:
    vpp = vppsim_factory(ports=3)
    st = AgentStack(vpp.api_socket, tmp_path / "data")
    await st.start()
    try:
        await st.commit(updates=CONFIG)
        assert (await st.sb.reconcile()).write_calls == 0  # VPP holds exactly the configuration
        pg(vpp, "nat-a", P0, "UDP: 10.0.0.1 -> 8.8.8.8", "UDP: 1234 -> 53")
        pg(vpp, "nat-b", P1, "UDP: 10.0.0.1 -> 8.8.8.8", "UDP: 1234 -> 53")
        pg(vpp, "hairpin", P0, "TCP: 10.0.0.3 -> 198.51.100.10", "TCP: 5555 -> 8080 SYN")
        pg(
            vpp, "stray", P2, "UDP: 8.8.4.4 -> 198.51.100.1", "UDP: 53 -> 9999"
        )  # to a pool address, no session
        vpp.vppctl("packet-generator", "enable-stream")
        api = vpp.client("nat-test").api
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(list(api.nat44_user_dump())) < 3:
            time.sleep(0.1)
        users = {(str(u.ip_address), int(u.vrf_id)): int(u.nsessions) for u in api.nat44_user_dump()}
        assert users == {("10.0.0.1", 1): 1, ("10.0.0.1", 2): 1, ("10.0.0.3", 1): 1}, users
        # VPP 26.06's nat44_user_session_v3_dump filters by address only (nat44_ed_api.c): both VRFs'
        # sessions of 10.0.0.1 come back, one from each VRF's own pool
        outside = sorted(str(x.outside_ip_address) for x in sessions(api, "10.0.0.1", 1))
        assert len(outside) == 2
        assert ipaddress.ip_address(outside[0]) in ipaddress.ip_network("198.51.100.0/30"), outside
        assert ipaddress.ip_address(outside[1]) in ipaddress.ip_network("198.51.100.4/30"), outside
        # and VPP's session table (show nat44 sessions) ties each to its VRF's FIB
        table = vpp.vppctl("show", "nat44", "sessions")
        pairs = set(re.findall(r"i2o 10\.0\.0\.1 proto UDP port 1234 fib (\d+)\s+o2i (\S+) proto UDP", table))
        assert len({fib for fib, _ in pairs}) == 2 and {a for _, a in pairs} == set(outside), table
        # hairpin: 10.0.0.3 reaches the static mapping's outside address 198.51.100.10:8080 and is sent to
        # its inside host 10.0.0.2:80, from an address of its own VRF's pool
        (h,) = sessions(api, "10.0.0.3", 1)
        assert (str(h.ext_host_address), int(h.ext_host_port), int(h.protocol)) == ("198.51.100.10", 8080, 6)
        assert ipaddress.ip_address(str(h.outside_ip_address)) in ipaddress.ip_network("198.51.100.0/30")
        hairpin = f"rewrite: saddr {h.outside_ip_address} sport 5555 daddr 10.0.0.2 dport 80"
        assert hairpin in table, table
        # the agent's NAT monitor reads the same state into metrics and <operational>
        monitor = NatMonitor(
            config=lambda: st.sb.config.get(ROOT),
            conn=lambda: st.sb.conn,
            vrf_tables=lambda: {"a": 1, "b": 2},
        )
        assert st.sb.conn is not None
        await monitor.refresh(st.sb.conn)
        samples = {(name, labels): value for name, labels, value in monitor.samples()}
        assert samples[("bng_nat_sessions", ("1",))] == 2 and samples[("bng_nat_sessions", ("2",))] == 1
        assert samples[("bng_nat_pool_ports_used", ("1", "1"))] == 2
        assert samples[("bng_nat_pool_ports_used", ("2", "1"))] == 1
        assert samples[("bng_nat_translation_failures", ("no-translation",))] == 1  # the stray packet
        state = monitor.provide()
        assert state is not None
        one = state["ietf-nat:nat"]["instances"]["instance"][0]["statistics"]
        assert one["mappings-statistics"] == {"total-active-subscribers": 2, "total-port-mappings": 2}
    finally:
        await st.stop()


DET = [
    (IF, {"interface": [port(P0), port(P2)]}),
    (
        NAT,
        {
            "instances": {
                "instance": [
                    {
                        "id": 7,
                        "bng-nat:mode": "deterministic",
                        "bng-nat:inside-interface": [P0],
                        "bng-nat:outside-interface": [P2],
                        "policy": [
                            {
                                "id": 1,
                                "subscriber-match": [{"match-id": 1, "subnet": "100.64.0.0/22"}],
                                "external-ip-address-pool": [
                                    {"pool-id": 1, "external-ip-pool": "192.0.2.32/27"}
                                ],
                            },
                            {
                                "id": 2,
                                "subscriber-match": [{"match-id": 1, "subnet": "100.65.0.0/24"}],
                                "external-ip-address-pool": [
                                    {"pool-id": 1, "external-ip-pool": "192.0.2.0/28"}
                                ],
                            },
                        ],
                    }
                ]
            }
        },
    ),
]


async def test_det44_forward_and_reverse_computed_by_the_agent_are_vpps(
    vppsim_factory: Callable[..., RealVpp], tmp_path: Path
) -> None:
    vpp = vppsim_factory(ports=3)
    st = AgentStack(vpp.api_socket, tmp_path / "data")
    await st.start()
    try:
        await st.commit(updates=DET)
        api = vpp.client("det44-test").api
        maps = {
            (str(m.in_addr), int(m.in_plen), int(m.sharing_ratio), int(m.ports_per_host))
            for m in api.det44_map_dump()
        }
        assert maps == {("100.64.0.0", 22, 32, 2016), ("100.65.0.0", 24, 16, 4032)}
        doc = json.loads(st.ds.running.json())["ietf-nat:nat"]
        checked = 0
        for net in ("100.64.0.0/22", "100.65.0.0/24"):
            for host in ipaddress.ip_network(net):
                mine = lookup.forward(doc, str(host))
                vpp_fwd = api.det44_forward(in_addr=str(host))
                assert int(vpp_fwd.retval) == 0
                assert (mine["outside-address"], mine["port-low"], mine["port-high"]) == (
                    str(vpp_fwd.out_addr),
                    int(vpp_fwd.out_port_lo),
                    int(vpp_fwd.out_port_hi),
                ), host
                for p in (mine["port-low"], mine["port-high"], (mine["port-low"] + mine["port-high"]) // 2):
                    back = api.det44_reverse(out_addr=mine["outside-address"], out_port=p)
                    assert lookup.reverse(doc, mine["outside-address"], p)["inside-address"] == str(
                        back.in_addr
                    )
                    assert str(back.in_addr) == str(host)
                checked += 1
        assert checked == 1024 + 256
    finally:
        await st.stop()
