"""NAT event logging on real VPP 26.06: tests/integration/test_natlog_vppsim.py's reconcile and refusal
bodies, and the whole path on the wire: the agent configures NAT44-ED, VPP's exporter 0 and its NAT
logging; UDP packets written into the inside port's veth create NAT sessions; VPP sends its IPFIX
records out of the outside port to the relay on the veth's host end; the relay decodes them (strictly:
nothing rejected) and delivers them to a collector on loopback, field by field."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _southbound_helpers import IF, AgentStack, addrs, port
from test_natlog_vppsim import (
    NAT,
    TEL,
    Sink,
    free_udp_port,
    setup,
    test_reconcile_repairs_an_exporter_changed_behind_the_agents_back,
    test_vpp_refusals_fail_the_commit_with_nothing_applied,
    until,
)

from agent.natlog.service import NatLogService

__all__ = [
    "setup",
    "test_reconcile_repairs_an_exporter_changed_behind_the_agents_back",
    "test_vpp_refusals_fail_the_commit_with_nothing_applied",
]

P0, P1 = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"
HOST_MAC = bytes.fromhex("020000bb0001")


def checksum(data: bytes) -> int:
    s = sum(struct.unpack(f"!{len(data) // 2}H", data + b"\0" * (len(data) % 2)))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF


def udp_frame(dst_mac: bytes, src: str, sport: int, dst: str, dport: int) -> bytes:
    payload = b"natlog"
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, socket.inet_aton(src),
                     socket.inet_aton(dst))  # fmt: skip
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return dst_mac + HOST_MAC + b"\x08\x00" + ip + udp


def vpp_mac(vpp: Any, name: str) -> bytes:
    c = vpp.client("mac")
    try:
        for i in c.api.sw_interface_dump():
            if str(i.interface_name) == name:
                return bytes(i.l2_address.mac_binary if hasattr(i.l2_address, "mac_binary") else i.l2_address)
    finally:
        c.disconnect()
    raise KeyError(name)


async def test_vpps_own_nat_records_reach_the_collector(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    vpp = vppsim_factory(ports=2)
    outside_host = vpp.peer(P1)
    subprocess.run(["ip", "addr", "add", "192.0.2.2/24", "dev", outside_host], check=True)
    st = AgentStack(vpp.api_socket, tmp_path / "data")
    await st.start()
    svc = NatLogService(tmp_path / "natlog")
    svc.follow(st.txn, lambda: st.ds.running.json())
    loop = asyncio.get_running_loop()
    sink = Sink()
    tr, _ = await loop.create_datagram_endpoint(lambda: sink, local_addr=("127.0.0.1", 0))
    try:
        relay_port = free_udp_port()
        nat = {"instances": {"instance": [{
            "id": 1, "policy": [{"id": 1, "external-ip-address-pool": [
                {"pool-id": 1, "external-ip-pool": "198.51.100.0/30"}]}],
            "bng-nat:inside-interface": [P0], "bng-nat:outside-interface": [P1],
        }]}}  # fmt: skip
        tel = {
            "collector": [{"name": "c", "address": "127.0.0.1", "port": tr.get_extra_info("sockname")[1],
                           "source-address": "192.0.2.1"}],
            "nat-logging": {"collector": ["c"], "event": ["session-create", "session-delete"], "domain-id": 3,
                            "relay": {"address": "192.0.2.2", "port": relay_port, "template-interval": 1}},
        }  # fmt: skip
        routes = {"static-routes": {"ipv4-route": [
            {"prefix": "203.0.113.0/24", "next-hop": [{"id": "1", "address": "192.0.2.2"}]}]}}  # fmt: skip
        await st.commit(
            updates=[
                (IF, {"interface": [port(P0, **addrs("10.0.0.1/24")), port(P1, **addrs("192.0.2.1/24"))]}),
                (NAT, nat),
                ("/bng-vrf:global-routing", routes),
                (TEL, tel),
            ]
        )
        await until(lambda: svc.relay is not None)
        mac = await asyncio.to_thread(vpp_mac, vpp, P0)
        flows = [(f"10.0.0.{10 + i % 5}", 20000 + i) for i in range(20)]
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
            s.bind((vpp.peer(P0), 0))
            for src, sport in flows:
                s.send(udp_frame(mac, src, sport, "203.0.113.7", 53))
        # VPP flushes its per-thread record buffer with each template refresh (1 s here)
        await until(lambda: len(sink.rows) >= 20, timeout=30)
        relay = svc.relay
        assert relay is not None
        assert dict(relay.counters.rejected) == {}  # VPP's messages decode strictly
        got = {(r["sourceIPv4Address"], r["sourceTransportPort"]): r for r in sink.rows}
        assert set(got) == set(flows)
        pool = ipaddress.ip_network("198.51.100.0/30")
        for r in got.values():
            assert r["layout"] == "nat44-session" and r["natEvent"] == 4
            assert ipaddress.ip_address(r["postNATSourceIPv4Address"]) in pool
            assert r["protocolIdentifier"] == 17 and r["ingressVRFID"] == 0
            assert 1024 <= r["postNAPTSourceTransportPort"] <= 65535
        # what VPP's session dump says matches the records
        c = vpp.client("sessions")
        try:
            sessions = {
                (str(x.inside_ip_address), int(x.inside_port)): (
                    str(x.outside_ip_address),
                    int(x.outside_port),
                )
                for u in c.api.nat44_user_dump()
                for x in c.api.nat44_user_session_v3_dump(ip_address=u.ip_address, vrf_id=u.vrf_id)
            }
        finally:
            c.disconnect()
        for key, r in got.items():
            assert sessions[key] == (r["postNATSourceIPv4Address"], r["postNAPTSourceTransportPort"])
    finally:
        tr.close()
        await svc.stop()
        await st.stop()
