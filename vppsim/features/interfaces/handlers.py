"""``interface.api`` messages with the semantics of ``src/vnet/interface_api.c`` and ``interface.c``, and
``ip_address_dump`` (``src/vnet/ip/ip_api.c``)."""

from __future__ import annotations

import ipaddress
from typing import Any

from vppsim import errno
from vppsim.features.interfaces.state import (
    SUB_IF_DEFAULT,
    SUB_IF_DOT1AD,
    SUB_IF_EXACT_MATCH,
    SUB_IF_NO_TAGS,
    SUB_IF_ONE_TAG,
    SUB_IF_TWO_TAGS,
    IfKind,
    Interface,
)
from vppsim.handlers.registry import REGISTRY, Call, Reply

ALL = 0xFFFFFFFF


def _rv(code: int, **fields: Any) -> dict[str, Any]:
    return {"retval": code, **fields}


@REGISTRY.handler("sw_interface_dump")
def sw_interface_dump(call: Call, msg: Any) -> Reply:
    # interface_api.c vl_api_sw_interface_dump_t_handler: a name filter is a case-insensitive substring
    # match (strcasestr: "loop1" returns loop1 and loop10) and wins over sw_if_index; sw_if_index 0 or
    # ~0 means all interfaces.
    emu = call.emu
    if not msg.name_filter_valid and msg.sw_if_index not in (0, ALL):
        intf = emu.interfaces.get(msg.sw_if_index)
        return [] if intf is None else [emu.details(intf)]
    intfs = emu.interfaces.all()
    if msg.name_filter_valid:
        wanted = msg.name_filter.lower()
        intfs = [i for i in intfs if wanted in i.name.lower()]
    return [emu.details(i) for i in intfs]


@REGISTRY.handler("want_interface_events")
def want_interface_events(call: Call, msg: Any) -> Reply:
    # interface_api.c: pub_sub_handler (interface_events, INTERFACE_EVENTS) from
    # vlibapi/api_helper_macros.h: enabling twice, or disabling without a registration, is
    # VNET_API_ERROR_INVALID_REGISTRATION; the pid is echoed in every event.
    clients = call.emu.event_clients
    registered = call.session in clients
    if msg.enable_disable:
        if registered:
            return _rv(errno.INVALID_REGISTRATION)
        clients[call.session] = int(msg.pid)
    else:
        if not registered:
            return _rv(errno.INVALID_REGISTRATION)
        del clients[call.session]
    return _rv(errno.OK)


@REGISTRY.handler("sw_interface_set_flags")
def sw_interface_set_flags(call: Call, msg: Any) -> Reply:
    # interface_api.c: VALIDATE_SW_IF_INDEX, then only the admin bit is used; an event is sent when the
    # state actually changes (vnet_sw_interface_set_flags returns early otherwise).
    intf = call.emu.interfaces.get(msg.sw_if_index)
    if intf is None:
        return _rv(errno.INVALID_SW_IF_INDEX)
    up = bool(int(msg.flags) & 1)
    if intf.is_sub and up != intf.admin_up:
        # interface.c vnet_sw_interface_set_flags_helper: a sub-interface may take its super-interface's
        # admin state, or go down while the super is up; anything else is "super-interface %U must be
        # %U", an error the handler reports as retval -1
        sup = call.emu.interfaces.get(intf.sup_sw_if_index)
        if sup is not None and up and not sup.admin_up:
            return _rv(errno.UNSPECIFIED)
    call.emu.set_admin(intf, up)
    return _rv(errno.OK)


@REGISTRY.handler("sw_interface_set_mtu")
def sw_interface_set_mtu(call: Call, msg: Any) -> Reply:
    # interface_api.c: per-protocol MTUs (L3, IP4, IP6, MPLS); 0 leaves a protocol following L3.
    intf = call.emu.interfaces.get(msg.sw_if_index)
    if intf is None:
        return _rv(errno.INVALID_SW_IF_INDEX)
    intf.mtu = [int(m) for m in msg.mtu]
    return _rv(errno.OK)


@REGISTRY.handler("sw_interface_tag_add_del")
def sw_interface_tag_add_del(call: Call, msg: Any) -> Reply:
    # interface_api.c: an empty tag on add is VNET_API_ERROR_INVALID_VALUE; delete clears it.
    intf = call.emu.interfaces.get(msg.sw_if_index)
    if intf is None:
        return _rv(errno.INVALID_SW_IF_INDEX)
    if msg.is_add:
        if not msg.tag:
            return _rv(errno.INVALID_VALUE)
        intf.tag = msg.tag
    else:
        intf.tag = ""
    return _rv(errno.OK)


@REGISTRY.handler("create_loopback")
def create_loopback(call: Call, msg: Any) -> Reply:
    # ethernet/interface.c vnet_create_loopback_interface: instance = lowest free, name "loop<N>",
    # a zero MAC becomes de:ad:00:00:00:<instance>.
    emu = call.emu
    instance = emu.free_loopback_instance()
    mac = bytes(msg.mac_address.packed) if hasattr(msg.mac_address, "packed") else bytes(msg.mac_address)
    if mac == b"\x00" * 6:
        mac = bytes([0xDE, 0xAD, 0, 0, 0, instance & 0xFF])
    intf = emu.create_interface(
        IfKind.LOOPBACK, f"loop{instance}", mac=mac, dev_type="Loopback", instance=instance
    )
    return _rv(errno.OK, sw_if_index=intf.sw_if_index)


