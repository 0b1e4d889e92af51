"""Access interfaces and session templates from configuration: what policy a new session gets.

The configuration is the ``bng-subscribers:subscribers`` container in JSON-IETF, as the southbound holds
it (root ``("subscribers", "")`` of :mod:`agent.features.subscribers`). :class:`AccessConfig` is an
immutable parse of the parts the subscriber manager needs, rebuilt after each commit that touches them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agent.sessions.api import PolicyAttr, PolicyOrigin, PolicyValue, SessionKey

#: template leaf -> policy attribute
_TEMPLATE_POLICY = {
    "vrf": PolicyAttr.VRF,
    "qos-input-profile": PolicyAttr.QOS_INPUT,
    "qos-output-profile": PolicyAttr.QOS_OUTPUT,
    "acl-ingress": PolicyAttr.ACL_INGRESS,
    "acl-egress": PolicyAttr.ACL_EGRESS,
    "nat-instance": PolicyAttr.NAT,
    "session-timeout": PolicyAttr.SESSION_TIMEOUT,
    "idle-timeout": PolicyAttr.IDLE_TIMEOUT,
}


@dataclass(frozen=True, slots=True)
class Template:
    """A session template: the policy a new session starts with, and the gateway it borrows."""

    name: str
    policy: Mapping[PolicyAttr, str] = field(default_factory=dict)
    unnumbered: str | None = None
    accounting: bool = True

    def initial_policy(self) -> dict[PolicyAttr, PolicyValue]:
        return {a: PolicyValue(v, PolicyOrigin.TEMPLATE) for a, v in self.policy.items()}


@dataclass(frozen=True, slots=True)
class VlanRange:
    outer_min: int
    outer_max: int
    inner_min: int | None = None
    inner_max: int | None = None
    outer_tag_type: str = "dot1ad"  # TPID of the outer tag of a QinQ range

    def matches(self, outer: int | None, inner: int | None) -> bool:
        if outer is None or not self.outer_min <= outer <= self.outer_max:
            return False
        if self.inner_min is None:
            return inner is None
        return inner is not None and self.inner_min <= inner <= (self.inner_max or self.inner_min)


@dataclass(frozen=True, slots=True)
class AccessInterface:
    """An interface accepting sessions (``bng-subscribers`` ``access-interface``)."""

    interface: str
    template: str
    per_subscriber: bool = False  # vlan-model per-subscriber: a sub-interface per session
    vlan_ranges: tuple[VlanRange, ...] = ()
    max_sessions: int | None = None
    ipoe: bool = False
    pppoe: bool = False
    authorize_by: str = "none"  # ipoe/authorize-by: how RADIUS names an IPoE subscriber (agent/aaa)

    def accepts_vlans(self, outer: int | None, inner: int | None) -> bool:
        """Whether frames with these tags may start a session here (1:1: within a configured range)."""
        return not self.per_subscriber or self.range_for(outer, inner) is not None

    def range_for(self, outer: int | None, inner: int | None) -> VlanRange | None:
        return next((r for r in self.vlan_ranges if r.matches(outer, inner)), None)


def session_interface(key: SessionKey, per_subscriber: bool) -> str:
    """The VPP interface carrying a session: ``<access>.<sub-id>`` for 1:1 VLAN (sub-id as bng-interfaces
    names sub-interfaces: the VLAN, or outer * 10000 + inner for QinQ), else the access interface."""
    if not per_subscriber or key.outer_vlan is None:
        return key.access_interface
    sub_id = key.outer_vlan if key.inner_vlan is None else key.outer_vlan * 10000 + key.inner_vlan
    return f"{key.access_interface}.{sub_id}"


@dataclass(frozen=True, slots=True)
class AccessConfig:
    """The access interfaces and templates in force."""

    interfaces: Mapping[str, AccessInterface] = field(default_factory=dict)
    templates: Mapping[str, Template] = field(default_factory=dict)

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any] | None) -> AccessConfig:
        """Parse the ``bng-subscribers:subscribers`` container (JSON-IETF; ``None``: nothing configured)."""
        if not entry:
            return cls()
        templates = {}
        for t in (entry.get("session-templates") or {}).get("template", []):
            policy = {a: str(t[leaf]) for leaf, a in _TEMPLATE_POLICY.items() if leaf in t}
            templates[str(t["name"])] = Template(
                str(t["name"]), policy, t.get("unnumbered-interface"), bool(t.get("accounting", True))
            )
        interfaces = {}
        for a in (entry.get("access-interfaces") or {}).get("access-interface", []):
            ranges = tuple(
                VlanRange(
                    int(r["outer-vlan-min"]),
                    int(r["outer-vlan-max"]),
                    int(r["inner-vlan-min"]) if "inner-vlan-min" in r else None,
                    int(r["inner-vlan-max"]) if "inner-vlan-max" in r else None,
                    str(r.get("outer-tag-type", "dot1ad")).rpartition(":")[2],
                )
                for r in a.get("vlan-range", [])
            )
            interfaces[str(a["interface"])] = AccessInterface(
                str(a["interface"]),
                str(a["session-template"]),
                a.get("vlan-model", "shared") == "per-subscriber",
                ranges,
                int(a["max-sessions"]) if "max-sessions" in a else None,
                "ipoe" in a,
                "pppoe" in a,
                str((a.get("ipoe") or {}).get("authorize-by", "mac")) if "ipoe" in a else "none",
            )
        return cls(interfaces, templates)
