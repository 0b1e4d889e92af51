"""Keys of the bonds feature's items (the bond itself is an interface: :func:`agent.vpp.keys.interface`)."""

from __future__ import annotations

from agent.vpp import keys


def member(port: str) -> str:
    """``member/GigabitEthernet0/8/0``: the port's membership in a bond."""
    return keys.join("member", port)
