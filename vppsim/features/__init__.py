"""Emulated VPP features, one package each with the same names as the agent's ``agent/features``.

Each package holds ``handlers.py`` (the binary-API messages of the feature, registered in
:data:`vppsim.handlers.REGISTRY`) and, where the feature has state of its own, ``state.py`` (what VPP
keeps). The emulator core (:mod:`vppsim.emulator`) keeps the shared operations handlers call into
(creating and deleting interfaces, addresses, table locks) because several features act on the same
objects.
"""

from __future__ import annotations

import importlib

#: Every emulated feature; adding one is one package and one line here.
FEATURES = (
    "interfaces",
    "bonds",
    "vrfs",
    "routes",
    "punt",
    "pppoe",
    "proxyarp",
    "ra",
    "acl",
    "qos",
    "nat",
    "dhcp6",
    "natlog",
    "ndguard",
)


def load_all() -> None:
    """Import every feature's handlers module (each registers its messages)."""
    for name in FEATURES:
        importlib.import_module(f"vppsim.features.{name}.handlers")
