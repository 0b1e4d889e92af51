"""Sessions as YANG data: the ``bng-subscribers`` ``sessions`` list (operational datastore), per-leaf
changes for gNMI ON_CHANGE, and the ``session-event`` notification.

Pure conversions (no server is imported): ``bng-agent run`` feeds the results to the operational
registry, ``GnmiServer.publish_operational`` and ``NetconfServer.publish``.

Why per-leaf changes: a gNMI ON_CHANGE subscriber gets one Update per leaf that changed (a renewal
moves nothing it shows; a state change moves one leaf), and a subscription to one leaf (``.../state``)
receives just that; a session that leaves is one delete of its list entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from agent.datastore.changes import Change
from agent.sessions.api import IPv6Network, Session, SessionEvent

MODULE = "bng-subscribers"
NS = "urn:bng-agent:yang:bng-subscribers"
SESSIONS = "/bng-subscribers:subscribers/sessions"


#: Containers a feature adds to a session's entry from what only it knows (the NAT feature: the
#: ``nat`` container, computed from configuration), as JSON-IETF members; ``bng-agent run`` supplies it.
Extra = Callable[[Session], dict[str, Any]]


def _flat(prefix: str, node: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in node.items():
        if isinstance(v, dict):
            out.update(_flat(f"{prefix}{k}/", v))
        else:
            out[f"{prefix}{k}"] = v
    return out


def entry_path(session_id: int) -> str:
    return f"{SESSIONS}/session[id='{session_id}']"


def _time(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def leaves(s: Session, extra: Extra | None = None) -> dict[str, Any]:
    """The session's leaves by path relative to its list entry (``policy[attribute='vrf']/value``),
    values as JSON-IETF."""
    out: dict[str, Any] = {
        "id": str(s.id),
        "type": s.type,
        "state": s.state.yang,
        "access-interface": s.key.access_interface,
        "interface": s.interface,
        "mac-address": s.key.mac,
        "start-time": _time(s.started),
    }
    if s.key.outer_vlan is not None:
        out["outer-vlan"] = s.key.outer_vlan
    if s.key.inner_vlan is not None:
        out["inner-vlan"] = s.key.inner_vlan
    if s.pppoe_session_id is not None:
        out["pppoe-session-id"] = s.pppoe_session_id
    if s.username is not None:
        out["username"] = s.username
    if s.ipv4 is not None:
        out["ipv4-address"] = str(s.ipv4.address)
    if s.ipv6:
        out["ipv6-address"] = [str(x.address) for x in s.ipv6]
    prefixes = [x.address for x in s.prefixes if isinstance(x.address, IPv6Network)]
    if prefixes:
        out["delegated-prefix"] = str(prefixes[0])  # the YANG leaf holds one (the first delegated)
    for attr, p in s.policy.items():
        base = f"policy[attribute='{attr.value}']"
        out[f"{base}/attribute"] = attr.value
        out[f"{base}/value"] = p.value
        out[f"{base}/source"] = p.origin.identity
    if extra is not None:
        out.update(_flat("", extra(s)))
    return out


def entry(s: Session, extra: Extra | None = None) -> dict[str, Any]:
    """The session's ``sessions/session`` list entry in JSON-IETF."""
    e: dict[str, Any] = {}
    policy: list[dict[str, Any]] = []
    for k, v in leaves(s).items():
        if k.startswith("policy["):
            continue
        e[k] = v  # uint64 id as a JSON string (RFC 7951 section 6.1)
    for attr, p in s.policy.items():
        policy.append({"attribute": attr.value, "value": p.value, "source": p.origin.identity})
    if policy:
        e["policy"] = policy
    if extra is not None:
        e.update(extra(s))
    return e


def document(sessions: list[Session], extra: Extra | None = None) -> dict[str, Any]:
    """The operational ``sessions`` container for these sessions."""
    return {"bng-subscribers:subscribers": {"sessions": {"session": [entry(s, extra) for s in sessions]}}}


def changes(ev: SessionEvent, extra: Extra | None = None) -> list[Change]:
    """The gNMI ON_CHANGE changes of one event: leaves set (all for a new session, those that differ for
    a changed one), leaves gone, or the whole entry deleted."""
    base = entry_path(ev.session.id)
    if ev.kind == "left":
        return [Change("delete", base)]
    new = leaves(ev.session, extra)
    old = leaves(ev.previous, extra) if ev.kind == "changed" and ev.previous is not None else {}
    out = [Change("delete", f"{base}/{k}") for k in old.keys() - new.keys()]
    out += [
        Change("modify" if k in old else "create", f"{base}/{k}", old.get(k), v)
        for k, v in new.items()
        if old.get(k) != v
    ]
    return out


def notification(ev: SessionEvent) -> str:
    """The ``bng-subscribers:session-event`` notification body."""
    s = ev.session
    parts = [
        f"<event>{ev.kind}</event>",
        f"<session-id>{s.id}</session-id>",
        f"<state>{s.state.yang}</state>",
        f"<access-interface>{escape(s.key.access_interface)}</access-interface>",
        f"<mac-address>{s.key.mac}</mac-address>",
    ]
    if s.key.outer_vlan is not None:
        parts.append(f"<outer-vlan>{s.key.outer_vlan}</outer-vlan>")
    if s.key.inner_vlan is not None:
        parts.append(f"<inner-vlan>{s.key.inner_vlan}</inner-vlan>")
    if s.ipv4 is not None:
        parts.append(f"<ipv4-address>{s.ipv4.address}</ipv4-address>")
    if ev.kind == "left" and ev.cause is not None:
        parts.append(f"<cause>{ev.cause.value}</cause>")
    return f'<session-event xmlns="{NS}">{"".join(parts)}</session-event>'
