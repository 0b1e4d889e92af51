"""The NAT logging relay end to end on loopback: VPP's NAT IPFIX records in, IPFIX and NetFlow v9 out,
decoded by tshark field by field; a collector that is down loses nothing; a rogue sender is counted
and dropped; det44 port blocks are exported once per inside host."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import random
import socket
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from _pcap_helpers import tshark_flows, write_pcap

from agent.features.nat.det44 import DetMap
from agent.flowexport import Template
from agent.flowexport.decoder import Decoder
from agent.flowexport.exporter import Exporter, Format
from agent.flowexport.template import Record, record_dict
from agent.natlog.link import CollectorSettings
from agent.natlog.relay import Relay, RelaySettings, port_blocks
from agent.natlog.templates import NAT44_SESSION

VPP_SESSION = Template(263, NAT44_SESSION)  # VPP numbers its templates as its flow reports register


class Sink(asyncio.DatagramProtocol):
    """A collector on loopback that keeps every datagram."""

    def __init__(self) -> None:
        self.datagrams: list[bytes] = []

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.datagrams.append(data)

    def records(self) -> list[tuple[Template, Record]]:
        dec = Decoder()
        return [(t, r) for d in self.datagrams for t, rs in dec.decode(d, "relay").sets for r in rs]


async def sink(port: int = 0) -> tuple[asyncio.DatagramTransport, Sink, int]:
    loop = asyncio.get_running_loop()
    proto = Sink()
    tr, _ = await loop.create_datagram_endpoint(lambda: proto, local_addr=("127.0.0.1", port))
    tr.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    return tr, proto, tr.get_extra_info("sockname")[1]


class FakeVpp:
    """Sends NAT44 session records exactly as VPP lays them out (agent.natlog.templates)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.exp = Exporter(Format.IPFIX, 1, max_size=1450 - 28)
        self.exp.define(VPP_SESSION)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect(target)

    def send(self, records: list[Record]) -> None:
        for m in self.exp.export(VPP_SESSION.template_id, records):
            self.sock.send(m)

    def close(self) -> None:
        self.sock.close()


def session(i: int, event: int = 4) -> Record:
    return (1_796_680_000_000 + i, event, 0x0A000000 + i, 0xC6336400 + (i % 200), 6 if i % 2 else 17,
            10000 + i % 50000, 1024 + i % 60000, 7)  # fmt: skip


async def until(cond: Any, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.02)


@pytest.fixture
async def relay_with(tmp_path: Path) -> AsyncIterator[Any]:
    started: list[Relay] = []

    async def make(collectors: list[CollectorSettings], **kw: Any) -> Relay:
        r = Relay(RelaySettings(("127.0.0.1", 0), tuple(collectors), **kw), tmp_path / f"spill{len(started)}")
        await r.start()
        started.append(r)
        return r

    yield make
    for r in started:
        await r.stop()


def coll(name: str, port: int, fmt: Format, rate: float = 1e6, **kw: Any) -> CollectorSettings:
    return CollectorSettings(name, "127.0.0.1", port, fmt, rate, **kw)


async def test_tshark_decodes_both_formats_field_by_field(relay_with: Any, tmp_path: Path) -> None:
    tr1, ipfix_sink, p1 = await sink()
    tr2, v9_sink, p2 = await sink()
    relay = await relay_with([coll("ipfix", p1, Format.IPFIX, domain_id=9),
                              coll("v9", p2, Format.NETFLOW_V9, domain_id=9)])  # fmt: skip
    vpp = FakeVpp(relay.address)
    sent = [session(i) for i in range(300)] + [session(i, event=5) for i in range(20)]
    vpp.send(sent)
    relay.set_port_blocks(port_blocks(DetMap.of("10.1.0.0/30", "192.0.2.8/31"), vrf_id=3))
    await until(lambda: len(ipfix_sink.records()) == 324 and len(v9_sink.records()) == 324)
    vpp.close()
    tr1.close()
    tr2.close()
    for name, proto, port, version in (("ipfix", ipfix_sink, p1, "10"), ("v9", v9_sink, p2, "9")):
        pcap = tmp_path / f"{name}.pcap"
        write_pcap(pcap, proto.datagrams, port)
        flows = tshark_flows(pcap, port)
        sessions = [f for f in flows if f["cflow.nat_event"] in ("4", "5")]
        blocks = [f for f in flows if f["cflow.nat_event"] == "16"]
        assert len(sessions) == 320 and len(blocks) == 4, name
        assert {f["cflow.version"] for f in flows} == {version}
        for f, rec in zip(sessions, sent, strict=True):
            assert f["cflow.nat_event"] == str(rec[1])
            assert f["cflow.srcaddr"] == str(ipaddress.IPv4Address(rec[2]))
            assert f["cflow.post_natsource_ipv4_address"] == str(ipaddress.IPv4Address(rec[3]))
            assert f["cflow.protocol"] == str(rec[4])
            assert f["cflow.srcport"] == str(rec[5])
            assert f["cflow.post_naptsource_transport_port"] == str(rec[6])
            assert f["cflow.ingress_vrfid"] == "7"
            assert "cflow.observation_time_milliseconds" in f
        # det44 10.1.0.0/30 onto 192.0.2.8/31: 2 hosts per address, 32256 ports each (VPP's det44)
        got = {(f["cflow.srcaddr"], f["cflow.post_natsource_ipv4_address"], f["cflow.port_range_start"],
                f["cflow.port_range_end"], f["cflow.port_range_num_ports"]) for f in blocks}  # fmt: skip
        assert got == {
            ("10.1.0.0", "192.0.2.8", "1024", "33279", "32256"),
            ("10.1.0.1", "192.0.2.8", "33280", "65535", "32256"),
            ("10.1.0.2", "192.0.2.9", "1024", "33279", "32256"),
            ("10.1.0.3", "192.0.2.9", "33280", "65535", "32256"),
        }
        assert all(f["cflow.ingress_vrfid"] == "3" and f["cflow.port_range_step_size"] == "1" for f in blocks)
        # tshark's own sequence analysis finds no gap (IPFIX: records, v9: packets)
        domains = {f.get("cflow.od_id", f.get("cflow.source_id")) for f in flows}
        assert domains == {"9"}
    assert relay.counters.records_in == 320


