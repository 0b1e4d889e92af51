"""Reading JSON-IETF configuration entries (as libyang prints them) by local member name."""

from __future__ import annotations

from typing import Any

_MISSING = object()


def member(d: dict[str, Any] | None, local: str, default: Any = None) -> Any:
    """A JSON-IETF member by local name (whether or not it carries a module prefix)."""
    if not d:
        return default
    v = d.get(local, _MISSING)
    if v is not _MISSING:
        return v
    suffix = ":" + local
    for k, v in d.items():
        if k.endswith(suffix):
            return v
    return default


def family(is_ip6: bool) -> str:
    """The address family's name in keys and YANG (``ipv4`` / ``ipv6``)."""
    return "ipv6" if is_ip6 else "ipv4"
