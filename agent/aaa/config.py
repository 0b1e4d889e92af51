"""The ``bng-aaa:aaa`` container (JSON-IETF, as the datastore hands it out) as typed settings.

Defaults are the YANG defaults, repeated here because a JSON-IETF entry printed without defaults omits
them. A server named in ``authentication/server`` but not configured cannot happen (leafref); a server
list left empty means "every configured server, in name order".
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agent.aaa.client import Function, Server
from agent.aaa.mapping import TARGETS, Rule


@dataclass(frozen=True)
class AaaSettings:
    """Everything the RADIUS client, authentication and accounting need."""

    nas_identifier: str
    nas_ip_address: str | None = None
    servers: Mapping[Function, tuple[Server, ...]] = field(default_factory=dict)
    round_robin: Mapping[Function, bool] = field(default_factory=dict)
    accounting_enabled: bool = True
    interim_interval: float = 900.0
    dictionary_files: tuple[str, ...] = ()
    ipoe_username_format: str = "{mac}"
    ipoe_password: str = "bng"
    rules: tuple[Rule, ...] = ()

    @property
    def authenticates(self) -> bool:
        return bool(self.servers.get(Function.AUTH))

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any] | None) -> AaaSettings:
        """Parse ``bng-aaa:aaa`` (``None``: nothing configured: no servers, nothing sent)."""
        aaa = dict(entry or {})
        radius: Mapping[str, Any] = aaa.get("radius") or {}
        by_name: dict[str, Server] = {}
        for s in radius.get("server", []):
            by_name[str(s["name"])] = Server(
                name=str(s["name"]),
                address=str(s["address"]),
                secret=str(s["shared-secret"]).encode(),
                auth_port=int(s.get("auth-port", 1812)),
                acct_port=int(s.get("acct-port", 1813)),
                timeout=float(s.get("timeout", 5)),
                retransmits=int(s.get("retransmits", 3)),
                dead_time=float(s.get("dead-time", 60)),
            )
        auth: Mapping[str, Any] = radius.get("authentication") or {}
        acct: Mapping[str, Any] = radius.get("accounting") or {}

        def pick(names: list[str] | None) -> tuple[Server, ...]:
            if names:
                return tuple(by_name[n] for n in names if n in by_name)
            return tuple(by_name[n] for n in sorted(by_name))

        servers = {Function.AUTH: pick(auth.get("server")), Function.ACCT: pick(acct.get("server"))}
        ipoe: Mapping[str, Any] = radius.get("ipoe") or {}
        rules = []
        for a in (aaa.get("attribute-mapping") or {}).get("attribute", []):
            vendor = int(a.get("vendor-id", 0))
            typ = int(a["type"])
            target = str(a["target"])
            values = {}
            for v in a.get("value", []):
                local = next(
                    (v[k] for k in ("qos-profile", "acl", "vrf", "session-template") if k in v), None
                )
                if local is not None:
                    values[str(v["radius-value"])] = str(local)
            rules.append(
                Rule(
                    name=str(a["name"]),
                    key=(vendor, typ) if vendor else typ,
                    target=TARGETS.get(target, target),
                    pass_through=bool(a.get("pass-through", True)),
                    values=values,
                )
            )
        return cls(
            nas_identifier=str(radius.get("nas-identifier") or socket.gethostname()),
            nas_ip_address=radius.get("nas-ip-address"),
            servers=servers,
            round_robin={Function.AUTH: auth.get("load-balance", "failover") == "round-robin"},
            accounting_enabled=bool(acct.get("enabled", True)),
            interim_interval=float(acct.get("interim-interval", 900)),
            dictionary_files=tuple(str(p) for p in radius.get("dictionary-file", [])),
            ipoe_username_format=str(ipoe.get("username-format", "{mac}")),
            ipoe_password=str(ipoe.get("password", "bng")),
            rules=tuple(rules),
        )
