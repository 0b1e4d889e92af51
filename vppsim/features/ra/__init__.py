"""IPv6 links and router advertisements (``src/vnet/ip/ip6_link.c``, ``src/vnet/ip6-nd/ip6_ra.c``)."""
