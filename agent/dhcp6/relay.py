"""The DHCPv6 relay agent's logic (RFC 8415 section 19), without sockets: the service feeds it client
messages from the packet path and server messages from the host's sockets, and it answers through
:class:`RelayIO`.

- A client message (SOLICIT, REQUEST, RENEW ...) from an access interface that relays DHCPv6 becomes a
  Relay-Forward: hop-count 0, link-address the access interface's global address (or ::), peer-address the
  client's source, options Interface-ID (18: the access interface and the frame's VLANs, when the group
  sends it), Remote-ID (37, RFC 4649: the client MAC, when the group sends it) and Relay Message (9); it goes
  to every server of the group. A Relay-Forward from the access side is dropped: subscribers are not
  relays (a lower relay would be trusted configuration this model does not have).
- A Relay-Reply from a server is matched to the client by its Interface-ID and peer-address (the relay
  remembers where each client spoke from, bounded), its Relay Message goes to the client from VPP's
  link-local address, UDP 547 -> 546, to the client's MAC with the client's tags.
- A Reply carrying addresses (IA_NA) and delegated prefixes (IA_PD) is handed to the :class:`BindingSink`
  before it goes to the client (the subscriber's route exists when the client starts using the
  prefix); a client's RELEASE/DECLINE withdraws what it names once forwarded.

Everything malformed, truncated, oversized or unexpected is counted by reason and dropped; the relay never
raises for what arrives on the wire.
"""

from __future__ import annotations

import logging
import struct
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from ipaddress import IPv6Address
from typing import Protocol

from agent.dhcp6 import codec
from agent.dhcp6.codec import Binding, Dhcp6Error, Message, RelayMessage
from agent.dhcp6.config import RelayConfig

log = logging.getLogger("agent.dhcp6")

#: clients remembered for the way back (interface-id, peer address) -> where they are
MAX_CLIENTS = 200_000
ETH_P_IPV6 = 0x86DD


@dataclass(frozen=True, slots=True)
class Client:
    """Where a client spoke from: the access interface, the frame's VLAN ids and tags, its MAC."""

    interface: str
    outer_vlan: int | None
    inner_vlan: int | None
    mac: bytes
    tags: tuple[object, ...]  # packetio VlanTag values, handed back to the packet path as they came


class RelayIO(Protocol):
    def to_server(
        self, group: str, server: IPv6Address, source: IPv6Address | None, payload: bytes
    ) -> bool: ...

    def to_client(self, client: Client, packet: bytes) -> bool: ...

    def link_local(self, interface: str) -> IPv6Address | None: ...


class BindingSink(Protocol):
    """Where bindings go (:class:`agent.dhcp6.sessions.SessionSink` makes them session addresses)."""

    async def bound(
        self, client: Client, circuit: tuple[bytes | None, bytes | None], b: list[Binding]
    ) -> None: ...

    async def released(self, client: Client, b: list[Binding]) -> None: ...


def interface_id(interface: str, outer: int | None, inner: int | None) -> bytes:
    """``<interface>[:<outer>[.<inner>]]``, the format of the DHCPv4 relay's interface-vlans circuit-id."""
    tags = ".".join(str(v) for v in (outer, inner) if v is not None)
    return f"{interface}:{tags}".encode() if tags else interface.encode()


def udp6(
    src: IPv6Address, dst: IPv6Address, sport: int, dport: int, payload: bytes, hop_limit: int = 255
) -> bytes:
    """An IPv6 packet carrying one UDP datagram (checksum over the pseudo-header, RFC 8200 8.1)."""
    length = 8 + len(payload)
    udp = struct.pack("!HHHH", sport, dport, length, 0) + payload
    pseudo = src.packed + dst.packed + struct.pack("!IxxxB", length, 17) + udp
    if len(pseudo) % 2:
        pseudo += b"\x00"
    total = sum(struct.unpack(f"!{len(pseudo) // 2}H", pseudo))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    csum = (~total) & 0xFFFF or 0xFFFF
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    return struct.pack("!IHBB", 6 << 28, length, 17, hop_limit) + src.packed + dst.packed + udp


