"""The packet I/O layer services use: subscribe to a protocol, receive frames attributed to their access
interface, send frames out of an interface. One event loop, no thread per packet.

Frames come from two VPP mechanisms (docs/packet-path.md): the punt socket (DHCPv4, DHCPv6, router
solicitations; each datagram names the sub-interface) and the PPPoE control-plane link (an af_packet
interface in VPP on a veth whose other end the agent reads; frames carry only their VLAN tags). Every
frame goes through the same steps, each with its drop counter: decode the L2 header (``malformed``),
find the access interface (``unknown-interface``), classify (``unclassified``), the port's token bucket
(``rate-limited``), the subscriber (``no-subscriber``) and the subscriber's bounded queue for that port
(``queue-full``). Queues are per port and read round-robin, so a flood on one port delays another port's
frames by at most one frame per turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple
from typing import Protocol as TypingProtocol

from agent.packetio.frames import (
    ETH_P_PPPOE_DISCOVERY,
    ETH_P_PPPOE_SESSION,
    EthernetHeader,
    FrameError,
    Protocol,
    VlanTag,
    build_frame,
    classify,
    parse_ethernet,
)
from agent.packetio.interfaces import AccessInterface, AccessInterfaces
from agent.packetio.linux import open_packet_socket, recv_frame
from agent.packetio.metrics import UNKNOWN_PORT, Counters, Sample
from agent.packetio.punt import PuntAction, PuntKind, PuntSocket
from agent.packetio.ratelimit import TokenBucket

log = logging.getLogger(__name__)

ALL_INTERFACES = 0xFFFFFFFF
Via = Literal["punt", "pppoe-cp"]
REFRESH_MIN_INTERVAL = 1.0


@dataclass(frozen=True, slots=True)
class PacketIOConfig:
    """Limits per physical port: punted frames per second (sustained and burst) and frames queued for
    one subscriber. The defaults admit the 10,000 frames/s per port the packet path is sized for."""

    rate_per_port: float = 20_000.0
    burst_per_port: int = 2_000
    queue_per_port: int = 4_096
    read_batch: int = 512  # datagrams read per readiness callback before other tasks run
    # after a socket becomes readable, wait this long before reading, so that a busy port's frames are
    # read (and handed to services) in batches instead of one event-loop wake-up each. 0.5 ms saved ~20 %
    # of the agent's CPU per frame at 10,000 frames/s (bench_packetio --read-delay); off by default, as
    # no loss benefit could be shown on a loaded machine. Keep it far below what VPP's punt socket
    # buffers (~100 frames: ~10 ms at 10,000 frames/s).
    read_delay: float = 0.0


class Frame(NamedTuple):
    """A received frame: all of it (tags included), what it is, and the access interface it came in on.

    (A named tuple: one is made per frame, and it is the cheapest immutable record.)"""

    data: bytes
    protocol: Protocol
    interface: AccessInterface
    eth: EthernetHeader
    via: Via
    received_at: float

    @property
    def payload(self) -> bytes:
        """The L3 payload (IP packet, PPPoE header ...) after the last tag."""
        return self.data[self.eth.l3_offset :]


class DumpCaller(TypingProtocol):
    """What the layer needs from a VPP connection (:class:`agent.vpp.connection.VppConnection`)."""

    async def call(self, msg: str, **args: Any) -> Any: ...

    async def dump(self, msg: str, **args: Any) -> list[Any]: ...


class SubscriptionClosed(Exception):
    """The subscription was closed (the service stopped, or the packet path shut down)."""


class Subscription:
    """Frames of the subscribed protocols, one bounded queue per port, read round-robin."""

    def __init__(self, protocols: tuple[Protocol, ...], per_port: int, release: Callable[[], None]) -> None:
        self.protocols = protocols
        self.per_port = per_port
        self._queues: dict[str, deque[Frame]] = {}
        self._ready: deque[str] = deque()  # ports with frames waiting, in service order
        self._waiter: asyncio.Future[None] | None = None
        self._release = release
        self.closed = False

    def offer(self, port: str, frame: Frame) -> bool:
        q = self._queues.get(port)
        if q is None:
            q = self._queues[port] = deque()
        if len(q) >= self.per_port:
            return False
        q.append(frame)
        if len(q) == 1:
            self._ready.append(port)
            w = self._waiter
            if w is not None and not w.done():
                w.set_result(None)
        return True

    def get_nowait(self) -> Frame | None:
        if not self._ready:
            return None
        port = self._ready.popleft()
        q = self._queues[port]
        frame = q.popleft()
        if q:
            self._ready.append(port)
        return frame

    async def get(self) -> Frame:
        while True:
            frame = self.get_nowait()
            if frame is not None:
                return frame
            if self.closed:
                raise SubscriptionClosed(", ".join(p.value for p in self.protocols))
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    async def get_batch(self, limit: int = 256) -> list[Frame]:
        """At least one frame, and up to ``limit`` of those already waiting (still round-robin over
        ports): a service that handles frames in batches pays one task wake-up per batch, not per frame."""
        out = [await self.get()]
        while len(out) < limit:
            frame = self.get_nowait()
            if frame is None:
                break
            out.append(frame)
        return out

    def __aiter__(self) -> AsyncIterator[Frame]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Frame]:
        while True:
            try:
                yield await self.get()
            except SubscriptionClosed:
                return

    @property
    def queued(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._release()
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)


class _Reader:
    """Calls ``read`` when ``fd`` is readable, ``delay`` seconds later (see ``PacketIOConfig.read_delay``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, fd: int, read: Callable[[], None], delay: float):
        self.loop, self.fd, self.read, self.delay = loop, fd, read, delay
        self.closed = False
        loop.add_reader(fd, self._ready)

    def _ready(self) -> None:
        if self.delay <= 0:
            self.read()
            return
        self.loop.remove_reader(self.fd)
        self.loop.call_later(self.delay, self._run)

    def _run(self) -> None:
        if self.closed:
            return
        self.read()
        self.loop.add_reader(self.fd, self._ready)

    def close(self) -> None:
        self.closed = True
        self.loop.remove_reader(self.fd)


