"""bng-telemetry (and ietf-nat det44) configuration -> what the relay does.

Read from the running configuration as JSON-IETF (the whole tree, defaults explicit), so the relay
follows every commit without a feature of its own in the southbound: it programs nothing in VPP (the
``natlog`` feature in ``agent/features/natlog`` does that), it is a process of the agent.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from agent.features.nat.det44 import DetMap
from agent.flowexport.exporter import Format
from agent.natlog.link import CollectorSettings
from agent.natlog.relay import RelaySettings
from agent.natlog.templates import EVENTS

TELEMETRY = "bng-telemetry:telemetry"


def _member(d: Any, name: str, default: Any = None) -> Any:
    """A member by local name, whatever module prefix JSON-IETF gave it."""
    if not isinstance(d, dict):
        return default
    if name in d:
        return d[name]
    for k, v in d.items():
        if k.rsplit(":", 1)[-1] == name:
            return v
    return default


def relay_settings(config: dict[str, Any]) -> RelaySettings | None:
    """The relay's settings, or None when NAT event logging is not configured."""
    tel = config.get(TELEMETRY)
    nl = _member(tel, "nat-logging")
    if nl is None:
        return None
    by_name = {c["name"]: c for c in _member(tel, "collector", []) or []}
    domain = int(_member(nl, "domain-id", 1))
    collectors = []
    for name in _member(nl, "collector", []) or []:
        c = by_name.get(name)
        if c is None:
            continue  # the leafref makes this impossible in a valid tree
        fmt = Format.NETFLOW_V9 if _member(c, "protocol", "ipfix") == "netflow-v9" else Format.IPFIX
        collectors.append(
            CollectorSettings(
                name=str(name),
                address=str(c["address"]),
                port=int(_member(c, "port", 4739)),
                format=fmt,
                rate=float(_member(c, "rate-limit", 200_000)),
                template_interval=float(_member(c, "template-interval", 20)),
                path_mtu=int(_member(c, "path-mtu", 1450)),
                domain_id=domain,
            )
        )
    relay = _member(nl, "relay", {}) or {}
    events = frozenset(_member(nl, "event", []) or []) & frozenset(EVENTS)
    return RelaySettings(
        listen=(str(_member(relay, "address", "127.0.0.1")), int(_member(relay, "port", 4739))),
        collectors=tuple(collectors),
        events=events,
        memory_records=int(_member(relay, "buffer-records", 200_000)),
        spill_bytes=int(_member(relay, "spill-limit", 256)) << 20,
    )


def det44_maps(config: dict[str, Any]) -> Iterator[DetMap]:
    """Every det44 mapping of the ietf-nat instances whose ``bng-nat:mode`` is ``deterministic``: each
    policy maps its subscriber-match subnet onto its external-ip-address-pool prefix, in the default
    VRF (VPP's det44 has one inside VRF)."""
    nat = config.get("ietf-nat:nat")
    for inst in _member(_member(nat, "instances"), "instance", []) or []:
        if _member(inst, "mode") != "deterministic":
            continue
        for pol in _member(inst, "policy", []) or []:
            subs = _member(pol, "subscriber-match", []) or []
            pools = _member(pol, "external-ip-address-pool", []) or []
            if len(subs) != 1 or len(pools) != 1:
                continue
            try:
                yield DetMap(
                    ipaddress.IPv4Network(str(_member(subs[0], "subnet")), strict=False),
                    ipaddress.IPv4Network(str(_member(pools[0], "external-ip-pool")), strict=False),
                )
            except ValueError:
                continue  # the model's must statements refuse these
