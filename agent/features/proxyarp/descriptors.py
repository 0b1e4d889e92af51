"""Descriptors of the proxy-ARP feature: the per-interface switch, the per-table ranges and the
neighbour-table limits. Return values follow src/vnet/arp/arp_api.c and src/vnet/ip-neighbor/
ip_neighbor_api.c."""

from __future__ import annotations

from typing import Any

from agent.features.proxyarp.values import NeighborLimitsValue, ProxyArpRangeValue, ProxyArpValue
from agent.vpp.descriptor import Descriptor, Ownership
from agent.vpp.items import IfRef, Item, VppCall

ADDRESS_IP4, ADDRESS_IP6 = 0, 1  # ip_types.api address_family
NO_SUCH_ENTRY = -6  # VNET_API_ERROR_NO_SUCH_ENTRY: deleting a range VPP does not hold


class ProxyArpDescriptor(Descriptor[ProxyArpValue]):
    """``proxy_arp_intfc_enable_disable``. Not implied by deleting the interface: VPP keeps the
    interface's flag in ``arp_proxy_main.enabled_by_sw_if_index`` after the interface is gone, and an
    interface that later gets the same index would be reported enabled without the feature on its
    ARP arc (arp_proxy.c ``arp_proxy_enable`` only acts on a change of the flag). So the agent switches
    proxy-ARP off before it deletes the interface."""

    kind = ProxyArpValue.kind

    def _call(self, item: Item[ProxyArpValue], enable: bool) -> VppCall:
        args = {"sw_if_index": IfRef(item.value.interface), "enable": enable}
        return VppCall("proxy_arp_intfc_enable_disable", args)

    def create(self, item: Item[ProxyArpValue]) -> VppCall:
        return self._call(item, True)

    def delete(self, item: Item[ProxyArpValue]) -> VppCall:
        return self._call(item, False)


class ProxyArpRangeDescriptor(Descriptor[ProxyArpRangeValue]):
    """``proxy_arp_add_del``: VPP refuses a table that does not exist (``-3``, NO_SUCH_FIB: the range
    depends on the VRF's IPv4 table) and answers ``-6`` for deleting a range it does not hold, which a
    delete accepts (the range is gone either way)."""

    kind = ProxyArpRangeValue.kind
    shared = True

    def _call(self, item: Item[ProxyArpRangeValue], is_add: bool) -> VppCall:
        v = item.value
        proxy = {"table_id": v.table_id, "low": v.lo, "hi": v.hi}
        ok = (0,) if is_add else (0, NO_SUCH_ENTRY)
        return VppCall("proxy_arp_add_del", {"is_add": is_add, "proxy": proxy}, ok_retvals=ok)

    def create(self, item: Item[ProxyArpRangeValue]) -> VppCall:
        return self._call(item, True)

    def delete(self, item: Item[ProxyArpRangeValue]) -> VppCall:
        return self._call(item, False)

    def claims(self, item: Item[ProxyArpRangeValue], ours: Ownership) -> bool:
        # retrieve.py puts into the retrieved items only ranges the agent programmed or configures
        return True


class NeighborLimitsDescriptor(Descriptor[NeighborLimitsValue]):
    """``ip_neighbor_config``: one global setting per family. Deleting the configuration puts VPP's
    defaults back; an unconfigured family is left as VPP has it (``retrieve_unconfigured`` False)."""

    kind = NeighborLimitsValue.kind
    retrieve_unconfigured = False

    @staticmethod
    def _call(v: NeighborLimitsValue) -> VppCall:
        args = {
            "af": ADDRESS_IP6 if v.is_ip6 else ADDRESS_IP4,
            "max_number": v.max_entries,
            "max_age": v.max_age,
            "recycle": v.recycle,
        }
        return VppCall("ip_neighbor_config", args)

    def create(self, item: Item[NeighborLimitsValue]) -> VppCall:
        return self._call(item.value)

    def update(self, old: Item[NeighborLimitsValue], new: Item[NeighborLimitsValue]) -> VppCall:
        return self._call(new.value)

    def delete(self, item: Item[NeighborLimitsValue]) -> VppCall:
        return self._call(NeighborLimitsValue(item.value.is_ip6))

    def claims(self, item: Item[NeighborLimitsValue], ours: Ownership) -> bool:
        return False


DESCRIPTORS: tuple[Descriptor[Any], ...] = (
    ProxyArpDescriptor(),
    ProxyArpRangeDescriptor(),
    NeighborLimitsDescriptor(),
)
