"""The DHCPv6 relay's codec and logic without sockets (agent/dhcp6): what goes to the servers and back to
the client, the bindings a Reply hands to the session side, and malformed input counted, never raised."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable
from ipaddress import IPv6Address, IPv6Network
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.dhcp6 import codec
from agent.dhcp6.codec import Binding, Dhcp6Error, Message, RelayMessage
from agent.dhcp6.config import AccessRelay, RelayConfig, ServerGroup, relay_config
from agent.dhcp6.relay import Client, Relay, interface_id

ACCESS = "GigabitEthernet0/8/0.100"
MAC = bytes.fromhex("020000000a01")
CLIENT_LL = IPv6Address("fe80::ff:fe00:a01")
VPP_LL = IPv6Address("fe80::1")
SERVER = IPv6Address("fd00::2")
LINK = IPv6Address("2001:db8:a::1")


class FakeIO:
    def __init__(self) -> None:
        self.servers: list[tuple[IPv6Address, bytes]] = []
        self.clients: list[tuple[Client, bytes]] = []

    def to_server(self, group: str, server: IPv6Address, source: IPv6Address | None, payload: bytes) -> bool:
        self.servers.append((server, payload))
        return True

    def to_client(self, client: Client, packet: bytes) -> bool:
        self.clients.append((client, packet))
        return True

    def link_local(self, interface: str) -> IPv6Address | None:
        return VPP_LL


class FakeSink:
    def __init__(self) -> None:
        self.bound_calls: list[tuple[Client, tuple[bytes | None, bytes | None], list[Binding]]] = []
        self.released_calls: list[tuple[Client, list[Binding]]] = []

    async def bound(
        self, client: Client, circuit: tuple[bytes | None, bytes | None], b: list[Binding]
    ) -> None:
        self.bound_calls.append((client, circuit, b))

    async def released(self, client: Client, b: list[Binding]) -> None:
        self.released_calls.append((client, b))


def relay(sink: FakeSink | None = None) -> tuple[Relay, FakeIO, list[Awaitable[None]]]:
    io = FakeIO()
    pending: list[Awaitable[None]] = []
    r = Relay(io, sink, spawn=pending.append)
    group = ServerGroup("g", (SERVER,))
    r.configure(RelayConfig({ACCESS: AccessRelay(ACCESS, group, LINK)}))
    return r, io, pending


def ia_na(iaid: int, addr: str, preferred: int, valid: int) -> tuple[int, bytes]:
    iaaddr = IPv6Address(addr).packed + struct.pack("!II", preferred, valid)
    body = struct.pack("!III", iaid, 0, 0) + codec.encode_options([(codec.OPT_IAADDR, iaaddr)])
    return (codec.OPT_IA_NA, body)


def ia_pd(iaid: int, prefix: str, preferred: int, valid: int, status: int | None = None) -> tuple[int, bytes]:
    net = IPv6Network(prefix)
    iaprefix = struct.pack("!IIB", preferred, valid, net.prefixlen) + net.network_address.packed
    inner = [(codec.OPT_IAPREFIX, iaprefix)]
    if status is not None:
        inner.append((codec.OPT_STATUS_CODE, struct.pack("!H", status) + b"no"))
    return (codec.OPT_IA_PD, struct.pack("!III", iaid, 0, 0) + codec.encode_options(inner))


def solicit() -> bytes:
    return Message(codec.SOLICIT, 0x123456, [(codec.OPT_CLIENTID, b"\x00\x03\x00\x01" + MAC)]).encode()


def test_a_solicit_becomes_a_relay_forward_with_interface_id_remote_id_and_the_message() -> None:
    r, io, _ = relay()
    payload = solicit()
    assert r.from_client(ACCESS, 100, 7, MAC, (), CLIENT_LL, payload) is not None
    ((server, data),) = io.servers
    assert server == SERVER
    fwd = codec.decode(data)
    assert isinstance(fwd, RelayMessage)
    assert (fwd.msg_type, fwd.hop_count, fwd.link_address, fwd.peer_address) == (
        codec.RELAY_FORW,
        0,
        LINK,
        CLIENT_LL,
    )
    assert fwd.get(codec.OPT_INTERFACE_ID) == f"{ACCESS}:100.7".encode()
    assert fwd.get(codec.OPT_REMOTE_ID) == codec.REMOTE_ID_ENTERPRISE.to_bytes(4, "big") + MAC  # RFC 4649
    assert fwd.get(codec.OPT_RELAY_MSG) == payload  # forwarded byte for byte
    assert r.received["solicit"] == 1 and r.sent["relay-forw"] == 1


def test_a_group_can_leave_out_interface_id_and_remote_id() -> None:
    r, io, _ = relay()
    group = ServerGroup("g", (SERVER,), interface_id=False, remote_id=False)
    r.configure(RelayConfig({ACCESS: AccessRelay(ACCESS, group, LINK)}))
    r.from_client(ACCESS, None, None, MAC, (), CLIENT_LL, solicit())
    fwd = codec.decode(io.servers[0][1])
    assert isinstance(fwd, RelayMessage) and [c for c, _ in fwd.options] == [codec.OPT_RELAY_MSG]


def test_the_reply_goes_back_to_the_client_from_vpps_link_local_address_to_port_546() -> None:
    r, io, _ = relay()
    r.from_client(ACCESS, 100, None, MAC, ("tag",), CLIENT_LL, solicit())
    adv = Message(codec.ADVERTISE, 0x123456, [(codec.OPT_SERVERID, b"\x00\x01")]).encode()
    iid = interface_id(ACCESS, 100, None)
    rep = RelayMessage(
        codec.RELAY_REPL, 0, LINK, CLIENT_LL, [(codec.OPT_INTERFACE_ID, iid), (codec.OPT_RELAY_MSG, adv)]
    )
    assert r.from_server(rep.encode()) is not None
    ((client, packet),) = io.clients
    assert client == Client(ACCESS, 100, None, MAC, ("tag",))
    assert IPv6Address(packet[8:24]) == VPP_LL and IPv6Address(packet[24:40]) == CLIENT_LL
    assert packet[6] == 17 and struct.unpack("!HH", packet[40:44]) == (547, 546)
    assert packet[48:] == adv
    assert r.sent["advertise"] == 1


def test_a_reply_with_addresses_and_a_delegated_prefix_is_bound_before_the_client_gets_it() -> None:
    sink = FakeSink()
    r, io, pending = relay(sink)
    r.from_client(ACCESS, 100, None, MAC, (), CLIENT_LL, solicit())
    reply = Message(
        codec.REPLY,
        1,
        [
            ia_na(1, "2001:db8:a::10", 1800, 3600),
            ia_pd(2, "2001:db8:100::/56", 1800, 3600),
            ia_pd(3, "2001:db8:200::/56", 0, 0),
        ],
    ).encode()
    iid = interface_id(ACCESS, 100, None)
    rep = RelayMessage(
        codec.RELAY_REPL, 0, LINK, CLIENT_LL, [(codec.OPT_INTERFACE_ID, iid), (codec.OPT_RELAY_MSG, reply)]
    )
    r.from_server(rep.encode())
    assert io.clients == [] and len(pending) == 1  # nothing to the client before the session exists
    asyncio.run(pending.pop())  # type: ignore[arg-type]
    ((_, circuit, got),) = sink.bound_calls
    assert circuit[0] == iid
    assert got == [
        Binding(1, IPv6Network("2001:db8:a::10/128"), 1800, 3600, False),
        Binding(2, IPv6Network("2001:db8:100::/56"), 1800, 3600, True),
    ]  # the valid lifetime 0 one is being withdrawn (RFC 8415 18.2.10.1)
    assert len(io.clients) == 1


def test_an_ia_with_an_error_status_binds_nothing() -> None:
    msg = Message(codec.REPLY, 1, [ia_pd(1, "2001:db8:100::/56", 1800, 3600, status=6)])
    assert codec.bindings(msg) == []


def test_a_release_withdraws_what_it_names_after_forwarding() -> None:
    sink = FakeSink()
    r, io, pending = relay(sink)
    rel = Message(codec.RELEASE, 9, [ia_pd(2, "2001:db8:100::/56", 0, 0)]).encode()
    r.from_client(ACCESS, 100, None, MAC, (), CLIENT_LL, rel)
    assert len(io.servers) == 1
    asyncio.run(pending.pop())  # type: ignore[arg-type]
    ((_, gone),) = sink.released_calls
    assert gone[0].prefix == IPv6Network("2001:db8:100::/56") and gone[0].delegated


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x01\x00", "truncated-header"),
        (b"\x01\x00\x00\x01\x00\x01\x00\x10abc", "truncated-option"),
        (b"\x01\x00\x00\x01\x00", "truncated-option"),
        (b"\x63\x00\x00\x01", "unknown-message-type"),
        (b"\x01" + bytes(5000), "oversized"),
        (b"\x01\x00\x00\x01" + b"\x00\x08\x00\x00" * 200, "too-many-options"),
    ],
)
def test_malformed_client_messages_are_counted_by_reason(data: bytes, reason: str) -> None:
    r, io, _ = relay()
    assert r.from_client(ACCESS, None, None, MAC, (), CLIENT_LL, data) is None
    assert r.dropped[reason] == 1 and io.servers == []


def test_spoofed_relay_messages_and_server_messages_from_clients_are_dropped() -> None:
    r, io, _ = relay()
    fwd = RelayMessage(codec.RELAY_FORW, 0, LINK, CLIENT_LL, [(codec.OPT_RELAY_MSG, solicit())]).encode()
    r.from_client(ACCESS, None, None, MAC, (), CLIENT_LL, fwd)
    r.from_client(ACCESS, None, None, MAC, (), CLIENT_LL, Message(codec.REPLY, 1).encode())
    r.from_client("GigabitEthernet0/9/0", None, None, MAC, (), CLIENT_LL, solicit())
    assert io.servers == []
    assert r.dropped == {
        "relay-message-from-a-client": 1,
        "not-a-client-message": 1,
        "not-a-relaying-interface": 1,
    }


def test_server_side_garbage_and_unknown_clients_are_counted() -> None:
    r, io, _ = relay()
    r.from_server(b"\x0d\x00")
    r.from_server(solicit())
    rep = RelayMessage(
        codec.RELAY_REPL, 0, LINK, CLIENT_LL, [(codec.OPT_RELAY_MSG, Message(codec.REPLY, 1).encode())]
    )
    r.from_server(rep.encode())
    bad_iaprefix = Message(
        codec.REPLY,
        1,
        [
            (
                codec.OPT_IA_PD,
                struct.pack("!III", 1, 0, 0) + codec.encode_options([(codec.OPT_IAPREFIX, b"\x00" * 5)]),
            )
        ],
    )
    with pytest.raises(Dhcp6Error):
        codec.bindings(bad_iaprefix)
    assert (
        r.dropped == {"truncated-header": 1, "not-a-relay-reply": 1, "unknown-client": 1} and io.clients == []
    )


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_never_raise(data: bytes) -> None:
    r, _, pending = relay(FakeSink())
    r.from_client(ACCESS, None, None, MAC, (), CLIENT_LL, data)
    r.from_server(data)
    wrapped = RelayMessage(codec.RELAY_REPL, 0, LINK, CLIENT_LL, [(codec.OPT_RELAY_MSG, data)]).encode()
    r.from_server(wrapped)
    for p in pending:
        asyncio.run(p)  # type: ignore[arg-type]


def test_relay_config_from_running() -> None:
    running: dict[str, Any] = {
        "ietf-interfaces:interfaces": {
            "interface": [
                {
                    "name": ACCESS,
                    "ietf-ip:ipv6": {
                        "address": [
                            {"ip": "fe80::1", "prefix-length": 64},
                            {"ip": "2001:db8:a::1", "prefix-length": 64},
                        ]
                    },
                }
            ]
        },
        "bng-subscribers:subscribers": {
            "access-interfaces": {
                "access-interface": [
                    {"interface": ACCESS, "session-template": "t", "ipoe": {"dhcpv6-relay": "g"}},
                    {"interface": "other", "session-template": "t", "pppoe": {}},
                ]
            },
            "dhcpv6-relay": {
                "server-group": [
                    {"name": "g", "server": ["fd00::2"], "source-address": "fd00::1", "remote-id": False}
                ]
            },
        },
    }
    cfg = relay_config(running)
    assert list(cfg.access) == [ACCESS]
    a = cfg.access[ACCESS]
    assert (
        a.link_address == LINK and a.group.servers == (SERVER,) and a.group.source == IPv6Address("fd00::1")
    )
    assert a.group.interface_id and not a.group.remote_id
