"""The DHCPv4 relay's settings, read from running configuration (JSON-IETF as the datastore prints it).

``/bng-subscribers:subscribers``: access interfaces with ``ipoe/dhcpv4-relay`` name a server group of
``dhcpv4-relay``; ``dhcpv4-relay/option82`` says what goes into Option 82. The access interface's own
IPv4 address (or its unnumbered lender's) is the gateway the subscriber sees: giaddr, or the link
selection / server identifier override address. Pure: no I/O, rebuilt after every commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import Any

from agent.features.jsonietf import member

CIRCUIT_ID_FORMATS = {"interface-name": "{interface}", "interface-vlans": "{interface}:{vlans}"}
REMOTE_ID_FORMATS = {"client-mac": "{mac}", "hostname": "{hostname}", "none": ""}


@dataclass(frozen=True, slots=True)
class ServerGroup:
    name: str
    servers: tuple[IPv4Address, ...]
    vrf_servers: dict[str, tuple[IPv4Address, ...]]
    gateway: IPv4Address | None
    link_selection: bool
    server_id_override: bool
    response_timeout: float

    def servers_for(self, vrf: str | None) -> tuple[IPv4Address, ...]:
        """Per-VRF list for an access interface in ``vrf``, else the group's own."""
        if vrf is not None and vrf in self.vrf_servers:
            return self.vrf_servers[vrf]
        return self.servers


@dataclass(frozen=True, slots=True)
class Option82:
    insert: bool = True
    circuit_id: str = "{interface}:{vlans}"  # a template, see render()
    remote_id: str = "{mac}"
    received: str = "keep"  # keep | replace | drop, on trusted interfaces
    trusted: frozenset[str] = frozenset()
    strip_from_reply: bool = True


@dataclass(frozen=True, slots=True)
class AccessRelay:
    """One access interface that relays DHCPv4."""

    interface: str
    group: ServerGroup
    address: IPv4Address | None  # the interface's (or lender's) IPv4 address: the subscriber's gateway
    vrf: str | None


@dataclass(frozen=True, slots=True)
class RelayConfig:
    access: dict[str, AccessRelay] = field(default_factory=dict)
    option82: Option82 = Option82()
    hostname: str = ""

    def servers(self) -> set[IPv4Address]:
        out: set[IPv4Address] = set()
        for a in self.access.values():
            out.update(a.group.servers_for(a.vrf))
        return out

    def gateways(self) -> set[IPv4Address]:
        """giaddrs the relay uses towards servers (its own addresses in their replies)."""
        out: set[IPv4Address] = set()
        for a in self.access.values():
            g = a.group.gateway if a.group.gateway is not None else a.address
            if g is not None:
                out.add(g)
        return out


def _ipv4_address(entry: dict[str, Any] | None) -> IPv4Address | None:
    """The first IPv4 address of an ietf-interfaces entry (primary address by configuration order)."""
    for a in member(member(entry, "ipv4"), "address", []) or []:
        try:
            return IPv4Address(str(member(a, "ip")))
        except ValueError:
            continue
    return None


def _addresses(v: Any) -> tuple[IPv4Address, ...]:
    return tuple(IPv4Address(str(x)) for x in (v or []))


def _group(g: dict[str, Any]) -> ServerGroup:
    gw = member(g, "gateway-address")
    return ServerGroup(
        name=str(member(g, "name")),
        servers=_addresses(member(g, "server")),
        vrf_servers={
            str(member(v, "vrf")): _addresses(member(v, "server")) for v in member(g, "vrf-servers", [])
        },
        gateway=IPv4Address(str(gw)) if gw else None,
        link_selection=bool(member(g, "link-selection", False)),
        server_id_override=bool(member(g, "server-id-override", False)),
        response_timeout=float(member(g, "response-timeout", 10)),
    )


def _option82(o: dict[str, Any] | None, trusted: frozenset[str]) -> Option82:
    circuit = (
        member(o, "circuit-id-format") or CIRCUIT_ID_FORMATS[str(member(o, "circuit-id", "interface-vlans"))]
    )
    remote = member(o, "remote-id-format") or REMOTE_ID_FORMATS[str(member(o, "remote-id", "client-mac"))]
    return Option82(
        insert=bool(member(o, "insert", True)),
        circuit_id=str(circuit),
        remote_id=str(remote),
        received=str(member(o, "received", "keep")),
        trusted=trusted,
        strip_from_reply=bool(member(o, "strip-from-reply", True)),
    )


def relay_config(running: dict[str, Any], hostname: str = "") -> RelayConfig:
    """The relay's view of a running configuration (a JSON-IETF document)."""
    subs = member(running, "subscribers") or {}
    relay = member(subs, "dhcpv4-relay") or {}
    groups = {str(member(g, "name")): _group(g) for g in member(relay, "server-group", []) or []}
    interfaces = {
        str(member(e, "name")): e for e in member(member(running, "interfaces"), "interface", []) or []
    }
    access: dict[str, AccessRelay] = {}
    for a in member(member(subs, "access-interfaces"), "access-interface", []) or []:
        ipoe = member(a, "ipoe")
        group_name = member(ipoe, "dhcpv4-relay") if ipoe is not None else None
        if not group_name or str(group_name) not in groups:
            continue
        name = str(member(a, "interface"))
        entry = interfaces.get(name)
        address = _ipv4_address(entry)
        unnum = member(member(entry, "ipv4"), "unnumbered")
        if address is None and unnum is not None:
            address = _ipv4_address(interfaces.get(str(member(unnum, "use-interface"))))
        vrf = member(entry, "vrf")
        access[name] = AccessRelay(name, groups[str(group_name)], address, str(vrf) if vrf else None)
    option82 = member(relay, "option82")
    trusted = frozenset(str(x) for x in member(option82, "trusted-interface", []) or [])
    return RelayConfig(access, _option82(option82, trusted), hostname)


def render(
    template: str, *, interface: str, port: str, svlan: int, cvlan: int, mac: bytes, hostname: str
) -> bytes:
    """A circuit-id / remote-id from its template (unknown placeholders are kept as they are)."""
    vlans = "" if not svlan else (f"{svlan}.{cvlan}" if cvlan else str(svlan))
    values = {
        "interface": interface,
        "port": port,
        "svlan": str(svlan),
        "cvlan": str(cvlan),
        "vlans": vlans,
        "mac": mac.hex(":"),
        "hostname": hostname,
    }
    out = template
    for k, v in values.items():
        out = out.replace("{" + k + "}", v)
    if template == "{interface}:{vlans}" and not vlans:
        out = interface
    return out.encode("utf-8", "replace")
