"""A deterministic NAT map's port block per inside host, as VPP's det44 computes it.

VPP 26.06 src/plugins/nat/det44/det44.c ``snat_det_add_map``: ``sharing_ratio = 2^(32-in_plen) /
2^(32-out_plen)``, ``ports_per_host = (65535 - 1023) / sharing_ratio``; det44.h ``snat_det_forward``:
inside host at offset ``o`` from the inside prefix uses outside address ``out + o / sharing_ratio`` and
ports ``1024 + ports_per_host * (o % sharing_ratio)`` onwards, ``ports_per_host`` of them.

det44 sessions are not logged by VPP at all (the det44 plugin has no IPFIX logging): the mapping is the
log. The relay exports it once per inside host as an RFC 8158 port-block allocation record.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PortBlock:
    """One inside host's block: outside address and ports ``start..end`` (inclusive)."""

    vrf_id: int
    inside: int  # IPv4 address as an integer
    outside: int
    start: int
    end: int

    @property
    def size(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True, slots=True)
class Det44Map:
    """A det44 mapping: an inside prefix onto an outside prefix, in a VRF (the inside table id)."""

    inside: ipaddress.IPv4Network
    outside: ipaddress.IPv4Network
    vrf_id: int = 0

    def __post_init__(self) -> None:
        if self.inside.prefixlen > 32 or self.outside.prefixlen < self.inside.prefixlen:
            raise ValueError(f"det44 map {self.inside} -> {self.outside}: the outside prefix is larger")

    @property
    def sharing_ratio(self) -> int:
        return (1 << (32 - self.inside.prefixlen)) // (1 << (32 - self.outside.prefixlen))

    @property
    def ports_per_host(self) -> int:
        return (65535 - 1023) // self.sharing_ratio

    def blocks(self) -> Iterator[PortBlock]:
        ratio, per_host = self.sharing_ratio, self.ports_per_host
        base_in, base_out = int(self.inside.network_address), int(self.outside.network_address)
        for offset in range(self.inside.num_addresses):
            lo = 1024 + per_host * (offset % ratio)
            yield PortBlock(self.vrf_id, base_in + offset, base_out + offset // ratio, lo, lo + per_host - 1)

    def forward(self, inside: ipaddress.IPv4Address) -> PortBlock:
        """The block of one inside host (``snat_det_forward``)."""
        offset = int(inside) - int(self.inside.network_address)
        if not 0 <= offset < self.inside.num_addresses:
            raise ValueError(f"{inside} is not in {self.inside}")
        ratio, per_host = self.sharing_ratio, self.ports_per_host
        lo = 1024 + per_host * (offset % ratio)
        out = int(self.outside.network_address) + offset // ratio
        return PortBlock(self.vrf_id, int(inside), out, lo, lo + per_host - 1)
