"""The subscriber side of packet-path tests, run inside a test's network namespace
(``ip netns exec NS python _netns_peer.py ...``), where it owns the namespace end of the veth.

``send IFACE [PPS]``: sends the frames given as hex lines on stdin (``<hex>`` or ``<count>*<hex>``) with a
raw packet socket, as fast as the socket takes them or paced at PPS frames per second; prints the number
sent and the seconds it took.
``sniff IFACE COUNT TIMEOUT``: captures up to COUNT frames with scapy (which restores the VLAN tag the
kernel moved into the packet's auxdata) and prints each as a hex line; "READY" first, once capturing.
"""

from __future__ import annotations

import socket
import sys
import time


def send(iface: str, pps: float = 0.0) -> int:
    frames: list[tuple[int, bytes]] = []
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        count, star, text = line.partition("*")
        frames.append((int(count), bytes.fromhex(text)) if star else (1, bytes.fromhex(line)))
    sent = 0
    start = time.monotonic()
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((iface, 0))
        for count, frame in frames:
            for _ in range(count):
                if pps > 0:  # frame n leaves at start + n / pps (sleeping only when ahead by 1 ms)
                    ahead = start + sent / pps - time.monotonic()
                    if ahead > 0.001:
                        time.sleep(ahead)
                while True:
                    try:
                        s.send(frame)
                        break
                    except BlockingIOError:  # the veth queue is full: let it drain
                        time.sleep(0.0005)
                sent += 1
    print(sent, time.monotonic() - start, flush=True)
    return 0


def sniff(iface: str, count: int, timeout: float) -> int:
    from scapy.all import raw
    from scapy.sendrecv import sniff as scapy_sniff

    def started() -> None:
        print("READY", flush=True)

    got = scapy_sniff(iface=iface, count=count, timeout=timeout, started_callback=started, store=True)
    for p in got:
        print(raw(p).hex(), flush=True)
    return 0


def main(argv: list[str]) -> int:
    if argv[0] == "send":
        return send(argv[1], float(argv[2]) if len(argv) > 2 else 0.0)
    if argv[0] == "sniff":
        return sniff(argv[1], int(argv[2]), float(argv[3]))
    raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
