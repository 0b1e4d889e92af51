"""Which parts of the model set the agent accepts but does not apply yet, and how to find them in data.

The model set is ahead of the implementation: NAT, QoS, ACLs, subscribers, AAA, VRRP and more validate
and commit, but nothing programs them into VPP yet. Accepting such data silently would tell a
controller that a NAT pool or a policer is in force when it is not. So each such subtree is listed
here with the feature that will apply it, and

- a commit whose changes set data in one of them still succeeds, with a warning in the reply
  (:func:`touched`; NETCONF ``rpc-error`` with severity ``warning``, a gNMI response extension, a log
  line),
- the operational state lists what running holds there (:func:`instances`), and ``<get-data>`` of the
  operational datastore leaves it out, because RFC 8342 section 5.3 puts only configuration that is in
  use into ``<operational>``.

When a feature lands, it deletes its entry here; nothing else changes. The table is written in
schema-node terms: ``/module:node/node/module:node`` (a module prefix where the module changes, as in
libyang data paths) and ``**`` for any number of levels.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from agent.datastore.changes import Change
from agent.datastore.tree import NULL, Cdata, children, find_xpath, is_default, is_term, node_path

Segment = tuple[str, str]  # (module, node name)
_ANY = ("", "**")


@dataclass(frozen=True)
class Unapplied:
    """One subtree the agent stores but does not apply."""

    path: str  # schema path, see the module docstring
    feature: str  # what it configures, in an operator's words
    issue: int | None  # the issue that will apply it (None: no plan yet)

    @property
    def segments(self) -> tuple[Segment, ...]:
        return _segments(self.path)

    @property
    def reason(self) -> str:
        plan = f" (issue #{self.issue})" if self.issue is not None else ""
        return f"{self.feature} is not programmed into VPP yet{plan}: stored in running, not applied"


_IF = "/ietf-interfaces:interfaces/interface"
_SUBS = "/bng-subscribers:subscribers"
_AI = f"{_SUBS}/access-interfaces/access-interface"
_TPL = f"{_SUBS}/session-templates/template"

UNAPPLIED: tuple[Unapplied, ...] = (
    # sessions apply access interfaces and templates (docs/subscribers.md); what they name is applied
    # by the features below once those land (the DHCPv4 relay is applied: agent/dhcp4)
    Unapplied(f"{_AI}/pppoe", "PPPoE access", 16),
    Unapplied(f"{_TPL}/qos-input-profile", "per-session QoS profiles", 18),
    Unapplied(f"{_TPL}/qos-output-profile", "per-session QoS profiles", 18),
    Unapplied(f"{_TPL}/ipv4-pool", "local IPv4 pools (PPPoE IPCP)", 16),
    Unapplied(f"{_TPL}/ipv6-prefix-pool", "local delegated-prefix pools", 14),
    Unapplied(f"{_SUBS}/address-pools", "local address and prefix pools", 14),
    Unapplied(f"{_SUBS}/dhcpv6-relay/server-group/server-vrf", "DHCPv6 servers in a VRF", 14),
    # the DHCPv4 relay reaches its servers from the host's stack (docs/dhcp-relay.md)
    Unapplied(f"{_SUBS}/dhcpv4-relay/server-group/server-vrf", "DHCPv4 servers in a VRF", 14),
    Unapplied(f"{_SUBS}/ra-policies/ra-policy/prefix-length", "per-subscriber SLAAC prefixes", 14),
    Unapplied(f"{_SUBS}/ra-policies/ra-policy/slaac-prefix-pool", "per-subscriber SLAAC prefixes", 14),
    # RADIUS authentication, accounting, attribute mapping and CoA/Disconnect are applied (agent/aaa)
    Unapplied("/bng-aaa:aaa/radius/vrf", "RADIUS servers in a VRF", 15),
    Unapplied("/bng-aaa:aaa/radius/accounting/start-after-address", "accounting Start before an address", 15),
    Unapplied(
        "/bng-aaa:aaa/attribute-mapping/attribute/value/session-template", "a whole template from RADIUS", 15
    ),
    Unapplied("/bng-vrf:vrfs/**/health-probe", "next-hop health probes", 19),
    Unapplied("/bng-vrf:global-routing/**/health-probe", "next-hop health probes", 19),
    Unapplied(f"{_IF}/ietf-ip:ipv4/ietf-vrrp:vrrp", "VRRP", 19),
    Unapplied(f"{_IF}/ietf-ip:ipv6/ietf-vrrp:vrrp", "VRRP", 19),
    Unapplied("/bng-ha:ha", "two-node state synchronisation", 19),
    Unapplied("/bng-telemetry:telemetry/flow-accounting", "IPFIX flow accounting (VPP flowprobe)", 20),
    Unapplied(
        "/bng-telemetry:telemetry/collector/vrf",
        "a collector's VRF (the NAT log relay reaches collectors through the host's routing)",
        None,
    ),
    Unapplied(
        "/bng-telemetry:telemetry/collector/udp-checksum",
        "switching UDP checksums off (the NAT log relay's host stack always computes them)",
        None,
    ),
    Unapplied("/ietf-system:system/radius", "operator login through RADIUS", 21),
    Unapplied("/ietf-system:system/authentication/user-authentication-order", "operator login order", 21),
    Unapplied(f"{_IF}/ietf-ip:ipv4/mtu", "per-protocol (IPv4) MTU", None),
    Unapplied(f"{_IF}/ietf-ip:ipv6/mtu", "per-protocol (IPv6) MTU", None),
)

_PRED = re.compile(r"\[(?:[^\]'\"]|'[^']*'|\"[^\"]*\")*\]")


def _segments(path: str) -> tuple[Segment, ...]:
    """``/a:x/y[k='v']/b:z`` -> ((a, x), (a, y), (b, z)); ``**`` stays a wildcard."""
    out: list[Segment] = []
    module = ""
    for part in _PRED.sub("", path).strip("/").split("/"):
        if part == "**":
            out.append(_ANY)
            continue
        prefix, sep, name = part.rpartition(":")
        if sep:
            module = prefix
        out.append((module, name))
    return tuple(out)


@dataclass(frozen=True)
class Hit:
    """Data found in an unapplied subtree: the entry and one instance path (libyang form)."""

    entry: Unapplied
    path: str


class _Matcher:
    """The table as a small automaton over (module, name) steps, so one walk checks every entry."""

    def __init__(self, entries: Iterable[Unapplied]) -> None:
        self.entries = tuple(entries)
        self._patterns = [e.segments for e in self.entries]

    def start(self) -> frozenset[tuple[int, int]]:
        return frozenset((i, 0) for i in range(len(self._patterns)))

    def step(self, states: frozenset[tuple[int, int]], seg: Segment) -> frozenset[tuple[int, int]]:
        nxt: set[tuple[int, int]] = set()
        for entry, pos in states:
            pattern = self._patterns[entry]
            if pos >= len(pattern):
                nxt.add((entry, pos))  # already inside a matched subtree
                continue
            if pattern[pos] == _ANY:
                nxt.add((entry, pos))  # ** swallows this step
                if pos + 1 < len(pattern) and pattern[pos + 1] == seg:
                    nxt.add((entry, pos + 2))
            elif pattern[pos] == seg:
                nxt.add((entry, pos + 1))
        return frozenset(nxt)

    def matched(self, states: frozenset[tuple[int, int]]) -> list[Unapplied]:
        return [self.entries[e] for e, pos in states if pos >= len(self._patterns[e])]


_MATCHER = _Matcher(UNAPPLIED)


def touched(changes: Iterable[Change], entries: Iterable[Unapplied] | None = None) -> list[Hit]:
    """The unapplied subtrees a commit's changes set data in, one hit per entry and changed node.

    A change at or below an unapplied node counts (a NAT pool edited), and so does a created or
    modified ancestor whose new value carries data there (an interface created with a QoS attachment).
    Deletions count for nothing: removing data that was never applied needs no warning.
    """
    matcher = _MATCHER if entries is None else _Matcher(entries)
    hits: dict[tuple[str, str], Hit] = {}
    for change in changes:
        if change.op == "delete":
            continue
        states = matcher.start()
        for seg in _segments(change.path):
            states = matcher.step(states, seg)
            if not states:
                break
        if not states:
            continue
        found = matcher.matched(states)
        if found:
            if change.op == "create" and not _explicit_json(change.new):
                continue  # only schema defaults (a container libyang created with its default leaves)
            for entry in found:
                hits.setdefault((entry.path, change.path), Hit(entry, change.path))
            continue
        module = _segments(change.path)[-1][0]
        for entry, path in _walk(matcher, states, change.new, module, change.path):
            hits.setdefault((entry.path, path), Hit(entry, path))
    return list(hits.values())


def _walk(
    matcher: _Matcher, states: frozenset[tuple[int, int]], value: Any, module: str, path: str
) -> Iterator[tuple[Unapplied, str]]:
    """Entries reached inside a JSON-IETF value (RFC 7951 member names: ``module:name`` where the
    module changes). Only branches some entry can still match are entered."""
    if isinstance(value, list):
        for item in value:
            yield from _walk(matcher, states, item, module, path)
        return
    if not isinstance(value, dict):
        return
    for key, child in value.items():
        if key.startswith("@"):
            continue  # metadata
        prefix, sep, name = key.rpartition(":")
        child_module = prefix if sep else module
        nxt = matcher.step(states, (child_module, name))
        if not nxt:
            continue
        child_path = f"{path}/{key}"
        found = matcher.matched(nxt)
        if found:
            if _explicit_json(child, value.get(f"@{key}")):
                for entry in found:
                    yield entry, child_path
            continue
        yield from _walk(matcher, nxt, child, child_module, child_path)


_DEFAULT_TAG = "ietf-netconf-with-defaults:default"


def _explicit_json(value: Any, meta: Any = None) -> bool:
    """Whether a JSON-IETF value holds anything but schema defaults. Change values carry libyang's
    defaults tagged (RFC 6243 ``report-all-tagged``: ``"@leaf": {"ietf-netconf-with-defaults:default":
    true}``); a default is nobody's configuration and needs no warning."""
    if isinstance(meta, dict) and meta.get(_DEFAULT_TAG) is True:
        return False
    if isinstance(value, dict):
        return any(_explicit_json(v, value.get(f"@{k}")) for k, v in value.items() if not k.startswith("@"))
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return True  # list entries: lists have no defaults, an entry is always someone's
        tags = meta if isinstance(meta, list) else []
        tags = [*tags, *([None] * (len(value) - len(tags)))]
        return any(_explicit_json(v, t) for v, t in zip(value, tags, strict=False))
    return True


