"""gNMI northbound (issue #7): Capabilities, Get, Set (atomic, commit-confirmed) and Subscribe."""

from agent.gnmi.server import GnmiServer

__all__ = ["GnmiServer"]
