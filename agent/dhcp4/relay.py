"""The DHCPv4 relay (RFC 2131 section 4.1, RFC 3046, RFC 3527, RFC 5107): client requests from access
interfaces to the servers, server replies back to the client, and the leases that come of it.

No I/O of its own: frames come in as :class:`agent.packetio.Frame` (punted by VPP), server datagrams as
bytes; what goes out is handed to a :class:`RelayIO` (the service sends to servers from the host's UDP
stack and to clients through the packet path). That keeps every decision testable without sockets.

Per request, in order, each refusal counted in ``bng_dhcp4_dropped_total{reason}``: decode the IPv4/UDP
headers and the message (strict bounds: ``truncated``, ``oversized``, ``malformed``), the interface
must relay (``not-relayed``), the hop count (``hops``), Option 82 trust (``option82-untrusted``: a client
on an untrusted interface sending Option 82 or a giaddr is spoofing), a per-client rate limit
(``client-rate-limited``: one MAC flooding DISCOVERs), giaddr / link selection / server-id override, Option
82 insertion, and one copy per server. Replies are matched to the request by (xid, chaddr); their
Option 82 is removed, and they go to the client by broadcast or unicast as RFC 2131 section 4.1 says.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Protocol

from agent.dhcp4 import codec
from agent.dhcp4.codec import (
    BOOTREPLY,
    BROADCAST_FLAG,
    CLIENT_PORT,
    OPT_LEASE_TIME,
    OPT_RAI,
    OPT_REQUESTED_IP,
    OPT_SERVER_ID,
    RAI_CIRCUIT_ID,
    RAI_LINK_SELECTION,
    RAI_REMOTE_ID,
    RAI_SERVER_ID_OVERRIDE,
    SERVER_PORT,
    DhcpError,
    Message,
    MessageType,
)
from agent.dhcp4.config import AccessRelay, RelayConfig, render
from agent.dhcp4.leases import Lease, LeaseKey, LeaseTable
from agent.dhcp4.metrics import DROP_REASONS, Dhcp4Counters
from agent.dhcp4.ratelog import RateLimitedLog
from agent.packetio import AccessInterface, Frame, VlanTag

log = logging.getLogger(__name__)

MAX_HOPS = 16  # RFC 1542 section 4.1.1: discard at the configured maximum (16 is the usual default)
ZERO = IPv4Address(0)
BROADCAST = IPv4Address("255.255.255.255")
BROADCAST_MAC = b"\xff" * 6
#: Requests waiting for a server answer; the oldest goes first when full (counted, pending-evicted).
MAX_PENDING = 65_536
#: Per client (interface, tags, MAC): at most this many requests per second; dhclient sends one every
#: few seconds, so a client above it is flooding.
CLIENT_RATE = 10
MAX_TRACKED_CLIENTS = 65_536
#: Relay latencies kept for the benchmark (ring buffer of seconds, DISCOVER in to DISCOVER out).
LATENCY_RING = 100_000


class RelayIO(Protocol):
    """Where relayed messages go."""

    def to_server(self, server: IPv4Address, payload: bytes) -> bool: ...

    def to_client(
        self, interface: AccessInterface, tags: tuple[VlanTag, ...], dst_mac: bytes, packet: bytes
    ) -> bool: ...


@dataclass(slots=True)
class Pending:
    """A relayed request waiting for its answer: where the client is."""

    interface: AccessInterface
    relay: AccessRelay
    tags: tuple[VlanTag, ...]
    client_mac: bytes
    message: MessageType
    deadline: float
    answered: bool = False


def _message_label(t: MessageType | None) -> str:
    return t.name.lower() if t is not None else "unknown"


def lease_key(interface: str, tags: tuple[VlanTag, ...], mac: bytes) -> LeaseKey:
    return LeaseKey(interface, tags[0].vid if tags else 0, tags[1].vid if len(tags) > 1 else 0, mac)


class Relay:
    def __init__(
        self,
        config: RelayConfig,
        io: RelayIO,
        leases: LeaseTable | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        client_rate: int = CLIENT_RATE,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.config = config
        self.io = io
        self.leases = leases if leases is not None else LeaseTable(clock=clock)
        self.clock = clock
        self.client_rate = client_rate
        self.max_pending = max_pending
        self.counters = Dhcp4Counters()
        self.pending: OrderedDict[tuple[int, bytes], Pending] = OrderedDict()
        self._clients: OrderedDict[tuple[str, tuple[VlanTag, ...], bytes], tuple[float, int]] = OrderedDict()
        self._gateways = config.gateways()
        self._server_of: OrderedDict[LeaseKey, IPv4Address] = OrderedDict()
        self.latencies: list[float] = []
        self._lat_i = 0
        self.rlog = RateLimitedLog(log, clock=clock)

    def configure(self, config: RelayConfig) -> None:
        self.config = config
        self._gateways = config.gateways()

    # ------------------------------------------------------------------ client -> server

    def _drop(self, reason: str, frame: Frame | None = None, detail: str = "") -> None:
        assert reason in DROP_REASONS, reason
        self.counters.drop(reason)
        where = frame.interface.name if frame is not None else "server"
        mac = frame.eth.src.hex(":") if frame is not None else "-"
        self.rlog.warning(reason, "dhcp4 drop reason=%s interface=%s mac=%s %s", reason, where, mac, detail)

    def from_client(self, frame: Frame) -> None:
        """A frame punted from an access interface (UDP to port 67)."""
        try:
            dg = codec.decode_udp4(frame.payload)
            if dg.dport != SERVER_PORT:
                raise DhcpError("malformed", f"UDP port {dg.dport}")
            msg = codec.decode(dg.payload)
        except DhcpError as e:
            reason = e.reason if e.reason in ("truncated", "oversized") else "malformed"
            self._drop(reason, frame, str(e))
            return
        if msg.op == BOOTREPLY:  # a server's answer to giaddr that VPP punted (giaddr on VPP)
            self.from_server(dg.payload, dg.src)
            return
        mtype = msg.message_type
        self.counters.packet("from-client", _message_label(mtype))
        acc = frame.interface
        relay = self.config.access.get(acc.name)
        if relay is None:
            self._drop("not-relayed", frame)
            return
        if mtype is None:
            self._drop("no-message-type", frame)
            return
        if msg.hops >= MAX_HOPS:
            self._drop("hops", frame, f"hops={msg.hops}")
            return
        opt82 = self.config.option82
        received_rai = msg.option(OPT_RAI)
        trusted = acc.name in opt82.trusted
        if not trusted and (received_rai is not None or msg.giaddr != ZERO):
            self._drop(
                "option82-untrusted", frame, f"giaddr={msg.giaddr} option82={received_rai is not None}"
            )
            return
        if received_rai is not None and opt82.received == "drop":
            self._drop("option82-received", frame)
            return
        tags = frame.eth.tags
        mac = msg.mac if msg.hlen == 6 else frame.eth.src
        if not self._client_allowed(acc.name, tags, mac):
            self._drop("client-rate-limited", frame, f"message={_message_label(mtype)}")
            return
        group = relay.group
        giaddr = msg.giaddr
        if giaddr == ZERO:
            if group.link_selection or (group.gateway is not None):
                giaddr = group.gateway if group.gateway is not None else ZERO
            else:
                giaddr = relay.address or ZERO
        if giaddr == ZERO or ((group.link_selection or group.server_id_override) and relay.address is None):
            self._drop("no-gateway-address", frame)
            return
        try:
            rai = self._rai(msg, frame, relay, mac, received_rai)
        except DhcpError:
            self._drop("malformed", frame, "bad Option 82 from a trusted interface")
            return
        key = lease_key(acc.name, tags, mac)
        options = tuple((c, v) for c, v in msg.options if c != OPT_RAI)
        if group.server_id_override and relay.address is not None:
            options = self._server_id_to_server(options, key, relay.address)
        if rai is not None:
            options += ((OPT_RAI, rai),)
        relayed = msg.with_options(options, hops=msg.hops + 1, giaddr=giaddr)
        try:
            data = codec.encode(relayed, pad_to=0)
        except DhcpError:
            self._drop("oversized", frame, "too long after adding Option 82")
            return
        now = self.clock()
        self._remember(msg, Pending(acc, relay, tags, frame.eth.src, mtype, now + group.response_timeout))
        label = _message_label(mtype)
        for server in group.servers_for(relay.vrf):
            if self.io.to_server(server, data):
                self.counters.packet("to-server", label)
            else:
                self.counters.error("server-send-failed")
        self._latency(self.clock() - frame.received_at)
        if mtype is MessageType.RELEASE:
            self.leases.end(key, "release", msg.ciaddr)
        elif mtype is MessageType.DECLINE:
            self.leases.end(key, "decline", msg.address_option(OPT_REQUESTED_IP))

    def _rai(
        self, msg: Message, frame: Frame, relay: AccessRelay, mac: bytes, received: bytes | None
    ) -> bytes | None:
        """The Option 82 to send: the trusted access node's ('keep') or ours, plus link selection and
        server identifier override when the group asks for them."""
        opt82 = self.config.option82
        subs: list[tuple[int, bytes]] = []
        if received is not None and opt82.received == "keep":
            subs = list(codec.decode_rai(received))
        elif opt82.insert:
            tags = frame.eth.tags
            acc = frame.interface
            fields = {
                "interface": acc.name,
                "port": acc.port,
                "svlan": tags[0].vid if tags else 0,
                "cvlan": tags[1].vid if len(tags) > 1 else 0,
                "mac": mac,
                "hostname": self.config.hostname,
            }
            circuit = render(opt82.circuit_id, **fields)  # type: ignore[arg-type]
            remote = render(opt82.remote_id, **fields) if opt82.remote_id else b""  # type: ignore[arg-type]
            if circuit:
                subs.append((RAI_CIRCUIT_ID, circuit))
            if remote:
                subs.append((RAI_REMOTE_ID, remote))
        have = {c for c, _ in subs}
        group = relay.group
        if group.link_selection and relay.address is not None and RAI_LINK_SELECTION not in have:
            subs.append((RAI_LINK_SELECTION, relay.address.packed))
        if group.server_id_override and relay.address is not None and RAI_SERVER_ID_OVERRIDE not in have:
            subs.append((RAI_SERVER_ID_OVERRIDE, relay.address.packed))
        return codec.encode_rai(tuple(subs)) if subs else None

    def _server_id_to_server(
        self, options: tuple[tuple[int, bytes], ...], key: LeaseKey, ours: IPv4Address
    ) -> tuple[tuple[int, bytes], ...]:
        """A client names the relay as its server (server identifier override): give the server its
        own identifier back. Servers that implement RFC 5107 accept either; others (Kea 2.2 does not
        put the override into option 54) need their own."""
        real = self._server_of.get(key)
        if real is None:
            return options
        return tuple((c, real.packed if c == OPT_SERVER_ID and v == ours.packed else v) for c, v in options)

    def _server_id_to_client(
        self, options: tuple[tuple[int, bytes], ...], key: LeaseKey, ours: IPv4Address
    ) -> tuple[tuple[int, bytes], ...]:
        """Clients see the relay's address as server identifier, so they renew and release through it
        (RFC 5107 section 4); the server's own is remembered per client."""
        out = []
        for c, v in options:
            if c == OPT_SERVER_ID and len(v) == 4 and v != ours.packed:
                self._server_of[key] = IPv4Address(v)
                self._server_of.move_to_end(key)
                if len(self._server_of) > MAX_TRACKED_CLIENTS:
                    self._server_of.popitem(last=False)
                v = ours.packed
            out.append((c, v))
        return tuple(out)

    def _client_allowed(self, interface: str, tags: tuple[VlanTag, ...], mac: bytes) -> bool:
        """A fixed one-second window per client; the table of clients is bounded (oldest forgotten)."""
        key = (interface, tags, mac)
        now = self.clock()
        got = self._clients.get(key)
        if got is None or now - got[0] >= 1.0:
            self._clients[key] = (now, 1)
            self._clients.move_to_end(key)
            if len(self._clients) > MAX_TRACKED_CLIENTS:
                self._clients.popitem(last=False)
            return True
        start, n = got
        if n >= self.client_rate:
            return False
        self._clients[key] = (start, n + 1)
        return True

    def _remember(self, msg: Message, pending: Pending) -> None:
        key = (msg.xid, msg.chaddr)
        self.pending.pop(key, None)
        self.pending[key] = pending
        if len(self.pending) > self.max_pending:
            self.pending.popitem(last=False)
            self.counters.error("pending-evicted")

    def _latency(self, seconds: float) -> None:
        if len(self.latencies) < LATENCY_RING:
            self.latencies.append(seconds)
        else:
            self.latencies[self._lat_i] = seconds
            self._lat_i = (self._lat_i + 1) % LATENCY_RING

    def expire_pending(self) -> int:
        """Forget requests no server answered in time, counting each as ``server-timeout`` (called
        once a second by the service; a scan of at most :data:`MAX_PENDING` entries)."""
        now = self.clock()
        stale = [key for key, p in self.pending.items() if p.deadline <= now]
        timed_out = 0
        for key in stale:
            p = self.pending.pop(key)
            if not p.answered:
                timed_out += 1
                self.rlog.warning(
                    "server-timeout",
                    "dhcp4 relay error reason=server-timeout interface=%s mac=%s message=%s servers=%s",
                    p.interface.name,
                    p.client_mac.hex(":"),
                    p.message.name,
                    ",".join(str(s) for s in p.relay.group.servers_for(p.relay.vrf)),
                )
        if timed_out:
            self.counters.error("server-timeout", timed_out)
        return timed_out

    # ------------------------------------------------------------------ server -> client

    def from_server(self, data: bytes, src: IPv4Address) -> None:
        """A datagram from a server (to giaddr, port 67)."""
        try:
            msg = codec.decode(data)
        except DhcpError as e:
            reason = e.reason if e.reason in ("truncated", "oversized") else "malformed"
            self._drop(reason, None, f"from {src}: {e}")
            return
        mtype = msg.message_type
        self.counters.packet("from-server", _message_label(mtype))
        if msg.op != BOOTREPLY:
            self._drop("not-a-reply", None, f"from {src}")
            return
        if msg.giaddr not in self._gateways:
            self._drop("foreign-giaddr", None, f"from {src} giaddr={msg.giaddr}")
            return
        p = self.pending.get((msg.xid, msg.chaddr))
        if p is None:
            self._drop("unknown-transaction", None, f"from {src} xid={msg.xid:#x}")
            return
        p.answered = True
        if mtype in (MessageType.ACK, MessageType.NAK):
            del self.pending[(msg.xid, msg.chaddr)]
        options = msg.options
        if self.config.option82.strip_from_reply:
            options = tuple((c, v) for c, v in options if c != OPT_RAI)
        mac = msg.mac if msg.hlen == 6 else p.client_mac
        key = lease_key(p.interface.name, p.tags, mac)
        server_id = msg.address_option(OPT_SERVER_ID)
        if p.relay.group.server_id_override and p.relay.address is not None:
            options = self._server_id_to_client(options, key, p.relay.address)
        reply = msg.with_options(options)
        gateway = p.relay.address or msg.giaddr
        if mtype is MessageType.NAK or (msg.ciaddr == ZERO and msg.flags & BROADCAST_FLAG):
            dst, dst_mac = BROADCAST, BROADCAST_MAC
        elif msg.ciaddr != ZERO:
            dst, dst_mac = msg.ciaddr, p.client_mac
        elif msg.yiaddr != ZERO:
            dst, dst_mac = msg.yiaddr, p.client_mac
        else:
            dst, dst_mac = BROADCAST, BROADCAST_MAC
        try:
            payload = codec.encode(reply)
        except DhcpError:
            self._drop("oversized", None, f"reply from {src}")
            return
        packet = codec.encode_udp4(gateway, dst, SERVER_PORT, CLIENT_PORT, payload)
        label = _message_label(mtype)
        if mtype is MessageType.ACK and msg.yiaddr != ZERO:
            lease_time = msg.u32_option(OPT_LEASE_TIME)
            if lease_time is not None:  # an ACK without a lease time answers an INFORM: no binding
                bound = self._bind(msg, key, server_id, lease_time)
                if bound is not None:  # the subscriber manager programs the session first
                    bound.add_done_callback(lambda f: self._after_bind(f, p, dst_mac, packet, key))
                    return
        elif mtype is MessageType.NAK:
            self.leases.end(key, "nak")
        self._to_client(p, dst_mac, packet, label)

    def _to_client(self, p: Pending, dst_mac: bytes, packet: bytes, label: str) -> None:
        if self.io.to_client(p.interface, p.tags, dst_mac, packet):
            self.counters.packet("to-client", label)
        else:
            self.counters.error("client-send-failed")

    def _bind(
        self, msg: Message, key: LeaseKey, server_id: IPv4Address | None, lease_time: int
    ) -> asyncio.Future[bool] | None:
        now = self.clock()
        raw_rai = msg.option(OPT_RAI)
        try:
            subs = dict(codec.decode_rai(raw_rai)) if raw_rai else {}
        except DhcpError:
            subs = {}
        seconds = float(lease_time) if lease_time != 0xFFFFFFFF else float("inf")
        lease = Lease(
            key,
            msg.yiaddr,
            server_id,
            seconds,
            now,
            now + seconds,
            subs.get(RAI_CIRCUIT_ID, b""),
            subs.get(RAI_REMOTE_ID, b""),
        )
        return self.leases.bind(lease)

    def _after_bind(
        self, f: asyncio.Future[bool], p: Pending, dst_mac: bytes, packet: bytes, key: LeaseKey
    ) -> None:
        ok = not f.cancelled() and f.exception() is None and f.result()
        if ok:
            self._to_client(p, dst_mac, packet, "ack")
            return
        self.counters.error("session-refused")
        lease = self.leases.leases.get(key)
        if lease is not None:
            self.leases.forget(key, lease)
        self.rlog.warning(
            "session-refused",
            "dhcp4 ACK not sent reason=session-refused interface=%s mac=%s",
            p.interface.name,
            p.client_mac.hex(":"),
        )

    # ------------------------------------------------------------------ metrics

    def samples(self) -> list[tuple[str, tuple[str, ...], float]]:
        t = self.leases
        return list(
            self.counters.samples(len(t), len(self.pending), t.bound_total, t.renewed_total, t.ended_total)
        )
