"""The agent's end of VPP's punt socket (``src/vnet/ip/punt.c``, ``punt_node.c``, ``punt.h``).

VPP owns one unix datagram socket, configured at start-up (``punt { socket /run/vpp/punt.sock }``,
``punt_config``). A client binds its own datagram socket and asks VPP, with ``punt_socket_register``, to
send it a kind of packet (UDP port, ICMPv6 type, IP protocol or exception reason); the reply names VPP's
socket. Every such packet then arrives as one datagram: a ``punt_packetdesc_t`` -- packed ``u32
sw_if_index`` (the RX interface after ``ethernet-input``, so the sub-interface) and ``enum
punt_action_e`` (int), both in host byte order -- followed by the whole frame from the Ethernet header on,
VLAN tags included (``punt_socket_inline2`` rewinds by ``ethernet_buffer_header_size``). A reply is the
same shape written to VPP's socket: ``PUNT_L2`` sends the frame as it is out of ``sw_if_index``
(``interface-output``: the frame must already carry the sub-interface's tags), ``PUNT_IP4_ROUTED`` /
``PUNT_IP6_ROUTED`` hand an IP packet to ``ip4-lookup``/``ip6-lookup`` as if received on ``sw_if_index``
(``punt_socket_rx_fd``; VPP reads one buffer, so at most the default buffer size, 2048 bytes, and more
than 8 + 20 bytes).
"""

from __future__ import annotations

import contextlib
import enum
import os
import socket
import struct
from dataclasses import dataclass
from typing import Any, Protocol

from agent.packetio.linux import SO_RCVBUFFORCE
from agent.vpp import errno as vpp_errno
from agent.vpp.errors import VppError

PUNT_PACKETDESC_VERSION = 1
DESCRIPTOR = struct.Struct("=II")  # punt_packetdesc_t, __attribute__((packed)), host byte order
MAX_DATAGRAM = 65536
RCVBUF_BYTES = 8 * 1024 * 1024

# vl_api_punt_type_t, vl_api_address_family_t, vl_api_ip_proto_t (punt.api, ip_types.api)
PUNT_API_TYPE_L4 = 0
ADDRESS_IP4 = 0
ADDRESS_IP6 = 1
IP_PROTO_UDP = 17
IP_PROTO_ICMP6 = 58


class PuntAction(enum.IntEnum):
    """``enum punt_action_e`` in ``src/vnet/ip/punt.h``."""

    L2 = 0
    IP4_ROUTED = 1
    IP6_ROUTED = 2


@dataclass(frozen=True, slots=True)
class PuntKind:
    """An L4 punt registration: address family, IP protocol and UDP port (or ICMPv6 type)."""

    name: str
    af: int
    protocol: int
    port: int

    def api(self) -> dict[str, Any]:
        """``vl_api_punt_t`` for ``punt_socket_register`` / ``punt_socket_deregister``."""
        l4 = {"af": self.af, "protocol": self.protocol, "port": self.port}
        return {"type": PUNT_API_TYPE_L4, "punt": {"l4": l4}}


DHCPV4_SERVER = PuntKind("dhcpv4", ADDRESS_IP4, IP_PROTO_UDP, 67)
DHCPV6_SERVER = PuntKind("dhcpv6", ADDRESS_IP6, IP_PROTO_UDP, 547)
ROUTER_SOLICITATION = PuntKind("router-solicitation", ADDRESS_IP6, IP_PROTO_ICMP6, 133)


class PuntError(VppError):
    """VPP refused a punt registration (no ``punt { socket }`` in startup.conf, a bad kind ...)."""


class ApiCaller(Protocol):
    """What registration needs from a VPP connection (:class:`agent.vpp.connection.VppConnection`)."""

    async def call(self, msg: str, **args: Any) -> Any: ...


class PuntSocket:
    """A bound client datagram socket: registrations, and frames in and out of VPP's punt socket."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.server_path: str | None = None
        self.kinds: list[PuntKind] = []
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            try:  # a burst of DISCOVERs must wait in the kernel, not be refused by VPP's sendmsg
                sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF_BYTES)
            except OSError:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF_BYTES)
            sock.bind(path)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self._buf = bytearray(MAX_DATAGRAM)
        self._view = memoryview(self._buf)

    def fileno(self) -> int:
        return self.sock.fileno()

    async def register(self, api: ApiCaller, kind: PuntKind) -> None:
        """``punt_socket_register``; VPP answers with its own socket's path (``punt_api.c``)."""
        reply = await api.call(
            "punt_socket_register",
            header_version=PUNT_PACKETDESC_VERSION,
            punt=kind.api(),
            pathname=self.path,
        )
        if reply.retval != 0:
            raise PuntError(
                f"VPP refused punt_socket_register for {kind.name}: {vpp_errno.describe(reply.retval)}; "
                "is `punt { socket <path> }` in VPP's startup.conf?",
                info={"retval": str(reply.retval)},
            )
        self.server_path = str(reply.pathname)
        if kind not in self.kinds:
            self.kinds.append(kind)

    async def deregister(self, api: ApiCaller, kind: PuntKind) -> None:
        reply = await api.call("punt_socket_deregister", punt=kind.api())
        if reply.retval != 0:
            raise PuntError(
                f"VPP refused punt_socket_deregister for {kind.name}: {vpp_errno.describe(reply.retval)}"
            )
        if kind in self.kinds:
            self.kinds.remove(kind)

    def recv(self) -> tuple[int, int, bytes] | None:
        """``(sw_if_index, action, frame)`` of one waiting datagram, None for a runt; raises
        ``BlockingIOError`` when nothing waits."""
        n = self.sock.recv_into(self._buf)  # one reused buffer: recv(64 KiB) would allocate one per frame
        if n < DESCRIPTOR.size:
            return None
        sw_if_index, action = DESCRIPTOR.unpack_from(self._buf)
        return sw_if_index, action, bytes(self._view[DESCRIPTOR.size : n])

    def send(self, sw_if_index: int, frame: bytes, action: PuntAction = PuntAction.L2) -> None:
        """Hand a frame to VPP (raises ``OSError``, e.g. ``BlockingIOError`` when VPP's socket is full)."""
        if self.server_path is None:
            raise PuntError("no punt registration yet: VPP's socket path is unknown")
        self.sock.sendto(DESCRIPTOR.pack(sw_if_index, int(action)) + frame, self.server_path)

    def close(self) -> None:
        self.sock.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
