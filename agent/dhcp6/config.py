"""The relay's configuration from running (JSON-IETF): which access interfaces relay DHCPv6 to which
server group (``access-interface/ipoe/dhcpv6-relay`` -> ``dhcpv6-relay/server-group``)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from ipaddress import IPv6Address
from typing import Any

from agent.features.jsonietf import member


@dataclass(frozen=True, slots=True)
class ServerGroup:
    name: str
    servers: tuple[IPv6Address, ...]
    source: IPv6Address | None = None
    interface_id: bool = True
    remote_id: bool = True


@dataclass(frozen=True, slots=True)
class AccessRelay:
    """One access interface that relays DHCPv6: its group, and the link-address of its Relay-Forwards
    (the interface's first global IPv6 address; :: when it has none, and the server then finds the
    link from the Interface-ID)."""

    interface: str
    group: ServerGroup
    link_address: IPv6Address


@dataclass(frozen=True, slots=True)
class RelayConfig:
    access: dict[str, AccessRelay] = field(default_factory=dict)


def _list(container: Any, name: str) -> list[dict[str, Any]]:
    return list(member(container, name, []) or [])


def relay_config(running: dict[str, Any]) -> RelayConfig:
    subs = member(running, "subscribers") or running.get("bng-subscribers:subscribers") or {}
    groups: dict[str, ServerGroup] = {}
    for g in _list(member(subs, "dhcpv6-relay"), "server-group"):
        src = member(g, "source-address")
        groups[str(g["name"])] = ServerGroup(
            str(g["name"]),
            tuple(IPv6Address(str(s)) for s in member(g, "server", []) or []),
            IPv6Address(str(src)) if src else None,
            bool(member(g, "interface-id", True)),
            bool(member(g, "remote-id", True)),
        )
    interfaces = {str(i["name"]): i for i in _list(member(running, "interfaces"), "interface") if "name" in i}
    access: dict[str, AccessRelay] = {}
    for ai in _list(member(subs, "access-interfaces"), "access-interface"):
        group = groups.get(str(member(member(ai, "ipoe"), "dhcpv6-relay", "")))
        if member(ai, "ipoe") is None or group is None:
            continue
        name = str(member(ai, "interface"))
        access[name] = AccessRelay(name, group, _link_address(interfaces.get(name)))
    return RelayConfig(access)


def _link_address(entry: dict[str, Any] | None) -> IPv6Address:
    for a in _list(member(entry, "ipv6"), "address"):
        addr = ipaddress.IPv6Address(str(member(a, "ip")))
        if not addr.is_link_local:
            return addr
    return IPv6Address("::")
