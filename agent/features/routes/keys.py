"""Keys of the routes feature's items: ``route/<scope>/<prefix>``, the scope being ``global`` (table 0)
or ``vrf:<name>``."""

from __future__ import annotations

from agent.vpp import keys
from agent.vpp.config import RootId

#: The root kind of the ``bng-vrf:global-routing`` container.
GLOBAL = "global"
GLOBAL_ROOT = RootId(GLOBAL)
PREFIX = "route"


def global_scope() -> str:
    return "global"


def vrf_scope(vrf: str) -> str:
    return "vrf:" + vrf


def route(scope: str, prefix: str) -> str:
    return keys.join(PREFIX, scope, prefix)


def is_route(key: str) -> bool:
    return key.startswith(PREFIX + "/")
