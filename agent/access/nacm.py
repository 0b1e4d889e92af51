"""NETCONF access control (RFC 8341) as the protocol server enforces it.

The rules are configuration (``/ietf-netconf-acm:nacm`` in running); they are re-read only when running
changes (keyed by the datastore generation). Three checks:

* **exec** (section 3.4.4): may this user invoke this RPC? ``close-session`` is always allowed;
  ``kill-session`` and ``delete-config`` are ``default-deny-all`` in ietf-netconf, so only an explicit
  permit rule allows them.
* **read** (3.4.5): nodes the user may not read are removed from replies (silently, as the RFC says).
* **write** (3.4.5): every node an ``<edit-config>`` names is checked against the access its operation
  needs; one denied node fails the whole edit with ``access-denied``.

Groups are NACM's own (``/nacm/groups/group/user-name``); ``ietf-system`` has no group leaf.

Decisions: the recovery user (RFC 8341 3.4.1; ``admin`` by default, configurable on the server) is never
restricted, so a bad rule set cannot lock every operator out. ``merge`` and ``replace`` need ``create``
or ``update`` depending on whether the node exists (:mod:`agent.netconf.nacm_write`); ``create`` needs
``create``; ``delete``/``remove`` need ``delete``. Nodes the modules mark ``default-deny-all`` /
``default-deny-write`` that matter here (``/nacm`` itself, ietf-system authentication and RADIUS shared
secrets) are listed in :data:`DEFAULT_DENY`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

Segment = tuple[str | None, str, tuple[tuple[str, str], ...]]  # (module, name, key predicates)

# (path segments as (module, name), deny-all?) -- RFC 8341 section 3.4.5 "default-deny" extensions of
# the modules this agent implements that a read or edit can touch.
DEFAULT_DENY: list[tuple[tuple[tuple[str, str], ...], bool]] = [
    ((("ietf-netconf-acm", "nacm"),), True),  # container nacm { nacm:default-deny-all; }
    ((("ietf-system", "system"), ("ietf-system", "authentication")), False),  # default-deny-write
    (
        (
            ("ietf-system", "system"),
            ("ietf-system", "radius"),
            ("ietf-system", "server"),
            ("ietf-system", "udp"),
            ("ietf-system", "shared-secret"),
        ),
        True,
    ),
]
ALWAYS_PERMITTED_RPCS = {("ietf-netconf", "close-session")}
DEFAULT_DENY_RPCS = {("ietf-netconf", "kill-session"), ("ietf-netconf", "delete-config")}

_PRED = re.compile(r"\[\s*(?:[\w.-]+:)?([\w.-]+)\s*=\s*(?:'([^']*)'|\"([^\"]*)\")\s*\]")


@dataclass
class Rule:
    name: str
    module: str  # "*" = any
    rpc: str | None = None
    notification: str | None = None
    path: list[Segment] | None = None
    ops: set[str] = field(default_factory=set)  # {"create","read","update","delete","exec"}; "*" -> all
    permit: bool = False

    def has_type(self) -> bool:
        return self.rpc is not None or self.notification is not None or self.path is not None


@dataclass
class Policy:
    """The parsed ``/nacm`` configuration."""

    enabled: bool = True
    read_default: bool = True
    write_default: bool = False
    exec_default: bool = True
    groups: dict[str, set[str]] = field(default_factory=dict)  # user -> groups
    rule_lists: list[tuple[set[str], list[Rule]]] = field(default_factory=list)

    def rules_for(self, user: str) -> list[Rule]:
        mine = self.groups.get(user, set())
        out: list[Rule] = []
        for groups, rules in self.rule_lists:
            if "*" in groups or groups & mine:
                out.extend(rules)
        return out


def parse_path(text: str, prefix_to_module: Callable[[str], str] | None = None) -> list[Segment]:
    """Split a node-instance-identifier into segments; prefixes are resolved to module names."""
    segs: list[Segment] = []
    module: str | None = None
    for part in _split_steps(text):
        preds = tuple(
            (m.group(1), m.group(2) if m.group(2) is not None else m.group(3) or "")
            for m in _PRED.finditer(part)
        )
        step = part.split("[", 1)[0].strip()
        if ":" in step:
            pfx, name = step.split(":", 1)
            module = prefix_to_module(pfx) if prefix_to_module else pfx
        else:
            name = step
        segs.append((module, name, preds))
    return segs


def _split_steps(text: str) -> list[str]:
    steps, cur, quote = [], "", ""
    for ch in text.strip():
        if quote:
            cur += ch
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            cur += ch
        elif ch == "/":
            if cur:
                steps.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        steps.append(cur)
    return steps


@functools.cache
def _module_names_by_prefix() -> dict[str, str]:
    """YANG prefix -> module name for the loaded model set (module names map to themselves).

    RFC 8341 rule paths are written either with module names (JSON-IETF) or with the modules' own YANG
    prefixes (``/if:interfaces/if:interface``, as in the RFC's examples); both must select the same
    nodes, or a deny rule written the second way would silently never apply.
    """
    from agent.model.context import load_model_set

    names: dict[str, str] = {}
    for mod in load_model_set().ctx:
        names.setdefault(mod.prefix(), mod.name())
    for mod in load_model_set().ctx:
        names[mod.name()] = mod.name()
    return names


def rule_module(prefix: str) -> str:
    """The module a rule path's prefix names (unknown prefixes are kept, so they match nothing)."""
    return _module_names_by_prefix().get(prefix, prefix)


def policy_from_json(text: str) -> Policy:
    """Build a :class:`Policy` from the JSON-IETF print of ``/ietf-netconf-acm:nacm`` (defaults included)."""
    policy = Policy()
    if not text.strip():
        return policy
    nacm: dict[str, Any] = json.loads(text).get("ietf-netconf-acm:nacm", {})
    policy.enabled = nacm.get("enable-nacm", True)
    policy.read_default = nacm.get("read-default", "permit") == "permit"
    policy.write_default = nacm.get("write-default", "deny") == "permit"
    policy.exec_default = nacm.get("exec-default", "permit") == "permit"
    for group in nacm.get("groups", {}).get("group", []):
        for user in group.get("user-name", []):
            policy.groups.setdefault(user, set()).add(group["name"])
    for rl in nacm.get("rule-list", []):
        rules = []
        for r in rl.get("rule", []):
            ops_text = r.get("access-operations", "*")
            ops = {"create", "read", "update", "delete", "exec"} if ops_text == "*" else set(ops_text.split())
            rules.append(
                Rule(
                    name=r["name"],
                    module=r.get("module-name", "*"),
                    rpc=r.get("rpc-name"),
                    notification=r.get("notification-name"),
                    path=parse_path(r["path"], rule_module) if "path" in r else None,
                    ops=ops,
                    permit=r.get("action") == "permit",
                )
            )
        policy.rule_lists.append((set(rl.get("group", [])), rules))
    return policy


class AccessControl:
    """Answers NACM questions for one user, for the policy in force when it was made."""

    def __init__(self, policy: Policy, user: str, *, recovery: bool) -> None:
        self.user = user
        self.unrestricted = recovery or not policy.enabled
        self.policy = policy
        self.rules = [] if self.unrestricted else policy.rules_for(user)
        self._data_rules = [r for r in self.rules if r.rpc is None and r.notification is None]
        self._deep_paths = [r.path for r in self._data_rules if r.path is not None]
        self._deep_paths += [[(m, n, ()) for m, n in segs] for segs, _ in DEFAULT_DENY]

    # ------------------------------------------------------------------------------------ operations

    def may_exec(self, module: str, rpc: str) -> bool:
        if self.unrestricted or (module, rpc) in ALWAYS_PERMITTED_RPCS:
            return True
        for r in self.rules:
            if r.path is not None or r.notification is not None or "exec" not in r.ops:
                continue
            if r.module not in ("*", module):
                continue
            if r.rpc is not None and r.rpc not in ("*", rpc):
                continue
            return r.permit
        if (module, rpc) in DEFAULT_DENY_RPCS:
            return False
        return self.policy.exec_default

    def may_receive(self, module: str, notification: str) -> bool:
        if self.unrestricted:
            return True
        for r in self.rules:
            if r.path is not None or r.rpc is not None or "read" not in r.ops:
                continue
            if r.module not in ("*", module):
                continue
            if r.notification is not None and r.notification not in ("*", notification):
                continue
            return r.permit
        return self.policy.read_default

    # ------------------------------------------------------------------------------------------ data

    def data_access(self, path: list[Segment], op: str) -> bool:
        """May ``op`` ("read", "create", "update", "delete") be done on the node at ``path``?"""
        if self.unrestricted:
            return True
        module = path[-1][0] or ""
        for r in self._data_rules:
            if op not in r.ops or r.module not in ("*", module):
                continue
            if r.path is not None and not _covers(r.path, path):
                continue
            return r.permit
        for segs, deny_all in DEFAULT_DENY:
            if _covers([(m, n, ()) for m, n in segs], path) and (deny_all or op != "read"):
                return False
        return self.policy.read_default if op == "read" else self.policy.write_default

    def decided_below(self, path: list[Segment]) -> bool:
        """True when no rule or default-deny node lies strictly below ``path`` (the subtree shares one
        decision), so pruning need not descend."""
        depth = len(path)
        for rp in self._deep_paths:
            if len(rp) > depth and _covers(path, rp[:depth], ignore_keys=True):
                return False
        module = path[-1][0]
        return all(r.module in ("*", module) or r.path is not None for r in self._data_rules)

    def prune(self, elements: list[etree._Element], ns_to_module: Callable[[str], str | None]) -> None:
        """Remove, in place, the elements (and their subtrees) the user may not read."""
        if self.unrestricted:
            return
        for el in list(elements):
            self._prune(el, [], ns_to_module)

    def _prune(
        self, el: etree._Element, parent: list[Segment], ns_to_module: Callable[[str], str | None]
    ) -> None:
        if not isinstance(el.tag, str):
            return
        path = [*parent, segment_of(el, ns_to_module, parent)]
        if not self.data_access(path, "read"):
            owner = el.getparent()
            if owner is not None:
                owner.remove(el)
            else:
                el.clear()
                el.set("{urn:bng-agent:nacm}pruned", "true")
            return
        if self.decided_below(path):
            return
        for child in list(el):
            self._prune(child, path, ns_to_module)


def segment_of(
    el: etree._Element, ns_to_module: Callable[[str], str | None], parent: list[Segment]
) -> Segment:
    qn = etree.QName(el)
    module = ns_to_module(qn.namespace or "") if qn.namespace else (parent[-1][0] if parent else None)
    keys = tuple(
        (etree.QName(c).localname, (c.text or "").strip())
        for c in el
        if isinstance(c.tag, str) and len(c) == 0
    )
    return (module, qn.localname, keys)


def _covers(rule: list[Segment], node: list[Segment], *, ignore_keys: bool = False) -> bool:
    """Is ``node`` the rule's node or one of its descendants (keys in the rule must match)?"""
    if len(rule) > len(node):
        return False
    for (rm, rn, rk), (nm, nn, nk) in zip(rule, node, strict=False):
        if rn != nn or (rm is not None and nm is not None and rm != nm):
            return False
        if rk and not ignore_keys:
            have = dict(nk)
            if any(have.get(k) != v for k, v in rk):
                return False
    return True
