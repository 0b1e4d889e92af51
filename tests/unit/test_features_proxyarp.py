"""The proxy-ARP feature's mapping without VPP: which items proxy-arp and the neighbour limits yield, the
calls they render, and the ranges' dependence on the lender's addresses and the interface's VRF."""

from __future__ import annotations

from typing import Any

from _feature_helpers import P0, calls, interfaces, items_of, port, sub

from agent.features import registry
from agent.features.proxyarp.items import host_range
from agent.vpp.config import RootId

LOOP = {
    "name": "lo1",
    "type": "iana-if-type:softwareLoopback",
    "ietf-ip:ipv4": {
        "address": [
            {"ip": "100.64.0.1", "prefix-length": 22},
            {"ip": "10.0.0.1", "netmask": "255.255.255.252"},
        ]
    },
}


def borrower(sub_id: int, **extra: Any) -> dict[str, Any]:
    ipv4 = {"bng-interfaces:unnumbered": {"use-interface": "lo1"}, "bng-interfaces:proxy-arp": True}
    return sub(sub_id, **{"ietf-ip:ipv4": ipv4}, **extra)


def test_host_range_leaves_out_network_and_broadcast() -> None:
    assert host_range("100.64.0.1/22") == ("100.64.0.1", "100.64.3.254")
    assert host_range("10.0.0.9/30") == ("10.0.0.9", "10.0.0.10")
    assert host_range("10.0.0.1/31") is None and host_range("10.0.0.1/32") is None


def test_an_unnumbered_access_interface_proxies_the_lenders_subnets() -> None:
    items = items_of(interfaces(port(), LOOP, borrower(100)))
    assert calls(items[f"proxy-arp/{P0}.100"]) == (
        f"proxy_arp_intfc_enable_disable(sw_if_index=<{P0}.100>, enable=True)",
        f"proxy_arp_intfc_enable_disable(sw_if_index=<{P0}.100>, enable=False)",
    )
    assert items[f"proxy-arp/{P0}.100"].deps == (f"interface/{P0}.100",)
    ranges = sorted(k for k in items if k.startswith("proxy-arp-range/"))
    assert ranges == ["proxy-arp-range/0/10.0.0.1-10.0.0.2", "proxy-arp-range/0/100.64.0.1-100.64.3.254"]
    assert calls(items["proxy-arp-range/0/100.64.0.1-100.64.3.254"])[0] == (
        "proxy_arp_add_del(is_add=True, proxy={table_id=0, low=100.64.0.1, hi=100.64.3.254})"
    )


def test_a_delete_of_a_range_vpp_no_longer_holds_is_accepted() -> None:
    items = items_of(interfaces(port(), LOOP, borrower(100)))
    desc = registry.DESCRIPTORS["proxy-arp-range"]
    delete = desc.delete(items["proxy-arp-range/0/100.64.0.1-100.64.3.254"])
    assert delete is not None and delete.ok_retvals == (0, -6)
    assert desc.shared


def test_proxy_arp_false_or_absent_yields_nothing() -> None:
    off = sub(
        7,
        **{
            "ietf-ip:ipv4": {
                "bng-interfaces:proxy-arp": False,
                "address": [{"ip": "10.7.0.1", "prefix-length": 24}],
            }
        },
    )
    items = items_of(interfaces(port(), off))
    assert not [k for k in items if k.startswith("proxy-arp")]


def test_a_vrf_interface_proxies_in_its_table_after_the_table_exists() -> None:
    own = sub(
        7,
        **{
            "bng-vrf:vrf": "a",
            "ietf-ip:ipv4": {
                "bng-interfaces:proxy-arp": True,
                "address": [{"ip": "10.7.0.1", "prefix-length": 24}],
            },
        },
    )
    doc = {**interfaces(port(), own), "bng-vrf:vrfs": {"vrf": [{"name": "a", "table-id": 5}]}}
    it = items_of(doc)["proxy-arp-range/5/10.7.0.1-10.7.0.254"]
    assert it.deps == ("vrf/a/ipv4",)


def test_the_borrower_reads_its_lender() -> None:
    assert list(registry.ROOTS.references(RootId("if", f"{P0}.100"), borrower(100))) == [RootId("if", "lo1")]
    plain = sub(9, **{"ietf-ip:ipv4": {"bng-interfaces:unnumbered": {"use-interface": "lo1"}}})
    assert list(registry.ROOTS.references(RootId("if", f"{P0}.9"), plain)) == []


def test_neighbor_limits_per_family_with_vpps_defaults_for_what_is_left_out() -> None:
    items = items_of({"bng-interfaces:neighbor-limits": {"ipv6": {"max-entries": 2000}}})
    assert list(items) == ["neighbor-limits/ipv6"]
    assert calls(items["neighbor-limits/ipv6"]) == (
        "ip_neighbor_config(af=1, max_number=2000, max_age=0, recycle=False)",
        "ip_neighbor_config(af=1, max_number=50000, max_age=0, recycle=False)",
    )
