"""``bond.api`` messages (``src/vnet/bonding/bond_api.c`` and ``cli.c``)."""

from __future__ import annotations

from typing import Any

from vppsim import errno
from vppsim.features.bonds.state import VALID_LB, VALID_MODES, Bond, Member
from vppsim.features.interfaces.state import IfKind
from vppsim.handlers.registry import REGISTRY, Call, Reply

ALL = 0xFFFFFFFF


@REGISTRY.handler("bond_create2")
def bond_create2(call: Call, msg: Any) -> Reply:
    # bonding/cli.c bond_create_if: the bond takes a slot of bm->interfaces (pool_get: the most
    # recently freed one first); id ~0 means "id = that slot" (not the lowest free id), and an id that is
    # taken -- asked for, or picked that way -- is INSTANCE_IN_USE (the slot goes back to the pool).
    # The interface is "BondEthernet<id>", admin down, with its carrier up from the start.
    emu = call.emu
    mode, lb = int(msg.mode), int(msg.lb)
    if mode not in VALID_MODES or lb not in VALID_LB:
        # bond_api.c vl_api_bond_create2_t_handler replies with the args' sw_if_index, which stays 0
        # (the args are zeroed) when bond_create_if fails (recorded: tests/fixtures/vpp/bonds.json)
        return {"retval": errno.INVALID_ARGUMENT, "sw_if_index": 0}
    dev = emu.bonds.allocate_dev_instance()
    instance = int(msg.id)
    if instance == ALL:
        instance = dev
    if emu.bonds.instance_in_use(instance):
        emu.bonds.release_dev_instance(dev)
        return {"retval": errno.INSTANCE_IN_USE, "sw_if_index": 0}
    mac = bytes(msg.mac_address.packed) if msg.use_custom_mac else emu.next_mac()
    intf = emu.create_interface(
        # a new bond has no active member: its carrier is down (see Emulator._bond_link)
        IfKind.BOND,
        f"BondEthernet{instance}",
        mac=mac,
        dev_type="bond",
        instance=instance,
        hw_link_up=False,
    )
    emu.bonds.add(
        Bond(intf.sw_if_index, instance, mode, lb, bool(msg.numa_only), bool(msg.use_custom_mac)), dev
    )
    return {"retval": errno.OK, "sw_if_index": intf.sw_if_index}


@REGISTRY.handler("bond_delete")
def bond_delete(call: Call, msg: Any) -> Reply:
    # cli.c bond_delete_if: not a bond -> INVALID_SW_IF_INDEX; members are detached first.
    emu = call.emu
    bond = emu.bonds.get(msg.sw_if_index)
    intf = emu.interfaces.get(msg.sw_if_index)
    if bond is None or intf is None:
        return {"retval": errno.INVALID_SW_IF_INDEX}
    for m in list(bond.members):
        emu.bonds.detach(m.sw_if_index)
    emu.bonds.remove(bond.sw_if_index)
    emu.delete_interface(intf)
    return {"retval": errno.OK}


@REGISTRY.handler("bond_add_member")
def bond_add_member(call: Call, msg: Any) -> Reply:
    # bond_api.c VALIDATE_SW_IF_INDEX, then bonding/cli.c bond_add_member in its order: the bond must
    # exist (INVALID_INTERFACE), the interface must not be a member already (VALUE_EXIST), and its
    # hardware interface (vnet_get_sup_hw_interface: a sub-interface's parent) must not be a bond
    # (INVALID_INTERFACE). There is no check of the member's type beyond that, so VPP accepts a
    # sub-interface or a loopback as a member. Without a custom MAC the bond takes its first member's
    # hardware MAC.
    emu = call.emu
    member = emu.interfaces.get(msg.sw_if_index)
    if member is None:
        return {"retval": errno.INVALID_SW_IF_INDEX}
    bond = emu.bonds.get(msg.bond_sw_if_index)
    if bond is None:
        return {"retval": errno.INVALID_INTERFACE}
    if emu.bonds.bond_of(member.sw_if_index) is not None:
        return {"retval": errno.VALUE_EXIST}
    hw = emu.interfaces.get(member.sup_sw_if_index) if member.is_sub else member
    if hw is None or hw.kind is IfKind.BOND:
        return {"retval": errno.INVALID_INTERFACE}
    emu.bonds.add_member(bond, Member(member.sw_if_index, bool(msg.is_passive), bool(msg.is_long_timeout)))
    bond_intf = emu.interfaces.get(bond.sw_if_index)
    if bond_intf is not None and not bond.custom_mac and len(bond.members) == 1:
        bond_intf.mac = member.mac
    emu.refresh_bond_link(bond)
    return {"retval": errno.OK}


@REGISTRY.handler("bond_detach_member")
def bond_detach_member(call: Call, msg: Any) -> Reply:
    # cli.c bond_detach_member: an interface that is no member -> INVALID_INTERFACE.
    emu = call.emu
    if msg.sw_if_index not in emu.interfaces:
        return {"retval": errno.INVALID_SW_IF_INDEX}
    bond = emu.bonds.detach(msg.sw_if_index)
    if bond is None:
        return {"retval": errno.INVALID_INTERFACE}
    emu.refresh_bond_link(bond)
    return {"retval": errno.OK}


@REGISTRY.handler("sw_bond_interface_dump")
def sw_bond_interface_dump(call: Call, msg: Any) -> Reply:
    emu = call.emu
    out = []
    for bond in emu.bonds.all():
        if msg.sw_if_index not in (ALL, bond.sw_if_index):
            continue
        intf = emu.interfaces.get(bond.sw_if_index)
        assert intf is not None
        out.append(
            {
                "sw_if_index": bond.sw_if_index,
                "id": bond.instance,
                "mode": bond.mode,
                "lb": bond.lb,
                "numa_only": bond.numa_only,
                "active_members": len(emu.active_members(bond)),
                "members": len(bond.members),
                "interface_name": intf.name,
            }
        )
    return out


@REGISTRY.handler("sw_member_interface_dump")
def sw_member_interface_dump(call: Call, msg: Any) -> Reply:
    emu = call.emu
    bond = emu.bonds.get(msg.sw_if_index)
    if bond is None:
        return []
    out = []
    for m in bond.members:
        intf = emu.interfaces.get(m.sw_if_index)
        assert intf is not None
        # bonding/cli.c bond_dump_member_ifs names the member's hardware interface (hi->name), which for
        # a sub-interface member is its parent NIC
        hw = emu.interfaces.get(intf.sup_sw_if_index) if intf.is_sub else intf
        out.append(
            {
                "sw_if_index": m.sw_if_index,
                "interface_name": (hw or intf).name,
                "is_passive": m.is_passive,
                "is_long_timeout": m.is_long_timeout,
                "is_local_numa": False,
                "weight": m.weight,
            }
        )
    return out
