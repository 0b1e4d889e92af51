"""The emulated VPP: interface, bond and FIB state plus the operations handlers and the control channel
share (creating and deleting interfaces, addresses, table binding, link changes and their events).

Every behaviour here mirrors a VPP code path named in the comments; handlers only validate and call in.
"""

from __future__ import annotations

import bisect
import ipaddress
import logging
import time
from typing import TYPE_CHECKING, Any

from vppsim import errno
from vppsim.codec import ApiDefinitions, to_plain
from vppsim.faults import FaultTable
from vppsim.features.acl.state import AclPlugin
from vppsim.features.bonds.state import Bond, BondTable
from vppsim.features.dhcp6.state import Mfib6
from vppsim.features.interfaces.addresses import AddressIndex
from vppsim.features.interfaces.state import IfKind, Interface, InterfaceTable, IpInterface
from vppsim.features.nat.state import NatState
from vppsim.features.ndguard.state import NeighborTable
from vppsim.features.ra.state import Ip6Links
from vppsim.features.routes.state import (
    PATH_TYPE_DROP,
    PATH_TYPE_LOCAL,
    PATH_TYPE_NORMAL,
    PROTO_IP4,
    PROTO_IP6,
    Fib,
    Route,
    Source,
    Table,
)
from vppsim.stats.errors import StatsSegmentError
from vppsim.traffic import TrafficTable

if TYPE_CHECKING:
    from vppsim.features.punt.state import PuntServer
    from vppsim.ports import Dataplane
    from vppsim.server import ApiSession
    from vppsim.stats import StatsSegment

log = logging.getLogger("vppsim")

GIGABIT_KBPS = 1_000_000

# interface_api.c enum api_events
EVENT_LINK_UP = 1 << 1
EVENT_LINK_DOWN = 1 << 2
EVENT_ADMIN_UP = 1 << 3
EVENT_ADMIN_DOWN = 1 << 4
EVENT_ADD = 1 << 5
EVENT_DEL = 1 << 6
#: At most this many waiting interfaces go into one stats update (more follow while they all fit).
STATS_PUBLISH_CHUNK = 1024
FIRST_PCI_SLOT = 8  # GigabitEthernet0/8/0 is the first NIC on a typical qemu/virtio PCI layout


