"""NACM (RFC 8341) for the subscriber API, with the rules operators already write for NETCONF and gNMI.

* Reading sessions (List, Get, Watch) is a **read** of the operational session list,
  ``/bng-subscribers:subscribers/sessions/session[id=N]``: a data rule on that path (or on
  ``bng-subscribers`` as a whole) decides. As NACM prescribes for reads, List and Watch silently leave
  out sessions the user may not read; Get of such a session is PERMISSION_DENIED, and so is a List or
  Watch by a user who may read no session at all.
* Disconnect is the YANG rpc ``bng-subscribers:clear-sessions`` (the same operation): an **exec** rule
  for that rpc decides.
* SetPolicy has no YANG rpc; it is authorised as the rpc name ``set-session-policy`` of module
  ``bng-subscribers`` (write an exec rule with that ``rpc-name``).

Exec rules fall back to NACM's ``exec-default`` (permit, RFC 8341) as every NETCONF rpc does; the
recovery user (``admin`` by default) is never restricted.
"""

from __future__ import annotations

import grpc

from agent.access.nacm import AccessControl, Segment
from agent.gnmi.errors import GnmiError

MODULE = "bng-subscribers"
DISCONNECT_RPC = "clear-sessions"
SET_POLICY_RPC = "set-session-policy"
_LIST: list[Segment] = [(MODULE, "subscribers", ()), (MODULE, "sessions", ()), (MODULE, "session", ())]


def session_path(session_id: int) -> list[Segment]:
    return [*_LIST[:-1], (MODULE, "session", (("id", str(session_id)),))]


def may_read(acl: AccessControl, session_id: int) -> bool:
    return acl.data_access(session_path(session_id), "read")


def require_some_read(acl: AccessControl) -> None:
    """PERMISSION_DENIED when no session at all could be read (the list is denied with no rule below)."""
    if not acl.data_access(_LIST, "read") and acl.decided_below(_LIST):
        raise GnmiError(
            grpc.StatusCode.PERMISSION_DENIED,
            f"read access to /{MODULE}:subscribers/sessions denied by NACM for user {acl.user!r}",
        )


def require_read(acl: AccessControl, session_id: int) -> None:
    if not may_read(acl, session_id):
        raise GnmiError(
            grpc.StatusCode.PERMISSION_DENIED,
            f"read access to /{MODULE}:subscribers/sessions/session[id={session_id}] denied by NACM "
            f"for user {acl.user!r}",
        )


def require_exec(acl: AccessControl, rpc: str) -> None:
    if not acl.may_exec(MODULE, rpc):
        raise GnmiError(
            grpc.StatusCode.PERMISSION_DENIED, f"{MODULE}:{rpc} denied by NACM for user {acl.user!r}"
        )