@REGISTRY.handler("delete_loopback")
def delete_loopback(call: Call, msg: Any) -> Reply:
    # ethernet/interface.c vnet_delete_loopback_interface: not a loopback -> INVALID_SW_IF_INDEX.
    intf = call.emu.interfaces.get(msg.sw_if_index)
    if intf is None or intf.kind is not IfKind.LOOPBACK:
        return _rv(errno.INVALID_SW_IF_INDEX)
    call.emu.delete_interface(intf)
    return _rv(errno.OK)


def _parent_hw(call: Call, sw_if_index: int) -> Interface | None:
    intf = call.emu.interfaces.get(sw_if_index)
    if intf is None:
        return None
    return call.emu.interfaces.get(intf.sup_sw_if_index) if intf.is_sub else intf


def _vlan_key(parent: int, flags: int, outer: int, inner: int) -> tuple[Any, ...]:
    """The ethernet sub-interface table slot (ethernet/interface.c ethernet_sw_interface_get_config):
    exact-match and non-exact single-tag sub-interfaces share the same slot."""
    if flags & SUB_IF_DEFAULT:
        return (parent, "default")
    if flags & SUB_IF_NO_TAGS:
        return (parent, "untagged")
    dot1ad = bool(flags & SUB_IF_DOT1AD)
    if flags & SUB_IF_TWO_TAGS:
        return (parent, dot1ad, 2, outer, inner)
    return (parent, dot1ad, 1, outer)


@REGISTRY.handler("create_vlan_subif")
def create_vlan_subif(call: Call, msg: Any) -> Reply:
    # interface_api.c vl_api_create_vlan_subif_t_handler
    emu = call.emu
    hw = _parent_hw(call, msg.sw_if_index)
    if hw is None:
        return _rv(errno.INVALID_SW_IF_INDEX, sw_if_index=ALL)
    # No bond-member check: see create_subif.
    vlan = int(msg.vlan_id)
    if vlan == 0 or vlan > 4095:
        return _rv(errno.INVALID_VLAN, sw_if_index=ALL)
    if emu.interfaces.sub_exists(hw.sw_if_index, vlan):
        return _rv(errno.VLAN_ALREADY_EXISTS, sw_if_index=ALL)
    flags = SUB_IF_ONE_TAG | SUB_IF_EXACT_MATCH
    key = _vlan_key(hw.sw_if_index, flags, vlan, 0)
    if key in emu.vlan_slots:
        # vnet_create_sw_interface fails ("vlan is already in use") -> INVALID_REGISTRATION
        return _rv(errno.INVALID_REGISTRATION, sw_if_index=ALL)
    intf = emu.create_sub(hw, vlan, flags, 1, vlan, 0, key)
    return _rv(errno.OK, sw_if_index=intf.sw_if_index)


@REGISTRY.handler("create_subif")
def create_subif(call: Call, msg: Any) -> Reply:
    # interface_api.c vl_api_create_subif_t_handler -> interface.c vnet_create_sub_interface
    emu = call.emu
    given = emu.interfaces.get(msg.sw_if_index)
    hw = _parent_hw(call, msg.sw_if_index)
    if given is None or hw is None:
        return _rv(errno.INVALID_SW_IF_INDEX, sw_if_index=ALL)
    # A bond member is accepted as parent. The handler's BOND_SLAVE_NOT_ALLOWED (-80) test reads
    # hi->bond_info == VNET_HW_INTERFACE_BOND_INFO_SLAVE, which nothing in VPP 26.06 sets any more (its
    # only setter went with the DPDK bonding code, FDio/vpp 048acfbd "dpdk: remove bonding code"; the
    # native bonding in src/vnet/bonding never sets it). Checked on a VPP 26.06 build: create_subif and
    # create_vlan_subif on a bond member return 0. The sub-interface never receives a frame: bond-input
    # (src/vnet/bonding/node.c bond_update_next) hands every member frame to the bond's sw_if_index.
    sub_id = int(msg.sub_id)
    if emu.interfaces.sub_exists(hw.sw_if_index, sub_id):
        # vnet_create_sub_interface: the (sup, id) key is taken -> VNET_API_ERROR_VLAN_ALREADY_EXISTS
        return _rv(errno.VLAN_ALREADY_EXISTS, sw_if_index=ALL)
    flags = int(msg.sub_if_flags)
    tags = 2 if flags & SUB_IF_TWO_TAGS else 1 if flags & SUB_IF_ONE_TAG else 0
    outer, inner = int(msg.outer_vlan_id), int(msg.inner_vlan_id)
    key = _vlan_key(hw.sw_if_index, flags, outer, inner)
    if key in emu.vlan_slots:
        # the ethernet slot is taken: vnet_create_sw_interface has already taken an sw_if_index from the
        # pool when ethernet_sw_interface_add_del refuses ("vlan is already in use"); it gives the index
        # back and vnet_create_sub_interface returns VNET_API_ERROR_UNSPECIFIED, but the handler's reply
        # carries the index it was handed (interface_api.c vl_api_create_subif_t_handler)
        return _rv(errno.UNSPECIFIED, sw_if_index=emu.interfaces.peek_index())
    intf = emu.create_sub(hw, sub_id, flags, tags, outer, inner, key)
    return _rv(errno.OK, sw_if_index=intf.sw_if_index)