async def test_port_blocks_are_exported_once_per_inside_host(relay_with: Any) -> None:
    tr, proto, port = await sink()
    relay = await relay_with([coll("c", port, Format.IPFIX)])
    m = DetMap.of("10.2.0.0/24", "198.51.100.0/28")
    assert relay.set_port_blocks(port_blocks(m)) == 256
    assert relay.set_port_blocks(port_blocks(m)) == 0  # same maps again: nothing new
    await until(lambda: len(proto.records()) == 256)
    recs = [record_dict(t, r) for t, r in proto.records()]
    assert len({r["sourceIPv4Address"] for r in recs}) == 256
    assert {r["portRangeNumPorts"] for r in recs} == {(65535 - 1023) // 16}
    assert relay.set_port_blocks([]) == 256  # map removed: one de-allocation per host
    await until(lambda: len(proto.records()) == 512)
    assert [record_dict(t, r)["natEvent"] for t, r in proto.records()][256:] == [17] * 256
    tr.close()


async def test_collector_down_for_a_while_loses_nothing(relay_with: Any) -> None:
    tr, proto, port = await sink()
    relay = await relay_with([coll("c", port, Format.IPFIX, rate=50_000, retry=0.2, grace=0.3)],
                             memory_records=500, spill_bytes=8 << 20)  # fmt: skip
    vpp = FakeVpp(relay.address)
    vpp.send([session(i) for i in range(1000)])
    await until(lambda: len(proto.records()) == 1000)
    tr.close()  # the collector goes away: its port answers with ICMP port unreachable
    await asyncio.sleep(0.1)
    for k in range(20):
        vpp.send([session(1000 + 500 * k + i) for i in range(500)])
        await asyncio.sleep(0.05)
    link = relay.links["c"]
    await until(lambda: not link.up)
    await until(lambda: relay.counters.records_in == 11000)
    assert link.queue.spilled_records > 0  # memory held 500, the rest went to disk
    assert relay.counters.records_in == 11000
    tr, proto2, _ = await sink(port)  # the collector is back on the same port
    link_done = lambda: len(link.queue) == 0 and link.inflight == 0  # noqa: E731
    await until(link_done, timeout=30)
    got = {r[0] for _t, r in proto.records()} | {r[0] for _t, r in proto2.records()}
    assert got == {session(i)[0] for i in range(11000)}
    # at least once: only what was in flight when the collector went away may arrive twice
    assert len(proto.records()) + len(proto2.records()) - 11000 <= link.counters.resent
    assert link.queue.dropped == 0 and len(link.queue) == 0
    samples = {(n, lab): v for n, lab, v in relay.samples()}
    assert samples[("bng_natlog_records_spilled", ("c",))] > 0
    assert samples[("bng_natlog_collector_up", ("c",))] == 1
    vpp.close()
    tr.close()


async def test_spill_is_bounded_and_overflow_is_counted(relay_with: Any) -> None:
    closed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nobody listens: the collector is down from the start
    relay = await relay_with([coll("c", port, Format.IPFIX, retry=5)], memory_records=100, spill_bytes=70_000)
    vpp = FakeVpp(relay.address)
    vpp.send([session(i) for i in range(200)])
    await until(lambda: not relay.links["c"].up)
    vpp.send([session(i) for i in range(5000)])
    await until(lambda: relay.counters.records_in == 5200)
    q = relay.links["c"].queue
    assert q.spill_unread <= 70_000
    assert q.dropped > 0 and len(q) + q.dropped + relay.links["c"].inflight == 5200
    samples = {(n, lab): v for n, lab, v in relay.samples()}
    assert samples[("bng_natlog_records_dropped", ("c", "spill-full"))] == q.dropped
    assert samples[("bng_natlog_collector_up", ("c",))] == 0
    vpp.close()


async def test_rogue_sender_is_counted_and_dropped(relay_with: Any) -> None:
    tr, proto, port = await sink()
    relay = await relay_with([coll("c", port, Format.IPFIX)])
    rogue = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rnd = random.Random(os.getpid())
    bad = [b"", b"\x00\x0a", struct.pack("!HHIII", 10, 9999, 0, 0, 0), struct.pack("!HHIII", 5, 16, 0, 0, 0),
           struct.pack("!HHIII", 10, 24, 0, 0, 0) + struct.pack("!HHI", 2, 400, 0)]  # fmt: skip
    bad += [bytes([0, rnd.choice([9, 10])]) + rnd.randbytes(rnd.randrange(200)) for _ in range(300)]
    for b in bad:
        rogue.sendto(b, relay.address)
    # a well-formed message from the rogue with VPP's template id cannot redefine VPP's templates
    vpp = FakeVpp(relay.address)
    vpp.send([session(i) for i in range(10)])
    await until(lambda: relay.counters.messages_in >= len(bad) + 1)
    await until(lambda: len(proto.records()) == 10)
    assert sum(relay.counters.rejected.values()) >= 5
    assert relay.counters.rejected["bad-length"] >= 1 and relay.counters.rejected["bad-version"] >= 1
    samples = {(n, lab): v for n, lab, v in relay.samples()}
    assert samples[("bng_natlog_messages_rejected", ("bad-version",))] >= 1
    vpp.send([session(i) for i in range(10, 20)])
    await until(lambda: len(proto.records()) == 20)
    rogue.close()
    vpp.close()
    tr.close()


async def test_only_configured_events_are_exported(relay_with: Any) -> None:
    tr, proto, port = await sink()
    relay = await relay_with([coll("c", port, Format.IPFIX)], events=frozenset({"session-create"}))
    vpp = FakeVpp(relay.address)
    vpp.send([session(i, 4) for i in range(5)] + [session(i, 5) for i in range(5)])
    await until(lambda: relay.counters.records_in == 10)
    await until(lambda: len(proto.records()) == 5)
    assert {r[1] for _t, r in proto.records()} == {4}
    assert relay.counters.records_filtered == 5
    vpp.close()
    tr.close()


async def test_rate_limit_shapes_without_loss(relay_with: Any) -> None:
    tr, proto, port = await sink()
    relay = await relay_with([coll("c", port, Format.IPFIX, rate=2000)])
    vpp = FakeVpp(relay.address)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    vpp.send([session(i) for i in range(4000)])
    await until(lambda: len(proto.records()) == 4000)
    took = loop.time() - t0
    assert took >= 1.0  # 4000 records at 2000/s (after a burst of at most 2000)
    assert relay.links["c"].queue.dropped == 0
    vpp.close()
    tr.close()


async def test_records_before_their_template_are_held_until_it_arrives(relay_with: Any) -> None:
    """A relay that (re)starts after VPP sent its templates gets data it cannot decode until VPP's next
    template refresh: it holds those sets and relays them once the template is there."""
    tr, proto, port = await sink()
    relay = await relay_with([coll("c", port, Format.IPFIX)])
    vpp = FakeVpp(relay.address)
    vpp.exp.export(VPP_SESSION.template_id, [session(0)])  # the templates went out before the relay
    vpp.send([session(i) for i in range(1, 6)])
    await until(lambda: relay.counters.unknown_template_sets == 1)
    assert proto.records() == []
    vpp.exp.define_all_again()  # VPP's template refresh, with more data
    vpp.send([session(i) for i in range(6, 8)])
    await until(lambda: len(proto.records()) == 7)
    assert [r[0] for _t, r in proto.records()] == [session(i)[0] for i in range(1, 8)]
    vpp.close()
    tr.close()


async def test_reconfigure_keeps_unchanged_collectors_and_their_queues(relay_with: Any) -> None:
    tr1, p1_proto, p1 = await sink()
    tr2, _p2_proto, p2 = await sink()
    relay = await relay_with([coll("a", p1, Format.IPFIX), coll("b", p2, Format.IPFIX)])
    a, b = relay.links["a"], relay.links["b"]
    listen = relay.s.listen
    new = RelaySettings(listen, (coll("a", p1, Format.IPFIX), coll("b", p2, Format.NETFLOW_V9),
                                 coll("c", p2, Format.IPFIX)))  # fmt: skip
    await relay.reconfigure(new)
    assert relay.links["a"] is a  # unchanged: same queue, same sequence numbers
    assert relay.links["b"] is not b and relay.links["b"].exporter.format is Format.NETFLOW_V9
    assert set(relay.links) == {"a", "b", "c"}
    vpp = FakeVpp(relay.address)
    vpp.send([session(i) for i in range(5)])
    await until(lambda: len(p1_proto.records()) == 5)
    await relay.reconfigure(RelaySettings(listen, (coll("a", p1, Format.IPFIX),)))
    assert set(relay.links) == {"a"}
    vpp.close()
    tr1.close()
    tr2.close()
