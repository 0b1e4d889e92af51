"""Interfaces through vpp-papi: start-up state, loopbacks, sub-interfaces, flags, MTU, tags, and the
return values VPP gives for each misuse."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conftest import VppSim

ALL = 0xFFFFFFFF
ADMIN_UP, LINK_UP = 1, 2
ONE_TAG, TWO_TAGS, DOT1AD, EXACT_MATCH = 2, 4, 8, 16


def by_name(c: Any) -> dict[str, Any]:
    return {d.interface_name: d for d in c.api.sw_interface_dump()}


def test_start_state_is_local0_and_pci_named_ports_admin_down_link_up(vppsim_factory: Any) -> None:
    sim: VppSim = vppsim_factory(ports=3)
    c = sim.client()
    dump = c.api.sw_interface_dump()
    assert [(d.sw_if_index, d.interface_name) for d in dump] == [
        (0, "local0"),
        (1, "GigabitEthernet0/8/0"),
        (2, "GigabitEthernet0/9/0"),
        (3, "GigabitEthernet0/a/0"),
    ]
    local0, *ports = dump
    assert int(local0.flags) == 0
    macs = set()
    for p in ports:
        assert int(p.flags) == LINK_UP  # cable in, admin down: VPP's state after start
        assert p.link_speed == 1_000_000  # kbps
        assert p.sup_sw_if_index == p.sw_if_index
        assert p.interface_dev_type == "dpdk"
        assert p.link_mtu == 9000
        macs.add(str(p.l2_address))
    assert len(macs) == 3 and "00:00:00:00:00:00" not in macs


def test_admin_up_and_down_show_in_dump(vppsim: VppSim) -> None:
    c = vppsim.client()
    assert c.api.sw_interface_set_flags(sw_if_index=1, flags=ADMIN_UP).retval == 0
    assert int(by_name(c)["GigabitEthernet0/8/0"].flags) == ADMIN_UP | LINK_UP
    assert c.api.sw_interface_set_flags(sw_if_index=1, flags=0).retval == 0
    assert int(by_name(c)["GigabitEthernet0/8/0"].flags) == LINK_UP


def test_invalid_sw_if_index_is_minus_2_everywhere(vppsim: VppSim) -> None:
    c = vppsim.client()
    assert c.api.sw_interface_set_flags(sw_if_index=99, flags=ADMIN_UP).retval == -2
    assert c.api.sw_interface_set_mtu(sw_if_index=99, mtu=[1500, 0, 0, 0]).retval == -2
    assert c.api.sw_interface_tag_add_del(sw_if_index=99, is_add=True, tag="x").retval == -2
    assert c.api.create_vlan_subif(sw_if_index=99, vlan_id=10).retval == -2
    r = c.api.create_subif(sw_if_index=99, sub_id=1, sub_if_flags=ONE_TAG, outer_vlan_id=1)
    assert (r.retval, r.sw_if_index) == (-2, ALL)
    assert c.api.delete_subif(sw_if_index=99).retval == -2
    assert c.api.delete_loopback(sw_if_index=99).retval == -2
    assert c.api.sw_interface_get_table(sw_if_index=99, is_ipv6=False).retval == -2


def test_loopbacks_get_lowest_free_instance_and_freed_index_is_reused(vppsim: VppSim) -> None:
    c = vppsim.client()
    a = c.api.create_loopback()
    b = c.api.create_loopback()
    assert (a.retval, b.retval) == (0, 0)
    assert (a.sw_if_index, b.sw_if_index) == (3, 4)
    names = by_name(c)
    assert names["loop0"].sw_if_index == 3 and names["loop1"].sw_if_index == 4
    assert str(names["loop0"].l2_address) == "de:ad:00:00:00:00"  # VPP's default loopback MAC
    assert c.api.delete_loopback(sw_if_index=3).retval == 0
    again = c.api.create_loopback()
    # pool_get reuses the freed sw_if_index, and the instance bitmap gives loop0 again
    assert again.sw_if_index == 3
    assert by_name(c)["loop0"].sw_if_index == 3
    # a physical port is not a loopback
    assert c.api.delete_loopback(sw_if_index=1).retval == -2


def test_loopback_link_follows_admin_state(vppsim: VppSim) -> None:
    c = vppsim.client()
    idx = c.api.create_loopback().sw_if_index
    assert int(c.api.sw_interface_dump(sw_if_index=idx)[0].flags) == 0
    c.api.sw_interface_set_flags(sw_if_index=idx, flags=ADMIN_UP)
    assert int(c.api.sw_interface_dump(sw_if_index=idx)[0].flags) == ADMIN_UP | LINK_UP


def test_vlan_subif_name_flags_and_duplicate(vppsim: VppSim) -> None:
    c = vppsim.client()
    r = c.api.create_vlan_subif(sw_if_index=1, vlan_id=100)
    assert r.retval == 0
    d = c.api.sw_interface_dump(sw_if_index=r.sw_if_index)[0]
    assert d.interface_name == "GigabitEthernet0/8/0.100"
    assert d.sup_sw_if_index == 1
    assert d.sub_id == 100 and d.sub_number_of_tags == 1 and d.sub_outer_vlan_id == 100
    assert int(d.sub_if_flags) == ONE_TAG | EXACT_MATCH
    assert int(d.type) == 1  # IF_API_TYPE_SUB
    assert str(d.l2_address) == "00:00:00:00:00:00"  # VPP sends the MAC for hardware interfaces only
    dup = c.api.create_vlan_subif(sw_if_index=1, vlan_id=100)
    assert (dup.retval, dup.sw_if_index) == (-56, ALL)  # VNET_API_ERROR_VLAN_ALREADY_EXISTS
    # the tag is taken by a sub-interface with another sub_id: vnet_create_sw_interface fails and
    # create_vlan_subif reports VNET_API_ERROR_INVALID_REGISTRATION
    other = c.api.create_subif(sw_if_index=1, sub_id=5000, sub_if_flags=ONE_TAG, outer_vlan_id=600)
    assert other.retval == 0
    assert c.api.create_vlan_subif(sw_if_index=1, vlan_id=600).retval == -31
    assert c.api.create_vlan_subif(sw_if_index=1, vlan_id=0).retval == -55  # INVALID_VLAN
    assert c.api.create_vlan_subif(sw_if_index=1, vlan_id=4096).retval == -55


def test_qinq_dot1ad_exact_match_subif(vppsim: VppSim) -> None:
    c = vppsim.client()
    flags = TWO_TAGS | DOT1AD | EXACT_MATCH
    r = c.api.create_subif(sw_if_index=2, sub_id=1001, sub_if_flags=flags, outer_vlan_id=10, inner_vlan_id=20)
    assert r.retval == 0
    d = c.api.sw_interface_dump(sw_if_index=r.sw_if_index)[0]
    assert d.interface_name == "GigabitEthernet0/9/0.1001"
    assert (d.sub_number_of_tags, d.sub_outer_vlan_id, d.sub_inner_vlan_id) == (2, 10, 20)
    assert int(d.sub_if_flags) == flags
    # same sub_id on the same parent
    again = c.api.create_subif(
        sw_if_index=2, sub_id=1001, sub_if_flags=flags, outer_vlan_id=11, inner_vlan_id=1
    )
    # vnet_create_sub_interface: the (sup, id) key is taken -> VNET_API_ERROR_VLAN_ALREADY_EXISTS
    assert again.retval == -56
    # same tags under another sub_id: the ethernet slot is taken
    clash = c.api.create_subif(
        sw_if_index=2, sub_id=7, sub_if_flags=flags, outer_vlan_id=10, inner_vlan_id=20
    )
    assert clash.retval == -1
    # the failed creations did not use up an index
    nxt = c.api.create_loopback().sw_if_index
    assert nxt == r.sw_if_index + 1


def test_delete_subif_rules_and_parent_delete_removes_children(vppsim: VppSim) -> None:
    c = vppsim.client()
    loop = c.api.create_loopback().sw_if_index
    sub = c.api.create_vlan_subif(sw_if_index=loop, vlan_id=5).sw_if_index
    assert c.api.delete_subif(sw_if_index=loop).retval == -98  # INVALID_SUB_SW_IF_INDEX
    assert c.api.delete_loopback(sw_if_index=loop).retval == 0
    names = by_name(c)
    assert "loop0" not in names and "loop0.5" not in names
    assert c.api.delete_subif(sw_if_index=sub).retval == -2
    s2 = c.api.create_vlan_subif(sw_if_index=1, vlan_id=7).sw_if_index
    assert c.api.delete_subif(sw_if_index=s2).retval == 0
    assert "GigabitEthernet0/8/0.7" not in by_name(c)


def test_name_filter_is_substring_and_wins_over_index(vppsim: VppSim) -> None:
    c = vppsim.client()
    for _ in range(11):
        c.api.create_loopback()
    got = [d.interface_name for d in c.api.sw_interface_dump(name_filter_valid=True, name_filter="loop1")]
    assert got == ["loop1", "loop10"]
    got = [d.interface_name for d in c.api.sw_interface_dump(name_filter_valid=True, name_filter="LOOP10")]
    assert got == ["loop10"]  # strcasestr
    got = c.api.sw_interface_dump(sw_if_index=1, name_filter_valid=True, name_filter="loop10")
    assert [d.interface_name for d in got] == ["loop10"]
    assert c.api.sw_interface_dump(sw_if_index=12345) == []


def test_mtu_and_tag(vppsim: VppSim) -> None:
    c = vppsim.client()
    assert c.api.sw_interface_set_mtu(sw_if_index=1, mtu=[1500, 0, 1400, 0]).retval == 0
    assert list(c.api.sw_interface_dump(sw_if_index=1)[0].mtu) == [1500, 0, 1400, 0]
    assert c.api.sw_interface_tag_add_del(sw_if_index=1, is_add=True, tag="bng:uplink").retval == 0
    assert c.api.sw_interface_dump(sw_if_index=1)[0].tag == "bng:uplink"
    assert c.api.sw_interface_tag_add_del(sw_if_index=1, is_add=True, tag="").retval == -7
    assert c.api.sw_interface_tag_add_del(sw_if_index=1, is_add=False).retval == 0
    assert c.api.sw_interface_dump(sw_if_index=1)[0].tag == ""


def test_show_version_and_cli(vppsim: VppSim) -> None:
    c = vppsim.client()
    v = c.api.show_version()
    assert v.retval == 0 and v.version.startswith("26.06") and v.program == "vpe"
    assert "26.06" in c.api.cli_inband(cmd="show version").reply
    c.api.create_vlan_subif(sw_if_index=1, vlan_id=42)
    out = c.api.cli_inband(cmd="show interface").reply
    assert "GigabitEthernet0/8/0.42" in out and "local0" in out
    bad = c.api.cli_inband(cmd="show frobnicate")
    assert bad.retval == 0 and "unknown input" in bad.reply


def test_link_speed_follows_carrier_and_dev_types_are_device_class_names(vppsim: VppSim) -> None:
    c = vppsim.client()
    sub = c.api.create_vlan_subif(sw_if_index=1, vlan_id=7).sw_if_index
    loop = c.api.create_loopback().sw_if_index
    bond = c.api.bond_create2(mode=1, lb=0).sw_if_index
    dump = {d.sw_if_index: d for d in c.api.sw_interface_dump()}
    # interface_dev_type is the device class name of the (parent's) hardware interface
    assert [dump[i].interface_dev_type for i in (0, 1, sub, loop, bond)] == [
        "local",
        "dpdk",
        "dpdk",
        "Loopback",
        "bond",
    ]
    assert dump[1].link_speed == dump[sub].link_speed == 1_000_000
    assert dump[loop].link_speed == 0 and dump[bond].link_speed == 0  # no speed is ever set on these
    # the NIC loses carrier: DPDK reports speed 0, and the sub-interface shares the NIC's hardware
    assert vppsim.ctl("link", sw_if_index=1, up=False)["ok"]
    dump = {d.sw_if_index: d for d in c.api.sw_interface_dump()}
    assert dump[1].link_speed == 0 and dump[sub].link_speed == 0
    assert int(dump[1].flags) & LINK_UP == 0 and int(dump[sub].flags) & LINK_UP == 0
    assert vppsim.ctl("link", sw_if_index=1, up=True)["ok"]
    assert c.api.sw_interface_dump(sw_if_index=sub)[0].link_speed == 1_000_000
