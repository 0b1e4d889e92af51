"""Value types of the ACL feature's items, built the same way from configuration and from VPP's dumps
so that "configured" and "found in VPP" compare with ``==``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from agent.vpp.items import Value

#: acl_types.api enum acl_action
DENY, PERMIT, PERMIT_REFLECT = 0, 1, 2


@dataclass(frozen=True, slots=True)
class AclRule:
    """One rule of VPP's ``vl_api_acl_rule_t`` (prefixes normalised, ports/ICMP type and code as ranges)."""

    action: int
    src: str
    dst: str
    proto: int = 0
    sport: tuple[int, int] = (0, 65535)
    dport: tuple[int, int] = (0, 65535)
    tcp_mask: int = 0
    tcp_value: int = 0


@dataclass(frozen=True, slots=True)
class AclValue(Value):
    """An ACL of VPP's ACL plugin. ``aces``: per ACE its name and how many rules it compiled to, in
    order (how counters map back to ACEs; not part of what VPP holds, so not compared)."""

    kind: ClassVar[str] = "acl"
    tag: str
    rules: tuple[AclRule, ...]
    aces: tuple[tuple[str, int], ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class MacipRule:
    """One rule of ``vl_api_macip_acl_rule_t``."""

    action: int
    mac: str
    mask: str
    src: str


@dataclass(frozen=True, slots=True)
class MacipValue(Value):
    kind: ClassVar[str] = "macip-acl"
    tag: str
    rules: tuple[MacipRule, ...]
    aces: tuple[tuple[str, int], ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class AttachmentValue(Value):
    """An interface's ACL lists (``acl_interface_set_acl_list`` sets both at once), as ACL item keys."""

    kind: ClassVar[str] = "acl-attachment"
    interface: str
    ingress: tuple[str, ...]
    egress: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MacipAttachmentValue(Value):
    kind: ClassVar[str] = "macip-attachment"
    interface: str
    acl: str


@dataclass(frozen=True, slots=True)
class StatsValue(Value):
    """The ACL plugin's per-rule counters switched on (``acl_stats_intf_counters_enable``)."""

    kind: ClassVar[str] = "acl-stats"
    enabled: bool = True
