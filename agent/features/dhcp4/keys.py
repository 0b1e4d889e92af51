"""Keys of the dhcp4 feature's items."""

from __future__ import annotations

from agent.vpp import keys

PREFIX = "dhcp4-broadcast-receive"


def broadcast_receive(table_id: int) -> str:
    """``dhcp4-broadcast-receive/0``: client broadcasts received in IPv4 table 0."""
    return keys.join1(PREFIX, str(table_id))


def is_broadcast_receive(key: str) -> bool:
    return key.startswith(PREFIX + "/")