class Relay:
    def __init__(
        self,
        io: RelayIO,
        sink: BindingSink | None = None,
        *,
        spawn: Callable[[Awaitable[None]], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.io = io
        self.sink = sink
        self.spawn = spawn
        self.clock = clock
        self.config = RelayConfig()
        self.clients: OrderedDict[tuple[bytes, IPv6Address], Client] = OrderedDict()
        self.received: Counter[str] = Counter()  # message type from clients and servers
        self.sent: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()

    def configure(self, config: RelayConfig) -> None:
        self.config = config

    def drop(self, reason: str) -> None:
        self.dropped[reason] += 1

    # ------------------------------------------------------------------ client side

    def from_client(
        self,
        interface: str,
        outer: int | None,
        inner: int | None,
        mac: bytes,
        tags: tuple[object, ...],
        src: IPv6Address,
        payload: bytes,
    ) -> Message | None:
        """One UDP payload a client sent to port 547 on an access interface; returns what was relayed."""
        access = self.config.access.get(interface)
        if access is None:
            self.drop("not-a-relaying-interface")
            return None
        try:
            msg = codec.decode(payload)
        except Dhcp6Error as e:
            self.drop(e.reason)
            return None
        if isinstance(msg, RelayMessage):
            self.drop("relay-message-from-a-client")
            return None
        if msg.msg_type not in codec.FROM_CLIENT:
            self.drop("not-a-client-message")
            return None
        self.received[codec.NAMES[msg.msg_type]] += 1
        client = Client(interface, outer, inner, mac, tags)
        iid = interface_id(interface, outer, inner)
        self._remember((iid, src), client)
        fwd = RelayMessage(codec.RELAY_FORW, 0, access.link_address, src)
        if access.group.interface_id:
            fwd.options.append((codec.OPT_INTERFACE_ID, iid))
        if access.group.remote_id:
            fwd.options.append((codec.OPT_REMOTE_ID, codec.remote_id(mac)))
        fwd.options.append((codec.OPT_RELAY_MSG, payload))
        data = fwd.encode()
        sent = False
        for server in access.group.servers:
            sent = self.io.to_server(access.group.name, server, access.group.source, data) or sent
        if not sent:
            self.drop("server-unreachable")
            return None
        self.sent["relay-forw"] += 1
        if msg.msg_type in (codec.RELEASE, codec.DECLINE) and self.sink is not None:
            try:
                gone = codec.released(msg)
            except Dhcp6Error as e:
                self.drop(e.reason)
                gone = []
            if gone:
                self._run(self.sink.released(client, gone))
        return msg

    def _remember(self, key: tuple[bytes, IPv6Address], client: Client) -> None:
        self.clients[key] = client
        self.clients.move_to_end(key)
        while len(self.clients) > MAX_CLIENTS:
            self.clients.popitem(last=False)

    # ------------------------------------------------------------------ server side

    def from_server(self, payload: bytes) -> Message | None:
        """One UDP payload from a server to the relay's port 547; returns what went to the client."""
        try:
            msg = codec.decode(payload)
        except Dhcp6Error as e:
            self.drop(e.reason)
            return None
        if not isinstance(msg, RelayMessage) or msg.msg_type != codec.RELAY_REPL:
            self.drop("not-a-relay-reply")
            return None
        self.received["relay-repl"] += 1
        inner = msg.get(codec.OPT_RELAY_MSG)
        if inner is None:
            self.drop("relay-reply-without-relay-message")
            return None
        iid = msg.get(codec.OPT_INTERFACE_ID)
        client = self._client_for(iid, msg.peer_address)
        if client is None:
            self.drop("unknown-client")
            return None
        try:
            reply = codec.decode(inner)
        except Dhcp6Error as e:
            self.drop(e.reason)
            return None
        if isinstance(reply, RelayMessage) or reply.msg_type not in codec.TO_CLIENT:
            self.drop("not-a-server-message")
            return None
        src = self.io.link_local(client.interface)
        if src is None:
            self.drop("no-link-local-address")
            return None
        if reply.msg_type == codec.REPLY and self.sink is not None:
            try:
                got = codec.bindings(reply)
            except Dhcp6Error as e:
                self.drop(e.reason)
                return None
            if got:
                circuit = (iid, codec.remote_id(client.mac))
                self._run(self._bind_then_send(client, circuit, got, src, msg.peer_address, inner))
                return reply
        self._send(client, src, msg.peer_address, inner, reply.msg_type)
        return reply

    def _client_for(self, iid: bytes | None, peer: IPv6Address) -> Client | None:
        if iid is not None:
            return self.clients.get((iid, peer))
        # no Interface-ID: find the client by its address alone (unique among link-locals in practice)
        for (_, p), c in reversed(self.clients.items()):
            if p == peer:
                return c
        return None

    def _send(self, client: Client, src: IPv6Address, dst: IPv6Address, inner: bytes, msg_type: int) -> None:
        packet = udp6(src, dst, codec.SERVER_PORT, codec.CLIENT_PORT, inner)
        if self.io.to_client(client, packet):
            self.sent[codec.NAMES[msg_type]] += 1
        else:
            self.drop("client-unreachable")

    async def _bind_then_send(
        self,
        client: Client,
        circuit: tuple[bytes | None, bytes | None],
        got: list[Binding],
        src: IPv6Address,
        dst: IPv6Address,
        inner: bytes,
    ) -> None:
        assert self.sink is not None
        try:
            await self.sink.bound(client, circuit, got)
        except Exception as e:  # the session could not be made: the client gets no Reply, and retries
            log.warning("dhcp6 binding for %s not recorded: %s", client.interface, e)
            self.drop("session-refused")
            return
        self._send(client, src, dst, inner, codec.REPLY)

    def _run(self, coro: Awaitable[None]) -> None:
        if self.spawn is None:
            raise RuntimeError("the relay needs spawn() to run its session updates")
        self.spawn(coro)
