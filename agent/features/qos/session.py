"""Policers of subscriber sessions: the items a session manager submits for a session's interface
(``VppSouthbound.submit``, origin ``session``), built exactly like a configured attachment.

The session manager (#14) calls :func:`session_items` when a session comes up or its policy changes
(RADIUS, CoA) and removes :func:`session_keys` when it goes. A profile is read from the configuration
(``lookup``: the southbound's :class:`~agent.vpp.config.ConfigIndex`), so a session names profiles like
any interface does; :func:`sessions_using` tells which sessions to re-submit after a profile changed
(each re-submission is one ``policer_update`` per policer: VPP keeps the bucket, no traffic gap).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from agent.features.base import Lookup
from agent.features.qos import keys
from agent.features.qos.items import attachment_items
from agent.vpp.items import Item, Value


class UnknownProfileError(LookupError):
    """A session asked for a QoS profile the configuration does not have."""


def session_items(
    interface: str, input_profile: str | None, output_profile: str | None, lookup: Lookup
) -> list[Item[Value]]:
    """Policer and attachment items (origin ``session``) for a session interface and its profiles."""
    items: list[Item[Value]] = []
    for direction, profile in ((keys.INPUT, input_profile), (keys.OUTPUT, output_profile)):
        if profile is None:
            continue
        entry = lookup.get(keys.root(profile))
        if entry is None:
            raise UnknownProfileError(f"QoS profile {profile!r} is not configured")
        items += attachment_items(interface, direction, entry, origin="session")
    return items


def session_keys(interface: str) -> list[str]:
    """Every key :func:`session_items` may have made for the interface (to remove them)."""
    return [k(interface, d) for d in (keys.INPUT, keys.OUTPUT) for k in (keys.attachment, keys.policer)]


def sessions_using(profile: str, sessions: Mapping[str, tuple[str | None, str | None]]) -> Iterable[str]:
    """Session interfaces (name -> (input profile, output profile)) whose policers use ``profile``."""
    return [name for name, pair in sessions.items() if profile in pair]
