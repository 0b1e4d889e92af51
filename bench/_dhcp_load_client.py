"""The DHCP load client of bench_dhcp.py: N subscribers (one MAC each) on a raw packet socket of one
interface (run it inside the subscriber namespace). Attach: DISCOVER at a set rate, REQUEST on each
OFFER, done on each ACK. Detach: RELEASE at the same rate (unicast to the server identifier, as a
client in BOUND state sends it). Frames are built once from scapy templates and patched per client, so
the client keeps up with thousands of exchanges per second.

Usage: _dhcp_load_client.py IFNAME N RATE OUT.json [VLAN-TAGS e.g. q100 or ad200,q300]
Writes {"discover_sent": {xid: t}, "bound": n, "attach_s": ..., "release_sent": n, "detach_s": ...}.
"""

from __future__ import annotations

import json
import select
import socket
import struct
import sys
import time

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Dot1AD, Dot1Q, Ether
from scapy.packet import Packet, raw

ETH_P_ALL = 0x0003
#: like a real client, an exchange without an answer is retried (dhclient: after 3-4 s, then backing off)
RETRY = 4.0


def checksum(data: bytes) -> int:
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return int(~s & 0xFFFF)


def mac_of(i: int) -> bytes:
    return bytes((0x02, 0xBE, (i >> 24) & 0xFF, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF))


class Templates:
    def __init__(self, tags: list[tuple[str, int]]) -> None:
        self.tags = tags
        l2 = Ether(src="02:be:00:00:00:00", dst="ff:ff:ff:ff:ff:ff")
        for kind, vid in tags:
            l2 = l2 / (Dot1AD(vlan=vid) if kind == "ad" else Dot1Q(vlan=vid))
        self.l3 = len(raw(l2))
        self.discover = self._build(l2, "discover", [])
        self.request = self._build(l2, "request", [("requested_addr", "0.0.0.0"), ("server_id", "0.0.0.0")])
        self.release = self._build(l2, "release", [("server_id", "0.0.0.0")], unicast=True)
        self.bootp = self.l3 + 28

    def _build(self, l2: Packet, kind: str, opts: list[tuple[str, str]], unicast: bool = False) -> bytearray:
        b = BOOTP(chaddr=b"\x02\xbe\0\0\0\0", xid=0, flags=0 if unicast else 0x8000) / DHCP(
            options=[("message-type", kind), *opts, "end"]
        )
        pkt = l2 / IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67, chksum=0) / b
        return bytearray(raw(pkt))

    def _common(self, frame: bytearray, i: int, xid: int) -> None:
        mac = mac_of(i)
        frame[6:12] = mac
        frame[self.bootp + 4 : self.bootp + 8] = struct.pack("!I", xid)
        frame[self.bootp + 28 : self.bootp + 34] = mac

    def make_discover(self, i: int, xid: int) -> bytes:
        f = bytearray(self.discover)
        self._common(f, i, xid)
        return bytes(f)

    def make_request(self, i: int, xid: int, addr: bytes, server: bytes) -> bytes:
        f = bytearray(self.request)
        self._common(f, i, xid)
        opts = self.bootp + 240
        f[opts + 3 + 2 : opts + 3 + 6] = addr  # 53 (3 bytes), then 50: code, len, 4 bytes
        f[opts + 9 + 2 : opts + 9 + 6] = server  # then 54
        return bytes(f)

    def make_release(self, i: int, xid: int, addr: bytes, server: bytes, dst_mac: bytes) -> bytes:
        f = bytearray(self.release)
        self._common(f, i, xid)
        f[0:6] = dst_mac
        ip = self.l3
        f[ip + 12 : ip + 16] = addr
        f[ip + 16 : ip + 20] = server
        f[ip + 10 : ip + 12] = b"\0\0"
        f[ip + 10 : ip + 12] = struct.pack("!H", checksum(bytes(f[ip : ip + 20])))
        f[self.bootp + 12 : self.bootp + 16] = addr  # ciaddr
        opts = self.bootp + 240
        f[opts + 3 + 2 : opts + 3 + 6] = server
        return bytes(f)


