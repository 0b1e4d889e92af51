"""Item keys: the one place that builds and parses them.

A key is ``<prefix>/<rest>``: the prefix says what kind of thing it is (``interface``, ``address``,
``route`` ...), the rest identifies the instance and may itself contain ``/`` (interface names such as
``GigabitEthernet0/8/0.100``, prefixes such as ``10.0.0.0/8``). Keys are stable across runs: plans,
logs and error paths (``address/GigabitEthernet0/8/0.100/10.0.0.1/24``) name items by them.

Each feature builds the keys of its items with :func:`join` behind small named functions in its own
package; keys other features depend on (an interface, a VRF table) are imported from the feature that
owns them. Only :func:`interface` lives here because the engine itself needs it (pre-provisioning, the
interface an item belongs to).
"""

from __future__ import annotations

from typing import Final

INTERFACE: Final = "interface"


def join(prefix: str, *parts: str) -> str:
    """``join("address", "Gi0/8/0", "10.0.0.1/24")`` -> ``address/Gi0/8/0/10.0.0.1/24``."""
    return "/".join((prefix, *parts))


def join1(prefix: str, part: str) -> str:
    """:func:`join` of one part (a key of one interface), for the builders called per item."""
    return prefix + "/" + part


def split(key: str) -> tuple[str, str]:
    """``(prefix, rest)`` of a key: ``interface/GigabitEthernet0/8/0.100`` -> ``("interface", "Gig...")``."""
    prefix, _, rest = key.partition("/")
    return prefix, rest


def rest(key: str) -> str:
    """The instance part of a key (for keys of one interface: the interface name)."""
    return key.partition("/")[2]


def interface(name: str) -> str:
    return INTERFACE + "/" + name


def is_interface(key: str) -> bool:
    return key.startswith("interface/")
