"""Bond interfaces through vpp-papi: create, members, dumps, link state and VPP's retvals."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import VppSim

LACP, XOR = 5, 3
L34 = 1
ADMIN_UP, LINK_UP = 1, 2


def test_bond_lifecycle_and_dumps(vppsim_factory: object) -> None:
    sim: VppSim = vppsim_factory(ports=3)  # type: ignore[operator]
    c = sim.client()
    r = c.api.bond_create2(mode=LACP, lb=L34)
    assert r.retval == 0
    bond = r.sw_if_index
    d = c.api.sw_interface_dump(sw_if_index=bond)[0]
    assert d.interface_name == "BondEthernet0" and d.interface_dev_type == "bond"
    # VPP 26.06 bonding/cli.c: a bond's carrier is up only while it is admin up with an active member,
    # so a new bond is down (recorded: tests/fixtures/vpp/bonds.json)
    assert int(d.flags) == 0
    assert c.api.bond_add_member(sw_if_index=1, bond_sw_if_index=bond, is_passive=False).retval == 0
    port1_mac = str(c.api.sw_interface_dump(sw_if_index=1)[0].l2_address)
    assert str(c.api.sw_interface_dump(sw_if_index=bond)[0].l2_address) == port1_mac  # first member's MAC
    assert c.api.bond_add_member(sw_if_index=2, bond_sw_if_index=bond, is_long_timeout=True).retval == 0
    bonds = c.api.sw_bond_interface_dump()
    assert [(b.sw_if_index, b.id, int(b.mode), int(b.lb), b.members) for b in bonds] == [
        (bond, 0, LACP, L34, 2)
    ]
    assert bonds[0].interface_name == "BondEthernet0" and bonds[0].active_members == 0
    members = c.api.sw_member_interface_dump(sw_if_index=bond)
    assert [(m.sw_if_index, m.interface_name, m.is_long_timeout) for m in members] == [
        (1, "GigabitEthernet0/8/0", False),
        (2, "GigabitEthernet0/9/0", True),
    ]
    # the carrier follows the active members: down while admin up without one, up with the first
    c.api.sw_interface_set_flags(sw_if_index=bond, flags=ADMIN_UP)
    assert int(c.api.sw_interface_dump(sw_if_index=bond)[0].flags) == ADMIN_UP
    assert c.api.sw_bond_interface_dump(sw_if_index=bond)[0].active_members == 0
    c.api.sw_interface_set_flags(sw_if_index=1, flags=ADMIN_UP)
    assert int(c.api.sw_interface_dump(sw_if_index=bond)[0].flags) == ADMIN_UP | LINK_UP
    assert c.api.sw_bond_interface_dump(sw_if_index=bond)[0].active_members == 1
    sim.ctl("link", sw_if_index=1, up=False)
    assert c.api.sw_bond_interface_dump(sw_if_index=bond)[0].active_members == 0
    assert int(c.api.sw_interface_dump(sw_if_index=bond)[0].flags) == ADMIN_UP
    sim.ctl("link", sw_if_index=1, up=True)
    assert c.api.sw_bond_interface_dump(sw_if_index=bond)[0].active_members == 1
    # a VLAN on the bond itself; on a member VPP 26.06 accepts one too (its -80 BOND_SLAVE_NOT_ALLOWED
    # test reads a flag nothing sets any more; the agent's model refuses it instead)
    assert c.api.create_vlan_subif(sw_if_index=bond, vlan_id=10).retval == 0
    member_vlan = c.api.create_vlan_subif(sw_if_index=1, vlan_id=10)
    assert member_vlan.retval == 0
    assert c.api.delete_subif(sw_if_index=member_vlan.sw_if_index).retval == 0
    assert c.api.bond_detach_member(sw_if_index=1).retval == 0
    assert c.api.bond_detach_member(sw_if_index=1).retval == -71  # INVALID_INTERFACE: not a member
    assert int(c.api.sw_interface_dump(sw_if_index=bond)[0].flags) == ADMIN_UP
    assert c.api.sw_bond_interface_dump(sw_if_index=bond)[0].active_members == 0
    assert c.api.bond_delete(sw_if_index=bond).retval == 0
    names = {x.interface_name for x in c.api.sw_interface_dump()}
    assert "BondEthernet0" not in names and "BondEthernet0.10" not in names
    assert c.api.sw_bond_interface_dump() == []
    assert c.api.bond_delete(sw_if_index=bond).retval == -2


def test_bond_ids_and_member_rules(vppsim: VppSim) -> None:
    c = vppsim.client()
    b5 = c.api.bond_create2(mode=XOR, lb=L34, id=5)
    assert b5.retval == 0
    assert c.api.sw_interface_dump(sw_if_index=b5.sw_if_index)[0].interface_name == "BondEthernet5"
    taken = c.api.bond_create2(mode=XOR, lb=L34, id=5)
    assert taken.retval == -147  # VNET_API_ERROR_INSTANCE_IN_USE
    # bonding/cli.c bond_create_if: without an id a bond's id is its bm->interfaces pool slot. BondEthernet5
    # took slot 0, the refused request put slot 1 back, so this one is BondEthernet1 (not 0)
    auto = c.api.bond_create2(mode=LACP, lb=L34)
    assert c.api.sw_interface_dump(sw_if_index=auto.sw_if_index)[0].interface_name == "BondEthernet1"
    b2 = c.api.bond_create2(mode=XOR, lb=L34, id=2)  # slot 2
    b4 = c.api.bond_create2(mode=XOR, lb=L34, id=4)  # slot 3
    assert (b2.retval, b4.retval) == (0, 0)
    assert c.api.bond_create2(mode=XOR, lb=L34).retval == -147  # slot 4 -> id 4, which is taken
    assert c.api.bond_delete(sw_if_index=b2.sw_if_index).retval == 0  # frees slot 2 and id 2
    again = c.api.bond_create2(mode=XOR, lb=L34)  # the most recently freed slot: 2
    assert again.retval == 0
    assert c.api.sw_interface_dump(sw_if_index=again.sw_if_index)[0].interface_name == "BondEthernet2"
    assert [b.id for b in c.api.sw_bond_interface_dump()] == [5, 1, 2, 4]
    assert c.api.bond_add_member(sw_if_index=1, bond_sw_if_index=1).retval == -71  # not a bond
    assert c.api.bond_add_member(sw_if_index=auto.sw_if_index, bond_sw_if_index=b5.sw_if_index).retval == -71
    # bonding/cli.c refuses only an interface whose hardware is a bond, so a sub-interface of a bond
    # is refused too, while a sub-interface of a NIC is accepted (dumped under its NIC's name)
    bond_sub = c.api.create_vlan_subif(sw_if_index=b5.sw_if_index, vlan_id=9).sw_if_index
    assert c.api.bond_add_member(sw_if_index=bond_sub, bond_sw_if_index=auto.sw_if_index).retval == -71
    sub = c.api.create_vlan_subif(sw_if_index=2, vlan_id=3).sw_if_index
    assert c.api.bond_add_member(sw_if_index=sub, bond_sw_if_index=auto.sw_if_index).retval == 0
    assert [
        (m.sw_if_index, m.interface_name)
        for m in c.api.sw_member_interface_dump(sw_if_index=auto.sw_if_index)
    ] == [(sub, "GigabitEthernet0/9/0")]
    # a sub-interface member is active when it is admin up and its NIC has carrier (the NIC is brought
    # up first: VPP refuses a sub-interface up under a down super-interface)
    c.api.sw_interface_set_flags(sw_if_index=2, flags=ADMIN_UP)
    c.api.sw_interface_set_flags(sw_if_index=sub, flags=ADMIN_UP)
    assert c.api.sw_bond_interface_dump(sw_if_index=auto.sw_if_index)[0].active_members == 1
    vppsim.ctl("link", sw_if_index=2, up=False)
    assert c.api.sw_bond_interface_dump(sw_if_index=auto.sw_if_index)[0].active_members == 0
    assert c.api.bond_detach_member(sw_if_index=sub).retval == 0
    assert c.api.bond_add_member(sw_if_index=1, bond_sw_if_index=b5.sw_if_index).retval == 0
    assert (
        c.api.bond_add_member(sw_if_index=1, bond_sw_if_index=auto.sw_if_index).retval == -81
    )  # VALUE_EXIST
    assert c.api.bond_add_member(sw_if_index=404, bond_sw_if_index=auto.sw_if_index).retval == -2
    assert c.api.sw_member_interface_dump(sw_if_index=1) == []  # not a bond: nothing
