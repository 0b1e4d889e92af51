"""The DHCPv6 relay service: the asyncio side of :class:`agent.dhcp6.relay.Relay`.

- client frames: a :class:`agent.packetio.PacketIO` subscription to ``Protocol.DHCPV6`` (VPP punts UDP
  port 547 over IPv6 to the agent's punt socket, docs/packet-path.md); the IPv6 and UDP headers are
  checked here (counted as ``bad ip6/udp header``), the DHCPv6 message by the relay;
- servers: UDP sockets of the host's own stack, one per source address (``source-address`` of a server
  group, else the unspecified address), bound to port 547, where servers send their Relay-Replies;
- replies to clients: ``PacketIO.send`` out of the access interface with the client's tags, from the
  access port's link-local address (EUI-64 of its MAC, as VPP's own ``ip6_link`` makes it);
- a one-second timer ends leases whose valid lifetime ran out (:meth:`SessionSink.expire`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import time
from collections.abc import Awaitable
from ipaddress import IPv6Address

from agent.dhcp6 import codec
from agent.dhcp6.config import RelayConfig
from agent.dhcp6.relay import ETH_P_IPV6, Client, Relay
from agent.dhcp6.sessions import SessionSink
from agent.packetio import PacketIO, Protocol, Subscription, SubscriptionClosed, VlanTag

log = logging.getLogger("agent.dhcp6")

RECV_BATCH = 256
SOCKET_BUFFER = 4 * 1024 * 1024
IPPROTO_UDP = 17


def link_local(mac: bytes) -> IPv6Address:
    """fe80::/64 with the modified EUI-64 of ``mac`` (``ip6_link_local_address_from_mac``)."""
    eui = bytes([mac[0] ^ 0x02, mac[1], mac[2], 0xFF, 0xFE, mac[3], mac[4], mac[5]])
    return IPv6Address(b"\xfe\x80" + bytes(6) + eui)


def parse_udp6(packet: bytes) -> tuple[IPv6Address, int, bytes] | None:
    """(source address, destination port, UDP payload) of an IPv6/UDP packet without extension
    headers, or None when it is not one (a client's DHCPv6 never carries extension headers)."""
    if len(packet) < 48 or packet[0] >> 4 != 6 or packet[6] != IPPROTO_UDP:
        return None
    plen = struct.unpack_from("!H", packet, 4)[0]
    if plen < 8 or len(packet) < 40 + plen:
        return None
    _, dport, ulen = struct.unpack_from("!HHH", packet, 40)
    if ulen < 8 or ulen > plen:
        return None
    return IPv6Address(packet[8:24]), dport, bytes(packet[48 : 40 + ulen])


class _HostIO:
    def __init__(self, service: Dhcp6Service) -> None:
        self.service = service

    def to_server(self, group: str, server: IPv6Address, source: IPv6Address | None, payload: bytes) -> bool:
        sock = self.service.socket_for(source)
        if sock is None:
            return False
        try:
            sock.sendto(payload, (str(server), codec.SERVER_PORT))
        except OSError as e:
            log.debug("dhcp6 send to server=%s failed: %s", server, e)
            return False
        return True

    def to_client(self, client: Client, packet: bytes) -> bool:
        tags = tuple(t for t in client.tags if isinstance(t, VlanTag))
        return self.service.pio.send(client.interface, client.mac, ETH_P_IPV6, packet, tags=tags)

    def link_local(self, interface: str) -> IPv6Address | None:
        acc = self.service.pio.interfaces.by_name(interface)
        return link_local(acc.mac) if acc is not None else None


def _udp_socket(source: IPv6Address | None) -> socket.socket:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
        s.bind((str(source) if source is not None else "::", codec.SERVER_PORT))
        s.setblocking(False)
    except BaseException:
        s.close()
        raise
    return s


class Dhcp6Service:
    def __init__(self, pio: PacketIO, sink: SessionSink | None = None) -> None:
        self.pio = pio
        self.sink = sink
        self._tasks: set[asyncio.Task[None]] = set()
        self.relay = Relay(_HostIO(self), sink, spawn=self._spawn)
        self.sockets: dict[IPv6Address | None, socket.socket] = {}
        self._sub: Subscription | None = None
        self._reader: asyncio.Task[None] | None = None
        self._timer: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _spawn(self, coro: Awaitable[None]) -> None:
        async def run() -> None:
            await coro

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._sub = self.pio.subscribe(Protocol.DHCPV6)
        self._reader = asyncio.create_task(self._clients(), name="dhcp6-clients")
        self._timer = asyncio.create_task(self._expiry(), name="dhcp6-expiry")

    def configure(self, config: RelayConfig) -> None:
        """Take a new configuration: open a server socket for each source address in use."""
        self.relay.configure(config)
        wanted = {a.group.source for a in config.access.values()}
        for source in wanted - set(self.sockets):
            try:
                sock = _udp_socket(source)
            except OSError as e:
                log.error("dhcp6 relay cannot bind [%s]:547: %s", source or "::", e)
                continue
            self.sockets[source] = sock
            assert self._loop is not None
            self._loop.add_reader(sock.fileno(), self._server_readable, sock)
        for source in set(self.sockets) - wanted:
            self._close_socket(source)

    def socket_for(self, source: IPv6Address | None) -> socket.socket | None:
        return self.sockets.get(source)

    def _close_socket(self, source: IPv6Address | None) -> None:
        sock = self.sockets.pop(source)
        if self._loop is not None:
            self._loop.remove_reader(sock.fileno())
        sock.close()

    def _server_readable(self, sock: socket.socket) -> None:
        for _ in range(RECV_BATCH):
            try:
                payload = sock.recv(65535)
            except BlockingIOError:
                return
            except OSError as e:
                log.debug("dhcp6 server socket: %s", e)
                return
            self.relay.from_server(payload)

    async def _clients(self) -> None:
        assert self._sub is not None
        with contextlib.suppress(SubscriptionClosed):
            while True:
                for frame in await self._sub.get_batch(RECV_BATCH):
                    parsed = parse_udp6(frame.payload)
                    if parsed is None or parsed[1] != codec.SERVER_PORT:
                        self.relay.drop("bad-ip6-udp-header")
                        continue
                    src, _, payload = parsed
                    vids = [t.vid for t in frame.eth.tags]
                    outer = vids[0] if vids else None
                    inner = vids[1] if len(vids) > 1 else None
                    self.relay.from_client(
                        frame.interface.name, outer, inner, frame.eth.src, frame.eth.tags, src, payload
                    )

    async def _expiry(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            if self.sink is not None:
                try:
                    await self.sink.expire(time.time())
                except Exception:
                    log.exception("dhcp6 lease expiry failed")

    def samples(self) -> list[tuple[str, tuple[str, ...], float]]:
        """Prometheus samples of the ``dhcpv6`` families (:mod:`agent.telemetry.catalog`)."""
        r = self.relay
        out: list[tuple[str, tuple[str, ...], float]] = []
        out += [("bng_dhcpv6_messages_received", (k,), float(v)) for k, v in sorted(r.received.items())]
        out += [("bng_dhcpv6_messages_sent", (k,), float(v)) for k, v in sorted(r.sent.items())]
        out += [("bng_dhcpv6_dropped", (k,), float(v)) for k, v in sorted(r.dropped.items())]
        return out

    async def stop(self) -> None:
        for task in (self._reader, self._timer, *self._tasks):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._sub is not None:
            self._sub.close()
        for source in list(self.sockets):
            self._close_socket(source)
