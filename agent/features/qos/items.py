"""Per-attachment policer items: an interface's ``bng-qos:qos`` input/output profile -> one VPP policer
instance and its attachment, per direction.

Each attachment gets its own policer (VPP's bucket state is per policer, so two interfaces sharing one
policer would share one rate). The policer carries the compiled profile, so a profile change changes
every policer built from it; the descriptor updates each in place (``policer_update``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from agent.features.interfaces import keys as if_keys
from agent.features.jsonietf import member
from agent.features.qos import keys
from agent.features.qos.compile import compile_profile
from agent.features.qos.values import PolicerAttachValue, PolicerValue
from agent.vpp.config import Entry, RootId
from agent.vpp.items import TAG_PREFIX, Item, Origin, Value

#: VPP keeps policer names in ``string name[64]`` (63 bytes and a NUL).
NAME_MAX = 63
_SUFFIX = {keys.INPUT: "/in", keys.OUTPUT: "/out"}


def policer_name(interface: str, direction: str) -> str:
    """``bng-agent:GigabitEthernet0/8/0.100/in``; a name too long for VPP is shortened with a digest of
    the interface name (still ``bng-agent:``, so reconcile knows it as the agent's)."""
    name = TAG_PREFIX + interface + _SUFFIX[direction]
    if len(name.encode()) <= NAME_MAX:
        return name
    digest = hashlib.sha256(interface.encode()).hexdigest()[:24]
    return TAG_PREFIX + "h:" + digest + _SUFFIX[direction]


def attachment_items(
    interface: str,
    direction: str,
    profile: Entry,
    *,
    origin: Origin = "config",
) -> list[Item[Value]]:
    """The policer and its attachment for one interface and direction."""
    name = policer_name(interface, direction)
    pkey = keys.policer(interface, direction)
    value = PolicerValue(name, compile_profile(profile), str(profile["name"]))
    policer = Item(pkey, value, origin=origin)
    attach = Item(
        keys.attachment(interface, direction),
        PolicerAttachValue(interface, direction == keys.OUTPUT, name),
        (pkey, if_keys.interface(interface)),
        interface,
        origin=origin,
    )
    return [policer, attach]


def _profiles(entry: Entry) -> dict[str, str]:
    qos = member(entry, "bng-qos:qos") or member(entry, "qos")
    out = {}
    for direction in (keys.INPUT, keys.OUTPUT):
        name = member(qos, f"{direction}-profile")
        if name is not None:
            out[direction] = str(name)
    return out


def interface_items(entry: Entry, get: Callable[[RootId], Entry | None]) -> list[Item[Value]]:
    """Items of one ``ietf-interfaces`` entry's QoS attachments (none without ``bng-qos:qos``)."""
    items: list[Item[Value]] = []
    name = str(entry["name"])
    for direction, profile in _profiles(entry).items():
        found = get(keys.root(profile))
        if found is not None:  # a leafref: validation guarantees it, a half-replayed overlay may not
            items += attachment_items(name, direction, found)
    return items


def references(entry: Entry) -> Iterable[RootId]:
    """An attachment reads its profile: a profile change re-flattens every interface using it."""
    return [keys.root(p) for p in sorted(set(_profiles(entry).values()))]
