"""Packet-path test helpers: a network namespace with a veth into a vppsim port, a subscriber in it, and
DHCP frames built with scapy."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Dot1AD, Dot1Q, Ether
from scapy.layers.ppp import PPP, PPP_LCP_Configure, PPPoE, PPPoED, PPPoED_Tags, PPPoETag
from scapy.packet import Packet, Raw, raw

PEER = Path(__file__).resolve().with_name("_netns_peer.py")
ROOT = Path(__file__).resolve().parents[2]


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


class Netns:
    """A namespace ``ns`` holding ``peer``, the other end of veth ``host`` (left in the root namespace
    for vppsim to read). IPv6 is off on the namespace end, so the kernel sends nothing of its own on it.

    ``adopt``: instead of a new veth, move an existing root-namespace interface into the namespace for
    the test (a real VPP's af_packet veth peer, from ``scripts/vpp-run.sh``'s ports file) and move it back
    when the namespace is removed (deleting the namespace with it inside would delete the veth pair)."""

    def __init__(self, adopt: str | None = None) -> None:
        tag = uuid.uuid4().hex[:8]
        self.ns = f"pio-{tag}"
        self.adopted = adopt
        self.host = "" if adopt else f"pioh{tag}"
        self.peer = adopt or f"pion{tag}"
        _ip("netns", "add", self.ns)
        try:
            if adopt:
                _ip("link", "set", self.peer, "netns", self.ns)
            else:
                _ip("link", "add", self.host, "type", "veth", "peer", "name", self.peer)
                _ip("link", "set", self.peer, "netns", self.ns)
                subprocess.run(["sysctl", "-qw", f"net.ipv6.conf.{self.host}.disable_ipv6=1"], check=True)
                _ip("link", "set", self.host, "up")
            sysctl = ["sysctl", "-qw", f"net.ipv6.conf.{self.peer}.disable_ipv6=1"]
            subprocess.run(self.exec(*sysctl), check=True, capture_output=True)
            _ip("netns", "exec", self.ns, "ip", "link", "set", self.peer, "up")
        except BaseException:
            self.remove()
            raise

    def remove(self) -> None:
        if self.adopted:
            subprocess.run(self.exec("ip", "link", "set", self.peer, "netns", "1"), capture_output=True)
            subprocess.run(["ip", "link", "set", self.peer, "up"], capture_output=True)
        else:
            subprocess.run(["ip", "link", "del", self.host], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)

    def exec(self, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", self.ns, *argv]

    def send(self, frames: list[bytes], repeat: int = 1, pps: float = 0.0, timeout: float = 60.0) -> int:
        """Send ``frames`` (each ``repeat`` times, at ``pps`` frames/s or as fast as possible) from the
        namespace end; returns how many were sent."""
        text = "".join(f"{repeat}*{f.hex()}\n" for f in frames)
        out = subprocess.run(
            self.exec(sys.executable, str(PEER), "send", self.peer, str(pps)),
            input=text.encode(),
            capture_output=True,
            check=True,
            timeout=timeout,
            cwd=ROOT,
        )
        return int(out.stdout.decode().split()[0])

    def start_sniff(self, count: int, timeout: float) -> subprocess.Popen[bytes]:
        """Start capturing in the namespace; returns once the capture runs (see :func:`sniffed`)."""
        proc = subprocess.Popen(
            self.exec(sys.executable, str(PEER), "sniff", self.peer, str(count), str(timeout)),
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line.strip() != b"READY":
            proc.kill()
            raise RuntimeError(f"sniffer did not start: {line!r}")
        return proc


class VethPair:
    """A veth pair in the root namespace (IPv6 off, both ends up): ``a`` for vppsim, ``b`` for the agent
    -- the PPPoE control-plane link, as an af_packet interface on a veth is on a real VPP. ``adopt``: an
    existing pair (a real VPP's af_packet veth and its peer), used as it is and left in place."""

    def __init__(self, adopt: tuple[str, str] | None = None) -> None:
        self.adopted = adopt is not None
        if adopt is not None:
            self.a, self.b = adopt
            return
        tag = uuid.uuid4().hex[:8]
        self.a, self.b = f"pioc{tag}", f"piod{tag}"
        _ip("link", "add", self.a, "type", "veth", "peer", "name", self.b)
        try:
            for end in (self.a, self.b):
                subprocess.run(["sysctl", "-qw", f"net.ipv6.conf.{end}.disable_ipv6=1"], check=True)
                _ip("link", "set", end, "up")
        except BaseException:
            self.remove()
            raise

    def remove(self) -> None:
        if not self.adopted:
            subprocess.run(["ip", "link", "del", self.a], capture_output=True)


def sniffed(proc: subprocess.Popen[bytes], timeout: float) -> list[bytes]:
    out, _ = proc.communicate(timeout=timeout)
    return [bytes.fromhex(line) for line in out.decode().split()]


def discover(mac: str, xid: int, *, tags: tuple[tuple[str, int], ...] = ()) -> bytes:
    """A DHCPDISCOVER from ``mac`` (0.0.0.0 -> 255.255.255.255), with ("q"|"ad", vid) tags outermost first;
    the BOOTP message padded to 300 bytes as dhclient sends it (342-byte frame untagged)."""
    pkt = _tagged(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff"), tags)
    bootp = BOOTP(chaddr=bytes.fromhex(mac.replace(":", "")), xid=xid, flags=0x8000) / DHCP(
        options=[("message-type", "discover"), "end"]
    )
    pad = max(0, 300 - len(raw(bootp)))
    pkt = pkt / IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67) / bootp / Raw(b"\0" * pad)
    return raw(pkt)


def _tagged(pkt: Packet, tags: tuple[tuple[str, int], ...]) -> Packet:
    for kind, vid in tags:
        pkt = pkt / (Dot1AD(vlan=vid) if kind == "ad" else Dot1Q(vlan=vid))
    return pkt


def padi(mac: str, *, tags: tuple[tuple[str, int], ...] = ()) -> bytes:
    """A PPPoE Active Discovery Initiation with an empty Service-Name."""
    pkt = _tagged(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff"), tags)
    return raw(pkt / PPPoED(code=0x09) / PPPoED_Tags(tag_list=[PPPoETag(tag_type=0x0101, tag_value=b"")]))


def lcp_request(mac: str, to: bytes, session: int, *, tags: tuple[tuple[str, int], ...] = ()) -> bytes:
    """An LCP Configure-Request in PPPoE session ``session`` (PPP control: 0x8864, protocol 0xc021)."""
    pkt = _tagged(Ether(src=mac, dst=to.hex(":")), tags)
    return raw(pkt / PPPoE(sessionid=session) / PPP(proto=0xC021) / PPP_LCP_Configure(id=1))


def pado_payload(ac_name: bytes = b"bng") -> bytes:
    """The PPPoE part of a PADO (code 0x07) with an AC-Name and an empty Service-Name."""
    tags = [PPPoETag(tag_type=0x0101, tag_value=b""), PPPoETag(tag_type=0x0102, tag_value=ac_name)]
    return raw(PPPoED(code=0x07) / PPPoED_Tags(tag_list=tags))


def offer_payload(xid: int, mac: str) -> bytes:
    """The IP packet of a DHCPOFFER (the frame around it comes from the packet path)."""
    pkt = (
        IP(src="10.2.0.1", dst="255.255.255.255")
        / UDP(sport=67, dport=68)
        / BOOTP(op=2, xid=xid, yiaddr="10.2.0.50", chaddr=bytes.fromhex(mac.replace(":", "")), flags=0x8000)
        / DHCP(options=[("message-type", "offer"), ("server_id", "10.2.0.1"), "end"])
    )
    return raw(pkt)


SUB_ONE_TAG, SUB_TWO_TAGS, SUB_DOT1AD, SUB_EXACT = 2, 4, 8, 16
LOCAL_PATH = 1  # FIB_API_PATH_TYPE_LOCAL


def program_access(
    client: Any, port: int, *, broadcast_route: bool = True, dot1ad: bool = True
) -> dict[str, int]:
    """Make ``port`` an access port: up, an address, a dot1q 100 and a 200/300 QinQ sub-interface (outer
    tag 802.1ad, or 802.1Q with ``dot1ad=False``; exact match; each with an address so IPv4 is enabled),
    and -- as VPP's DHCP proxy does -- a receive route for 255.255.255.255/32 in table 0. Returns the
    sub-interfaces' indices."""
    api = client.api
    q = api.create_subif(
        sw_if_index=port, sub_id=100, sub_if_flags=SUB_ONE_TAG | SUB_EXACT, outer_vlan_id=100
    )
    qinq = api.create_subif(
        sw_if_index=port,
        sub_id=200300,
        sub_if_flags=SUB_TWO_TAGS | SUB_EXACT | (SUB_DOT1AD if dot1ad else 0),
        outer_vlan_id=200,
        inner_vlan_id=300,
    )
    assert q.retval == 0 and qinq.retval == 0
    for idx, prefix in (
        (port, "10.1.0.1/24"),
        (q.sw_if_index, "10.2.0.1/24"),
        (qinq.sw_if_index, "10.3.0.1/24"),
    ):
        assert api.sw_interface_add_del_address(sw_if_index=idx, is_add=True, prefix=prefix).retval == 0
        assert api.sw_interface_set_flags(sw_if_index=idx, flags=1).retval == 0
    if broadcast_route:
        set_broadcast_route(client, True)
    return {"dot1q": q.sw_if_index, "qinq": qinq.sw_if_index}


def set_broadcast_route(client: Any, add: bool, *, check: bool = True) -> None:
    path = {
        "sw_if_index": 0xFFFFFFFF,
        "table_id": 0,
        "weight": 1,
        "type": LOCAL_PATH,
        "proto": 0,
        "label_stack": [{}] * 16,  # a fixed array of 16 in fib_types.api
    }
    route = {"table_id": 0, "prefix": "255.255.255.255/32", "n_paths": 1, "paths": [path]}
    rv = client.api.ip_route_add_del(is_add=add, route=route).retval
    assert rv == 0 or not check, rv
