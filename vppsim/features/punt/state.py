"""VPP's side of the punt socket: the server socket from ``punt { socket <path> }``, the registrations,
and the counters VPP keeps in its punt nodes (``src/vnet/ip/punt_error.def``).

Delivery follows ``punt_socket_inline2`` (``src/vnet/ip/punt_node.c``): one ``sendmsg`` per packet to the
registered client's path from VPP's own (non-blocking) socket, a ``punt_packetdesc_t`` (packed ``u32
sw_if_index`` = RX sub-interface, ``enum punt_action_e`` = 0, host byte order) followed by the frame from
its Ethernet header on, VLAN tags included; a send that fails (the client's socket is full or gone) is
counted as "Socket TX error" and the packet is lost. Frames from clients follow ``punt_socket_rx_fd``:
one ``readv`` into the descriptor and one buffer (``vlib_buffer_get_default_data_size``, 2048 bytes: a
longer frame is cut), at most 8 + 20 bytes is a "socket read failure", ``PUNT_L2`` goes to
``interface-output`` on the descriptor's ``sw_if_index``, the two routed actions to ``ip4-lookup`` /
``ip6-lookup`` (vppsim forwards nothing, so those are counted and dropped), anything else is "invalid
packet descriptor".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("vppsim.punt")

PUNT_PACKETDESC_VERSION = 1
DESCRIPTOR = struct.Struct("=II")
BUFFER_SIZE = 2048  # vlib_buffer_get_default_data_size with VPP's default buffer settings
SNDBUF_BYTES = 0x10000  # punt_config: setsockopt (SO_SNDBUF, 0x10000)
UNIX_PATH_MAX = 108
READ_BATCH = 256

# punt.api enums
PUNT_API_TYPE_L4 = 0
PUNT_API_TYPE_IP_PROTO = 1
PUNT_API_TYPE_EXCEPTION = 2
ADDRESS_IP4 = 0
ADDRESS_IP6 = 1
IP_PROTO_UDP = 17
IP_PROTO_ICMP6 = 58

PUNT_L2 = 0
PUNT_IP4_ROUTED = 1
PUNT_IP6_ROUTED = 2


@dataclass(frozen=True, slots=True)
class Registration:
    """One ``punt_client_t``: what is punted (type and its key) and to which client path."""

    type: int  # PUNT_API_TYPE_*
    af: int
    protocol: int
    port: int  # L4 port / ICMPv6 type; the reason id for an exception
    pathname: str


#: Transmit callback: (sw_if_index, frame) -> None; raises LookupError when there is no such interface.
Transmit = Callable[[int, bytes], None]


class PuntServer:
    """The punt socket VPP binds at start-up, its client registrations and its error counters."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.registrations: dict[tuple[int, int, int, int], Registration] = {}
        self.counters: dict[str, int] = {}
        self.transmit: Transmit | None = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SNDBUF_BYTES)
        sock.bind(path)
        sock.setblocking(False)
        self.sock = sock
        self._loop: asyncio.AbstractEventLoop | None = None

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + n

    # ------------------------------------------------------------------ registrations

    @staticmethod
    def key(type_: int, af: int, protocol: int, port: int) -> tuple[int, int, int, int]:
        if type_ == PUNT_API_TYPE_L4:
            return (type_, af, 0, port)  # punt_client_l4_mk_key (af, port): the protocol is not in it
        if type_ == PUNT_API_TYPE_IP_PROTO:
            return (type_, af, protocol, 0)
        return (type_, 0, 0, port)

    def client_for(self, af: int, port: int) -> Registration | None:
        """``punt_client_l4_get``: the client for UDP port / ICMPv6 type ``port`` of family ``af``."""
        return self.registrations.get((PUNT_API_TYPE_L4, af, 0, port))

    # ------------------------------------------------------------------ data path

    def deliver(self, reg: Registration, sw_if_index: int, frame: bytes) -> bool:
        """Send one punted frame to its client, as ``punt_socket_inline2`` does."""
        try:  # a datagram goes whole or not at all
            self.sock.sendto(DESCRIPTOR.pack(sw_if_index, PUNT_L2) + frame, reg.pathname)
        except OSError:
            self.count("Socket TX error")
            return False
        self.count("Socket TX")
        return True

    def start(self, transmit: Transmit) -> None:
        """Start reading what clients send (``punt_socket_read_ready`` -> ``punt-socket-rx``)."""
        self.transmit = transmit
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.sock.fileno(), self._readable)

    def _readable(self) -> None:
        for _ in range(READ_BATCH):
            try:
                data = self.sock.recv(DESCRIPTOR.size + BUFFER_SIZE)
            except BlockingIOError:
                return
            except OSError:
                self.count("socket read failure")
                return
            self.receive(data)

    def receive(self, data: bytes) -> None:
        """One datagram from a client (``punt_socket_rx_fd``)."""
        if len(data) <= DESCRIPTOR.size + 20:  # sizeof (packetdesc) + sizeof (ip4_header_t)
            self.count("socket read failure")
            return
        sw_if_index, action = DESCRIPTOR.unpack_from(data)
        frame = data[DESCRIPTOR.size :]
        if action == PUNT_L2:
            self.count("Socket RX")
            if self.transmit is None:
                return
            try:
                self.transmit(sw_if_index, frame)
            except LookupError as e:
                self.count("interface-output drop")
                log.debug("punted frame not sent: %s", e)
        elif action in (PUNT_IP4_ROUTED, PUNT_IP6_ROUTED):
            self.count("Socket RX")
            self.count("routed (not emulated)")
        else:
            self.count("invalid packet descriptor")

    def close(self) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self.sock.fileno())
        self.sock.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def status(self) -> dict[str, object]:
        return {
            "socket": self.path,
            "registrations": [
                {"type": r.type, "af": r.af, "protocol": r.protocol, "port": r.port, "pathname": r.pathname}
                for r in self.registrations.values()
            ],
            "counters": dict(self.counters),
        }
