"""Tracing deterministic NAT from configuration alone: which outside address and port block an inside
host of a deterministic instance uses, and which inside host an outside (address, port) belongs to.

This answers the ``bng-nat:det44-forward`` / ``det44-reverse`` RPCs and the ``deterministic-mapping``
operational data. It reads only the configuration (running), never VPP: an operator answering a legal
request traces a public address and port to a subscriber even when the data plane is down, and the
answer is VPP's own because :mod:`agent.features.nat.det44` follows VPP's algorithm.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from agent.errors import AgentError
from agent.features.nat.det44 import FIRST_PORT, DetMap
from agent.features.nat.items import det_maps


class Det44LookupError(AgentError):
    """The address (or port) is in no deterministic mapping of the configuration."""

    default_tag = "invalid-value"


@dataclass(frozen=True, slots=True)
class Mapping:
    instance: int
    map: DetMap


def mappings(nat: dict[str, Any] | None) -> list[Mapping]:
    """Every det44 mapping of the enabled deterministic instances (``ietf-nat:nat`` in JSON-IETF)."""
    return [Mapping(iid, DetMap.of(inside, outside)) for iid, inside, outside in det_maps(nat)]


def forward(nat: dict[str, Any] | None, inside: str) -> dict[str, Any]:
    """``det44-forward`` output (JSON-IETF member names)."""
    addr = ipaddress.IPv4Address(inside)
    for m in mappings(nat):
        if addr in m.map.inside:
            out, lo, hi = m.map.forward(addr)
            return {"instance": m.instance, "outside-address": str(out), "port-low": lo, "port-high": hi}
    raise Det44LookupError(f"{inside} is in no deterministic NAT mapping", path="/bng-nat:det44-forward")


def reverse(nat: dict[str, Any] | None, outside: str, port: int) -> dict[str, Any]:
    """``det44-reverse`` output (JSON-IETF member names)."""
    addr = ipaddress.IPv4Address(outside)
    for m in mappings(nat):
        if addr in m.map.outside:
            if not m.map.port_in_range(port):
                raise Det44LookupError(
                    f"port {port} is outside the deterministic blocks of {outside} "
                    f"({FIRST_PORT}-{m.map.last_port})",
                    path="/bng-nat:det44-reverse",
                )
            return {"instance": m.instance, "inside-address": str(m.map.reverse(addr, port))}
    raise Det44LookupError(f"{outside} is in no deterministic NAT mapping", path="/bng-nat:det44-reverse")


def mapping_state(
    nat: dict[str, Any] | None, sessions: dict[str, int] | None = None
) -> dict[int, list[dict[str, Any]]]:
    """Per instance id, the ``bng-nat:deterministic-mapping/mapping`` entries (sessions from VPP's
    ``det44_map_dump`` when known, keyed by inside prefix)."""
    out: dict[int, list[dict[str, Any]]] = {}
    for m in mappings(nat):
        entry: dict[str, Any] = {
            "inside-prefix": str(m.map.inside),
            "outside-prefix": str(m.map.outside),
            "sharing-ratio": m.map.sharing_ratio,
            "ports-per-host": m.map.ports_per_host,
        }
        if sessions is not None and str(m.map.inside) in sessions:
            entry["sessions"] = sessions[str(m.map.inside)]
        out.setdefault(m.instance, []).append(entry)
    return out
