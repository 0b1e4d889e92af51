"""Handlers for the VPP API messages vppsim implements, one module per VPP ``.api`` file."""

from __future__ import annotations

from vppsim.handlers.registry import REGISTRY, Call, Registry, Reply


def load_all() -> Registry:
    """Import every handler module (each registers itself) and return the registry."""
    from vppsim.features.punt import handlers as punt  # noqa: F401
    from vppsim.handlers import bond, interface, ip, memclnt, vpe  # noqa: F401

    return REGISTRY


__all__ = ["REGISTRY", "Call", "Registry", "Reply", "load_all"]