class _CpLink:
    """The agent's end of the PPPoE control-plane veth, and the access ports VPP bridges to it."""

    def __init__(self, ifname: str, ports: tuple[int, ...]) -> None:
        self.ifname = ifname
        self.ports = ports
        self.sock = open_packet_socket(ifname)
        self.reader: _Reader | None = None


class PacketIO:
    """The packet path of one agent: sources (punt socket, PPPoE control-plane links), subscriptions,
    rate limits, counters, and sending."""

    def __init__(self, config: PacketIOConfig | None = None, *, clock: Callable[[], float] = time.monotonic):
        self.config = config or PacketIOConfig()
        self.clock = clock
        self.interfaces = AccessInterfaces()
        self.counters = Counters()
        self.punt: PuntSocket | None = None
        self._cp: list[_CpLink] = []
        self._subs: dict[Protocol, Subscription] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._api: DumpCaller | None = None
        self._name_of: Callable[[int], str | None] = lambda i: None
        self._refreshing: asyncio.Task[None] | None = None
        self._last_refresh = float("-inf")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._punt_reader: _Reader | None = None

    # ------------------------------------------------------------------ interfaces

    async def refresh(
        self, api: DumpCaller | None = None, name_of: Callable[[int], str | None] | None = None
    ) -> None:
        """Reload the access-interface table from VPP (``sw_interface_dump``); ``name_of`` maps an
        index to the agent's name (``NameMap.name_of``). Call after commits that add access interfaces;
        a frame from an unknown index triggers one itself (at most once a second)."""
        if api is not None:
            self._api = api
        if name_of is not None:
            self._name_of = name_of
        if self._api is None:
            raise RuntimeError("no VPP connection to read interfaces from")
        details = await self._api.dump(
            "sw_interface_dump", sw_if_index=ALL_INTERFACES, name_filter_valid=False, name_filter=""
        )
        self._last_refresh = self.clock()
        self.interfaces.load(details, self._name_of)

    def _refresh_soon(self) -> None:
        """Reload the table once, at least ``REFRESH_MIN_INTERVAL`` after the previous load (a burst of
        frames from a new sub-interface costs one dump, not one per frame)."""
        if self._api is None or self._refreshing is not None:
            return
        wait = self._last_refresh + REFRESH_MIN_INTERVAL - self.clock()

        async def run() -> None:
            try:
                if wait > 0:
                    await asyncio.sleep(wait)
                await self.refresh()
            except Exception:
                log.exception("packetio interface refresh failed")
            finally:
                self._refreshing = None

        self._refreshing = asyncio.get_running_loop().create_task(run(), name="packetio-refresh")

    # ------------------------------------------------------------------ sources

    async def open_punt(self, api: DumpCaller, path: str, kinds: tuple[PuntKind, ...]) -> PuntSocket:
        """Bind the agent's punt socket at ``path``, register ``kinds`` with VPP and start reading."""
        self._api = api
        self._loop = asyncio.get_running_loop()
        punt = PuntSocket(path)
        try:
            for kind in kinds:
                await punt.register(api, kind)
        except BaseException:
            punt.close()
            raise
        self.punt = punt
        self._punt_reader = _Reader(self._loop, punt.fileno(), self._on_punt, self.config.read_delay)
        return punt

    def open_cp_link(self, ifname: str, ports: tuple[str, ...]) -> None:
        """Read the PPPoE control-plane link ``ifname`` (the Linux end of VPP's af_packet interface
        named in ``pppoe_add_del_cp``); its frames belong to access interfaces on ``ports``."""
        indices = []
        for p in ports:
            acc = self.interfaces.by_name(p)
            if acc is None:
                raise KeyError(f"no interface {p!r} (refresh first)")
            indices.append(acc.sw_if_index)
        link = _CpLink(ifname, tuple(indices))
        self._loop = asyncio.get_running_loop()
        self._cp.append(link)
        link.reader = _Reader(
            self._loop, link.sock.fileno(), lambda: self._on_cp(link), self.config.read_delay
        )

    def _on_punt(self) -> None:
        punt = self.punt
        if punt is None:
            return
        now = self.clock()
        for _ in range(self.config.read_batch):
            try:
                got = punt.recv()
            except BlockingIOError:
                return
            except OSError:
                log.exception("punt socket read failed")
                return
            if got is None:
                self.counters.drop(UNKNOWN_PORT, "malformed")
                continue
            sw_if_index, _action, data = got
            acc = self.interfaces.get(sw_if_index)
            if acc is None:
                self.counters.drop(UNKNOWN_PORT, "unknown-interface")
                self._refresh_soon()
                continue
            self._ingest(data, acc, None, "punt", now)

    def _on_cp(self, link: _CpLink) -> None:
        now = self.clock()
        for _ in range(self.config.read_batch):
            try:
                data = recv_frame(link.sock)
            except BlockingIOError:
                return
            except OSError:
                log.exception("control-plane link %s read failed", link.ifname)
                return
            if data is not None:
                self._ingest(data, None, link, "pppoe-cp", now)

    def _ingest(
        self, data: bytes, acc: AccessInterface | None, link: _CpLink | None, via: Via, now: float
    ) -> None:
        counters = self.counters
        try:
            eth = parse_ethernet(data)
        except FrameError:
            counters.drop(acc.port if acc else UNKNOWN_PORT, "malformed")
            return
        if acc is None:
            assert link is not None
            acc = self.interfaces.match_any_port(link.ports, eth.tags)
            if acc is None:
                counters.drop(UNKNOWN_PORT, "unknown-interface")
                return
        port = acc.port
        proto = classify(data, eth)
        if proto is None:
            counters.drop(port, "unclassified")
            return
        bucket = self._buckets.get(port)
        if bucket is None:
            cfg = self.config
            bucket = self._buckets[port] = TokenBucket(cfg.rate_per_port, cfg.burst_per_port, now)
        if not bucket.take(now):
            counters.drop(port, "rate-limited")
            return
        sub = self._subs.get(proto)
        if sub is None:
            counters.drop(port, "no-subscriber")
            return
        if not sub.offer(port, Frame(data, proto, acc, eth, via, now)):
            counters.drop(port, "queue-full")
            return
        counters.receive(port, proto)

    # ------------------------------------------------------------------ services

    def subscribe(self, *protocols: Protocol, queue_per_port: int | None = None) -> Subscription:
        """Frames of ``protocols`` from now on; one service owns a protocol at a time."""
        taken = [p.value for p in protocols if p in self._subs]
        if taken:
            raise ValueError(f"already subscribed: {', '.join(taken)}")

        def release() -> None:
            for p in protocols:
                if self._subs.get(p) is sub:
                    del self._subs[p]

        sub = Subscription(protocols, queue_per_port or self.config.queue_per_port, release)
        for p in protocols:
            self._subs[p] = sub
        return sub

    def send(
        self,
        interface: str | AccessInterface,
        dst: bytes,
        ethertype: int,
        payload: bytes,
        *,
        src: bytes | None = None,
        tags: tuple[VlanTag, ...] | None = None,
        via: Via | None = None,
    ) -> bool:
        """Send ``payload`` out of ``interface``: the frame gets the interface's VLAN tags (or ``tags``)
        and the port's MAC as source (or ``src``). False when it could not be handed to VPP (counted)."""
        acc = self._resolve(interface)
        frame = build_frame(dst, src or acc.mac, acc.tags if tags is None else tags, ethertype, payload)
        return self.send_frame(acc, frame, ethertype, via=via)

    def reply(
        self,
        to: Frame,
        payload: bytes,
        *,
        dst: bytes | None = None,
        src: bytes | None = None,
        via: Via | None = None,
    ) -> bool:
        """Answer a received frame: same interface, same tags (right also for a default sub-interface),
        same ethertype, to its sender unless ``dst`` says otherwise."""
        eth = to.eth
        return self.send(
            to.interface, dst or eth.src, eth.ethertype, payload, src=src, tags=eth.tags, via=via
        )

    def send_frame(
        self, acc: AccessInterface, frame: bytes, ethertype: int, *, via: Via | None = None
    ) -> bool:
        """Hand a complete frame to VPP. By default through the punt socket (``PUNT_L2``: VPP sends it
        as it is out of the interface, ``punt_socket_rx_fd`` -> ``interface-output``), for every
        protocol and every tag stack; PPPoE through the control-plane link only when no punt socket is
        open (VPP then finds the interface from the client MAC it learned and writes the port's MAC as
        source, ``pppoe_cp_node.c``; its ``pppoe-input`` reads at most one 802.1Q tag, so QinQ and
        802.1ad replies sent that way are dropped -- docs/packet-path.md)."""
        if via is None:
            pppoe = ethertype in (ETH_P_PPPOE_DISCOVERY, ETH_P_PPPOE_SESSION)
            via = "pppoe-cp" if pppoe and self.punt is None and self._cp else "punt"
        try:
            if via == "pppoe-cp":
                if not self._cp:
                    raise OSError("no PPPoE control-plane link is open")
                link = next((c for c in self._cp if acc.port_sw_if_index in c.ports), self._cp[0])
                link.sock.send(frame)
            elif self.punt is not None:
                self.punt.send(acc.sw_if_index, frame, PuntAction.L2)
            else:
                raise OSError("no punt socket is open")
        except OSError as e:
            log.debug("packetio send failed interface=%s error=%s", acc.name, e)
            self.counters.send(acc.port, False)
            return False
        self.counters.send(acc.port, True)
        return True

    def _resolve(self, interface: str | AccessInterface) -> AccessInterface:
        if isinstance(interface, AccessInterface):
            return interface
        acc = self.interfaces.by_name(interface)
        if acc is None:
            raise KeyError(f"no access interface {interface!r}")
        return acc

    # ------------------------------------------------------------------ metrics and shutdown

    def samples(self) -> Iterator[Sample]:
        """The ``packetio`` module's metric values (register with the telemetry service)."""
        # a subscription covering several protocols is reported under its first one
        subs = set(self._subs.values())
        queued = {sub.protocols[0].value: sub.queued for sub in subs}
        return self.counters.samples(queued, len(subs))

    async def close(self) -> None:
        """Stop reading, deregister from VPP (best effort: VPP may be gone) and close the sockets."""
        if self.punt is not None:
            if self._punt_reader is not None:
                self._punt_reader.close()
            if self._api is not None:
                for kind in list(self.punt.kinds):
                    with contextlib.suppress(Exception):
                        await self.punt.deregister(self._api, kind)
            self.punt.close()
            self.punt = None
        for link in self._cp:
            if link.reader is not None:
                link.reader.close()
            link.sock.close()
        self._cp.clear()
        for sub in list(self._subs.values()):
            sub.close()
        if self._refreshing is not None:
            self._refreshing.cancel()
