"""Descriptors of NAT event logging. Return values as VPP 26.06 answered them
(tests/fixtures/vpp/natlog.json; src/vnet/ipfix-export/flow_api.c, src/plugins/nat/lib/ipfix_logging.c)."""

from __future__ import annotations

from typing import Any

from agent.features.natlog.values import IpfixExporterValue, NatIpfixLoggingValue
from agent.vpp.descriptor import Descriptor, Ownership
from agent.vpp.items import Item, VppCall

#: what the agent leaves behind when logging is removed: no collector (VPP then sends nothing), and
#: VPP's own defaults for the rest (path MTU 512, RFC 7011 section 10.3.3; 20 s templates)
OFF = IpfixExporterValue("0.0.0.0", 4739, "0.0.0.0", 0, 512, 20)


class IpfixExporterDescriptor(Descriptor[IpfixExporterValue]):
    """``set_ipfix_exporter``: exporter 0 always exists in VPP, so create and update set it and delete
    points it nowhere (collector 0.0.0.0). VPP refuses (-7, INVALID_VALUE) a source of another family
    than the collector (exporter 0 is IPv4), no source, and a path MTU outside 68..1450 (the model
    bounds it); -3 (NO_SUCH_FIB) for a VRF whose table is missing (the item depends on it)."""

    kind = IpfixExporterValue.kind

    @staticmethod
    def _call(v: IpfixExporterValue) -> VppCall:
        args = {
            "collector_address": v.collector,
            "collector_port": v.collector_port,
            "src_address": v.src,
            "vrf_id": v.vrf_id,
            "path_mtu": v.path_mtu,
            "template_interval": v.template_interval,
            "udp_checksum": v.udp_checksum,
        }
        return VppCall("set_ipfix_exporter", args)

    def create(self, item: Item[IpfixExporterValue]) -> VppCall:
        return self._call(item.value)

    def update(self, old: Item[IpfixExporterValue], new: Item[IpfixExporterValue]) -> VppCall:
        return self._call(new.value)

    def delete(self, item: Item[IpfixExporterValue]) -> VppCall:
        return self._call(OFF)

    def claims(self, item: Item[IpfixExporterValue], ours: Ownership) -> bool:
        # retrieve.py returns exporter 0 only when it is the agent's (configured or programmed by it)
        return True


class NatIpfixLoggingDescriptor(Descriptor[NatIpfixLoggingValue]):
    """``nat_ipfix_enable_disable``. VPP answers 0 to an enable when logging is on already and then
    keeps the old domain and port, so a changed domain or port switches logging off and on again (no
    ``update``: the planner deletes and re-creates)."""

    kind = NatIpfixLoggingValue.kind

    @staticmethod
    def _call(v: NatIpfixLoggingValue, enable: bool) -> VppCall:
        return VppCall(
            "nat_ipfix_enable_disable", {"domain_id": v.domain_id, "src_port": v.src_port, "enable": enable}
        )

    def create(self, item: Item[NatIpfixLoggingValue]) -> VppCall:
        return self._call(item.value, True)

    def delete(self, item: Item[NatIpfixLoggingValue]) -> VppCall:
        return self._call(item.value, False)

    def claims(self, item: Item[NatIpfixLoggingValue], ours: Ownership) -> bool:
        return True


DESCRIPTORS: tuple[Descriptor[Any], ...] = (IpfixExporterDescriptor(), NatIpfixLoggingDescriptor())
