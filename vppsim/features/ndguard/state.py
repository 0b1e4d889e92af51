"""IP neighbours as ``src/vnet/ip-neighbor/ip_neighbor.c`` keeps them, without the data plane: vppsim
forwards no packets, so it learns nothing by itself; entries come from ``ip_neighbor_add_del`` (flags
NONE: dynamic, as a learnt one; STATIC) and leave with a delete or with their interface
(``ip_neighbor_interface_add_del``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address


@dataclass(slots=True)
class Neighbor:
    sw_if_index: int
    ip: IPv4Address | IPv6Address
    mac: str
    flags: int
    updated: float


class NeighborTable:
    def __init__(self) -> None:
        self.entries: dict[tuple[int, IPv4Address | IPv6Address], Neighbor] = {}
        self._stats = 2  # VPP's neighbour counters start after its own two (recorded: ndguard.json)

    def add(self, sw_if_index: int, ip: IPv4Address | IPv6Address, mac: str, flags: int) -> int:
        """``ip_neighbor_add``: a new entry or an update of the existing one; returns a stats index."""
        key = (sw_if_index, ip)
        if key not in self.entries:
            self._stats += 1
        self.entries[key] = Neighbor(sw_if_index, ip, mac, flags, time.monotonic())
        return self._stats

    def delete(self, sw_if_index: int, ip: IPv4Address | IPv6Address) -> bool:
        return self.entries.pop((sw_if_index, ip), None) is not None

    def forget(self, sw_if_index: int) -> None:
        for key in [k for k in self.entries if k[0] == sw_if_index]:
            del self.entries[key]

    def walk(self, sw_if_index: int | None, is_ip6: bool) -> list[Neighbor]:
        return [
            n
            for n in self.entries.values()
            if (sw_if_index is None or n.sw_if_index == sw_if_index)
            and isinstance(n.ip, IPv6Address) == is_ip6
        ]
