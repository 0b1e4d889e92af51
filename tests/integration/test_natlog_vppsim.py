"""NAT event logging end to end on vppsim: a commit points VPP's exporter 0 at the agent's relay and
switches the NAT plugin's logging on; sessions vppsim creates are logged with VPP's record layout,
relayed, and arrive at an IPFIX and a NetFlow v9 collector field by field; removing the configuration
switches both off and stops the relay; reconcile repairs an exporter changed behind the agent's back."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from _southbound_helpers import AgentStack, vpp_snapshot

from agent.flowexport.decoder import Decoder
from agent.flowexport.template import record_dict
from agent.natlog.service import NatLogService
from agent.natlog.templates import layout_name

TEL = "/bng-telemetry:telemetry"
IF = "/ietf-interfaces:interfaces"
NAT = "/ietf-nat:nat"
P0, P1 = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"


def port(name: str) -> dict[str, Any]:
    return {"name": name, "type": "iana-if-type:ethernetCsmacd"}


def nat_instance(iid: int, pool: str, **extra: Any) -> dict[str, Any]:
    policy = {"id": 1, "external-ip-address-pool": [{"pool-id": 1, "external-ip-pool": pool}], **extra}
    return {"id": iid, "policy": [policy]}


SIDES = {"bng-nat:inside-interface": [P0], "bng-nat:outside-interface": [P1]}
DYNAMIC = {"instances": {"instance": [{**nat_instance(1, "198.51.100.0/28"), **SIDES}]}}


def free_udp_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


class Sink(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.datagrams: list[bytes] = []
        self.decoder = Decoder()
        self.rows: list[dict[str, Any]] = []

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.datagrams.append(data)
        d = self.decoder.decode(data, addr)
        for t, recs in d.sets:
            self.rows += [{"version": d.message.version, "layout": layout_name(t.fields), **record_dict(t, r)}
                          for r in recs]  # fmt: skip


async def until(cond: Callable[[], bool], timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.02)


@pytest.fixture
async def setup(vppsim_factory: Callable[..., Any], tmp_path: Path) -> AsyncIterator[Any]:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    svc = NatLogService(tmp_path / "natlog")
    svc.follow(st.txn, lambda: st.ds.running.json())
    loop = asyncio.get_running_loop()
    sinks = []
    for _ in range(2):
        proto = Sink()
        tr, _ = await loop.create_datagram_endpoint(lambda p=proto: p, local_addr=("127.0.0.1", 0))
        sinks.append((tr, proto, tr.get_extra_info("sockname")[1]))
    try:
        yield sim, st, svc, sinks
    finally:
        for tr, _p, _port in sinks:
            tr.close()
        await svc.stop()
        await st.stop()


def telemetry(relay_port: int, ipfix_port: int, v9_port: int, **nat: Any) -> dict[str, Any]:
    return {
        "collector": [
            {"name": "ipfix", "address": "127.0.0.1", "port": ipfix_port, "source-address": "192.0.2.1"},
            {"name": "v9", "address": "127.0.0.1", "port": v9_port, "protocol": "netflow-v9",
             "source-address": "192.0.2.1", "rate-limit": 50000},
        ],
        "nat-logging": {
            "collector": ["ipfix", "v9"],
            "event": ["session-create", "session-delete"],
            "domain-id": 42,
            "relay": {"port": relay_port, "vpp-source-address": "192.0.2.99", "template-interval": 1},
            **nat,
        },
    }  # fmt: skip


def sessions(base_port: int, n: int = 100, create: bool = True) -> list[dict[str, Any]]:
    return [
        {"inside": "10.0.0.7", "inside_port": base_port + i, "outside": "198.51.100.3",
         "outside_port": 1024 + i, "protocol": 6 if i % 2 else 17, "vrf_id": 0, "create": create}
        for i in range(n)
    ]  # fmt: skip


async def test_sessions_vppsim_creates_reach_both_collectors(setup: Any) -> None:
    sim, st, svc, sinks = setup
    (_t1, ipfix, p1), (_t2, v9, p2) = sinks
    relay_port = free_udp_port()
    await st.commit(updates=[(IF, {"interface": [port(P0), port(P1)]}), (NAT, DYNAMIC),
                             (TEL, telemetry(relay_port, p1, p2))])  # fmt: skip
    snap = await vpp_snapshot(sim.api_socket)
    assert snap["ipfix_exporters"] == [("127.0.0.1", relay_port, "192.0.2.99", 0, 1450, 1, True)]
    await until(lambda: svc.relay is not None)
    # 100 sessions made: 100 records in VPP's layout, 53 per message; then 10 of them expire
    made, gone = sessions(40000), sessions(40000, 10, create=False)
    assert sim.ctl("nat_events", sessions=made) == {
        "ok": True,
        "sessions": 100,
        "records": 100,
        "messages": 2,
    }
    assert sim.ctl("nat_events", sessions=gone)["records"] == 10
    await until(lambda: len(ipfix.rows) == 110 and len(v9.rows) == 110)
    for rows, version in ((ipfix.rows, 10), (v9.rows, 9)):
        assert {r["version"] for r in rows} == {version}
        assert {r["layout"] for r in rows} == {"nat44-session"}
        got = sorted((r["natEvent"], r["sourceTransportPort"], r) for r in rows)
        for (_e, _port, r), s in zip(got, made + gone, strict=True):
            assert r["natEvent"] == (4 if s["create"] else 5)
            assert r["sourceIPv4Address"] == s["inside"]
            assert r["postNATSourceIPv4Address"] == s["outside"]
            assert r["postNAPTSourceTransportPort"] == s["outside_port"]
            assert r["protocolIdentifier"] == s["protocol"]
            assert r["ingressVRFID"] == 0
    assert svc.relay is not None and svc.relay.counters.records_in == 110
    # the relay's own exports carry the configured domain
    assert {Decoder().decode(d).message.domain for d in ipfix.datagrams} == {42}
    # <operational>: each collector's statistics, merged with its configuration
    handle = st.ds.operational.register(TEL, svc.provide)
    await until(lambda: svc.relay is not None and svc.relay.links["v9"].counters.records_out == 110)
    text = st.ds.read("operational", fmt="json", config_only=False, applied_only=True, xpath=TEL)
    oper = json.loads(text or "{}")["bng-telemetry:telemetry"]
    st.ds.operational.unregister(handle)
    stats = {c["name"]: (c["address"], c["statistics"]) for c in oper["collector"]}
    assert stats["ipfix"][0] == "127.0.0.1" and stats["ipfix"][1]["sent-records"] == "110"
    assert int(stats["v9"][1]["sent-packets"]) >= 1

    # only session-create: the deletes stop at the relay
    await st.commit(updates=[(f"{TEL}/nat-logging", {"event": ["session-create"]})],
                    deletes=[f"{TEL}/nat-logging/event[.='session-delete']"])  # fmt: skip
    sim.ctl("nat_events", sessions=sessions(41000))
    sim.ctl("nat_events", sessions=sessions(41000, 10, create=False))
    await until(lambda: len(ipfix.rows) == 210 and len(v9.rows) == 210)
    await asyncio.sleep(0.3)
    assert len(ipfix.rows) == 210 and {r["natEvent"] for r in ipfix.rows[110:]} == {4}
    assert svc.relay.counters.records_filtered == 10

    # logging removed: VPP's exporter points nowhere, the NAT plugin stops, the relay goes
    await st.commit(deletes=[f"{TEL}/nat-logging"])
    snap = await vpp_snapshot(sim.api_socket)
    assert snap["ipfix_exporters"] == [("0.0.0.0", 4739, "0.0.0.0", 0, 512, 20, True)]
    assert svc.relay is None
    r = sim.ctl("nat_events", sessions=sessions(42000))
    assert (r["sessions"], r["records"]) == (100, 0)  # sessions, but nothing logged


async def test_det44_port_blocks_once_per_inside_host(setup: Any) -> None:
    sim, st, svc, sinks = setup
    (_t1, ipfix, p1), (_t2, v9, p2) = sinks
    match = {"subscriber-match": [{"match-id": 1, "subnet": "100.64.0.0/28"}]}
    inst = {**nat_instance(1, "192.0.2.0/30", **match), "bng-nat:mode": "deterministic", **SIDES}
    det = {"instances": {"instance": [inst]}}
    tel = telemetry(free_udp_port(), p1, p2)
    tel["nat-logging"]["event"] = ["port-block"]
    await st.commit(updates=[(IF, {"interface": [port(P0), port(P1)]}), (NAT, det), (TEL, tel)])
    await until(lambda: len(ipfix.rows) == 16 and len(v9.rows) == 16)
    # 16 inside hosts on 4 outside addresses: 4 per address, (65535 - 1023) / 4 = 16128 ports each
    for rows in (ipfix.rows, v9.rows):
        assert {r["layout"] for r in rows} == {"port-block"} and {r["natEvent"] for r in rows} == {16}
        by_host = {r["sourceIPv4Address"]: r for r in rows}
        assert len(by_host) == 16
        h = by_host["100.64.0.5"]  # offset 5: address 192.0.2.1, block 1 -> ports 17152..33279
        assert (h["postNATSourceIPv4Address"], h["portRangeStart"], h["portRangeEnd"]) == (
            "192.0.2.1",
            17152,
            33279,
        )
        assert h["portRangeNumPorts"] == 16128
    # VPP's own det44_forward agrees (the nat feature programmed the map)
    from vpp_papi import VPPApiClient

    from agent.vpp.api import api_json_files

    def forward() -> Any:
        c = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=sim.api_socket)
        c.connect("det")
        try:
            return c.api.det44_forward(in_addr="100.64.0.5")
        finally:
            c.disconnect()

    r = await asyncio.to_thread(forward)
    assert (str(r.out_addr), r.out_port_lo, r.out_port_hi) == ("192.0.2.1", 17152, 33279)
    # another commit that does not touch the map exports nothing again
    await st.commit(updates=[(f"{TEL}/nat-logging", {"domain-id": 9})])
    await asyncio.sleep(0.5)
    assert len(ipfix.rows) == 16 and svc.relay is not None and svc.relay.counters.port_blocks == 16


async def test_reconcile_repairs_an_exporter_changed_behind_the_agents_back(setup: Any) -> None:
    sim, st, _svc, sinks = setup
    relay_port = free_udp_port()
    await st.commit(updates=[(TEL, telemetry(relay_port, sinks[0][2], sinks[1][2]))])
    from vpp_papi import VPPApiClient

    from agent.vpp.api import api_json_files

    def tamper() -> None:
        c = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=sim.api_socket)
        c.connect("tamper")
        try:
            r = c.api.set_ipfix_exporter(collector_address="10.1.1.1", collector_port=2055,
                                         src_address="10.1.1.2", vrf_id=0, path_mtu=512,
                                         template_interval=5, udp_checksum=False)  # fmt: skip
            assert r.retval == 0
        finally:
            c.disconnect()

    await asyncio.to_thread(tamper)
    report = await st.sb.reconcile()
    assert report.write_calls == 1
    snap = await vpp_snapshot(sim.api_socket)
    assert snap["ipfix_exporters"] == [("127.0.0.1", relay_port, "192.0.2.99", 0, 1450, 1, True)]
    assert (await st.sb.reconcile()).write_calls == 0


async def test_vpp_refusals_fail_the_commit_with_nothing_applied(setup: Any) -> None:
    sim, st, svc, sinks = setup
    from agent.errors import AgentError

    cfg = telemetry(free_udp_port(), sinks[0][2], sinks[1][2])
    del cfg["nat-logging"]["relay"]["vpp-source-address"]
    cfg["collector"][0]["source-address"] = "2001:db8::1"  # exporter 0 takes IPv4 only
    with pytest.raises(AgentError) as info:
        await st.commit(updates=[(TEL, cfg)])
    assert "IPv4 source address" in str(info.value) and info.value.tag == "operation-failed"
    snap = await vpp_snapshot(sim.api_socket)
    assert snap["ipfix_exporters"][0][0] == "0.0.0.0"
    assert json.loads(st.ds.running.json() or "{}").get("bng-telemetry:telemetry") is None
    assert svc.relay is None
