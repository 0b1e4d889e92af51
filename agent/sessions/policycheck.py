"""Does a policy value name something that exists? The check the subscriber manager runs before it
accepts a VRF, QoS profile, ACL or NAT instance for a session (``SessionManager(policy_check=...)``),
whoever asks: the gRPC API, RADIUS, CoA.

A session pointed at a VRF that does not exist would be programmed into no table at all, and a QoS
profile that does not exist would leave the subscriber unpoliced while the operational state claims a
rate; so such a value is refused (:class:`~agent.sessions.api.InvalidRequest`, INVALID_ARGUMENT / NETCONF
invalid-value) with a message that names it and where it was looked for. Names are read from running
configuration and cached per running generation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from agent.features.jsonietf import member
from agent.sessions.api import PolicyAttr

#: per attribute: the running-configuration list that holds the valid names, and the key member
_WHERE: dict[PolicyAttr, tuple[str, str, tuple[str, ...], str]] = {
    PolicyAttr.VRF: ("VRF", "/bng-vrf:vrfs", ("vrf",), "name"),
    PolicyAttr.QOS_INPUT: ("QoS profile", "/bng-qos:qos", ("profile",), "name"),
    PolicyAttr.QOS_OUTPUT: ("QoS profile", "/bng-qos:qos", ("profile",), "name"),
    PolicyAttr.ACL_INGRESS: ("ACL", "/ietf-access-control-list:acls", ("acl",), "name"),
    PolicyAttr.ACL_EGRESS: ("ACL", "/ietf-access-control-list:acls", ("acl",), "name"),
    PolicyAttr.NAT: ("NAT instance", "/ietf-nat:nat", ("instances", "instance"), "id"),
}

#: Reads one top-level subtree of running as JSON-IETF text (``Datastores.read``).
ReadRunning = Callable[[str], str]


class RunningNames:
    """A :data:`~agent.sessions.manager.PolicyCheck` over running configuration."""

    def __init__(self, read: ReadRunning, generation: Callable[[], int]) -> None:
        self._read = read
        self._generation = generation
        self._cache: tuple[int, dict[str, set[str]]] | None = None

    def names(self, xpath: str, steps: tuple[str, ...], key: str) -> set[str]:
        gen = self._generation()
        if self._cache is None or self._cache[0] != gen:
            self._cache = (gen, {})
        cached = self._cache[1].get(xpath + "/" + "/".join(steps))
        if cached is not None:
            return cached
        doc: Any = json.loads(self._read(xpath) or "{}")
        node: Any = next(iter(doc.values()), None) if isinstance(doc, dict) else None
        for step in steps[:-1]:
            node = member(node, step)
        out = {str(member(e, key)) for e in member(node, steps[-1], []) or []}
        self._cache[1][xpath + "/" + "/".join(steps)] = out
        return out

    def __call__(self, attr: PolicyAttr, value: str) -> str | None:
        where = _WHERE.get(attr)
        if where is None:
            return None
        what, xpath, steps, key = where
        if value in self.names(xpath, steps, key):
            return None
        return f"no {what} {value!r} in running configuration ({xpath}/{'/'.join(steps)})"


def running_names(datastores: Any) -> RunningNames:
    """The check over a :class:`~agent.datastore.store.Datastores`' running configuration."""
    return RunningNames(
        lambda xpath: str(datastores.read("running", xpath=xpath, fmt="json")),
        lambda: int(datastores.generation),
    )
