"""The ``bng-subscribers:subscribers`` configuration root: access interfaces, session templates, DHCP
relays, RA policies, pools.

This package only claims the root, so the southbound keeps the container (one root, ``("subscribers",
"")``) in its :class:`~agent.vpp.config.ConfigIndex` and re-flattens it on every commit that touches it.
The features that program parts of it (DHCPv4/DHCPv6 relay, RA ...) return items for this root from their
own ``items`` (as the routes feature does for VRF roots); the subscriber manager reads access interfaces
and templates from the same entry (:meth:`agent.sessions.templates.AccessConfig.from_entry`). Sessions
themselves are not configuration: they reach VPP through :mod:`agent.sessions.program`.
"""

from __future__ import annotations

from agent.features.base import Feature
from agent.vpp.config import RootId, RootSpec

#: the root kind, and the one root of it
SUBSCRIBERS = "subscribers"
ROOT_ID = RootId(SUBSCRIBERS, "")
ROOT = RootSpec(SUBSCRIBERS, "bng-subscribers:subscribers", None, order=5)


class Subscribers(Feature):
    name = "subscribers"
    roots = (ROOT,)


FEATURE = Subscribers()
