"""From an Access-Accept (or a CoA) to session policy.

The RFC attributes act as their RFCs say without any configuration (Filter-Id names the ingress ACL,
Session-Timeout, Idle-Timeout and Acct-Interim-Interval set the timers; Framed-IP-Address and
Framed-Pool are handed to the address assignment). ``bng-aaa:aaa/attribute-mapping`` adds or overrides
by (vendor id, type): an operator's VSA -- named in their own dictionary file -- sets a QoS profile, an
ACL, a VRF or a timer, either as the object of that name (pass-through) or through a value table.

Why by number and not by dictionary name: the number is what is on the wire; a dictionary only names it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pyrad import packet as rp

from agent.aaa.errors import AaaError
from agent.sessions.api import PolicyAttr

AttrKey = int | tuple[int, int]

#: Targets a mapping may set (bng-aaa ``attribute-mapping/attribute/target``) -> session policy.
TARGETS: Mapping[str, PolicyAttr] = {
    "qos-input-profile": PolicyAttr.QOS_INPUT,
    "qos-output-profile": PolicyAttr.QOS_OUTPUT,
    "acl-ingress": PolicyAttr.ACL_INGRESS,
    "acl-egress": PolicyAttr.ACL_EGRESS,
    "vrf": PolicyAttr.VRF,
    "session-timeout": PolicyAttr.SESSION_TIMEOUT,
    "idle-timeout": PolicyAttr.IDLE_TIMEOUT,
    "interim-interval": PolicyAttr.INTERIM_INTERVAL,
    "nat-instance": PolicyAttr.NAT,
}

FILTER_ID = 11
SESSION_TIMEOUT = 27
IDLE_TIMEOUT = 28
ACCT_INTERIM_INTERVAL = 85
FRAMED_IP_ADDRESS = 8
FRAMED_POOL = 88
CLASS = 25

#: RFC 2869 2.1: an interim interval below 60 s is raised to 60 s.
MIN_INTERIM = 60


class MappingRejected(AaaError):
    """An attribute's value matched no value entry of a mapping that does not pass values through."""

    default_tag = "invalid-value"


@dataclass(frozen=True)
class Rule:
    """One configured mapping."""

    name: str
    key: AttrKey
    target: PolicyAttr | str
    pass_through: bool = True
    values: Mapping[str, str] = field(default_factory=dict)


def _defaults() -> list[Rule]:
    return [
        Rule("Filter-Id", FILTER_ID, PolicyAttr.ACL_INGRESS),
        Rule("Session-Timeout", SESSION_TIMEOUT, PolicyAttr.SESSION_TIMEOUT),
        Rule("Idle-Timeout", IDLE_TIMEOUT, PolicyAttr.IDLE_TIMEOUT),
        Rule("Acct-Interim-Interval", ACCT_INTERIM_INTERVAL, PolicyAttr.INTERIM_INTERVAL),
    ]


@dataclass(frozen=True)
class Authorization:
    """What an Accept decided: policy values, and what goes to address assignment and accounting."""

    policy: Mapping[PolicyAttr, str]
    framed_ip: ipaddress.IPv4Address | None = None
    framed_pool: str | None = None
    classes: tuple[bytes, ...] = ()


def _decode(reply: rp.Packet, key: AttrKey, raw: bytes) -> str:
    """The attribute's value as text: by its dictionary type when the dictionary knows it."""
    d = reply.dict
    if d is not None and d.attrindex.HasBackward(key):
        name = d.attrindex.GetBackward(key)
        value = reply._DecodeValue(d.attributes[name], raw)
        return str(value)
    return raw.decode("utf-8", "backslashreplace")


class AttributeMap:
    """The configured rules over the RFC defaults; :meth:`apply` turns a reply into an
    :class:`Authorization`."""

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        by_key: dict[AttrKey, Rule] = {r.key: r for r in _defaults()}
        for r in rules:
            by_key[r.key] = r
        self.rules = by_key

    def apply(self, reply: rp.Packet) -> Authorization:
        raw: Mapping[AttrKey, list[bytes]] = dict(reply.items())
        policy: dict[PolicyAttr, str] = {}
        for key, rule in self.rules.items():
            values = raw.get(key)
            if not values:
                continue
            value = _decode(reply, key, values[0])
            if rule.values:
                local = rule.values.get(value)
                if local is None:
                    if not rule.pass_through:
                        raise MappingRejected(f"RADIUS {rule.name} value {value!r} matches no mapping value")
                    local = value
                value = local
            target = rule.target
            if not isinstance(target, PolicyAttr):
                continue
            if target is PolicyAttr.INTERIM_INTERVAL:
                value = str(max(MIN_INTERIM, int(value)))
            policy[target] = value
        framed_ip = None
        if raw.get(FRAMED_IP_ADDRESS):
            framed_ip = ipaddress.IPv4Address(raw[FRAMED_IP_ADDRESS][0][:4])
        pool = raw.get(FRAMED_POOL)
        return Authorization(
            policy=policy,
            framed_ip=framed_ip,
            framed_pool=pool[0].decode("utf-8", "replace") if pool else None,
            classes=tuple(raw.get(CLASS, ())),
        )
