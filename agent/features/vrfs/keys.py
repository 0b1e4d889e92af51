"""Keys of the VRF feature's items (built with :func:`agent.vpp.keys.join`)."""

from __future__ import annotations

from agent.features.jsonietf import family
from agent.vpp import keys
from agent.vpp.config import RootId

#: The root kind of one ``bng-vrf:vrfs/vrf`` entry.
VRF = "vrf"


def root(name: str) -> RootId:
    return RootId(VRF, name)


def table(vrf: str, is_ip6: bool) -> str:
    """``vrf/blue/ipv4``: one FIB table of a VRF."""
    return keys.join("vrf", vrf, family(is_ip6))


def parse_table(key: str) -> tuple[str, bool]:
    """``vrf/blue/ipv6`` -> ``("blue", True)`` (the inverse of :func:`table`)."""
    vrf, _, fam = keys.rest(key).rpartition("/")
    return vrf, fam == "ipv6"
