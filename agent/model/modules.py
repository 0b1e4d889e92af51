"""Which YANG modules the agent implements, and with which features.

This table is the single place that decides what a controller sees in the YANG library. Standard IETF
modules come from the installed ``pyang`` package's module directory; project modules live in ``yang/``.
Anything a module defines that the agent does not do is removed in ``bng-deviations`` rather than by
leaving features on that the agent would silently ignore.
"""

from __future__ import annotations

# module name -> features enabled. Only modules listed here are *implemented*; their imports are
# loaded as import-only by libyang.
STANDARD_MODULES: dict[str, list[str]] = {
    "ietf-yang-library": [],
    "ietf-datastores": [],
    "ietf-origin": [],
    "ietf-netconf-with-defaults": [],
    "ietf-netconf": [
        "writable-running",
        "candidate",
        "confirmed-commit",
        "rollback-on-error",
        "validate",
        "startup",
        "xpath",
    ],
    "ietf-netconf-nmda": ["origin", "with-defaults"],
    "ietf-netconf-monitoring": [],
    "ietf-netconf-notifications": [],
    "ietf-netconf-acm": [],
    "ietf-interfaces": [],
    "iana-if-type": [],
    "ietf-ip": [],
    # Local users for NETCONF/SSH authentication (agent/access/users.py verifies these hashes), and
    # RADIUS servers for management logins; NTP, DNS resolver and clock are deviated (bng-deviations).
    "ietf-system": ["authentication", "local-users", "radius", "radius-authentication"],
    "iana-crypt-hash": ["crypt-hash-md5", "crypt-hash-sha-256", "crypt-hash-sha-512"],
    # VPP's NAT44-ED: dynamic NAPT44 pools and static mappings only (see bng-deviations).
    "ietf-nat": ["napt44"],
    # VPP's ACL plugin matches IPv4/IPv6 prefixes, protocol, L4 ports, TCP flags and ICMP type/code;
    # its MAC/IP ACLs match source MAC (masked) with a source prefix (the Ethernet ACL types); counters
    # are per rule across all interfaces (acl-aggregate-stats, not interface-stats). docs/acl.md
    "ietf-access-control-list": [
        "match-on-eth",
        "match-on-ipv4",
        "match-on-ipv6",
        "match-on-tcp",
        "match-on-udp",
        "match-on-icmp",
        "eth",
        "ipv4",
        "ipv6",
        "mixed-eth-ipv4",
        "mixed-eth-ipv6",
        "interface-attachment",
        "acl-aggregate-stats",
    ],
    # VPP's vrrp plugin (VRRPv3, RFC 5798).
    "ietf-vrrp": [],
}

# Project modules (file names in yang/ without revision); loaded in this order after the standard ones.
PROJECT_MODULES: list[str] = [
    "bng-types",
    "bng-interfaces",
    "bng-vrf",
    "bng-nat",
    "bng-qos",
    "bng-subscribers",
    "bng-aaa",
    "bng-telemetry",
    "bng-ha",
    "bng-acl",
    "bng-agent",
    "bng-deviations",
]