class Emulator:
    """State of one emulated VPP process; a restart is a new Emulator."""

    def __init__(self, defs: ApiDefinitions, stats: StatsSegment | None = None, ports: int = 2) -> None:
        self.defs = defs
        self.stats = stats
        self.interfaces = InterfaceTable()
        self.bonds = BondTable()
        self.fib = Fib()
        self.acl = AclPlugin()  # src/plugins/acl (vppsim/features/acl)
        self.nat = NatState()
        self.faults = FaultTable()
        self.event_clients: dict[ApiSession, int] = {}
        self.sessions: set[ApiSession] = set()
        self.unnumbered: set[int] = set()  # interfaces borrowing another's address
        # every interface address by (is_ip6, table_id), for VPP's per-table overlap check
        self._addresses: dict[tuple[bool, int], AddressIndex] = {}
        self.stalled = False  # an injected delay holds up every client, as a slow handler in VPP does
        self.vlan_slots: dict[tuple[Any, ...], int] = {}
        self.traffic = TrafficTable()
        self.punt: PuntServer | None = None  # `punt { socket }` (bng-vppsim --punt-socket)
        self.dataplane: Dataplane | None = None  # ports backed by Linux interfaces (vppsim/ports.py)
        self.ip6 = Ip6Links()  # IPv6 links and their RA records (vppsim/features/ra)
        self.mfib6 = Mfib6()  # IPv6 multicast entries (vppsim/features/dhcp6)
        self.neighbors = NeighborTable()  # IP neighbours (vppsim/features/ndguard)
        self._event_bits: dict[int, int] = {}  # sw_if_index -> EVENT_* bits not yet sent
        self._loop_instances: set[int] = set()
        self._route_stats: dict[tuple[bool, int, Any], int] = {}
        self._mac_serial = 0
        # stats-segment changes not yet published: names to add (by index, in creation order) and
        # indices to withdraw; flush_stats applies both under one lock (one epoch change)
        self._stats_added: dict[int, str] = {}
        self._stats_removed: list[int] = []
        self.stats_flush_scheduled = False
        # the indices of _stats_added in ascending order (may also hold deleted or repeated indices,
        # skipped when read), and the lowest index created since the last publication attempt
        self._stats_queue: list[int] = []
        self._stats_fresh_min: int | None = None
        # after an attempt that left interfaces waiting: the heap's space generation, the end of the
        # oldest grace period and the lowest waiting index then (until space comes back or a lower
        # index is created, retrying cannot succeed)
        self._stats_blocked: tuple[int, float | None, int] | None = None
        self.stats_full = False  # some created interface is waiting for room in the segment
        if stats is not None:
            stats.register_collector(lambda: self.flush_stats(retry=True))
        self._next_slot = FIRST_PCI_SLOT
        # VPP always has local0 at index 0 (vnet/interface.c: vnet_interface_init creates it).
        self.create_interface(IfKind.LOCAL, "local0", dev_type="local", link_mtu=0, mtu=[0, 0, 0, 0])
        for _ in range(ports):
            self.add_port()
        self.flush_stats()

    # ------------------------------------------------------------------ interfaces

    def next_mac(self) -> bytes:
        self._mac_serial += 1
        s = self._mac_serial
        return bytes([0x02, 0xFE, (s >> 16) & 0xFF, (s >> 8) & 0xFF, s & 0xFF, 0x01])

    def create_interface(self, kind: IfKind, name: str, **attrs: Any) -> Interface:
        idx = self.interfaces.allocate_index()
        intf = Interface(sw_if_index=idx, name=name, kind=kind, sup_sw_if_index=idx, **attrs)
        if kind is IfKind.LOOPBACK:
            self._loop_instances.add(intf.instance)
        self.interfaces.add(intf)
        self._stats_add(intf)
        # interface_api.c link_state_process: creation is reported to registered clients (deleted=0).
        self.notify(intf)
        return intf

    def create_sub(
        self, hw: Interface, sub_id: int, flags: int, tags: int, outer: int, inner: int, key: tuple[Any, ...]
    ) -> Interface:
        """A sub-interface of ``hw`` named ``<parent>.<sub_id>`` (interface.c vnet_create_sub_interface)
        inheriting the parent's MAC, speed, link MTU and device type."""
        idx = self.interfaces.allocate_index()
        intf = Interface(
            sw_if_index=idx,
            name=f"{hw.name}.{sub_id}",
            kind=IfKind.SUB,
            sup_sw_if_index=hw.sw_if_index,
            mac=hw.mac,
            dev_type=hw.dev_type,
            link_speed=hw.link_speed,
            link_mtu=hw.link_mtu,
            # a new sub-interface's per-protocol MTUs are 0 until set (the template in
            # vnet_create_sub_interface is zeroed and nothing copies the parent's; recorded:
            # tests/fixtures/vpp/interfaces.json)
            mtu=[0, 0, 0, 0],
            sub_id=sub_id,
            sub_flags=flags,
            number_of_tags=tags,
            outer_vlan_id=outer,
            inner_vlan_id=inner,
        )
        self.interfaces.add(intf)
        self.vlan_slots[key] = idx
        intf.vlan_key = key
        self._stats_add(intf)
        self.notify(intf)
        return intf

    def free_loopback_instance(self) -> int:
        i = 0
        while i in self._loop_instances:
            i += 1
        return i

    def delete_interface(self, intf: Interface) -> None:
        """Delete an interface and what hangs off it: its sub-interfaces first (ethernet_delete_interface
        deletes them with the hardware interface), its addresses and their routes, table locks,
        unnumbered users, bond membership, stats entries; registered clients get deleted=1."""
        if not intf.is_sub:
            for child in self.interfaces.children(intf.sw_if_index):
                self.delete_interface(child)
        self.delete_all_addresses(intf)
        for idx in list(self.unnumbered):
            other = self.interfaces.get(idx)
            if other is not None and other.unnumbered_via == intf.sw_if_index:
                self.set_unnumbered(other, None)
        self.set_unnumbered(intf, None)
        self._unlock_table(False, intf.table_v4)
        self._unlock_table(True, intf.table_v6)
        if self.nat.nat44.enabled:
            self.nat.nat44.forget_interface(intf.sw_if_index)  # nat44_ed.c nat44_ed_sw_interface_add_del
        bond = self.bonds.detach(intf.sw_if_index)
        if bond is not None:
            self.refresh_bond_link(bond)
        if intf.kind is IfKind.LOOPBACK:
            self._loop_instances.discard(intf.instance)
        if intf.vlan_key is not None:
            self.vlan_slots.pop(intf.vlan_key, None)
        self.traffic.discard(intf.sw_if_index)
        self.ip6.forget(intf.sw_if_index)
        self.neighbors.forget(intf.sw_if_index)
        self.acl.interface_deleted(intf.sw_if_index)
        if intf.admin_up:
            # interface.c vnet_delete_sw_interface: "Bring down interface in case it is up" -- an
            # ADMIN_DOWN event, merged with the DEL below into one sw_interface_event (flags 0, deleted)
            intf.admin_up = False
            self.notify(intf, EVENT_ADMIN_DOWN)
        self.interfaces.remove(intf.sw_if_index)
        if self.stats is not None and self._stats_added.pop(intf.sw_if_index, None) is None:
            self._stats_removed.append(intf.sw_if_index)  # published: withdraw it (a never-published one
            # is simply dropped from the pending additions)
        # interface_api.c sw_interface_add_del_function -> API_SW_INTERFACE_DEL_EVENT: deleted=true
        self.notify(intf, EVENT_DEL)

    def _stats_add(self, intf: Interface) -> None:
        if self.stats is None:
            return
        idx = intf.sw_if_index
        self._stats_added[idx] = intf.name
        queue = self._stats_queue
        if not queue or idx > queue[-1]:
            queue.append(idx)
        else:
            bisect.insort(queue, idx)
        if self._stats_fresh_min is None or idx < self._stats_fresh_min:
            self._stats_fresh_min = idx

    @property
    def stats_pending(self) -> int:
        """Interfaces created but not yet published that a flush would try to publish now (none while
        the segment is full and nothing changed that could make one fit)."""
        return len(self._stats_added) if self._stats_worth_trying() else 0

    @property
    def stats_removals_pending(self) -> bool:
        """Deleted interfaces still named in the stats segment (the server flushes these before it
        sends the delete's reply, as VPP withdraws the name inside the delete call)."""
        return bool(self._stats_removed)

    def _stats_worth_trying(self) -> bool:
        if not self._stats_added:
            return False
        if self._stats_blocked is None or self.stats is None:
            return True
        generation, release_at, lowest = self._stats_blocked
        if self._stats_fresh_min is not None and self._stats_fresh_min < lowest:
            return True  # a lower index needs less room than the one that did not fit
        return self.stats.space_generation != generation or (
            release_at is not None and time.monotonic() >= release_at
        )

    def _stats_take(self, limit: int) -> tuple[list[tuple[int, str]], list[int]]:
        """The lowest ``limit`` waiting interfaces, and for each the queue position just past it."""
        items: list[tuple[int, str]] = []
        ends: list[int] = []
        added = self._stats_added
        last = -1
        for pos, idx in enumerate(self._stats_queue):
            if idx == last or idx not in added:
                continue
            items.append((idx, added[idx]))
            ends.append(pos + 1)
            last = idx
            if len(items) == limit:
                break
        return items, ends

    def stats_status(self) -> dict[str, Any]:
        """The control channel's ``stats_status``: the segment heap in bytes, how many interfaces are
        published and how many wait for room (after trying to publish them now)."""
        if self.stats is None:
            return {"enabled": False}
        self.flush_stats(retry=True)
        return {
            "enabled": True,
            **self.stats.heap_status(),
            "published": len(self.stats.interface_names()),
            "pending": len(self._stats_added),
            "full": self.stats_full,
        }

    def flush_stats(self, *, retry: bool = False) -> None:
        """Apply the pending stats-segment changes in one update: withdraw deleted interfaces, then
        publish created ones in sw_if_index order, as many as fit (an index can be in both when a
        deleted index was reused); more than ``STATS_PUBLISH_CHUNK`` waiting go in further updates.

        What does not fit stays pending and is tried again whenever space may have come back (a
        withdrawal, a freed block leaving its grace period), when a lower index is created, and on
        every collector tick (``retry``). The segment going full and having room again are logged once
        each, not per batch."""
        stats = self.stats
        if stats is None:
            return
        # an interface whose publication failed (segment full) has nothing to withdraw
        removed = [i for i in self._stats_removed if stats.is_published(i)]
        self._stats_removed = []
        if not (removed or retry or self._stats_worth_trying()):
            return
        probe = self._stats_blocked is not None  # full a moment ago: expect little to fit
        self._stats_fresh_min = None
        queue = self._stats_queue
        while True:
            batch, ends = self._stats_take(STATS_PUBLISH_CHUNK)
            if not (batch or removed):
                break
            try:
                done = stats.update_interfaces_fitting(removed, batch, probe=probe)
            except StatsSegmentError:  # a bug, not a full segment: drop the batch, keep the API working
                log.exception("stats update failed (%d removed, %d added)", len(removed), len(batch))
                done = len(batch)
            removed = []
            for sw_if_index, _ in batch[:done]:
                del self._stats_added[sw_if_index]
            if done:
                del queue[: ends[done - 1]]
            if done < len(batch) or not batch:
                break
        if len(queue) > 2 * len(self._stats_added) + STATS_PUBLISH_CHUNK:
            queue[:] = sorted(self._stats_added)  # drop indices deleted while they waited
        if self._stats_added:
            lowest = self._stats_take(1)[0][0][0]
            self._stats_blocked = (stats.space_generation, stats.next_release_at(), lowest)
            if not self.stats_full:
                self.stats_full = True
                heap = stats.heap_status()
                log.warning(
                    "stats segment full (%d of %d bytes free, largest block %d): interfaces wait for "
                    "room in /if/names (%d so far) and keep working on the API; they are published as "
                    "space comes back (bng-vppsim ctl stats_status)",
                    heap["free"],
                    heap["capacity"],
                    heap["largest_free"],
                    len(self._stats_added),
                )
        else:
            queue.clear()
            self._stats_blocked = None
            if self.stats_full:
                self.stats_full = False
                log.warning("stats segment has room again: every interface is published")

    def add_port(self) -> Interface:
        """Hot-plug a NIC: ``GigabitEthernet0/<slot>/0`` (PCI-derived name, slot in hex as in
        ``format_vlib_pci_addr``), link up (cable in), admin down, 1 Gbit/s, MTU 9000."""
        slot = self._next_slot
        self._next_slot += 1
        mac = bytes([0x52, 0x54, 0x00, 0x12, (slot >> 8) & 0xFF, slot & 0xFF])
        return self.create_interface(
            IfKind.ETHERNET,
            f"GigabitEthernet0/{slot:x}/0",
            mac=mac,
            dev_type="dpdk",
            link_speed=GIGABIT_KBPS,
            hw_link_up=True,
        )

    def details(self, intf: Interface) -> dict[str, Any]:
        """``sw_interface_details`` for one interface (interface_api.c send_sw_interface_details)."""
        link_up = self.interfaces.link_up(intf)
        return {
            "sw_if_index": intf.sw_if_index,
            "sup_sw_if_index": intf.sup_sw_if_index,
            # send_sw_interface_details: the MAC only for ethernet hardware interfaces (not subs)
            "l2_address": b"" if intf.is_sub or intf.kind is IfKind.LOCAL else intf.mac,
            "flags": self.interfaces.flags(intf),
            "type": 1 if intf.is_sub else 0,
            "link_duplex": 2 if (link_up and intf.dev_type == "dpdk") else 0,  # NICs report full duplex
            # interface_api.c sends hi->link_speed as it is; the dpdk plugin (dpdk/device/common.c
            # dpdk_update_link_state) copies DPDK's rte_eth_link speed into it on every change, and
            # DPDK PMDs report RTE_ETH_SPEED_NUM_NONE (0) while the link is down. Sub-interfaces share
            # their NIC's hardware interface, so they follow it.
            "link_speed": intf.link_speed if link_up else 0,
            "link_mtu": intf.link_mtu,
            "mtu": intf.mtu,
            "sub_id": intf.sub_id,
            "sub_number_of_tags": intf.number_of_tags,
            "sub_outer_vlan_id": intf.outer_vlan_id,
            "sub_inner_vlan_id": intf.inner_vlan_id,
            "sub_if_flags": intf.sub_flags & 254,  # raw_flags & SUB_IF_API_FLAG_MASK_VNET
            "interface_name": intf.name,
            "interface_dev_type": intf.dev_type,
            "tag": intf.tag,
        }

    # ------------------------------------------------------------------ admin / link state and events

    def notify(self, intf: Interface, event: int = EVENT_ADD) -> None:
        """Record an interface event for registered clients.

        interface_api.c (VPP 26.06): the admin/link/add-del callbacks (``admin_up_down_function``,
        ``link_up_down_function`` -- for the hardware interface's own sw_if_index only, so a carrier
        change is no event for its sub-interfaces --, ``sw_interface_add_del_function``) signal
        ``link_state_process``, which ORs the events per sw_if_index until it runs and then sends one
        ``sw_interface_event`` per interface to every registered client (``send_sw_interface_event``):
        flags say which *events* happened (ADMIN_UP if an admin-up event occurred, LINK_UP if a link-up
        event occurred -- not the current state: an admin-down is flags 0) and ``deleted`` is true if a
        delete happened. The server plays the process's part once per batch of requests
        (:meth:`drain_events`).
        """
        if self.event_clients:
            self._event_bits[intf.sw_if_index] = self._event_bits.get(intf.sw_if_index, 0) | event

    def drain_events(self) -> list[tuple[ApiSession, bytes]]:
        """The ``sw_interface_event`` messages due now, per registered client."""
        if not self._event_bits:
            return []
        bits, self._event_bits = self._event_bits, {}
        out: list[tuple[ApiSession, bytes]] = []
        for sw_if_index, ev in bits.items():
            flags = (1 if ev & EVENT_ADMIN_UP else 0) | (2 if ev & EVENT_LINK_UP else 0)
            for session, pid in self.event_clients.items():
                fields = {
                    "client_index": session.client_index,
                    "pid": pid,
                    "sw_if_index": sw_if_index,
                    "flags": flags,
                    "deleted": bool(ev & EVENT_DEL),
                }
                out.append((session, self.defs.encode("sw_interface_event", fields)))
        return out

    def set_admin(self, intf: Interface, up: bool) -> None:
        if intf.admin_up == up:
            return
        intf.admin_up = up
        self.notify(intf, EVENT_ADMIN_UP if up else EVENT_ADMIN_DOWN)
        for addr in intf.addresses:  # ip4_sw_interface_admin_up_down / ip6_sw_interface_admin_up_down
            if up:
                self._add_interface_routes(intf, addr)
            else:
                self._remove_interface_routes(intf, addr, [])
        if intf.kind is IfKind.LOOPBACK:
            # ethernet/interface.c simulated_ethernet_admin_up_down: carrier follows admin state
            intf.hw_link_up = up
            self.notify(intf, EVENT_LINK_UP if up else EVENT_LINK_DOWN)
        elif intf.kind is IfKind.BOND:
            self._bond_link(intf)
        owner = self.bonds.bond_of(intf.sw_if_index)
        if owner is not None:
            self.refresh_bond_link(owner)

    def set_link(self, intf: Interface, up: bool) -> None:
        """Carrier change on a NIC (the control channel's "link" command)."""
        if intf.hw_link_up == up:
            return
        intf.hw_link_up = up
        self.notify(intf, EVENT_LINK_UP if up else EVENT_LINK_DOWN)
        owner = self.bonds.bond_of(intf.sw_if_index)
        if owner is not None:
            self.refresh_bond_link(owner)

    def active_members(self, bond: Bond) -> list[int]:
        """Members whose ``port_enabled`` holds: admin up and carrier up (bonding/cli.c bond_add_member:
        ``vnet_sw_interface_is_up``); a sub-interface member has its parent NIC's carrier."""
        out = []
        link_up = self.interfaces.link_up
        for m in bond.members:
            intf = self.interfaces.get(m.sw_if_index)
            if intf is not None and intf.admin_up and link_up(intf):
                out.append(m.sw_if_index)
        return out

    def refresh_bond_link(self, bond: Bond) -> None:
        intf = self.interfaces.get(bond.sw_if_index)
        if intf is not None:
            self._bond_link(intf)

    def _bond_link(self, intf: Interface) -> None:
        """A bond's carrier: up while the bond is admin up and has an active member. VPP 26.06 re-derives
        it from exactly that on every change (bonding/cli.c, the worker-side update run by
        bond_enable/disable_collecting_distributing: ``should_be_up = bif->admin_up &&
        vec_len (bif->active_members) > 0``; bonding/device.c bond_interface_admin_up_down sets it on
        admin up only with active members). A new bond, or one without an active member, is down
        (recorded: tests/fixtures/vpp/bonds.json)."""
        bond = self.bonds.get(intf.sw_if_index)
        up = intf.admin_up and bond is not None and bool(self.active_members(bond))
        if intf.hw_link_up != up:
            intf.hw_link_up = up
            self.notify(intf, EVENT_LINK_UP if up else EVENT_LINK_DOWN)

    # ------------------------------------------------------------------ addresses and tables

    def _table_of(self, intf: Interface, is_ip6: bool) -> Table:
        table = self.fib.get(is_ip6, intf.table_v6 if is_ip6 else intf.table_v4)
        assert table is not None
        return table

    def add_address(self, intf: Interface, addr: IpInterface) -> int:
        """ip4_add_del_interface_address_internal (ip4_forward.c; ip6_add_del_interface_address in
        ip6_forward.c alike): an address that overlaps one on any interface in the same table is refused,
        except another address of the same prefix length on the same interface. Re-adding the very same
        address is such an overlap too (the scan runs before the exact-match lookup), so it is refused,
        not ignored. The two files set different errors in that scan: ADDRESS_IN_USE (-105) for IPv4,
        DUPLICATE_IF_ADDRESS (-127) for IPv6."""
        is_ip6 = isinstance(addr, ipaddress.IPv6Interface)
        table_id = intf.table_v6 if is_ip6 else intf.table_v4
        in_table = self._addresses.setdefault((is_ip6, table_id), AddressIndex())
        if in_table.conflicts(intf.sw_if_index, addr):
            return errno.DUPLICATE_IF_ADDRESS if is_ip6 else errno.ADDRESS_IN_USE
        in_table.add(intf.sw_if_index, addr)
        intf.addresses.append(addr)
        if intf.admin_up:
            self._add_interface_routes(intf, addr)
        if is_ip6:
            self.ip6_enable(intf)  # ip6_forward.c: ip6_link_enable after the address is in
        return errno.OK

    def ip6_enable(self, intf: Interface) -> None:
        """``ip6_link_enable``: Ethernet interfaces (everything but local0) get an RA record, with the
        interface's IPv6 MTU as the advertised link MTU (``vnet_sw_interface_get_mtu``)."""
        mtu = intf.mtu[2] or intf.mtu[0]
        self.ip6.enable(intf.sw_if_index, intf.kind is not IfKind.LOCAL, mtu)

    def _add_interface_routes(self, intf: Interface, addr: IpInterface) -> None:
        """The attached (network) and local (host) routes of one address. VPP has them only while the
        interface is admin up: ip4_forward.c ip4_add_del_interface_address_internal adds them only for
        an up interface and ip4_sw_interface_admin_up_down adds/removes them on admin changes
        (ip6_forward.c alike; recorded: tests/fixtures/vpp/ip.json)."""
        is_ip6 = isinstance(addr, ipaddress.IPv6Interface)
        table = self._table_of(intf, is_ip6)
        proto = PROTO_IP6 if is_ip6 else PROTO_IP4
        host = ipaddress.ip_network(f"{addr.ip}/{addr.max_prefixlen}")
        if addr.network.prefixlen < addr.max_prefixlen:
            attached = {
                "sw_if_index": intf.sw_if_index,
                "weight": 1,
                "type": PATH_TYPE_NORMAL,
                "proto": proto,
            }
            table.routes.setdefault(addr.network, Route(addr.network, Source.INTERFACE, [attached]))
        # the receive path carries the interface address (fib_path.c fib_path_encode, RECEIVE: the
        # path's fp_addr is the address)
        local = {
            "sw_if_index": intf.sw_if_index,
            "weight": 1,
            "type": PATH_TYPE_LOCAL,
            "proto": proto,
            "nh": {"address": {"ip6" if is_ip6 else "ip4": addr.ip}},
        }
        table.routes[host] = Route(host, Source.INTERFACE, [local])
        for special in self._prefix_specials(addr):
            # ip4_forward.c ip4_add_interface_prefix_routes: below /31 the network and broadcast
            # addresses become /32 drop entries of the interface source
            drop = {"sw_if_index": 0xFFFFFFFF, "weight": 1, "type": PATH_TYPE_DROP, "proto": proto}
            table.routes.setdefault(special, Route(special, Source.INTERFACE, [drop]))

    @staticmethod
    def _prefix_specials(addr: IpInterface) -> list[Any]:
        if isinstance(addr, ipaddress.IPv6Interface) or addr.network.prefixlen >= 31:
            return []
        net = addr.network
        return [ipaddress.ip_network(net.network_address), ipaddress.ip_network(net.broadcast_address)]

    def _remove_interface_routes(self, intf: Interface, addr: IpInterface, keep: list[IpInterface]) -> None:
        """Withdraw the routes of ``addr`` (a network route stays while an address in ``keep`` needs it)."""
        is_ip6 = isinstance(addr, ipaddress.IPv6Interface)
        table = self._table_of(intf, is_ip6)
        host = ipaddress.ip_network(f"{addr.ip}/{addr.max_prefixlen}")
        for net in (host, addr.network):
            r = table.routes.get(net)
            if (
                r is not None
                and r.source is Source.INTERFACE
                and r.paths[0]["sw_if_index"] == intf.sw_if_index
                and not any(a.network == net for a in keep)
            ):
                del table.routes[net]
        if not any(a.network == addr.network for a in keep):
            for special in self._prefix_specials(addr):
                r = table.routes.get(special)
                if r is not None and r.source is Source.INTERFACE:
                    del table.routes[special]

    def delete_address(self, intf: Interface, addr: IpInterface) -> int:
        """Deleting an address the interface does not have: ADDRESS_NOT_FOUND_FOR_INTERFACE."""
        for a in intf.addresses:
            if a == addr:
                self._remove_address(intf, a)
                return errno.OK
        return errno.ADDRESS_NOT_FOUND_FOR_INTERFACE

    def delete_all_addresses(self, intf: Interface) -> None:
        for a in list(intf.addresses):
            self._remove_address(intf, a)

    def _remove_address(self, intf: Interface, addr: IpInterface) -> None:
        intf.addresses.remove(addr)
        is_ip6 = isinstance(addr, ipaddress.IPv6Interface)
        index = self._addresses.get((is_ip6, intf.table_v6 if is_ip6 else intf.table_v4))
        if index is not None:
            index.remove(intf.sw_if_index, addr)
        self._remove_interface_routes(intf, addr, intf.addresses)
        if is_ip6:
            self.ip6.disable(intf.sw_if_index)  # ip6_forward.c: ip6_link_disable on every delete

    def set_unnumbered(self, intf: Interface, via: int | None) -> None:
        intf.unnumbered_via = via
        if via is None:
            self.unnumbered.discard(intf.sw_if_index)
        else:
            self.unnumbered.add(intf.sw_if_index)

    def bind_table(self, intf: Interface, is_ip6: bool, table_id: int) -> int:
        """ip_table_bind (interface_api.c): NO_SUCH_FIB for an unknown table; ADDRESS_FOUND_FOR_INTERFACE
        when ``foreach_ip_interface_address`` (honouring unnumbered) finds any address of the family."""
        if self.fib.get(is_ip6, table_id) is None:
            return errno.NO_SUCH_FIB
        holder = intf
        if intf.unnumbered_via is not None:
            holder = self.interfaces.get(intf.unnumbered_via) or intf
        if any(isinstance(a, ipaddress.IPv6Interface) == is_ip6 for a in holder.addresses):
            return errno.ADDRESS_FOUND_FOR_INTERFACE
        current = intf.table_v6 if is_ip6 else intf.table_v4
        if current == table_id:
            return errno.OK
        self._unlock_table(is_ip6, current)
        new = self.fib.get(is_ip6, table_id)
        assert new is not None
        new.interface_locks += 1
        if is_ip6:
            intf.table_v6 = table_id
        else:
            intf.table_v4 = table_id
        return errno.OK

    def _unlock_table(self, is_ip6: bool, table_id: int) -> None:
        table = self.fib.get(is_ip6, table_id)
        if table is not None and table_id != 0:
            table.interface_locks = max(0, table.interface_locks - 1)
            if table.interface_locks == 0 and not table.api_locked:
                self.fib.delete(is_ip6, table_id)  # the last lock is gone: fib_table_unlock frees it

    def delete_table(self, is_ip6: bool, table_id: int) -> None:
        """ip_table_delete: flush the API's routes and drop the API's lock; a table still bound to
        interfaces lives on until they leave it."""
        table = self.fib.get(is_ip6, table_id)
        if table is None or table_id == 0:
            return
        for prefix in [p for p, r in table.routes.items() if r.source is Source.API]:
            del table.routes[prefix]
        table.api_locked = False
        if table.interface_locks == 0:
            self.fib.delete(is_ip6, table_id)
        if is_ip6:
            self.mfib6.forget(table_id)  # ip_table_delete unlocks the mFIB table too (mfib_table_unlock)

    def route_stats_index(self, table: Table, prefix: Any) -> int:
        key = (table.is_ip6, table.table_id, prefix)
        idx = self._route_stats.get(key)
        if idx is None:
            idx = self._route_stats[key] = len(self._route_stats)
        return idx

    @staticmethod
    def plain(value: Any) -> Any:
        return to_plain(value)

    @staticmethod
    def encodable_path(path: dict[str, Any]) -> dict[str, Any]:
        """A stored path in a form vpp-papi can pack (unions with one member, 16 labels)."""
        out = {k: v for k, v in path.items() if k != "label_stack"}
        labels = list(path.get("label_stack") or [])[:16]
        out["label_stack"] = labels + [{}] * (16 - len(labels))
        nh = dict(out.get("nh") or {})
        addr = nh.get("address")
        if not addr:
            nh.pop("address", None)
        out["nh"] = nh
        # fib_path.c fib_path_encode: the path's table is reported for recursive paths (a next hop and
        # no interface) only; every other path (attached next hop, drop, local) says table 0
        recursive = bool(addr) and out.get("sw_if_index", 0xFFFFFFFF) == 0xFFFFFFFF and not out.get("type")
        if not recursive:
            out["table_id"] = 0
        return out
