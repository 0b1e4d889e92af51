"""Between the session API's values (:mod:`agent.sessions.api`) and the protobuf messages.

Decoding never guesses: an unknown attribute, state or malformed MAC is an
:class:`~agent.sessions.api.InvalidRequest` (INVALID_ARGUMENT) naming what was wrong.
"""

from __future__ import annotations

from typing import Any

from agent.sessions.api import (
    InvalidRequest,
    Lease,
    PolicyAttr,
    PolicyOrigin,
    Session,
    SessionEvent,
    SessionFilter,
    SessionState,
    normalise_mac,
)
from agent.subapi.pb import pb

_STATE = {
    SessionState.INIT: pb.INIT,
    SessionState.AUTHENTICATING: pb.AUTHENTICATING,
    SessionState.ACTIVE: pb.ACTIVE,
    SessionState.CLOSING: pb.CLOSING,
}
_STATE_BACK = {v: k for k, v in _STATE.items()}
_ORIGIN = {
    PolicyOrigin.TEMPLATE: pb.TEMPLATE,
    PolicyOrigin.LOCAL: pb.LOCAL,
    PolicyOrigin.RADIUS: pb.RADIUS,
    PolicyOrigin.COA: pb.COA,
    PolicyOrigin.API: pb.API,
}
_KIND = {
    "appeared": pb.SessionEvent.APPEARED,
    "changed": pb.SessionEvent.CHANGED,
    "left": pb.SessionEvent.LEFT,
}
ATTRIBUTES = ", ".join(a.value for a in PolicyAttr)


def _lease(lease: Lease) -> Any:
    out = pb.Lease(address=str(lease.address))
    if lease.expires is not None:
        out.expires = lease.expires
    return out


def session(s: Session) -> Any:
    out = pb.Session(
        id=s.id,
        access_interface=s.key.access_interface,
        mac=s.key.mac,
        type=s.type,
        state=_STATE[s.state],
        template=s.template or "",
        interface=s.interface,
        started=s.started,
        updated=s.updated,
        last_seen=s.last_seen,
        ipv6=[_lease(x) for x in s.ipv6],
        prefixes=[_lease(x) for x in s.prefixes],
        username=s.username or "",
        circuit_id=s.circuit.circuit_id or b"",
        remote_id=s.circuit.remote_id or b"",
    )
    if s.key.outer_vlan is not None:
        out.outer_vlan = s.key.outer_vlan
    if s.key.inner_vlan is not None:
        out.inner_vlan = s.key.inner_vlan
    if s.ipv4 is not None:
        out.ipv4.CopyFrom(_lease(s.ipv4))
    if s.pppoe_session_id is not None:
        out.pppoe_session_id = s.pppoe_session_id
    for attr, value in s.policy.items():
        out.policy[attr.value].CopyFrom(pb.PolicyValue(value=value.value, origin=_ORIGIN[value.origin]))
    return out


def event(ev: SessionEvent) -> Any:
    out = pb.SessionEvent(kind=_KIND[ev.kind], seq=ev.seq, cause=ev.cause.value if ev.cause else "")
    out.session.CopyFrom(session(ev.session))
    return out


def snapshot_event(s: Session) -> Any:
    out = pb.SessionEvent(kind=pb.SessionEvent.APPEARED)
    out.session.CopyFrom(session(s))
    return out


def sync_event() -> Any:
    return pb.SessionEvent(kind=pb.SessionEvent.SYNC)


def selector(f: Any) -> SessionFilter:
    """A request's ``Filter`` as the manager's :class:`SessionFilter` (every field set must match)."""
    if f.state not in _STATE_BACK and f.state != pb.STATE_UNSPECIFIED:
        raise InvalidRequest(f"filter.state: unknown state {f.state}")
    return SessionFilter(
        ids=frozenset(int(i) for i in f.ids) if len(f.ids) else None,
        access_interface=f.access_interface if f.HasField("access_interface") else None,
        username=f.username if f.HasField("username") else None,
        mac=normalise_mac(f.mac) if f.HasField("mac") else None,
        state=_STATE_BACK.get(f.state),
        vrf=f.vrf if f.HasField("vrf") else None,
    )


def is_empty(f: Any) -> bool:
    return not f.ListFields()


def attribute(name: str) -> PolicyAttr:
    try:
        return PolicyAttr(name)
    except ValueError:
        raise InvalidRequest(f"unknown policy attribute {name!r} (one of: {ATTRIBUTES})") from None


def policy_changes(request: Any) -> dict[PolicyAttr, str | None]:
    """``set`` and ``clear`` of a SetPolicyRequest as the manager's change map."""
    changes: dict[PolicyAttr, str | None] = {}
    for name, value in sorted(request.set.items()):
        changes[attribute(name)] = value
    for name in request.clear:
        attr = attribute(name)
        if attr in changes:
            raise InvalidRequest(f"policy attribute {name!r} is both set and cleared")
        changes[attr] = None
    if not changes:
        raise InvalidRequest("nothing to set or clear")
    return changes
