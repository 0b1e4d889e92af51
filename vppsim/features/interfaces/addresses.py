"""Interface addresses of one IP table, indexed for VPP's overlap check.

``ip4_add_del_interface_address_internal`` (``src/vnet/ip/ip4_forward.c``; ``ip6_forward.c`` alike)
refuses an address whose prefix overlaps a prefix already configured on any interface in the same
table (``VNET_API_ERROR_ADDRESS_IN_USE``), except another address of the same prefix length on the
same interface ("an intf may have >1 addr from the same prefix"). Prefixes either nest or are
disjoint, so an overlap is either a supernet (found by masking to each shorter length) or a longer
prefix starting inside the new one (found by bisecting the sorted starts): O(address bits + log n)
per add, which keeps 100,000 addressed interfaces cheap.
"""

from __future__ import annotations

import bisect
import ipaddress

IpInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface


class AddressIndex:
    def __init__(self) -> None:
        # (network start, prefix length) -> [(sw_if_index, address)]
        self._by_prefix: dict[tuple[int, int], list[tuple[int, IpInterface]]] = {}
        self._sorted: list[tuple[int, int]] = []  # one entry per address, sorted

    def conflicts(self, sw_if_index: int, addr: IpInterface) -> bool:
        net = addr.network
        bits = addr.max_prefixlen
        start = int(net.network_address)
        plen = net.prefixlen
        full = (1 << bits) - 1
        for length in range(plen + 1):
            mask = full ^ ((1 << (bits - length)) - 1)
            for owner, other in self._by_prefix.get((start & mask, length), ()):
                if owner == sw_if_index and length == plen and other.ip != addr.ip:
                    continue
                return True
        i = bisect.bisect_left(self._sorted, (start, plen + 1))
        end = start | ((1 << (bits - plen)) - 1)
        return i < len(self._sorted) and self._sorted[i][0] <= end

    def add(self, sw_if_index: int, addr: IpInterface) -> None:
        key = (int(addr.network.network_address), addr.network.prefixlen)
        self._by_prefix.setdefault(key, []).append((sw_if_index, addr))
        bisect.insort(self._sorted, key)

    def remove(self, sw_if_index: int, addr: IpInterface) -> None:
        key = (int(addr.network.network_address), addr.network.prefixlen)
        entries = self._by_prefix.get(key, [])
        if (sw_if_index, addr) not in entries:
            return
        entries.remove((sw_if_index, addr))
        if not entries:
            del self._by_prefix[key]
        i = bisect.bisect_left(self._sorted, key)
        del self._sorted[i]