def parse_reply(frame: bytes, l3: int) -> tuple[int, int, bytes, bytes, bytes] | None:
    """(xid, message type, yiaddr, server id, source MAC) of a BOOTREPLY, or None."""
    if len(frame) < l3 + 28 + 240:
        return None
    ihl = (frame[l3] & 0x0F) * 4
    if frame[l3 + 9] != 17 or struct.unpack_from("!H", frame, l3 + ihl + 2)[0] != 68:
        return None
    b = l3 + ihl + 8
    if frame[b] != 2:
        return None
    xid = struct.unpack_from("!I", frame, b + 4)[0]
    yiaddr = frame[b + 16 : b + 20]
    i, mtype, server = b + 240, 0, b"\0\0\0\0"
    while i + 1 < len(frame) and frame[i] != 255:
        if frame[i] == 0:
            i += 1
            continue
        code, length = frame[i], frame[i + 1]
        if code == 53:
            mtype = frame[i + 2]
        elif code == 54 and length == 4:
            server = frame[i + 2 : i + 6]
        i += 2 + length
    return xid, mtype, yiaddr, server, frame[6:12]


def main() -> int:
    ifname, n, rate, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    spec = sys.argv[5] if len(sys.argv) > 5 else ""
    tags = [("ad" if x.startswith("ad") else "q", int(x.lstrip("adq"))) for x in spec.split(",") if x]
    t = Templates(tags)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 << 20)
    s.bind((ifname, 0))
    s.setblocking(False)
    xid0 = 0x10000000
    sent: dict[int, float] = {}
    bound: dict[int, tuple[bytes, bytes, bytes]] = {}  # i -> (address, server id, BNG MAC)
    requested: dict[int, tuple[bytes, bytes]] = {}  # i -> (offered address, server id)
    retransmits = 0
    next_retry = time.time() + RETRY
    interval = 1.0 / rate
    start = time.time()
    next_i = 0
    deadline = start + n / rate + 60
    while len(bound) < n and time.time() < deadline:
        now = time.time()
        while next_i < n and start + next_i * interval <= now:
            xid = xid0 + next_i
            sent[xid] = time.time()
            try:
                s.send(t.make_discover(next_i, xid))
            except BlockingIOError:
                break
            next_i += 1
        if time.time() >= next_retry:
            next_retry = time.time() + RETRY
            for i in range(next_i):
                if i in bound or start + i * interval > time.time() - RETRY:
                    continue
                got_offer = requested.get(i)
                frame = t.make_request(i, xid0 + i, *got_offer) if got_offer else t.make_discover(i, xid0 + i)
                try:
                    s.send(frame)
                    retransmits += 1
                except BlockingIOError:
                    break
        wait = max(0.0, start + next_i * interval - time.time()) if next_i < n else 0.05
        r, _, _ = select.select([s], [], [], wait)
        if not r:
            continue
        for _ in range(1024):
            try:
                frame, addr = s.recvfrom(2048)
            except BlockingIOError:
                break
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            got = parse_reply(frame, t.l3)
            if got is None:
                continue
            xid, mtype, yiaddr, server, src = got
            i = xid - xid0
            if not 0 <= i < n:
                continue
            if mtype == 2 and i not in requested:
                requested[i] = (yiaddr, server)
                s.send(t.make_request(i, xid, yiaddr, server))
            elif mtype == 5 and i not in bound:
                bound[i] = (yiaddr, server, src)
    attach_s = time.time() - start
    # detach: RELEASE at the same rate
    start2 = time.time()
    released = 0
    for k, (i, (addr, server, bng)) in enumerate(sorted(bound.items())):
        target = start2 + k * interval
        delay = target - time.time()
        if delay > 0:
            time.sleep(delay)
        s.send(t.make_release(i, xid0 + n + i, addr, server, bng))
        released += 1
    detach_s = time.time() - start2
    with open(out, "w") as f:
        json.dump(
            {
                "discover_sent": {str(k): v for k, v in sent.items()},
                "bound": len(bound),
                "retransmits": retransmits,
                "attach_start": start,
                "attach_s": attach_s,
                "release_sent": released,
                "detach_start": start2,
                "detach_s": detach_s,
            },
            f,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