@REGISTRY.handler("delete_subif")
def delete_subif(call: Call, msg: Any) -> Reply:
    # interface.c vnet_delete_sub_interface: only sub-interfaces (else INVALID_SUB_SW_IF_INDEX)
    intf = call.emu.interfaces.get(msg.sw_if_index)
    if intf is None:
        return _rv(errno.INVALID_SW_IF_INDEX)
    if not intf.is_sub:
        return _rv(errno.INVALID_SUB_SW_IF_INDEX)
    call.emu.delete_interface(intf)
    return _rv(errno.OK)


@REGISTRY.handler("sw_interface_add_del_address")
def sw_interface_add_del_address(call: Call, msg: Any) -> Reply:
    # interface_api.c -> ip4_add_del_interface_address / ip6_... (ip4_forward.c, ip6_forward.c)
    emu = call.emu
    intf = emu.interfaces.get(msg.sw_if_index)
    if intf is None:
        return _rv(errno.INVALID_SW_IF_INDEX)
    if msg.del_all:
        emu.delete_all_addresses(intf)
        return _rv(errno.OK)
    addr = msg.prefix
    if not isinstance(addr, ipaddress.IPv4Interface | ipaddress.IPv6Interface):
        return _rv(errno.INVALID_VALUE)
    if msg.is_add:
        return _rv(emu.add_address(intf, addr))
    return _rv(emu.delete_address(intf, addr))


@REGISTRY.handler("sw_interface_set_table")
def sw_interface_set_table(call: Call, msg: Any) -> Reply:
    # interface_api.c -> ip_table_bind: the table must exist (NO_SUCH_FIB), and an interface with any
    # address of that family -- its own, or its lender's when unnumbered -- cannot be (re)bound, not
    # even to the table it is in (ADDRESS_FOUND_FOR_INTERFACE).
    emu = call.emu
    intf = emu.interfaces.get(msg.sw_if_index)
    if intf is None:
        return _rv(errno.INVALID_SW_IF_INDEX)
    return _rv(emu.bind_table(intf, bool(msg.is_ipv6), int(msg.vrf_id)))


@REGISTRY.handler("sw_interface_get_table")
def sw_interface_get_table(call: Call, msg: Any) -> Reply:
    # interface_api.c: on a bad index the reply still goes out, with table_id left at ~0
    intf = call.emu.interfaces.get(msg.sw_if_index)
    if intf is None:
        return _rv(errno.INVALID_SW_IF_INDEX, vrf_id=ALL)
    return _rv(errno.OK, vrf_id=intf.table_v6 if msg.is_ipv6 else intf.table_v4)


@REGISTRY.handler("sw_interface_set_unnumbered")
def sw_interface_set_unnumbered(call: Call, msg: Any) -> Reply:
    # interface_api.c: the field names are "backwards": unnumbered_sw_if_index borrows the address of
    # sw_if_index. Invalid unnumbered_sw_if_index -> INVALID_SW_IF_INDEX; invalid sw_if_index (only
    # checked on add) -> INVALID_SW_IF_INDEX_2.
    emu = call.emu
    target = emu.interfaces.get(msg.unnumbered_sw_if_index)
    if target is None:
        return _rv(errno.INVALID_SW_IF_INDEX)
    if msg.is_add:
        lender = emu.interfaces.get(msg.sw_if_index)
        if lender is None:
            return _rv(errno.INVALID_SW_IF_INDEX_2)
        # interface.c vnet_sw_interface_update_unnumbered -> vnet_sw_interface_check_table_same: both
        # interfaces must be in the same IPv4 and IPv6 tables, else VNET_API_ERROR_UNEXPECTED_INTF_STATE
        if (target.table_v4, target.table_v6) != (lender.table_v4, lender.table_v6):
            return _rv(errno.UNEXPECTED_INTF_STATE)
        emu.set_unnumbered(target, int(msg.sw_if_index))
    else:
        emu.set_unnumbered(target, None)
    return _rv(errno.OK)


@REGISTRY.handler("ip_address_dump")
def ip_address_dump(call: Call, msg: Any) -> Reply:
    # ip_api.c vl_api_ip_address_dump_t_handler: unknown interface -> nothing; unnumbered interfaces
    # have no addresses of their own.
    intf = call.emu.interfaces.get(msg.sw_if_index)
    if intf is None:
        return []
    want6 = bool(msg.is_ipv6)
    return [
        {"sw_if_index": intf.sw_if_index, "prefix": a}
        for a in intf.addresses
        if isinstance(a, ipaddress.IPv6Interface) == want6
    ]
