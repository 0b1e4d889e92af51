"""Descriptors of the NAT feature: NAT44 items -> VPP nat44-ed and det44 messages.

Fields and behaviour follow ``src/plugins/nat/nat44-ed/nat44_ed.api`` / ``nat44_ed_api.c`` / ``nat44_ed.c``
and ``src/plugins/nat/det44/det44.api`` / ``det44_api.c`` / ``det44.c`` (VPP 26.06).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from agent.features.nat.keys import is_pool_fragment
from agent.features.nat.values import (
    DEFAULT_TIMEOUTS,
    Det44InterfaceValue,
    Det44MapValue,
    Det44PluginValue,
    Nat44InterfaceValue,
    Nat44PluginValue,
    Nat44PoolValue,
    Nat44SessionLimitValue,
    Nat44StaticValue,
    Nat44TimeoutsValue,
)
from agent.vpp.descriptor import Descriptor, Ownership
from agent.vpp.items import TAG_PREFIX, IfRef, Item, VppCall

# nat_types.api nat_config_flags
NAT_IS_ADDR_ONLY = 0x08
NAT_IS_OUTSIDE = 0x10
NAT_IS_INSIDE = 0x20
#: det44_plugin_enable answers 1 when the plugin is enabled already (det44.c det44_plugin_enable)
DET44_ALREADY_ENABLED = 1


class Nat44PluginDescriptor(Descriptor[Nat44PluginValue]):
    """Enabling the plugin; VPP removes every address, interface feature and mapping when it is disabled
    (``nat44_plugin_disable``), and re-enabling needs a disable first (FEATURE_ALREADY_ENABLED), so a
    change of ``sessions`` removes the dependants, restarts the plugin and adds them back."""

    kind = Nat44PluginValue.kind
    guards_dependants = True
    retrieve_unconfigured = False  # a plugin someone else enabled stays enabled

    def _call(self, v: Nat44PluginValue | None) -> VppCall:
        return VppCall(
            "nat44_ed_plugin_enable_disable",
            {
                "inside_vrf": 0,
                "outside_vrf": 0,
                "sessions": v.sessions if v else 0,
                "session_memory": 0,
                "enable": v is not None,
                "flags": 0,
            },
        )

    def create(self, item: Item[Nat44PluginValue]) -> VppCall:
        return self._call(item.value)

    def delete(self, item: Item[Nat44PluginValue]) -> VppCall:
        return self._call(None)


class Nat44TimeoutsDescriptor(Descriptor[Nat44TimeoutsValue]):
    """``nat_set_timeouts`` sets all four values (a zero would be taken as is): deleting restores VPP's
    defaults."""

    kind = Nat44TimeoutsValue.kind
    retrieve_unconfigured = False

    def _call(self, t: tuple[int, int, int, int]) -> VppCall:
        udp, tcp, trans, icmp = t
        return VppCall(
            "nat_set_timeouts", {"udp": udp, "tcp_established": tcp, "tcp_transitory": trans, "icmp": icmp}
        )

    def create(self, item: Item[Nat44TimeoutsValue]) -> VppCall:
        v = item.value
        return self._call((v.udp, v.tcp_established, v.tcp_transitory, v.icmp))

    def update(self, old: Item[Nat44TimeoutsValue], new: Item[Nat44TimeoutsValue]) -> VppCall:
        return self.create(new)

    def delete(self, item: Item[Nat44TimeoutsValue]) -> VppCall:
        return self._call(DEFAULT_TIMEOUTS)


class Nat44PoolDescriptor(Descriptor[Nat44PoolValue]):
    kind = Nat44PoolValue.kind

    def _call(self, v: Nat44PoolValue, is_add: bool) -> VppCall:
        return VppCall(
            "nat44_add_del_address_range",
            {
                "first_ip_address": v.first,
                "last_ip_address": v.last,
                "vrf_id": v.vrf_id,
                "is_add": is_add,
                "flags": 0,
            },
        )

    def create(self, item: Item[Nat44PoolValue]) -> VppCall:
        return self._call(item.value, True)

    def delete(self, item: Item[Nat44PoolValue]) -> VppCall:
        return self._call(item.value, False)

    def claims(self, item: Item[Nat44PoolValue], ours: Ownership) -> bool:
        # VPP keeps no owner of an address: one the agent did not configure is reported, except what is
        # left of one of its pools (retrieve.py), removed so that the pool can be added whole
        return is_pool_fragment(item.key)


class Nat44InterfaceDescriptor(Descriptor[Nat44InterfaceValue]):
    """VPP removes the features of a deleted interface itself (``nat44_ed_sw_interface_add_del``)."""

    kind = Nat44InterfaceValue.kind
    implied_by_owner_delete = True

    def _call(self, v: Nat44InterfaceValue, is_add: bool) -> VppCall:
        return VppCall(
            "nat44_interface_add_del_feature",
            {
                "is_add": is_add,
                "flags": NAT_IS_INSIDE if v.inside else NAT_IS_OUTSIDE,
                "sw_if_index": IfRef(v.name),
            },
        )

    def create(self, item: Item[Nat44InterfaceValue]) -> VppCall:
        return self._call(item.value, True)

    def delete(self, item: Item[Nat44InterfaceValue]) -> VppCall:
        return self._call(item.value, False)

    def claims(self, item: Item[Nat44InterfaceValue], ours: Ownership) -> bool:
        return item.value.name in ours.managed


class Nat44SessionLimitDescriptor(Descriptor[Nat44SessionLimitValue]):
    """``nat44_set_session_limit``; deleting restores the plugin's sessions per thread, VPP's initial limit
    of every VRF. VPP has no dump of the limits: retrieval takes the agent's as present while the plugin
    it set them on is still enabled (see :mod:`agent.features.nat.retrieve`)."""

    kind = Nat44SessionLimitValue.kind
    retrieve_unconfigured = False

    def _call(self, vrf_id: int, limit: int) -> VppCall:
        return VppCall("nat44_set_session_limit", {"session_limit": limit, "vrf_id": vrf_id})

    def create(self, item: Item[Nat44SessionLimitValue]) -> VppCall:
        return self._call(item.value.vrf_id, item.value.limit)

    def update(self, old: Item[Nat44SessionLimitValue], new: Item[Nat44SessionLimitValue]) -> VppCall | None:
        return self.create(new) if old.value.vrf_id == new.value.vrf_id else None

    def delete(self, item: Item[Nat44SessionLimitValue]) -> VppCall:
        return self._call(item.value.vrf_id, item.value.default)


class Nat44StaticDescriptor(Descriptor[Nat44StaticValue]):
    kind = Nat44StaticValue.kind

    def _call(self, v: Nat44StaticValue, is_add: bool) -> VppCall:
        return VppCall(
            "nat44_add_del_static_mapping_v2",
            {
                "is_add": is_add,
                "match_pool": False,
                "flags": NAT_IS_ADDR_ONLY if v.addr_only else 0,
                "pool_ip_address": "0.0.0.0",
                "local_ip_address": v.local,
                "external_ip_address": v.external,
                "protocol": v.protocol,
                "local_port": v.local_port,
                "external_port": v.external_port,
                "external_sw_if_index": 0xFFFFFFFF,
                "vrf_id": v.vrf_id,
                "tag": v.tag if is_add else "",
            },
        )

    def create(self, item: Item[Nat44StaticValue]) -> VppCall:
        return self._call(item.value, True)

    def delete(self, item: Item[Nat44StaticValue]) -> VppCall:
        return self._call(item.value, False)

    def equivalent(self, old: Item[Nat44StaticValue], new: Item[Nat44StaticValue]) -> bool:
        return old.value == new.value

    def claims(self, item: Item[Nat44StaticValue], ours: Ownership) -> bool:
        return item.value.tag.startswith(TAG_PREFIX)


class Det44PluginDescriptor(Descriptor[Det44PluginValue]):
    """Enabling det44. It is never disabled: on VPP 26.06 ``det44_plugin_enable_disable(enable=0)`` kills
    VPP once maps have existed, even with none left (found recording ``make record-vpp SCENARIOS=nat``),
    so removing the last deterministic instance leaves the plugin enabled with nothing in it. VPP has no
    query of the plugin: reconcile finds it through its maps and interfaces, and an enable of an enabled
    plugin (answer 1, ``det44.c`` det44_plugin_enable) counts as done. Its VRFs are always 0 (bng-nat
    keeps deterministic instances in the default VRF), so it never needs a restart."""

    kind = Det44PluginValue.kind
    retrieve_unconfigured = False

    def create(self, item: Item[Det44PluginValue]) -> VppCall:
        v = item.value
        return VppCall(
            "det44_plugin_enable_disable",
            {"inside_vrf": v.inside_vrf, "outside_vrf": v.outside_vrf, "enable": True},
            ok_retvals=(0, DET44_ALREADY_ENABLED),
        )

    def delete(self, item: Item[Det44PluginValue]) -> None:
        return None


def _split(prefix: str) -> tuple[str, int]:
    net = ipaddress.IPv4Network(prefix, strict=False)
    return str(net.network_address), net.prefixlen


class Det44MapDescriptor(Descriptor[Det44MapValue]):
    kind = Det44MapValue.kind

    def _call(self, v: Det44MapValue, is_add: bool) -> VppCall:
        in_addr, in_plen = _split(v.inside)
        out_addr, out_plen = _split(v.outside)
        args: dict[str, Any] = {
            "is_add": is_add,
            "in_addr": in_addr,
            "in_plen": in_plen,
            "out_addr": out_addr,
            "out_plen": out_plen,
        }
        return VppCall("det44_add_del_map", args)

    def create(self, item: Item[Det44MapValue]) -> VppCall:
        return self._call(item.value, True)

    def delete(self, item: Item[Det44MapValue]) -> VppCall:
        return self._call(item.value, False)

    def claims(self, item: Item[Det44MapValue], ours: Ownership) -> bool:
        return False


class Det44InterfaceDescriptor(Descriptor[Det44InterfaceValue]):
    kind = Det44InterfaceValue.kind

    def _call(self, v: Det44InterfaceValue, is_add: bool) -> VppCall:
        return VppCall(
            "det44_interface_add_del_feature",
            {"is_add": is_add, "is_inside": v.inside, "sw_if_index": IfRef(v.name)},
        )

    def create(self, item: Item[Det44InterfaceValue]) -> VppCall:
        return self._call(item.value, True)

    def delete(self, item: Item[Det44InterfaceValue]) -> VppCall:
        return self._call(item.value, False)

    def claims(self, item: Item[Det44InterfaceValue], ours: Ownership) -> bool:
        return item.value.name in ours.managed


DESCRIPTORS: tuple[Descriptor[Any], ...] = (
    Nat44PluginDescriptor(),
    Nat44TimeoutsDescriptor(),
    Nat44PoolDescriptor(),
    Nat44InterfaceDescriptor(),
    Nat44SessionLimitDescriptor(),
    Nat44StaticDescriptor(),
    Det44PluginDescriptor(),
    Det44MapDescriptor(),
    Det44InterfaceDescriptor(),
)
