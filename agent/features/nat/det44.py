"""VPP's deterministic NAT44 arithmetic, computed from configuration.

Follows ``src/plugins/nat/det44/det44.c`` (``snat_det_add_map``: the sharing ratio and port block size)
and ``det44.h`` (``snat_det_forward`` / ``snat_det_reverse``) exactly, so that a (public address, port)
can be traced to a subscriber without asking VPP, and the answer is the one VPP's ``det44_forward`` /
``det44_reverse`` give (checked against real VPP in ``tests/vpp/test_vpp_nat.py``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

#: det44 hands out ports 1024..65535 (``snat_det_add_map``: 65535 - 1023 ports per outside address)
FIRST_PORT = 1024
PORTS = 65535 - 1023


@dataclass(frozen=True, slots=True)
class DetMap:
    """One det44 map as VPP holds it (host bits of both prefixes masked)."""

    inside: ipaddress.IPv4Network
    outside: ipaddress.IPv4Network

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

    def forward(self, inside: ipaddress.IPv4Address) -> tuple[ipaddress.IPv4Address, int, int]:
        """``snat_det_forward`` and the reply of ``det44_forward``: (outside address, first, last port)."""
        in_offset = int(inside) - int(self.inside.network_address)
        out_offset = in_offset // self.sharing_ratio
        lo = FIRST_PORT + self.ports_per_host * (in_offset % self.sharing_ratio)
        return (
            ipaddress.IPv4Address(int(self.outside.network_address) + out_offset),
            lo,
            lo + self.ports_per_host - 1,
        )

    def reverse(self, outside: ipaddress.IPv4Address, port: int) -> ipaddress.IPv4Address:
        """``snat_det_reverse``: the inside host using ``port`` of ``outside``. Only defined for ports
        inside the blocks (``port_in_range``); VPP's own answer for other ports is meaningless."""
        out_offset = int(outside) - int(self.outside.network_address)
        in_offset1 = out_offset * self.sharing_ratio
        in_offset2 = (port - FIRST_PORT) // self.ports_per_host
        return ipaddress.IPv4Address(int(self.inside.network_address) + in_offset1 + in_offset2)

    def port_in_range(self, port: int) -> bool:
        return FIRST_PORT <= port < FIRST_PORT + self.ports_per_host * self.sharing_ratio