def xpath(entry: Unapplied) -> str:
    """The entry as an XPath libyang can evaluate (``**`` becomes ``//``)."""
    return entry.path.replace("/**/", "//")


def instances(root: Cdata, entries: Iterable[Unapplied] = UNAPPLIED) -> list[tuple[Unapplied, list[Cdata]]]:
    """Per entry, the nodes of a data tree (``root``: its first top-level node) in that subtree that
    someone set: nodes libyang added as schema defaults, and containers holding nothing else, are not
    configuration anyone wrote."""
    out: list[tuple[Unapplied, list[Cdata]]] = []
    if root == NULL:
        return [(e, []) for e in entries]
    for entry in entries:
        nodes = [n for n in find_xpath(root, xpath(entry)) if _explicit(n)]
        out.append((entry, nodes))
    return out


def _explicit(node: Cdata) -> bool:
    if is_default(node):
        return False
    if is_term(node):
        return True
    return any(_explicit(c) for c in children(node))


def agent_state(root: Cdata) -> dict[str, Any]:
    """``bng-agent:agent-state/not-applied`` for a running tree, as JSON-IETF (only entries with data)."""
    rows = [
        {
            "path": entry.path,
            "feature": entry.feature,
            "reason": entry.reason,
            "instances": len(nodes),
            "first-instance": node_path(nodes[0]),
        }
        for entry, nodes in instances(root)
        if nodes
    ]
    return {"bng-agent:agent-state": {"not-applied": rows}} if rows else {}


def strip(root: Cdata, free: Any) -> None:
    """Remove every unapplied subtree from a private copy (``free(node)`` unlinks and frees one node):
    what ``<get-data>`` of the operational datastore must not show."""
    for _entry, nodes in instances(root):
        for node in nodes:
            free(node)
