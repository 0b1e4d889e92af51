"""VPP's deterministic NAT44 arithmetic, computed from configuration: the one implementation in the agent.

Follows ``src/plugins/nat/det44/det44.c`` (``snat_det_add_map``: the sharing ratio and port block size)
and ``det44.h`` (``snat_det_forward`` / ``snat_det_reverse``) exactly, so that a (public address, port)
can be traced to a subscriber without asking VPP, and the answer is the one VPP's ``det44_forward`` /
``det44_reverse`` give (checked against real VPP in ``tests/vpp/test_vpp_nat.py``).

Two users: the NAT feature's ``det44-forward`` / ``det44-reverse`` RPCs and operational data
(:mod:`agent.features.nat.lookup`), and the NAT logging relay (:mod:`agent.natlog`), which exports
every inside host's block once because VPP's det44 plugin logs nothing. It imports only the standard
library, so it stays a leaf both can depend on.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

#: det44 hands out ports 1024..65535 (``snat_det_add_map``: 65535 - 1023 ports per outside address)
FIRST_PORT = 1024
PORTS = 65535 - 1023


@dataclass(frozen=True, slots=True)
class DetMap:
    """One det44 map as VPP holds it (host bits of both prefixes masked)."""

    inside: ipaddress.IPv4Network
    outside: ipaddress.IPv4Network

    def __post_init__(self) -> None:
        # the model's must statements refuse this; the arithmetic below would divide by zero
        if self.outside.prefixlen < self.inside.prefixlen:
            raise ValueError(f"det44 map {self.inside} -> {self.outside}: the outside prefix is larger")

    @classmethod
    def of(cls, inside: str, outside: str) -> DetMap:
        return cls(ipaddress.IPv4Network(inside, strict=False), ipaddress.IPv4Network(outside, strict=False))

    @property
    def sharing_ratio(self) -> int:
        """Inside hosts per outside address: ``(1 << (32 - in_plen)) / (1 << (32 - out_plen))``."""
        return (1 << (32 - self.inside.prefixlen)) // (1 << (32 - self.outside.prefixlen))

    @property
    def ports_per_host(self) -> int:
        return PORTS // self.sharing_ratio

    def _block(self, offset: int) -> tuple[int, int, int]:
        """``snat_det_forward`` for the inside host ``offset`` addresses into the inside prefix:
        (outside address as an integer, first port, last port)."""
        ratio, per_host = self.sharing_ratio, self.ports_per_host
        lo = FIRST_PORT + per_host * (offset % ratio)
        return int(self.outside.network_address) + offset // ratio, lo, lo + per_host - 1

    def forward(self, inside: ipaddress.IPv4Address) -> tuple[ipaddress.IPv4Address, int, int]:
        """``snat_det_forward`` and the reply of ``det44_forward``: (outside address, first, last port)."""
        offset = int(inside) - int(self.inside.network_address)
        if not 0 <= offset < self.inside.num_addresses:
            raise ValueError(f"{inside} is not in {self.inside}")
        out, lo, hi = self._block(offset)
        return ipaddress.IPv4Address(out), lo, hi

    def blocks(self) -> Iterator[tuple[int, int, int, int]]:
        """Every inside host's block, in address order, as integers: (inside address, outside address,
        first port, last port). Integers, not address objects: a /16 has 65,536 hosts."""
        ratio = self.sharing_ratio
        # the k-th host behind each outside address has the same ports: computed once, not per host
        ports = [self._block(k)[1:] for k in range(ratio)]
        base_in, base_out = int(self.inside.network_address), int(self.outside.network_address)
        for offset in range(self.inside.num_addresses):
            lo, hi = ports[offset % ratio]
            yield base_in + offset, base_out + offset // ratio, lo, hi

    def reverse(self, outside: ipaddress.IPv4Address, port: int) -> ipaddress.IPv4Address:
        """``snat_det_reverse``: the inside host using ``port`` of ``outside``. Only defined for ports
        inside the blocks (``port_in_range``); VPP's own answer for other ports is meaningless."""
        out_offset = int(outside) - int(self.outside.network_address)
        in_offset1 = out_offset * self.sharing_ratio
        in_offset2 = (port - FIRST_PORT) // self.ports_per_host
        return ipaddress.IPv4Address(int(self.inside.network_address) + in_offset1 + in_offset2)

    @property
    def last_port(self) -> int:
        """The last port of the last block (the ports above it, up to 65535, are in no block)."""
        return FIRST_PORT + self.ports_per_host * self.sharing_ratio - 1

    def port_in_range(self, port: int) -> bool:
        return FIRST_PORT <= port <= self.last_port
