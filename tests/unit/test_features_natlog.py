"""The natlog feature's mapping without VPP: bng-telemetry nat-logging -> exporter 0 and the NAT
logging switch, their calls, and the relay settings and det44 blocks read from the same data."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from _feature_helpers import items_of

from agent.features.nat.det44 import DetMap
from agent.features.natlog import keys
from agent.features.natlog.descriptors import OFF, IpfixExporterDescriptor, NatIpfixLoggingDescriptor
from agent.features.natlog.values import IpfixExporterValue, NatIpfixLoggingValue
from agent.flowexport.exporter import Format
from agent.natlog.config import det44_maps, relay_settings
from agent.natlog.relay import PortBlock, port_blocks

TEL = "bng-telemetry:telemetry"


def config(**nat: Any) -> dict[str, Any]:
    return {
        TEL: {
            "collector": [
                {"name": "a", "address": "192.0.2.10", "source-address": "192.0.2.1"},
                {"name": "b", "address": "2001:db8::10", "port": 2055, "protocol": "netflow-v9",
                 "source-address": "2001:db8::1", "rate-limit": 5000},
            ],
            "nat-logging": {"collector": ["a", "b"], "event": ["session-create"], **nat},
        },
        "bng-vrf:vrfs": {"vrf": [{"name": "mgmt", "table-id": 9}]},
    }  # fmt: skip


def test_exporter_points_at_the_relay_with_the_first_collectors_source() -> None:
    items = items_of(config())
    exp = items[keys.EXPORTER]
    assert exp.value == IpfixExporterValue("127.0.0.1", 4739, "192.0.2.1", 0, 1450, 20, True)
    assert items[keys.NAT_LOGGING].value == NatIpfixLoggingValue(1, 4739)
    assert items[keys.NAT_LOGGING].deps == (keys.EXPORTER,)
    call = IpfixExporterDescriptor().create(exp)
    assert call.msg == "set_ipfix_exporter" and call.args["collector_address"] == "127.0.0.1"


def test_relay_settings_and_vrf() -> None:
    relay = {"address": "10.9.0.1", "port": 5000, "vpp-source-address": "10.9.0.2", "vrf": "mgmt",
             "path-mtu": 512, "template-interval": 5}  # fmt: skip
    items = items_of(config(relay=relay, **{"domain-id": 7, "source-port": 4740}))
    exp = items[keys.EXPORTER]
    assert exp.value == IpfixExporterValue("10.9.0.1", 5000, "10.9.0.2", 9, 512, 5, True)
    assert exp.deps == ("vrf/mgmt/ipv4",)
    assert items[keys.NAT_LOGGING].value == NatIpfixLoggingValue(7, 4740)


def test_delete_points_exporter_0_nowhere_and_logging_changes_by_recreate() -> None:
    items = items_of(config())
    call = IpfixExporterDescriptor().delete(items[keys.EXPORTER])
    assert call.args["collector_address"] == "0.0.0.0" and call.args["src_address"] == "0.0.0.0"
    assert OFF.path_mtu == 512
    d = NatIpfixLoggingDescriptor()
    assert d.create(items[keys.NAT_LOGGING]).args["enable"] is True
    assert d.delete(items[keys.NAT_LOGGING]).args["enable"] is False
    assert d.update(items[keys.NAT_LOGGING], items[keys.NAT_LOGGING]) is None  # recreate


def test_no_nat_logging_no_items_no_relay() -> None:
    cfg = config()
    del cfg[TEL]["nat-logging"]
    assert keys.EXPORTER not in items_of(cfg)
    assert relay_settings(cfg) is None


def test_relay_settings_from_the_collectors() -> None:
    s = relay_settings(config(relay={"port": 47000, "buffer-records": 5000, "spill-limit": 2}))
    assert s is not None
    assert s.listen == ("127.0.0.1", 47000) and s.memory_records == 5000 and s.spill_bytes == 2 << 20
    assert s.events == frozenset({"session-create"})
    a, b = s.collectors
    assert (a.name, a.address, a.port, a.format, a.rate) == ("a", "192.0.2.10", 4739, Format.IPFIX, 200000)
    assert (b.address, b.port, b.format, b.rate) == ("2001:db8::10", 2055, Format.NETFLOW_V9, 5000)


def test_det44_maps_from_ietf_nat_and_vpps_blocks() -> None:
    cfg = {
        "ietf-nat:nat": {
            "instances": {
                "instance": [
                    {"id": 1, "bng-nat:mode": "deterministic", "policy": [
                        {"id": 1, "subscriber-match": [{"match-id": 1, "subnet": "10.0.0.0/24"}],
                         "external-ip-address-pool": [
                             {"pool-id": 1, "external-ip-pool": "198.51.100.0/28"}]}]},
                    {"id": 2, "policy": [{"id": 1, "external-ip-address-pool": [
                        {"pool-id": 1, "external-ip-pool": "203.0.113.0/24"}]}]},
                ]
            }
        }
    }  # fmt: skip
    (m,) = det44_maps(cfg)
    assert (m.sharing_ratio, m.ports_per_host) == (16, 4032)
    blocks = list(port_blocks(m))
    assert len(blocks) == 256
    # det44.h snat_det_forward: 10.0.0.17 -> 198.51.100.1, ports 1024 + 4032 * (17 % 16)
    host = ipaddress.IPv4Address("10.0.0.17")
    out, lo, hi = m.forward(host)
    assert (out, lo, hi) == (ipaddress.IPv4Address("198.51.100.1"), 5056, 9087)
    assert PortBlock(0, int(host), int(out), lo, hi) in blocks


def test_det44_map_refuses_a_larger_outside_prefix() -> None:
    with pytest.raises(ValueError, match="larger"):
        DetMap(ipaddress.IPv4Network("10.0.0.0/28"), ipaddress.IPv4Network("198.51.100.0/24"))
