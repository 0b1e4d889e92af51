"""Linux packet sockets (AF_PACKET) on one interface, with VLAN tags put back where the kernel took them.

Why a module: the kernel's receive path strips the outer VLAN tag of a frame into ``skb->vlan_tci``
(``skb_vlan_untag`` in ``net/core/dev.c``), so a raw socket sees the frame without it and gets the tag in
``PACKET_AUXDATA`` (``struct tpacket_auxdata``); a reader that ignored that would lose the S-tag of every
QinQ frame. VPP's af_packet plugin puts the tag back the same way. Used by the agent for the PPPoE
control-plane link and by vppsim for ports backed by a veth.
"""

from __future__ import annotations

import contextlib
import socket
import struct

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_IGNORE_OUTGOING = 23
PACKET_OUTGOING = 4  # sll_pkttype of frames this host sent
TP_STATUS_VLAN_VALID = 1 << 4
TP_STATUS_VLAN_TPID_VALID = 1 << 6
_AUXDATA = struct.Struct(
    "=IIIHHHH"
)  # tp_status, tp_len, tp_snaplen, tp_mac, tp_net, tp_vlan_tci, tp_vlan_tpid
_ANC_SIZE = socket.CMSG_SPACE(_AUXDATA.size)
MAX_FRAME = 65535
RCVBUF_BYTES = 8 * 1024 * 1024
SO_RCVBUFFORCE = 33  # <asm-generic/socket.h>; Python's socket module does not export it


def open_packet_socket(ifname: str) -> socket.socket:
    """A non-blocking raw socket that receives every frame arriving on ``ifname`` and sends on it."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    try:
        sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        # kernels before 4.20 refuse this: recv_frame filters outgoing frames as well
        with contextlib.suppress(OSError):
            sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        try:  # root may exceed net.core.rmem_max; a burst of control frames must not overflow
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF_BYTES)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF_BYTES)
        sock.bind((ifname, ETH_P_ALL))
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def recv_frame(sock: socket.socket) -> bytes | None:
    """One received frame with its VLAN tag restored; None for a frame this host sent.

    Raises ``BlockingIOError`` when nothing is waiting.
    """
    data, ancdata, _flags, addr = sock.recvmsg(MAX_FRAME, _ANC_SIZE)
    if addr[2] == PACKET_OUTGOING:
        return None
    for level, kind, cdata in ancdata:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(cdata) >= _AUXDATA.size:
            status, _len, _snap, _mac, _net, tci, tpid = _AUXDATA.unpack_from(cdata)
            if status & TP_STATUS_VLAN_VALID:
                if not status & TP_STATUS_VLAN_TPID_VALID:
                    tpid = 0x8100
                return data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
    return data
