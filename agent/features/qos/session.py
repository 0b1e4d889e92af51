"""Policers of subscriber sessions: the items a session manager submits for a session's interface
(``VppSouthbound.submit``, origin ``session``), built exactly like a configured attachment, and
:data:`QOS_HOOK`, the session manager's hook (``SessionProgrammer.add_hook``) built on them.

The session manager (#14) calls :func:`session_items` when a session comes up or its policy changes
(RADIUS, CoA) and removes :func:`session_keys` when it goes. A profile is read from the configuration
(``lookup``: the southbound's :class:`~agent.vpp.config.ConfigIndex`), so a session names profiles like
any interface does; :func:`sessions_using` tells which sessions to re-submit after a profile changed
(each re-submission is one ``policer_update`` per policer: VPP keeps the bucket, no traffic gap).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

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


#: The session policy attributes that name profiles (``agent.sessions.api.PolicyAttr`` values).
QOS_INPUT, QOS_OUTPUT = "qos-input-profile", "qos-output-profile"


class QosSessionHook:
    """The QoS feature's :class:`agent.sessions.api.SessionHook`: a session's policers.

    A 1:1 VLAN session has an interface of its own (its sub-interface), so its profiles become a policer
    per direction on it, exactly like a configured attachment; a policy change (RADIUS, CoA) changes the
    policer in place. A shared-VLAN session has none: VPP's interface policers would police every
    subscriber of the VLAN together, so no policer is made for it (per-subscriber policing on a shared
    VLAN needs VPP's classifier-driven policers, not done; docs/qos.md).
    """

    name = "qos"

    def items(self, session: Any, ctx: Lookup) -> list[Item[Value]]:
        if session.interface == session.key.access_interface:
            return []
        out: list[Item[Value]] = []
        for direction, attr in ((keys.INPUT, QOS_INPUT), (keys.OUTPUT, QOS_OUTPUT)):
            profile = session.policy_value(attr)
            entry = ctx.get(keys.root(profile)) if profile is not None else None
            if entry is not None:  # an unknown profile is refused by validate(); one deleted since: none
                out += attachment_items(session.interface, direction, entry, origin="session")
        return out

    def validate(self, attr: str, value: str, ctx: Lookup) -> str | None:
        if attr in (QOS_INPUT, QOS_OUTPUT) and ctx.get(keys.root(value)) is None:
            return f"QoS profile {value!r} is not configured"
        return None


QOS_HOOK = QosSessionHook()
