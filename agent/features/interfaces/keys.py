"""Keys of the interfaces feature's items (built with :func:`agent.vpp.keys.join`)."""

from __future__ import annotations

from agent.vpp import keys
from agent.vpp.config import RootId

#: The root kind of one ``ietf-interfaces:interfaces/interface`` entry.
IF = "if"

interface = keys.interface


def root(name: str) -> RootId:
    return RootId(IF, name)


def tag(name: str) -> str:
    return keys.join1("tag", name)


def admin_up(name: str) -> str:
    return keys.join1("admin-up", name)


def mtu(name: str) -> str:
    return keys.join1("mtu", name)


def binding(name: str, is_ip6: bool) -> str:
    return "binding/" + name + ("/ipv6" if is_ip6 else "/ipv4")


def address(name: str, prefix: str) -> str:
    return "address/" + name + "/" + prefix


def unnumbered(name: str) -> str:
    return keys.join1("unnumbered", name)
