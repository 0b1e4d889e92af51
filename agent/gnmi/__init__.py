"""gNMI northbound (issue #7): Capabilities, Get, Set (atomic, commit-confirmed) and Subscribe.

``GnmiServer`` is imported lazily: importing it loads the generated gNMI protobuf modules into
protobuf's default descriptor pool, which must not happen in a process that uses another copy of the
gNMI protos (a pygnmi client in a test process); the pure helpers of this package stay importable there.
"""

from __future__ import annotations

from typing import Any

__all__ = ["GnmiServer"]


def __getattr__(name: str) -> Any:
    if name == "GnmiServer":
        from agent.gnmi.server import GnmiServer

        return GnmiServer
    raise AttributeError(name)
