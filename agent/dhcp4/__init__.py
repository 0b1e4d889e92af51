"""DHCPv4 relay on access interfaces (issue #14): Option 82, link selection, server-id override, trust
rules, and the leases that become subscriber sessions. Design and examples: docs/dhcp-relay.md.

- :mod:`agent.dhcp4.codec`: DHCP messages, Option 82 and IPv4/UDP headers (pure, strict bounds);
- :mod:`agent.dhcp4.config`: the relay's settings from running configuration;
- :mod:`agent.dhcp4.relay`: the relay's decisions (no I/O);
- :mod:`agent.dhcp4.leases`: bound leases and their expiry, told to the subscriber manager;
- :mod:`agent.dhcp4.service`: the asyncio side (packet path, host UDP sockets, timers).
"""
