"""The relay's decisions without sockets: configuration from running (JSON-IETF), Option 82 contents and
trust, giaddr / link selection / server-id override, where replies go, leases and their end, timeouts."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Dot1AD, Dot1Q, Ether
from scapy.packet import raw

from agent.dhcp4 import codec
from agent.dhcp4.config import relay_config
from agent.dhcp4.leases import Lease, LeaseTable
from agent.dhcp4.relay import Relay
from agent.packetio import AccessInterface, Frame, Protocol, VlanTag
from agent.packetio.frames import parse_ethernet

PORT = "GigabitEthernet0/8/0"
QINQ = f"{PORT}.200300"
MAC = "02:00:00:00:00:01"
SERVER = IPv4Address("192.0.2.50")
GW = IPv4Address("192.0.2.1")


def running(**relay: Any) -> dict[str, Any]:
    group = {"name": "g", "server": [str(SERVER)], **relay.pop("group", {})}
    return {
        "ietf-interfaces:interfaces": {
            "interface": [
                {"name": PORT, "ietf-ip:ipv4": {"address": [{"ip": "10.1.0.1", "prefix-length": 24}]}},
                {"name": "lo0", "ietf-ip:ipv4": {"address": [{"ip": "10.3.0.1", "prefix-length": 24}]}},
                {
                    "name": QINQ,
                    "bng-vrf:vrf": "cust",
                    "ietf-ip:ipv4": {"bng-interfaces:unnumbered": {"use-interface": "lo0"}},
                },
            ]
        },
        "bng-subscribers:subscribers": {
            "access-interfaces": {
                "access-interface": [
                    {"interface": PORT, "session-template": "t", "ipoe": {"dhcpv4-relay": "g"}},
                    {"interface": QINQ, "session-template": "t", "ipoe": {"dhcpv4-relay": "g"}},
                ]
            },
            "dhcpv4-relay": {"server-group": [group], "option82": relay.pop("option82", {})},
        },
    }


class IO:
    def __init__(self) -> None:
        self.servers: list[tuple[IPv4Address, bytes]] = []
        self.clients: list[tuple[str, tuple[VlanTag, ...], bytes, bytes]] = []

    def to_server(self, server: IPv4Address, payload: bytes) -> bool:
        self.servers.append((server, payload))
        return True

    def to_client(
        self, interface: AccessInterface, tags: tuple[VlanTag, ...], dst_mac: bytes, packet: bytes
    ) -> bool:
        self.clients.append((interface.name, tags, dst_mac, packet))
        return True


class Sink:
    def __init__(self) -> None:
        self.events: list[tuple[str, Lease, str]] = []

    def lease_bound(self, lease: Lease, renewed: bool) -> None:
        self.events.append(("renewed" if renewed else "bound", lease, ""))

    def lease_ended(self, lease: Lease, reason: str) -> None:
        self.events.append(("ended", lease, reason))


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(**relay: Any) -> tuple[Relay, IO, Sink, Clock]:
    io, sink, clock = IO(), Sink(), Clock()
    r = Relay(relay_config(running(**relay), "bng1"), io, LeaseTable(sink, clock=clock), clock=clock)  # type: ignore[arg-type]
    return r, io, sink, clock


def frame(kind: str, *, qinq: bool = False, xid: int = 7, **bootp: Any) -> Frame:
    opts = [("message-type", kind), *bootp.pop("options", []), "end"]
    pkt = Ether(src=MAC, dst="ff:ff:ff:ff:ff:ff")
    if qinq:
        pkt = pkt / Dot1AD(vlan=200) / Dot1Q(vlan=300)
    b = BOOTP(chaddr=bytes.fromhex(MAC.replace(":", "")), xid=xid, flags=0x8000, **bootp)
    data = raw(
        pkt / IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67) / b / DHCP(options=opts)
    )
    eth = parse_ethernet(data)
    name = QINQ if qinq else PORT
    acc = AccessInterface(name, 5 if qinq else 1, PORT, 1, bytes.fromhex("525400120008"), eth.tags)
    return Frame(data, Protocol.DHCPV4, acc, eth, "punt", 999.999)


def answer(request: bytes, kind: str, yiaddr: str = "10.1.0.100", **extra: Any) -> bytes:
    req = BOOTP(request)
    opts = [("message-type", kind), ("server_id", str(SERVER)), ("lease_time", 3600)]
    if req.haslayer(DHCP):
        rai = [o for o in req[DHCP].options if isinstance(o, tuple) and o[0] == "relay_agent_information"]
        opts += rai  # servers echo Option 82 (RFC 3046 section 2.2)
    fields = {"flags": req.flags, **extra}
    reply = BOOTP(op=2, xid=req.xid, chaddr=req.chaddr, giaddr=req.giaddr, yiaddr=yiaddr, **fields)
    return raw(reply / DHCP(options=[*opts, "end"]))


def rai_of(payload: bytes) -> dict[int, bytes]:
    return dict(codec.decode_rai(codec.decode(payload).option(82) or b""))


def test_configuration_from_running() -> None:
    cfg = relay_config(running(group={"vrf-servers": [{"vrf": "cust", "server": ["198.51.100.9"]}]}), "bng1")
    assert cfg.access[PORT].address == IPv4Address("10.1.0.1")
    assert cfg.access[QINQ].address == IPv4Address("10.3.0.1")  # the unnumbered lender's
    assert cfg.access[QINQ].vrf == "cust"
    assert cfg.access[QINQ].group.servers_for("cust") == (IPv4Address("198.51.100.9"),)
    assert cfg.access[PORT].group.servers_for(None) == (SERVER,)
    assert cfg.option82.circuit_id == "{interface}:{vlans}" and cfg.option82.remote_id == "{mac}"


def test_discover_is_relayed_with_giaddr_and_option82_and_the_offer_goes_back_broadcast() -> None:
    r, io, sink, _ = make()
    r.from_client(frame("discover", qinq=True))
    ((server, payload),) = io.servers
    m = codec.decode(payload)
    assert server == SERVER and m.giaddr == IPv4Address("10.3.0.1") and m.hops == 1
    rai = rai_of(payload)
    assert rai == {1: f"{QINQ}:200.300".encode(), 2: bytes.fromhex(MAC.replace(":", "")).hex(":").encode()}
    r.from_server(answer(payload, "offer"), SERVER)
    ((name, tags, dst_mac, packet),) = io.clients
    ip = IP(packet)
    assert name == QINQ and [t.vid for t in tags] == [200, 300] and dst_mac == b"\xff" * 6
    assert ip.src == "10.3.0.1" and ip.dst == "255.255.255.255" and ip[UDP].dport == 68
    assert 82 not in dict(codec.decode(raw(ip[UDP].payload)).options)  # stripped from the reply
    assert sink.events == []


def test_templates_link_selection_and_server_id_override() -> None:
    r, io, sink, _ = make(
        group={"gateway-address": str(GW), "link-selection": True, "server-id-override": True},
        option82={
            "circuit-id-format": "{hostname}/{port}/{svlan}/{cvlan}",
            "remote-id-format": "fixed-{mac}",
        },
    )
    r.from_client(frame("discover", qinq=True))
    payload = io.servers[0][1]
    assert codec.decode(payload).giaddr == GW
    rai = rai_of(payload)
    assert rai[1] == f"bng1/{PORT}/200/300".encode() and rai[2] == f"fixed-{MAC}".encode()
    assert rai[5] == IPv4Address("10.3.0.1").packed and rai[11] == IPv4Address("10.3.0.1").packed
    r.from_server(answer(payload, "offer"), SERVER)
    offer = codec.decode(raw(IP(io.clients[0][3])[UDP].payload))
    assert offer.address_option(54) == IPv4Address("10.3.0.1")  # the client renews through the relay
    request = frame(
        "request", qinq=True, options=[("server_id", "10.3.0.1"), ("requested_addr", "10.1.0.100")]
    )
    r.from_client(request)
    assert codec.decode(io.servers[1][1]).address_option(54) == SERVER  # the server gets its own back
    r.from_server(answer(io.servers[1][1], "ack"), SERVER)
    ((kind, lease, _),) = sink.events
    assert kind == "bound" and lease.key == (QINQ, 200, 300, bytes.fromhex(MAC.replace(":", "")))
    assert lease.address == IPv4Address("10.1.0.100") and lease.server == SERVER
    assert lease.circuit_id == f"bng1/{PORT}/200/300".encode()


def test_untrusted_option82_and_giaddr_are_dropped_trusted_kept() -> None:
    r, io, _, _ = make()
    r.from_client(frame("discover", options=[("relay_agent_information", b"\x01\x03abc")]))
    r.from_client(frame("discover", giaddr="10.9.9.9"))
    assert io.servers == [] and r.counters.dropped == {"option82-untrusted": 2}
    r2, io2, _, _ = make(option82={"trusted-interface": [PORT]})
    r2.from_client(frame("discover", options=[("relay_agent_information", b"\x01\x03abc")]))
    assert rai_of(io2.servers[0][1]) == {1: b"abc"}  # 'keep': the access node's Option 82
    r3, io3, _, _ = make(option82={"trusted-interface": [PORT], "received": "replace"})
    r3.from_client(frame("discover", options=[("relay_agent_information", b"\x01\x03abc")]))
    assert rai_of(io3.servers[0][1])[1] == PORT.encode()
    r4, io4, _, _ = make(option82={"trusted-interface": [PORT], "received": "drop"})
    r4.from_client(frame("discover", options=[("relay_agent_information", b"\x01\x03abc")]))
    assert io4.servers == [] and r4.counters.dropped == {"option82-received": 1}


def test_release_nak_decline_and_expiry_end_the_lease() -> None:
    r, io, sink, clock = make()

    def bind(xid: int) -> None:
        r.from_client(frame("request", xid=xid))
        r.from_server(answer(io.servers[-1][1], "ack"), SERVER)

    bind(1)
    assert len(r.leases) == 1 and sink.events[-1][0] == "bound"
    r.from_client(frame("release", xid=2, ciaddr="10.1.0.100"))
    assert sink.events[-1][0] == "ended" and sink.events[-1][2] == "release" and len(r.leases) == 0
    bind(3)
    r.from_client(frame("request", xid=4))
    r.from_server(answer(io.servers[-1][1], "nak", yiaddr="0.0.0.0"), SERVER)
    assert sink.events[-1][2] == "nak" and IP(io.clients[-1][3]).dst == "255.255.255.255"
    bind(5)
    r.from_client(frame("decline", xid=6, options=[("requested_addr", "10.1.0.100")]))
    assert sink.events[-1][2] == "decline"
    bind(7)
    bind(8)
    assert sink.events[-1][0] == "renewed"
    clock.now += 3599
    assert r.leases.expire() == 0
    clock.now += 2
    assert r.leases.expire() == 1 and sink.events[-1][2] == "expired"


def test_unicast_reply_to_a_renewing_client_and_unknown_or_foreign_replies() -> None:
    r, io, _, _ = make()
    r.from_client(frame("request", xid=9, ciaddr="10.1.0.100"))
    r.from_server(answer(io.servers[-1][1], "ack", ciaddr="10.1.0.100", flags=0), SERVER)
    _, _, dst_mac, packet = io.clients[-1]
    assert IP(packet).dst == "10.1.0.100" and dst_mac == bytes.fromhex(MAC.replace(":", ""))
    r.from_server(answer(io.servers[-1][1], "ack"), SERVER)  # answered already
    assert r.counters.dropped["unknown-transaction"] == 1
    foreign = raw(BOOTP(op=2, xid=1, giaddr="10.200.0.1") / DHCP(options=[("message-type", "offer"), "end"]))
    r.from_server(foreign, SERVER)
    assert r.counters.dropped["foreign-giaddr"] == 1


def test_server_timeout_malformed_hops_and_per_client_rate() -> None:
    r, _, _, clock = make(group={"response-timeout": 2})
    r.from_client(frame("discover"))
    clock.now += 1
    assert r.expire_pending() == 0
    clock.now += 1.5
    assert r.expire_pending() == 1 and r.counters.errors["server-timeout"] == 1 and not r.pending
    bad = frame("discover")
    r.from_client(bad._replace(data=bad.data[:-300]))
    r.from_client(frame("discover", hops=16))
    assert r.counters.dropped == {"truncated": 1, "hops": 1}, r.counters.dropped
    clock.now += 10
    for _ in range(25):
        r.from_client(frame("discover"))
    assert r.counters.dropped["client-rate-limited"] == 15
    assert r.counters.packets[("to-server", "discover")] == 11
