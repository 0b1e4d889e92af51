"""Keys of the NAT feature's items (built with :func:`agent.vpp.keys.join`)."""

from __future__ import annotations

from agent.vpp import keys
from agent.vpp.config import RootId

#: The root kind of the ``ietf-nat:nat`` container (one root: pools and mappings of every instance
#: are checked against each other, since VPP's NAT address table is global).
NAT = "nat"
ROOT = RootId(NAT, "")

NAT44_PLUGIN = "nat44/plugin"
NAT44_TIMEOUTS = "nat44/timeouts"
DET44_PLUGIN = "det44/plugin"


def pool(instance: int, prefix: str) -> str:
    """``nat44-pool/1/203.0.113.0/26``: one external-ip-address-pool of an instance."""
    return keys.join("nat44-pool", str(instance), prefix)


def pool_fragment(pool_key: str, first: str, last: str) -> str:
    """What reconcile found left of a pool partly removed from VPP: ``<pool key>/partial/<first>-<last>``."""
    return keys.join(pool_key, "partial", f"{first}-{last}")


def is_pool_fragment(key: str) -> bool:
    return "/partial/" in key


def nat44_interface(name: str, inside: bool) -> str:
    """``nat44-if/GigabitEthernet0/8/0/inside``: the nat44-ed feature on one side of an interface."""
    return keys.join("nat44-if", name, "inside" if inside else "outside")


def session_limit(vrf_id: int) -> str:
    return keys.join("nat44-limit", str(vrf_id))


def static(instance: int, index: int) -> str:
    """``nat44-static/1/7``: mapping-entry 7 of instance 1."""
    return keys.join("nat44-static", str(instance), str(index))


def det44_map(inside_prefix: str) -> str:
    return keys.join("det44-map", inside_prefix)


def det44_interface(name: str, inside: bool) -> str:
    return keys.join("det44-if", name, "inside" if inside else "outside")
