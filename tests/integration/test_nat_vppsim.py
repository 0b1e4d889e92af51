"""Reconcile of NAT44 (agent/features/nat/retrieve.py) on vppsim, and the same on real VPP in the lane:
VPP changed behind the agent's back is put back as configured from VPP's own dumps, objects the agent
did not make are reported and left alone, and an agent restarted against a VPP that holds its NAT
state sends nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from _southbound_helpers import IF, VRFS, AgentStack, port, vpp_snapshot
from vpp_papi import VPPApiClient

from agent.vpp.api import api_json_files

P0, P1 = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"
NAT = "/ietf-nat:nat"
CONFIG = [
    (VRFS, {"vrf": [{"name": "a", "table-id": 1}]}),
    (IF, {"interface": [port(P0, **{"bng-vrf:vrf": "a"}), port(P1)]}),
    (
        NAT,
        {
            "instances": {
                "instance": [
                    {
                        "id": 1,
                        "bng-nat:vrf": "a",
                        "bng-nat:inside-interface": [P0],
                        "bng-nat:outside-interface": [P1],
                        "bng-nat:session-limit": 1000,
                        "policy": [
                            {
                                "id": 1,
                                "external-ip-address-pool": [
                                    {"pool-id": 1, "external-ip-pool": "198.51.100.0/30"}
                                ],
                                "timers": {"udp-timeout": 120},
                            }
                        ],
                        "mapping-table": {
                            "mapping-entry": [
                                {
                                    "index": 1,
                                    "type": "static",
                                    "internal-src-address": "10.0.0.5/32",
                                    "external-src-address": "198.51.100.20/32",
                                }
                            ]
                        },
                    },
                    {
                        "id": 2,
                        "bng-nat:mode": "deterministic",
                        "policy": [
                            {
                                "id": 1,
                                "subscriber-match": [{"match-id": 1, "subnet": "100.64.0.0/24"}],
                                "external-ip-address-pool": [
                                    {"pool-id": 1, "external-ip-pool": "192.0.2.0/28"}
                                ],
                            }
                        ],
                    },
                ]
            }
        },
    ),
]


def operator(api_socket: str) -> Any:
    c = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=api_socket)
    c.connect("operator")
    return c


async def test_reconcile_puts_nat_back_and_leaves_foreign_objects(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    c = operator(sim.api_socket)
    try:
        await st.commit(updates=CONFIG)
        want = (await vpp_snapshot(sim.api_socket))["nat"]
        assert want["timeouts"] == (120, 7440, 240, 60) and len(want["addresses"]) == 4
        # an operator removes an address, a mapping, a det44 map and an interface feature, resets the
        # timeouts, and adds an address range and a mapping of their own
        api = c.api
        assert (
            api.nat44_add_del_address_range(
                first_ip_address="198.51.100.1",
                last_ip_address="198.51.100.1",
                vrf_id=1,
                is_add=False,
                flags=0,
            ).retval
            == 0
        )
        assert api.nat44_add_del_static_mapping_v2(
            is_add=False, flags=0x08, local_ip_address="10.0.0.5", external_ip_address="198.51.100.20",
            external_sw_if_index=0xFFFFFFFF, vrf_id=1,
        ).retval == 0  # fmt: skip
        assert (
            api.det44_add_del_map(
                is_add=False, in_addr="100.64.0.0", in_plen=24, out_addr="192.0.2.0", out_plen=28
            ).retval
            == 0
        )
        assert api.nat44_interface_add_del_feature(is_add=False, flags=0x10, sw_if_index=2).retval == 0
        assert api.nat_set_timeouts(udp=300, tcp_established=7440, tcp_transitory=240, icmp=60).retval == 0
        assert (
            api.nat44_add_del_address_range(
                first_ip_address="203.0.113.1", last_ip_address="203.0.113.2", vrf_id=0, is_add=True, flags=0
            ).retval
            == 0
        )
        assert api.nat44_add_del_static_mapping_v2(
            is_add=True, flags=0x08, local_ip_address="10.9.9.9", external_ip_address="203.0.113.9",
            external_sw_if_index=0xFFFFFFFF, vrf_id=0, tag="someone-else",
        ).retval == 0  # fmt: skip
        report = await st.sb.reconcile()
        assert report.write_calls > 0
        after = (await vpp_snapshot(sim.api_socket))["nat"]
        foreign_addresses = {("203.0.113.1", 0), ("203.0.113.2", 0)}
        assert set(after["addresses"]) == set(want["addresses"]) | foreign_addresses
        assert [m for m in after["static"] if m[-1] != "someone-else"] == want["static"]
        assert after["det44_maps"] == want["det44_maps"]
        assert after["interfaces"] == want["interfaces"] and after["timeouts"] == want["timeouts"]
        kinds = {u["kind"] for u in report.unmanaged}
        assert {"nat44-address", "nat44-static-mapping"} <= kinds, report.unmanaged
        assert (await st.sb.reconcile()).write_calls == 0
    finally:
        c.disconnect()
        await st.stop()
    # a restarted agent finds its NAT state in VPP and sends nothing
    st2 = AgentStack(sim.api_socket, tmp_path / "data")
    await st2.start()
    try:
        assert (await st2.sb.reconcile()).write_calls == 0
    finally:
        await st2.stop()
