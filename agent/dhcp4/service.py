"""The DHCPv4 relay service: the asyncio side of :class:`agent.dhcp4.relay.Relay`.

- client frames: a :class:`agent.packetio.PacketIO` subscription to ``Protocol.DHCPV4`` (VPP punts UDP
  port 67 to the agent's punt socket, docs/dhcp-relay.md), handled in batches;
- servers: UDP sockets of the host's own stack. For each giaddr that is a host address (link
  selection: gateway-address) one socket is bound to ``giaddr:67``, where the servers answer; requests
  whose giaddr is VPP's (the access interface's address) leave from an unbound socket and the answers,
  addressed to that giaddr, reach VPP, which punts them to the agent like any UDP 67 datagram;
- replies to clients: ``PacketIO.send`` out of the access interface with the client's tags;
- a one-second timer ages requests no server answered (``server-timeout``);
- configuration: :meth:`configure` after every commit (the app follows the transaction manager).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Callable
from ipaddress import IPv4Address

from agent.dhcp4.codec import SERVER_PORT
from agent.dhcp4.config import RelayConfig
from agent.dhcp4.leases import LeaseSink, LeaseTable
from agent.dhcp4.relay import Relay
from agent.packetio import AccessInterface, PacketIO, Protocol, Subscription, SubscriptionClosed, VlanTag

log = logging.getLogger(__name__)

ETH_P_IP = 0x0800
RECV_BATCH = 512
SOCKET_BUFFER = 4 * 1024 * 1024


class _HostIO:
    """Sends for the relay: to servers from host UDP sockets, to clients through the packet path."""

    def __init__(self, pio: PacketIO) -> None:
        self.pio = pio
        self.bound: dict[IPv4Address, socket.socket] = {}
        self.default: socket.socket | None = None
        self.source_for: Callable[[IPv4Address], IPv4Address | None] = lambda server: None

    def to_server(self, server: IPv4Address, payload: bytes) -> bool:
        src = self.source_for(server)
        sock = self.bound.get(src) if src is not None else None
        sock = sock or self.default
        if sock is None:
            return False
        try:
            sock.sendto(payload, (str(server), SERVER_PORT))
        except OSError as e:
            log.debug("dhcp4 send to server=%s failed: %s", server, e)
            return False
        return True

    def to_client(
        self, interface: AccessInterface, tags: tuple[VlanTag, ...], dst_mac: bytes, packet: bytes
    ) -> bool:
        return self.pio.send(interface, dst_mac, ETH_P_IP, packet, tags=tags)


def _udp_socket(bind: tuple[str, int] | None) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        if bind is not None:
            s.bind(bind)
        s.setblocking(False)
    except BaseException:
        s.close()
        raise
    return s


class Dhcp4Service:
    """One relay per agent, fed by the packet path."""

    def __init__(
        self,
        pio: PacketIO,
        config: RelayConfig | None = None,
        sink: LeaseSink | None = None,
    ) -> None:
        self.pio = pio
        self.io = _HostIO(pio)
        self.leases = LeaseTable(sink)
        self.relay = Relay(config or RelayConfig(), self.io, self.leases)
        self._sub: Subscription | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.io.default = _udp_socket(None)
        self._sub = self.pio.subscribe(Protocol.DHCPV4)
        self._tasks = [
            asyncio.create_task(self._consume(self._sub), name="dhcp4-relay"),
            asyncio.create_task(self._age(), name="dhcp4-pending"),
        ]
        self.configure(self.relay.config)

    def configure(self, config: RelayConfig) -> None:
        """New settings: the relay's, and the host sockets bound to the giaddrs of link selection."""
        self.relay.configure(config)
        groups = {a.group.name: a.group for a in config.access.values()}
        by_server: dict[IPv4Address, IPv4Address] = {}
        wanted: set[IPv4Address] = set()
        for g in groups.values():
            if g.gateway is None:
                continue
            wanted.add(g.gateway)
            for s in (*g.servers, *(x for v in g.vrf_servers.values() for x in v)):
                by_server.setdefault(s, g.gateway)
        self.io.source_for = by_server.get
        for addr in list(self.io.bound):
            if addr not in wanted:
                self._close_socket(self.io.bound.pop(addr))
        for addr in wanted - set(self.io.bound):
            try:
                sock = _udp_socket((str(addr), SERVER_PORT))
            except OSError as e:
                if e.errno != errno.EADDRNOTAVAIL:
                    log.warning("dhcp4 cannot listen on %s:%d: %s", addr, SERVER_PORT, e)
                # not a host address: VPP owns it and punts the servers' answers to us
                continue
            self.io.bound[addr] = sock
            if self._loop is not None:
                self._loop.add_reader(sock.fileno(), self._on_server, sock)
        log.info(
            "dhcp4 relay configured access_interfaces=%d listening=%s",
            len(config.access),
            ",".join(sorted(str(a) for a in self.io.bound)) or "-",
        )

    def _close_socket(self, sock: socket.socket) -> None:
        if self._loop is not None:
            self._loop.remove_reader(sock.fileno())
        sock.close()

    def _on_server(self, sock: socket.socket) -> None:
        for _ in range(RECV_BATCH):
            try:
                data, addr = sock.recvfrom(2048)
            except BlockingIOError:
                return
            except OSError as e:
                log.warning("dhcp4 server socket read failed: %s", e)
                return
            try:
                self.relay.from_server(data, IPv4Address(addr[0]))
            except Exception:  # a relay bug must not stop the socket reader
                log.exception("dhcp4 server reply handling failed")

    async def _consume(self, sub: Subscription) -> None:
        while True:
            try:
                frames = await sub.get_batch()
            except SubscriptionClosed:
                return
            for frame in frames:
                try:
                    self.relay.from_client(frame)
                except Exception:
                    log.exception("dhcp4 client frame handling failed interface=%s", frame.interface.name)

    async def _age(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.relay.expire_pending()

    def samples(self) -> list[tuple[str, tuple[str, ...], float]]:
        return self.relay.samples()

    async def stop(self) -> None:
        if self._sub is not None:
            self._sub.close()
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._tasks = []
        for addr in list(self.io.bound):
            self._close_socket(self.io.bound.pop(addr))
        if self.io.default is not None:
            self.io.default.close()
            self.io.default = None
        self.leases.close()
