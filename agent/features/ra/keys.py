"""Keys of the router-advertisement feature's items (built with :func:`agent.vpp.keys.join`)."""

from __future__ import annotations

from agent.features.subscribers import ROOT_ID as ROOT_ID
from agent.features.subscribers import SUBSCRIBERS as SUBSCRIBERS
from agent.vpp import keys

MANAGED = "managed"
OTHER = "other"


def ip6_link(interface: str) -> str:
    """``ip6-link/<if>``: IPv6 enabled on an access interface (a link-local address, RA state)."""
    return keys.join1("ip6-link", interface)


def ra(interface: str) -> str:
    """``ra/<if>``: VPP sends router advertisements on the interface, with these intervals."""
    return keys.join1("ra", interface)


def ra_flag(interface: str, flag: str) -> str:
    """``ra-flag/<if>/managed`` or ``.../other``: the M or O flag is set in the interface's RAs."""
    return keys.join("ra-flag", interface, flag)


def ra_prefix(interface: str, prefix: str) -> str:
    """``ra-prefix/<if>/<prefix>``: a Prefix Information option in the interface's RAs."""
    return keys.join("ra-prefix", interface, prefix)
