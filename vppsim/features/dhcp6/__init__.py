"""IPv6 multicast routes the DHCPv6 relay needs (``ip_mroute_add_del``, ``src/vnet/ip/ip_api.c`` over
``src/vnet/mfib``)."""
