"""The DHCPv6 relay (RFC 8415 Relay-Forward / Relay-Reply, RFC 4649 Remote-ID) with prefix delegation:
subscribers' DHCPv6 exchanges reach the agent through the packet path, go to the operator's servers from
the host's stack, and the bindings in the servers' replies become session addresses and routed delegated
prefixes (docs/ipv6-access.md)."""
