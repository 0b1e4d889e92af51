"""Addresses, tables (VRFs), table binding, unnumbered and routes through vpp-papi, with VPP's retvals."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conftest import VppSim

NO_LABELS: list[dict[str, Any]] = [{}] * 16


def path(sw_if_index: int, nh: str | None = None, weight: int = 1, preference: int = 0) -> dict[str, Any]:
    p: dict[str, Any] = {
        "sw_if_index": sw_if_index,
        "table_id": 0,
        "weight": weight,
        "preference": preference,
        "proto": 0,
        "label_stack": NO_LABELS,
    }
    if nh:
        p["nh"] = {"address": {"ip4": nh}}
    return p


def routes(c: Any, table_id: int, is_ip6: bool = False) -> dict[str, Any]:
    return {
        str(r.route.prefix): r.route
        for r in c.api.ip_route_dump(table={"table_id": table_id, "is_ip6": is_ip6})
    }


def test_addresses_add_dump_delete_and_errors(vppsim: VppSim) -> None:
    c = vppsim.client()
    assert c.api.sw_interface_add_del_address(sw_if_index=1, is_add=True, prefix="10.0.0.1/24").retval == 0
    assert c.api.sw_interface_add_del_address(sw_if_index=1, is_add=True, prefix="2001:db8::1/64").retval == 0
    v4 = c.api.ip_address_dump(sw_if_index=1, is_ipv6=False)
    v6 = c.api.ip_address_dump(sw_if_index=1, is_ipv6=True)
    assert [str(a.prefix) for a in v4] == ["10.0.0.1/24"]
    assert [str(a.prefix) for a in v6] == ["2001:db8::1/64"]
    # the same address again, and an overlapping one on another interface in the same table
    assert c.api.sw_interface_add_del_address(sw_if_index=1, is_add=True, prefix="10.0.0.1/24").retval == -105
    assert c.api.sw_interface_add_del_address(sw_if_index=2, is_add=True, prefix="10.0.0.9/24").retval == -105
    # a covering prefix and a covered prefix conflict as well
    assert (
        c.api.sw_interface_add_del_address(sw_if_index=2, is_add=True, prefix="10.0.0.77/16").retval == -105
    )
    assert (
        c.api.sw_interface_add_del_address(sw_if_index=2, is_add=True, prefix="10.0.0.129/25").retval == -105
    )
    assert c.api.sw_interface_add_del_address(sw_if_index=2, is_add=True, prefix="10.0.1.1/24").retval == 0
    # IPv6: ip6_forward.c's overlap scan answers DUPLICATE_IF_ADDRESS, for the same address re-added too
    assert (
        c.api.sw_interface_add_del_address(sw_if_index=1, is_add=True, prefix="2001:db8::1/64").retval == -127
    )
    assert (
        c.api.sw_interface_add_del_address(sw_if_index=2, is_add=True, prefix="2001:db8::9/64").retval == -127
    )
    assert (
        c.api.sw_interface_add_del_address(sw_if_index=2, is_add=True, prefix="2001:db8::/48").retval == -127
    )
    assert c.api.sw_interface_add_del_address(sw_if_index=1, is_add=True, prefix="2001:db8::2/64").retval == 0
    assert [str(a.prefix) for a in c.api.ip_address_dump(sw_if_index=1, is_ipv6=True)] == [
        "2001:db8::1/64",
        "2001:db8::2/64",
    ]
    # a second address of the same prefix on the same interface is fine
    assert c.api.sw_interface_add_del_address(sw_if_index=1, is_add=True, prefix="10.0.0.2/24").retval == 0
    # deleting an address that is not there
    assert c.api.sw_interface_add_del_address(sw_if_index=1, is_add=False, prefix="10.9.9.9/24").retval == -60
    assert c.api.sw_interface_add_del_address(sw_if_index=1, is_add=False, prefix="10.0.0.2/24").retval == 0
    assert c.api.sw_interface_add_del_address(sw_if_index=77, is_add=True, prefix="10.1.0.1/24").retval == -2
    assert c.api.sw_interface_add_del_address(sw_if_index=1, del_all=True).retval == 0
    assert c.api.ip_address_dump(sw_if_index=1, is_ipv6=False) == []
    assert c.api.ip_address_dump(sw_if_index=1, is_ipv6=True) == []
    assert c.api.ip_address_dump(sw_if_index=4242, is_ipv6=False) == []


def test_interface_address_installs_connected_and_local_routes(vppsim: VppSim) -> None:
    c = vppsim.client()
    c.api.sw_interface_add_del_address(sw_if_index=1, is_add=True, prefix="192.0.2.1/24")
    # ip4_forward.c: the routes of an address exist only while its interface is admin up
    assert "192.0.2.0/24" not in routes(c, 0)
    c.api.sw_interface_set_flags(sw_if_index=1, flags=1)
    rt = routes(c, 0)
    # below /31 the network and broadcast addresses are /32 drop entries (ip4_add_interface_prefix_routes)
    assert int(rt["192.0.2.0/32"].paths[0].type) == 2 and int(rt["192.0.2.255/32"].paths[0].type) == 2
    assert str(rt["192.0.2.1/32"].paths[0].nh.address.ip4) == "192.0.2.1"  # the receive path's address
    assert "192.0.2.0/24" in rt and "192.0.2.1/32" in rt
    assert rt["192.0.2.1/32"].paths[0].sw_if_index == 1
    assert int(rt["192.0.2.1/32"].paths[0].type) == 1  # FIB_API_PATH_TYPE_LOCAL
    assert "0.0.0.0/0" in rt  # VPP's default drop entry
    c.api.sw_interface_add_del_address(sw_if_index=1, is_add=False, prefix="192.0.2.1/24")
    rt = routes(c, 0)
    assert "192.0.2.0/24" not in rt and "192.0.2.1/32" not in rt


def test_tables_and_binding(vppsim: VppSim) -> None:
    c = vppsim.client()
    # binding to a table that does not exist
    assert c.api.sw_interface_set_table(sw_if_index=1, vrf_id=10, is_ipv6=False).retval == -3
    assert c.api.ip_table_add_del(is_add=True, table={"table_id": 10, "name": "blue"}).retval == 0
    assert c.api.ip_table_add_del(is_add=True, table={"table_id": 10, "is_ip6": True}).retval == 0
    tables = {(t.table.table_id, t.table.is_ip6): t.table.name for t in c.api.ip_table_dump()}
    assert tables[(10, False)] == "blue" and tables[(0, False)] == "ipv4-VRF:0"
    assert (10, True) in tables
    assert c.api.sw_interface_set_table(sw_if_index=1, vrf_id=10, is_ipv6=False).retval == 0
    r = c.api.sw_interface_get_table(sw_if_index=1, is_ipv6=False)
    assert (r.retval, r.vrf_id) == (0, 10)
    assert c.api.sw_interface_get_table(sw_if_index=1, is_ipv6=True).vrf_id == 0
    # with an address, any (re)binding of that family is refused, even to the same table
    c.api.sw_interface_set_flags(sw_if_index=1, flags=1)  # an up interface, so its routes are installed
    c.api.sw_interface_add_del_address(sw_if_index=1, is_add=True, prefix="10.10.0.1/24")
    assert c.api.sw_interface_set_table(sw_if_index=1, vrf_id=0, is_ipv6=False).retval == -114
    assert c.api.sw_interface_set_table(sw_if_index=1, vrf_id=10, is_ipv6=False).retval == -114
    assert c.api.sw_interface_set_table(sw_if_index=1, vrf_id=0, is_ipv6=True).retval == 0  # other family
    # the connected route went into table 10, and the same prefix is free in table 0
    assert "10.10.0.0/24" in routes(c, 10) and "10.10.0.0/24" not in routes(c, 0)
    assert c.api.sw_interface_add_del_address(sw_if_index=2, is_add=True, prefix="10.10.0.1/24").retval == 0
    # deleting a missing table is not an error
    assert c.api.ip_table_add_del(is_add=False, table={"table_id": 99}).retval == 0


def test_unnumbered_retvals(vppsim: VppSim) -> None:
    c = vppsim.client()
    loop = c.api.create_loopback().sw_if_index
    c.api.sw_interface_add_del_address(sw_if_index=loop, is_add=True, prefix="100.64.0.1/32")
    sub = c.api.create_vlan_subif(sw_if_index=1, vlan_id=300).sw_if_index
    ok = c.api.sw_interface_set_unnumbered(sw_if_index=loop, unnumbered_sw_if_index=sub, is_add=True)
    assert ok.retval == 0
    assert (
        c.api.sw_interface_set_unnumbered(sw_if_index=loop, unnumbered_sw_if_index=999, is_add=True).retval
        == -2
    )
    assert (
        c.api.sw_interface_set_unnumbered(sw_if_index=999, unnumbered_sw_if_index=sub, is_add=True).retval
        == -10
    )
    assert "unnumbered, use loop0" in c.api.cli_inband(cmd="show interface address").reply
    # removal only looks at the unnumbered interface (VPP checks sw_if_index on add only)
    assert (
        c.api.sw_interface_set_unnumbered(sw_if_index=999, unnumbered_sw_if_index=sub, is_add=False).retval
        == 0
    )
    assert "unnumbered" not in c.api.cli_inband(cmd="show interface address").reply


def test_ucmp_route_with_weights_and_preference(vppsim: VppSim) -> None:
    c = vppsim.client()
    c.api.ip_table_add_del(is_add=True, table={"table_id": 7, "name": "red"})
    route = {
        "table_id": 7,
        "prefix": "203.0.113.0/24",
        "n_paths": 2,
        "paths": [path(1, "10.0.0.2", weight=3), path(2, "10.0.1.2", weight=1, preference=1)],
    }
    r = c.api.ip_route_add_del(is_add=True, is_multipath=False, route=route)
    assert r.retval == 0
    got = routes(c, 7)["203.0.113.0/24"]
    assert got.n_paths == 2
    assert sorted((p.sw_if_index, p.weight, p.preference, str(p.nh.address.ip4)) for p in got.paths) == [
        (1, 3, 0, "10.0.0.2"),
        (2, 1, 1, "10.0.1.2"),
    ]
    # multipath add appends a path; multipath delete removes just that one
    extra = {**route, "n_paths": 1, "paths": [path(1, "10.0.0.3", weight=2)]}
    assert c.api.ip_route_add_del(is_add=True, is_multipath=True, route=extra).retval == 0
    assert routes(c, 7)["203.0.113.0/24"].n_paths == 3
    assert c.api.ip_route_add_del(is_add=False, is_multipath=True, route=extra).retval == 0
    assert routes(c, 7)["203.0.113.0/24"].n_paths == 2
    # a plain add replaces the path set; a weight of 0 reads back as 1
    single = {**route, "n_paths": 1, "paths": [path(2, "10.0.1.9", weight=0)]}
    assert c.api.ip_route_add_del(is_add=True, is_multipath=False, route=single).retval == 0
    paths = routes(c, 7)["203.0.113.0/24"].paths
    assert [(p.sw_if_index, p.weight) for p in paths] == [(2, 1)]
    # a plain delete removes the prefix
    assert (
        c.api.ip_route_add_del(
            is_add=False, is_multipath=False, route={**route, "n_paths": 0, "paths": []}
        ).retval
        == 0
    )
    assert "203.0.113.0/24" not in routes(c, 7)


def test_route_errors(vppsim: VppSim) -> None:
    c = vppsim.client()
    missing = {"table_id": 55, "prefix": "198.51.100.0/24", "n_paths": 1, "paths": [path(1, "10.0.0.2")]}
    assert c.api.ip_route_add_del(is_add=True, route=missing).retval == -3  # NO_SUCH_FIB
    no_paths = {"table_id": 0, "prefix": "198.51.100.0/24", "n_paths": 0, "paths": []}
    assert c.api.ip_route_add_del(is_add=True, is_multipath=False, route=no_paths).retval == -52
    assert c.api.ip_route_add_del(is_add=True, is_multipath=True, route=no_paths).retval == -52
    # dumping a missing table gives nothing; replace on a missing table is NO_SUCH_FIB
    assert c.api.ip_route_dump(table={"table_id": 55}) == []
    assert c.api.ip_table_replace_begin(table={"table_id": 55}).retval == -3
    assert c.api.ip_table_replace_end(table={"table_id": 55}).retval == -3


def test_table_replace_sweeps_routes_not_readded(vppsim: VppSim) -> None:
    c = vppsim.client()
    c.api.ip_table_add_del(is_add=True, table={"table_id": 3})
    c.api.sw_interface_set_table(sw_if_index=1, vrf_id=3)
    c.api.sw_interface_set_flags(sw_if_index=1, flags=1)
    c.api.sw_interface_add_del_address(sw_if_index=1, is_add=True, prefix="10.3.0.1/24")
    nets = [ipaddress.ip_network(f"172.16.{i}.0/24") for i in range(4)]
    for n in nets:
        rt = {"table_id": 3, "prefix": str(n), "n_paths": 1, "paths": [path(1, "10.3.0.2")]}
        assert c.api.ip_route_add_del(is_add=True, route=rt).retval == 0
    assert c.api.ip_table_replace_begin(table={"table_id": 3}).retval == 0
    for n in nets[:2]:
        rt = {"table_id": 3, "prefix": str(n), "n_paths": 1, "paths": [path(1, "10.3.0.2")]}
        c.api.ip_route_add_del(is_add=True, route=rt)
    assert c.api.ip_table_replace_end(table={"table_id": 3}).retval == 0
    rt = routes(c, 3)
    assert [str(n) in rt for n in nets] == [True, True, False, False]
    assert "10.3.0.0/24" in rt  # the interface's own routes are not the API's to sweep


def test_ipv6_table_route_and_address(vppsim: VppSim) -> None:
    c = vppsim.client()
    assert (
        c.api.ip_table_add_del(is_add=True, table={"table_id": 6, "is_ip6": True, "name": "v6"}).retval == 0
    )
    assert c.api.sw_interface_set_table(sw_if_index=2, vrf_id=6, is_ipv6=True).retval == 0
    assert c.api.sw_interface_set_flags(sw_if_index=2, flags=1).retval == 0
    assert (
        c.api.sw_interface_add_del_address(sw_if_index=2, is_add=True, prefix="2001:db8:6::1/64").retval == 0
    )
    p = {
        "sw_if_index": 2,
        "weight": 1,
        "proto": 1,  # FIB_API_PATH_NH_PROTO_IP6
        "nh": {"address": {"ip6": "2001:db8:6::2"}},
        "label_stack": NO_LABELS,
    }
    route = {"table_id": 6, "prefix": "2001:db8:100::/48", "n_paths": 1, "paths": [p]}
    assert c.api.ip_route_add_del(is_add=True, route=route).retval == 0
    got = routes(c, 6, is_ip6=True)
    assert str(got["2001:db8:100::/48"].paths[0].nh.address.ip6) == "2001:db8:6::2"
    assert "2001:db8:6::/64" in got and "2001:db8:6::1/128" in got
    assert "::/0" in got
    # the IPv4 side of the interface stays in table 0
    assert c.api.sw_interface_get_table(sw_if_index=2, is_ipv6=False).vrf_id == 0


def test_deleted_table_lives_while_interfaces_are_bound(vppsim: VppSim) -> None:
    c = vppsim.client()
    c.api.ip_table_add_del(is_add=True, table={"table_id": 20})
    c.api.sw_interface_set_table(sw_if_index=1, vrf_id=20)
    rt = {"table_id": 20, "prefix": "192.0.2.0/24", "n_paths": 1, "paths": [path(1, "10.0.0.2")]}
    c.api.ip_route_add_del(is_add=True, route=rt)
    assert c.api.ip_table_add_del(is_add=False, table={"table_id": 20}).retval == 0
    # the API's routes are flushed, but the interface still holds the table
    assert 20 in {t.table.table_id for t in c.api.ip_table_dump()}
    assert "192.0.2.0/24" not in routes(c, 20)
    assert c.api.sw_interface_get_table(sw_if_index=1, is_ipv6=False).vrf_id == 20
    # moving the last interface out frees it
    assert c.api.sw_interface_set_table(sw_if_index=1, vrf_id=0).retval == 0
    assert 20 not in {t.table.table_id for t in c.api.ip_table_dump()}
