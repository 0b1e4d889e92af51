"""The ND guard: on access interfaces, only the subscribers' own IPv6 addresses stay in VPP's neighbour
table (docs/ipv6-access.md)."""
