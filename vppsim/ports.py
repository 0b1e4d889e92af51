"""Ports backed by Linux interfaces: frames from a real client (dhclient, scapy, rp-pppoe) in a network
namespace enter an emulated port through a veth, and what VPP would send out of that port leaves by it.

Only the packet path of docs/packet-path.md is emulated, not IP forwarding: a received frame is
classified to its sub-interface as ``ethernet-input`` does (``eth_identify_subint`` in
``src/vnet/ethernet/ethernet.h``: the QinQ sub-interface, then a non-exact-match single-tag one for more
tags, then the port's default sub-interface; untagged frames belong to the port; no match is "unknown
vlan"), dropped when that interface is down or when it is unicast to another MAC ("l3 mac mismatch",
``is_dmac_bad`` in ``src/vnet/ethernet/node.c``), and for IPv4 goes the way ``ip4-input`` -> ``ip4-lookup``
-> ``ip4-local`` -> ``udp-local`` takes it: IPv4 must be enabled on the interface (an address, or
unnumbered: ``ip4_sw_interface_enable_disable`` in ``ip4_forward.c``, else "ip4-not-enabled"), the header
checksum must hold, the destination must be a receive entry of the interface's table (an interface
address, or 255.255.255.255/32 once something adds it with a local path -- every table has it as a drop
entry, ``ip4_fib.c`` ``ip4_specials``), and a UDP destination port must have a punt-socket client
(``udp_register_dst_port`` by ``punt_socket_register_l4``); then the frame goes to the client
(``punt_node.c``). Everything else is counted by reason and dropped. For IPv6, router solicitations go
to a punt client registered for ICMPv6 type 133 or to VPP's own RA code, which answers with an RA
(``vppsim/features/ra``); other IPv6 is counted as "ip6 not emulated".

Sending (``PUNT_L2`` from the punt socket) is ``interface-output``: the frame leaves the port under the
given interface as it is -- VPP adds no VLAN tags there -- if that interface and its port are up.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent.packetio.linux import open_packet_socket, recv_frame
from vppsim.features.interfaces.state import SUB_IF_DEFAULT, SUB_IF_EXACT_MATCH, IfKind, Interface
from vppsim.features.pppoe.state import (
    ETH_P_PPPOE_DISCOVERY,
    ETH_P_PPPOE_SESSION,
    NO_CP,
    PPPOE_VER_TYPE,
    PppoeCp,
    is_session_data,
    pppoe_input_offset,
)
from vppsim.features.punt.state import ADDRESS_IP4, ADDRESS_IP6, BUFFER_SIZE, IP_PROTO_UDP
from vppsim.features.ra import sender as ra_sender
from vppsim.features.routes.state import PATH_TYPE_LOCAL

if TYPE_CHECKING:
    from vppsim.emulator import Emulator

log = logging.getLogger("vppsim.ports")

READ_BATCH = 256
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
ETH_P_DOT1AD = 0x88A8
TAG_TYPES = (0x8100, 0x88A8, 0x9100, 0x9200)  # ethernet_frame_is_tagged (src/vnet/ethernet/packet.h)
_ETHERTYPE = struct.Struct("!H")


@dataclass(slots=True)
class Backing:
    """One emulated port and the Linux interface (a veth end) that carries its frames."""

    sw_if_index: int
    ifname: str
    sock: socket.socket
    rx: int = 0
    tx: int = 0
    drops: dict[str, int] = field(default_factory=dict)

    def drop(self, reason: str) -> None:
        self.drops[reason] = self.drops.get(reason, 0) + 1


class Dataplane:
    """The backed ports of one emulator and the receive/transmit paths through them."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.backings: dict[int, Backing] = {}
        self.pppoe = PppoeCp()

    # ------------------------------------------------------------------ backing

    def back(self, intf: Interface, ifname: str) -> Backing:
        if intf.kind is not IfKind.ETHERNET:
            raise ValueError(f"{intf.name} is not a physical port")
        if intf.sw_if_index in self.backings:
            raise ValueError(f"{intf.name} is already backed by {self.backings[intf.sw_if_index].ifname}")
        sock = open_packet_socket(ifname)
        backing = Backing(intf.sw_if_index, ifname, sock)
        self.backings[intf.sw_if_index] = backing
        asyncio.get_running_loop().add_reader(sock.fileno(), self._readable, backing)
        return backing

    def unback(self, sw_if_index: int) -> None:
        backing = self.backings.pop(sw_if_index, None)
        if backing is not None:
            asyncio.get_running_loop().remove_reader(backing.sock.fileno())
            backing.sock.close()

    def close(self) -> None:
        for idx in list(self.backings):
            self.unback(idx)

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for b in self.backings.values():
            intf = self.emu.interfaces.get(b.sw_if_index)
            name = intf.name if intf is not None else str(b.sw_if_index)
            out[name] = {"host_if": b.ifname, "rx": b.rx, "tx": b.tx, "drops": dict(b.drops)}
        return out

    def pppoe_status(self) -> dict[str, Any]:
        cp = self.pppoe
        intf = self.emu.interfaces.get(cp.cp_if_index) if cp.cp_if_index != NO_CP else None
        return {
            "cp_interface": intf.name if intf is not None else None,
            "learned": {mac.hex(":"): idx for mac, idx in cp.link_table.items()},
            "counters": dict(cp.counters),
        }

    # ------------------------------------------------------------------ receive

    def _readable(self, backing: Backing) -> None:
        for _ in range(READ_BATCH):
            try:
                frame = recv_frame(backing.sock)
            except BlockingIOError:
                return
            except OSError as e:  # e.g. the veth went away under the test that made it
                log.warning("read from %s failed: %s", backing.ifname, e)
                return
            if frame is not None:
                self.receive(backing, frame)

    def receive(self, backing: Backing, frame: bytes) -> None:
        emu = self.emu
        port = emu.interfaces.get(backing.sw_if_index)
        if port is None:
            backing.drop("no such port")
            return
        if not (port.admin_up and port.hw_link_up):
            backing.drop("interface down")  # the device input node does not run for a down port
            return
        backing.rx += 1
        if len(frame) < 14:
            backing.drop("runt")
            return
        if port.sw_if_index == self.pppoe.cp_if_index:
            # pppoe-input on the control-plane interface's device-input arc sees every frame first
            self._pppoe_from_cp(backing, frame)
            return
        (ethertype,) = _ETHERTYPE.unpack_from(frame, 12)
        first = ethertype
        vids: list[int] = []
        off = 14
        while ethertype in TAG_TYPES and len(vids) < 3 and len(frame) >= off + 4:
            vids.append(struct.unpack_from("!H", frame, off)[0] & 0x0FFF)
            (ethertype,) = _ETHERTYPE.unpack_from(frame, off + 2)
            off += 4
        sub = self.identify(port, first == ETH_P_DOT1AD, vids)
        if sub is None:
            backing.drop("unknown vlan")
            return
        if not sub.admin_up:
            backing.drop("interface down")
            return
        if not frame[0] & 1 and frame[0:6] != port.mac:
            # ethernet-input's dmac check (node.c is_dmac_bad): a unicast frame to another MAC is not
            # for an L3 interface
            backing.drop("l3 mac mismatch")
            return
        if ethertype == ETH_P_IP:
            self._ip4(backing, sub, frame, off)
        elif ethertype == ETH_P_PPPOE_DISCOVERY:
            self._pppoe_to_cp(backing, sub, frame, off)  # ethernet-input -> pppoe-cp-dispatch
        elif ethertype == ETH_P_PPPOE_SESSION:
            self._pppoe_session(backing, sub, frame)  # ethernet-input -> pppoe-input
        elif ethertype == ETH_P_IPV6:
            self._ip6(backing, sub, frame, off)
        else:
            backing.drop(f"ethertype 0x{ethertype:04x} not punted")

    def identify(self, port: Interface, dot1ad: bool, vids: list[int]) -> Interface | None:
        """``eth_identify_subint`` over the emulator's VLAN slots (see ``create_subif``'s keys)."""
        emu = self.emu
        n = len(vids)
        slots = emu.vlan_slots
        parent = port.sw_if_index
        if n == 0:
            return emu.interfaces.get(slots.get((parent, "untagged"), parent))
        candidates: list[Any] = []
        if n >= 2:
            candidates.append(slots.get((parent, dot1ad, 2, vids[0], vids[1])))
        candidates.append(slots.get((parent, dot1ad, 1, vids[0])))
        candidates.append(slots.get((parent, "default")))
        for idx in candidates:
            if idx is None:
                continue
            sub = emu.interfaces.get(idx)
            if sub is not None and _matches(sub, n):
                return sub
        return None

    def _ip4(self, backing: Backing, sub: Interface, frame: bytes, off: int) -> None:
        emu = self.emu
        if len(frame) < off + 20:
            backing.drop("ip4 runt")
            return
        holder = sub
        if sub.unnumbered_via is not None:
            holder = emu.interfaces.get(sub.unnumbered_via) or sub
        if sub.unnumbered_via is None and not any(a.version == 4 for a in holder.addresses):
            backing.drop("ip4-not-enabled")
            return
        ihl = (frame[off] & 0x0F) * 4
        if frame[off] >> 4 != 4 or ihl < 20 or len(frame) < off + ihl + 8:
            backing.drop("ip4 bad header")
            return
        if _checksum(frame[off : off + ihl]) != 0:
            backing.drop("ip4 bad checksum")
            return
        dst = int.from_bytes(frame[off + 16 : off + 20], "big")
        table = emu.fib.get(False, sub.table_v4)
        route = table.routes.get(ipaddress.IPv4Network((dst, 32))) if table is not None else None
        if route is None or not any(p.get("type") == PATH_TYPE_LOCAL for p in route.paths):
            # not a receive entry: VPP would forward (or, for 255.255.255.255, drop) it
            backing.drop("not for us (forwarding not emulated)")
            return
        if frame[off + 9] != 17:
            backing.drop("ip4 protocol not punted")
            return
        (dport,) = _ETHERTYPE.unpack_from(frame, off + ihl + 2)
        punt = emu.punt
        reg = punt.client_for(ADDRESS_IP4, dport) if punt is not None else None
        if punt is None or reg is None:
            backing.drop("udp port not registered")  # ip4-udp-lookup: "no listener for dst port"
            return
        punt.deliver(reg, sub.sw_if_index, frame)

    def _ip6(self, backing: Backing, sub: Interface, frame: bytes, off: int) -> None:
        """``ip6-input`` -> ``ip6-local`` / ``ip6-mfib-forward-lookup`` for what the packet path needs.

        IPv6 must be enabled on the interface (an IPv6 link: ``ip6_sw_interface_enable_disable``). A
        multicast destination must have an mFIB entry in the interface's table that takes it to the
        local stack (VPP's specials for ff02::1, ff02::2 ...; ff02::1:2 only once the DHCPv6 relay added
        its mroute, ``vppsim/features/dhcp6``), a unicast one must be a receive entry (an interface
        address; link-local addresses are always the interface's). ``ip6-local`` checks the UDP/ICMPv6
        checksum. Then: a punt client registered for the UDP port or ICMPv6 type gets the frame, a router
        solicitation goes to VPP's RA code (``vppsim/features/ra/sender.py``); the rest is dropped."""
        emu = self.emu
        if sub.sw_if_index not in emu.ip6.links:
            backing.drop("ip6-not-enabled")
            return
        if len(frame) < off + 40 or frame[off] >> 4 != 6:
            backing.drop("ip6 bad header")
            return
        plen = struct.unpack_from("!H", frame, off + 4)[0]
        if len(frame) < off + 40 + plen:
            backing.drop("ip6 length error")
            return
        packet = frame[off : off + 40 + plen]
        proto = packet[6]
        src, dst = ipaddress.IPv6Address(packet[8:24]), ipaddress.IPv6Address(packet[24:40])
        if dst.is_multicast:
            entry = emu.mfib6.lookup(sub.table_v6, dst)
            if entry is None or not entry.accepts_local():
                backing.drop("ip6 mfib: not for us")
                return
        elif not dst.is_link_local:
            table = emu.fib.get(True, sub.table_v6)
            route = table.routes.get(ipaddress.IPv6Network((dst, 128))) if table is not None else None
            if route is None or not any(p.get("type") == PATH_TYPE_LOCAL for p in route.paths):
                backing.drop("not for us (forwarding not emulated)")
                return
        if proto not in (ra_sender.ICMP6, IP_PROTO_UDP) or plen < 8:
            backing.drop("ip6 not emulated")
            return
        if ra_sender.checksum(src, dst, proto, packet[40:]) != 0:
            backing.drop("ip6 bad checksum")  # ip6-local validates UDP and ICMPv6 checksums
            return
        port = packet[40] if proto == ra_sender.ICMP6 else struct.unpack_from("!H", packet, 42)[0]
        punt = emu.punt
        reg = punt.client_for(ADDRESS_IP6, port) if punt is not None else None
        if punt is not None and reg is not None:
            punt.deliver(reg, sub.sw_if_index, frame[: off + 40 + plen])
            return
        if proto == IP_PROTO_UDP:
            backing.drop("udp port not registered")
            return
        if port != ra_sender.RS:
            backing.drop("icmp6 type not emulated")
            return
        reason = ra_sender.solicitation(emu, sub, frame[: off + 40 + plen], off)
        if reason is not None:
            backing.drop(reason)

    # ------------------------------------------------------------------ PPPoE control plane

    def _pppoe_session(self, backing: Backing, sub: Interface, frame: bytes) -> None:
        """``pppoe-input`` for a session frame from an access interface (re-parsed from L2)."""
        off = pppoe_input_offset(frame)
        if off is None:
            self.pppoe.count("bad version/type")
            backing.drop("pppoe bad version/type")
            return
        if is_session_data(frame, off):
            self.pppoe.count("no such session")  # PPPoE sessions' data plane is not emulated
            backing.drop("pppoe no such session")
            return
        self._pppoe_to_cp(backing, sub, frame, off)

    def _pppoe_to_cp(self, backing: Backing, sub: Interface, frame: bytes, off: int) -> None:
        """``pppoe-cp-dispatch`` for a frame from an access interface: learn, send whole to the cp."""
        cp = self.pppoe
        if len(frame) <= off or frame[off] != PPPOE_VER_TYPE:
            cp.count("bad version/type")
            backing.drop("pppoe bad version/type")
            return
        cp.link_table[bytes(frame[6:12])] = sub.sw_if_index  # pppoe_learn_process
        if cp.cp_if_index == NO_CP:
            cp.count("no control-plane interface")
            backing.drop("pppoe no control-plane interface")
            return
        try:
            self.transmit(cp.cp_if_index, frame)
        except LookupError:
            cp.count("control-plane interface output drop")
            return
        cp.count("to control plane")

    def _pppoe_from_cp(self, backing: Backing, frame: bytes) -> None:
        """A frame the control plane wrote into the cp interface: ``pppoe-input`` then
        ``pppoe-cp-dispatch`` (destination MAC -> learned interface, source := the port's MAC)."""
        cp = self.pppoe
        off = pppoe_input_offset(frame)
        if off is None or frame[off] != PPPOE_VER_TYPE:
            cp.count("bad version/type")
            backing.drop("pppoe bad version/type")
            return
        if is_session_data(frame, off):
            cp.count("no such session")
            backing.drop("pppoe no such session")
            return
        tx = cp.link_table.get(bytes(frame[0:6]))
        intf = self.emu.interfaces.get(tx) if tx is not None else None
        if tx is None or intf is None:
            cp.count("no such session")
            backing.drop("pppoe no such session")
            return
        port = self.emu.interfaces.get(intf.sup_sw_if_index) or intf
        try:
            self.transmit(tx, frame[:6] + port.mac + frame[12:])
        except LookupError:
            cp.count("access interface output drop")
            return
        cp.count("from control plane")

    # ------------------------------------------------------------------ transmit

    def transmit(self, sw_if_index: int, frame: bytes) -> None:
        """``interface-output`` for ``sw_if_index``: out of its port's backing, as it is."""
        emu = self.emu
        intf = emu.interfaces.get(sw_if_index)
        if intf is None:
            raise LookupError(f"no interface {sw_if_index}")
        port = emu.interfaces.get(intf.sup_sw_if_index)
        if port is None or not (intf.admin_up and port.admin_up):
            raise LookupError(f"{intf.name} is down")
        backing = self.backings.get(port.sw_if_index)
        if backing is None:
            raise LookupError(f"{port.name} is not backed by a Linux interface")
        try:
            backing.sock.send(frame[:BUFFER_SIZE])
        except OSError as e:
            backing.drop("tx error")
            raise LookupError(f"send on {backing.ifname} failed: {e}") from e
        backing.tx += 1


def _matches(sub: Interface, n: int) -> bool:
    """Whether a sub-interface's match flags (``ethernet_sw_interface_get_config``) take ``n`` tags:
    exact-match ones only their own number, others that many or more; the default one any tagged frame;
    the port (or a no-tags sub-interface) only untagged frames."""
    if sub.sub_flags & SUB_IF_DEFAULT:
        return n >= 1
    tags = sub.number_of_tags
    if not sub.is_sub or tags == 0:
        return n == 0
    if sub.sub_flags & SUB_IF_EXACT_MATCH:
        return n == tags
    return n >= tags


def _checksum(header: bytes) -> int:
    total: int = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF
