"""Handlers for the VPP API messages vppsim implements: the core ones here (``memclnt``, ``vpe``), the
features' in :mod:`vppsim.features` (``vppsim/features/<name>/handlers.py``)."""

from __future__ import annotations

from vppsim.handlers.registry import REGISTRY, Call, Registry, Reply


def load_all() -> Registry:
    """Import every handler module (each registers itself) and return the registry."""
    from vppsim import features
    from vppsim.handlers import memclnt, vpe  # noqa: F401

    features.load_all()

    return REGISTRY


__all__ = ["REGISTRY", "Call", "Registry", "Reply", "load_all"]
