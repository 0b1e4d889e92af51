"""Keys of the QoS feature's items (built with :func:`agent.vpp.keys.join`), and its root kind."""

from __future__ import annotations

from agent.vpp import keys
from agent.vpp.config import RootId

#: The root kind of one ``bng-qos:qos/profile`` entry.
PROFILE = "qos-profile"
#: The prefix of policer item keys (their VPP index is the name map's handle of that key).
POLICER = "qos-policer"
#: Directions as they appear in keys and policer names.
INPUT, OUTPUT = "input", "output"


def root(profile: str) -> RootId:
    return RootId(PROFILE, profile)


def policer(interface: str, direction: str) -> str:
    """``qos-policer/GigabitEthernet0/8/0.100/input``: the policer instance of one attachment."""
    return keys.join(POLICER, interface, direction)


def attachment(interface: str, direction: str) -> str:
    """``qos-attach/GigabitEthernet0/8/0.100/input``: the policer applied to the interface."""
    return keys.join("qos-attach", interface, direction)
