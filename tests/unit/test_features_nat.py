"""The NAT feature's mapping without VPP: ietf-nat instances -> nat44-ed / det44 items and calls, the
checks made while planning (overlapping pools, global settings that disagree), and VPP's det44
arithmetic."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from _feature_helpers import P0, P1, calls, interfaces, items_of, port, value

from agent.features.nat.det44 import DetMap
from agent.features.nat.errors import NatConfigError
from agent.features.nat.values import (
    Det44MapValue,
    Det44PluginValue,
    Nat44InterfaceValue,
    Nat44PoolValue,
    Nat44StaticValue,
    Nat44TimeoutsValue,
)

NAT = "ietf-nat:nat"


def vrfs(*pairs: tuple[str, int]) -> dict[str, Any]:
    return {"bng-vrf:vrfs": {"vrf": [{"name": n, "table-id": t} for n, t in pairs]}}


def instance(iid: int, *pools: str, **extra: Any) -> dict[str, Any]:
    pol = [
        {
            "id": 1,
            "external-ip-address-pool": [
                {"pool-id": i + 1, "external-ip-pool": p} for i, p in enumerate(pools)
            ],
        }
    ]
    return {"id": iid, "policy": pol, **extra}


def nat(*insts: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {NAT: {"instances": {"instance": list(insts)}, **extra}}


def static(
    index: int, local: str, external: str, proto: int | None = None, lport: int = 0, eport: int = 0
) -> dict[str, Any]:
    e: dict[str, Any] = {
        "index": index,
        "type": "static",
        "internal-src-address": f"{local}/32",
        "external-src-address": f"{external}/32",
    }
    if proto is not None:
        e["transport-protocol"] = proto
        e["internal-src-port"] = {"start-port-number": lport}
        e["external-src-port"] = {"start-port-number": eport}
    return e


def test_a_dynamic_instance_in_a_vrf_programs_its_pools_interfaces_and_mappings_in_that_table() -> None:
    doc = {
        **interfaces(port(P0, **{"bng-vrf:vrf": "red"}), port(P1)),
        **vrfs(("red", 10)),
        **nat(
            instance(
                1,
                "198.51.100.0/30",
                **{"bng-nat:vrf": "red", "bng-nat:inside-interface": [P0], "bng-nat:outside-interface": [P1]},
                **{"mapping-table": {"mapping-entry": [static(1, "10.0.0.5", "198.51.100.9", 6, 8080, 80)]}},
            )
        ),
    }
    items = items_of(doc)
    pool = items["nat44-pool/1/198.51.100.0/30"]
    assert value(pool, Nat44PoolValue) == Nat44PoolValue("198.51.100.0", "198.51.100.3", 10)
    assert set(pool.deps) == {"nat44/plugin", "vrf/red/ipv4"}
    assert calls(pool)[0] == (
        "nat44_add_del_address_range(first_ip_address=198.51.100.0, last_ip_address=198.51.100.3, "
        "vrf_id=10, is_add=True, flags=0)"
    )
    inside = items[f"nat44-if/{P0}/inside"]
    assert value(inside, Nat44InterfaceValue).inside and inside.owner == P0
    assert f"binding/{P0}/ipv4" in inside.deps  # after the interface joined its VRF
    assert f"nat44-if/{P1}/outside" in items
    sm = value(items["nat44-static/1/1"], Nat44StaticValue)
    assert (sm.local, sm.local_port, sm.external, sm.external_port, sm.protocol, sm.vrf_id) == (
        "10.0.0.5",
        8080,
        "198.51.100.9",
        80,
        6,
        10,
    )
    assert sm.tag == "bng-agent:1/1" and not sm.addr_only
    assert value(items["nat44/timeouts"], Nat44TimeoutsValue) == Nat44TimeoutsValue(300, 7440, 240, 60)
    assert "det44/plugin" not in items


def test_the_same_inside_address_in_two_vrfs_maps_independently() -> None:
    doc = {
        **vrfs(("a", 1), ("b", 2)),
        **nat(
            instance(
                1,
                "198.51.100.0/31",
                **{
                    "bng-nat:vrf": "a",
                    "mapping-table": {"mapping-entry": [static(1, "10.0.0.1", "198.51.100.10")]},
                },
            ),
            instance(
                2,
                "198.51.100.2/31",
                **{
                    "bng-nat:vrf": "b",
                    "mapping-table": {"mapping-entry": [static(1, "10.0.0.1", "198.51.100.11")]},
                },
            ),
        ),
    }
    items = items_of(doc)
    a, b = (
        value(items["nat44-static/1/1"], Nat44StaticValue),
        value(items["nat44-static/2/1"], Nat44StaticValue),
    )
    assert (a.local, a.vrf_id, a.external) == ("10.0.0.1", 1, "198.51.100.10")
    assert (b.local, b.vrf_id, b.external) == ("10.0.0.1", 2, "198.51.100.11")
    assert a.addr_only and "flags=8" in calls(items["nat44-static/1/1"])[0]  # NAT_IS_ADDR_ONLY
    assert value(items["nat44-pool/1/198.51.100.0/31"], Nat44PoolValue).vrf_id == 1
    assert value(items["nat44-pool/2/198.51.100.2/31"], Nat44PoolValue).vrf_id == 2


def test_overlapping_pools_are_refused_with_the_path_of_the_second_whatever_their_vrfs() -> None:
    doc = {
        **vrfs(("a", 1), ("b", 2)),
        **nat(
            instance(1, "198.51.100.0/24", **{"bng-nat:vrf": "a"}),
            instance(2, "198.51.100.128/25", **{"bng-nat:vrf": "b"}),
        ),
    }
    with pytest.raises(NatConfigError) as info:
        items_of(doc)
    err = info.value
    assert err.tag == "invalid-value"
    assert "198.51.100.128/25 overlaps 198.51.100.0/24" in str(err)
    pool = "external-ip-address-pool[pool-id='1']/external-ip-pool"
    assert err.path == f"/ietf-nat:nat/instances/instance[id='2']/policy[id='1']/{pool}"


def test_timers_are_global_in_vpp_so_instances_must_agree() -> None:
    one = instance(1, "198.51.100.0/30")
    two = instance(2, "198.51.100.4/30")
    one["policy"][0]["timers"] = {"udp-timeout": 120}
    two["policy"][0]["timers"] = {"udp-timeout": 60}
    with pytest.raises(NatConfigError, match="timeouts are global"):
        items_of(nat(one, two))
    two["policy"][0]["timers"] = {"udp-timeout": 120}
    items = items_of(nat(one, two))
    assert value(items["nat44/timeouts"], Nat44TimeoutsValue) == Nat44TimeoutsValue(120, 7440, 240, 60)
    assert (
        calls(items["nat44/timeouts"])[1]
        == "nat_set_timeouts(udp=300, tcp_established=7440, tcp_transitory=240, icmp=60)"
    )


def test_a_disabled_instance_programs_nothing() -> None:
    assert items_of(nat(instance(1, "198.51.100.0/30", enable=False))) == {}


def test_a_deterministic_instance_is_a_det44_map() -> None:
    det = instance(3, "192.0.2.0/28", **{"bng-nat:mode": "deterministic", "bng-nat:inside-interface": [P0]})
    det["policy"][0]["subscriber-match"] = [{"match-id": 1, "subnet": "100.64.0.0/24"}]
    items = items_of({**interfaces(port(P0)), **nat(det)})
    assert value(items["det44/plugin"], Det44PluginValue) == Det44PluginValue(0, 0)
    m = items["det44-map/100.64.0.0/24"]
    assert value(m, Det44MapValue) == Det44MapValue("100.64.0.0/24", "192.0.2.0/28")
    assert (
        calls(m)[0]
        == "det44_add_del_map(is_add=True, in_addr=100.64.0.0, in_plen=24, out_addr=192.0.2.0, out_plen=28)"
    )
    assert f"det44-if/{P0}/inside" in items and "nat44/plugin" not in items


def test_an_interface_cannot_serve_dynamic_and_deterministic_instances() -> None:
    det = instance(3, "192.0.2.0/28", **{"bng-nat:mode": "deterministic", "bng-nat:inside-interface": [P0]})
    det["policy"][0]["subscriber-match"] = [{"match-id": 1, "subnet": "100.64.0.0/24"}]
    dyn = instance(1, "198.51.100.0/30", **{"bng-nat:inside-interface": [P0]})
    with pytest.raises(NatConfigError, match="both a dynamic and a deterministic"):
        items_of({**interfaces(port(P0)), **nat(dyn, det)})


def test_det44_arithmetic_is_vpps() -> None:
    # det44.c: 100.64.0.0/24 onto 192.0.2.0/28 -> 16 hosts per address, (65535 - 1023) / 16 = 4032 ports
    m = DetMap.of("100.64.0.0/24", "192.0.2.0/28")
    assert (m.sharing_ratio, m.ports_per_host) == (16, 4032)
    out, lo, hi = m.forward(ipaddress.IPv4Address("100.64.0.17"))
    assert (str(out), lo, hi) == ("192.0.2.1", 1024 + 4032, 1024 + 2 * 4032 - 1)
    assert str(m.reverse(out, lo)) == "100.64.0.17" and str(m.reverse(out, hi)) == "100.64.0.17"
    assert str(m.reverse(out, hi + 1)) == "100.64.0.18"
    for host in m.inside.hosts():
        o, first, last = m.forward(host)
        assert m.reverse(o, first) == host and m.reverse(o, last) == host
    assert not m.port_in_range(1023) and m.port_in_range(1024 + 16 * 4032 - 1)
    assert m.last_port == 65535
    # 2048 hosts on one address: 31 ports each (64512 / 2048 rounded down), the last 512 ports unused
    crowded = DetMap.of("10.0.0.0/21", "192.0.2.1/32")
    assert (crowded.ports_per_host, crowded.last_port) == (31, 64511) and not crowded.port_in_range(64512)
    with pytest.raises(ValueError, match="not in"):
        m.forward(ipaddress.IPv4Address("100.64.1.0"))


def test_nat_drop_counters_are_summed_by_reason_over_nat44_ed_nodes() -> None:
    from agent.features.nat.operational import nat_failures

    text = (
        "   Count                  Node                              Reason               Severity \n"
        "         2              ip4-arp                     ARP requests throttled         info   \n"
        "         7        nat44-ed-out2in                       no translation             error  \n"
        "         3   nat44-ed-in2out-slowpath                    out of ports              error  \n"
        "         4   nat44-ed-out2in-slowpath                    out of ports              error  \n"
        "         1   nat44-ed-in2out-slowpath            maximum sessions exceeded         error  \n"
    )
    assert nat_failures(text) == {"no-translation": 7, "out-of-ports": 7, "session-limit": 1}
