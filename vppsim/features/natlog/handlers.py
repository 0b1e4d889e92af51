"""``ipfix_export.api``'s exporter 0 (src/vnet/ipfix-export/flow_api.c) and ``nat44_ed.api``'s
``nat_ipfix_enable_disable`` (src/plugins/nat/nat44-ed/nat44_ed_api.c over
src/plugins/nat/lib/ipfix_logging.c). Return values as recorded from VPP 26.06
(tests/fixtures/vpp/natlog.json)."""

from __future__ import annotations

import ipaddress
from typing import Any

from vppsim import errno
from vppsim.features.natlog import events
from vppsim.features.natlog.state import of
from vppsim.handlers.registry import REGISTRY, Call, Reply

DEFAULT_PORT = 4739  # UDP_DST_PORT_ipfix


def _addr(a: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(str(a))


@REGISTRY.handler("set_ipfix_exporter")
def set_ipfix_exporter(call: Call, msg: Any) -> Reply:
    # flow_api.c vl_api_set_ipfix_exporter_t_internal (use_index_0): the collector is read as IPv4
    # whatever its af says; port ~0 means 4739; vrf_id ~0 means none, else the table must exist
    # (NO_SUCH_FIB) -- checked before the addresses; path MTU ~0 means 512, template interval ~0 20;
    # a collector without a source, a source of another family, an MTU outside 68..1450: INVALID_VALUE
    collector = ipaddress.IPv4Address(int(_addr(msg.collector_address)) & 0xFFFFFFFF)
    src = _addr(msg.src_address)
    port = int(msg.collector_port)
    port = DEFAULT_PORT if port == 0xFFFF else port
    vrf_id = int(msg.vrf_id)
    if vrf_id != 0xFFFFFFFF and call.emu.fib.get(False, vrf_id) is None:
        return {"retval": errno.NO_SUCH_FIB}
    mtu = int(msg.path_mtu)
    mtu = 512 if mtu == 0xFFFFFFFF else mtu
    interval = int(msg.template_interval)
    interval = 20 if interval == 0xFFFFFFFF else interval
    if int(collector) != 0 and int(src) == 0:
        return {"retval": errno.INVALID_VALUE}
    if src.version != 4 or not 68 <= mtu <= 1450:
        return {"retval": errno.INVALID_VALUE}
    exp = of(call.emu).exporter
    if (str(collector), str(src), port) != (exp.collector, exp.src, exp.collector_port):
        of(call.emu).nat.templates_sent_at = None  # vnet_flow_reports_reset: templates go out again
    exp.collector, exp.src, exp.collector_port = str(collector), str(src), port
    exp.vrf_id, exp.path_mtu, exp.template_interval = vrf_id, mtu, interval
    exp.udp_checksum = bool(msg.udp_checksum)
    return {"retval": errno.OK}


@REGISTRY.handler("ipfix_exporter_dump")
def ipfix_exporter_dump(call: Call, msg: Any) -> Reply:
    # flow_api.c vl_api_ipfix_exporter_dump_t_handler: exporter 0 only, always one details
    e = of(call.emu).exporter
    return [
        {
            "collector_address": e.collector,
            "collector_port": e.collector_port,
            "src_address": e.src,
            "vrf_id": e.vrf_id,
            "path_mtu": e.path_mtu,
            "template_interval": e.template_interval,
            "udp_checksum": e.udp_checksum,
        }
    ]


@REGISTRY.handler("nat_ipfix_enable_disable")
def nat_ipfix_enable_disable(call: Call, msg: Any) -> Reply:
    # ipfix_logging.c nat_ipfix_logging_enable_disable: already in the asked state -> 0 and nothing
    # changes (the domain and port of a second enable are ignored); domain 0 means 1, port 0 4739
    nat = of(call.emu).nat
    enable = bool(msg.enable)
    if nat.enabled == enable:
        return {"retval": errno.OK}
    nat.enabled = enable
    call.emu.nat.nat44.ipfix_enabled = enable  # what nat44_show_running_config reports (inverted)
    if enable:
        nat.domain_id = int(msg.domain_id) or 1
        nat.src_port = int(msg.src_port) or DEFAULT_PORT
        nat.sequence = 0  # a new stream starts at 0 (flow_report.c)
        nat.templates_sent_at = None
    events.nat_logging_changed(call.emu, enable)
    return {"retval": errno.OK}
