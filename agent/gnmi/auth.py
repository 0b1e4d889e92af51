"""Who is calling, and what they may touch: the same users and NACM rules as NETCONF.

Credentials travel as gRPC metadata ``username`` / ``password`` (what gnmic, pygnmi and Telegraf
send). They are checked against the ``ietf-system`` users in running (and the bootstrap ``admin`` while
none is configured) through :class:`agent.access.users.UserDirectory`, so an account works identically
on both protocols. Crypt hashes are deliberately slow, so a successful check is remembered (keyed by a
digest of user, password and stored hash) -- a changed password or removed user invalidates it because
the stored hash is part of the key.

Authorisation is RFC 8341 NACM via :class:`agent.access.nacm.AccessControl`: reads are filtered
(denied subtrees are left out of Get/Subscribe results, silently, as NACM prescribes for reads), and a
Set with any denied write fails as a whole with PERMISSION_DENIED.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import grpc

from agent.access.nacm import AccessControl, Policy, Segment, policy_from_json
from agent.access.users import UserDirectory, verify_password
from agent.gnmi.datapath import split_data_path
from agent.gnmi.errors import GnmiError

_CACHE_LIMIT = 1024


def metadata_credentials(metadata: Any) -> tuple[str | None, str | None]:
    user = password = None
    for key, value in metadata or ():
        if key == "username":
            user = value if isinstance(value, str) else value.decode()
        elif key == "password":
            password = value if isinstance(value, str) else value.decode()
    return user, password


class Authenticator:
    """Checks gRPC metadata credentials and builds NACM access control per user."""

    def __init__(
        self,
        users: UserDirectory,
        read_nacm_json: Callable[[], str],
        generation: Callable[[], int],
        *,
        recovery_user: str | None = "admin",
    ) -> None:
        self.users = users
        self._read_nacm = read_nacm_json
        self._generation = generation
        self.recovery_user = recovery_user
        self._ok: dict[bytes, None] = {}
        self._policy: tuple[int, Policy] | None = None

    def authenticate(self, metadata: Any) -> str:
        """The user name, or raise UNAUTHENTICATED."""
        user, password = metadata_credentials(metadata)
        if not user or password is None:
            raise GnmiError(grpc.StatusCode.UNAUTHENTICATED, "username and password metadata required")
        account = self.users.lookup(user)
        stored = account.password_hash if account is not None else None
        if not stored:
            raise GnmiError(grpc.StatusCode.UNAUTHENTICATED, "authentication failed")
        key = hashlib.sha256(b"\0".join([user.encode(), password.encode(), stored.encode()])).digest()
        if key in self._ok:
            return user
        if not verify_password(password, stored):
            raise GnmiError(grpc.StatusCode.UNAUTHENTICATED, "authentication failed")
        if len(self._ok) >= _CACHE_LIMIT:
            self._ok.pop(next(iter(self._ok)))
        self._ok[key] = None
        return user

    def access(self, user: str) -> AccessControl:
        gen = self._generation()
        if self._policy is None or self._policy[0] != gen:
            self._policy = (gen, policy_from_json(self._read_nacm()))
        return AccessControl(self._policy[1], user, recovery=user == self.recovery_user)


def segments(data_path: str) -> list[Segment]:
    """NACM segments (module, name, keys) of a libyang data path; modules inherited as in RFC 7951."""
    out: list[Segment] = []
    module: str | None = None
    for name, keys in split_data_path(data_path):
        if ":" in name:
            module, name = name.split(":", 1)
        out.append((module, name, keys))
    return out


def prune_json(acl: AccessControl, path: list[Segment], value: Any) -> Any:
    """``value`` (the JSON-IETF content at ``path``) without the members ``acl`` may not read.

    Returns ``_DENIED`` when the node itself may not be read.
    """
    if not acl.data_access(path, "read"):
        return DENIED
    if acl.decided_below(path) or not isinstance(value, (dict, list)):
        return value
    if isinstance(value, list):
        return [v for v in (prune_json(acl, path, e) for e in value) if v is not DENIED]
    module = path[-1][0] if path else None
    out: dict[str, Any] = {}
    for member, sub in value.items():
        if member.startswith("@"):
            out[member] = sub
            continue
        mod, _, name = member.rpartition(":")
        seg_module = mod or module
        if isinstance(sub, list) and sub and isinstance(sub[0], dict):
            kept = []
            for entry in sub:
                keys = tuple((k, str(v)) for k, v in entry.items() if not isinstance(v, (dict, list)))
                child = prune_json(acl, [*path, (seg_module, name, keys)], entry)
                if child is not DENIED:
                    kept.append(child)
            if kept:
                out[member] = kept
            continue
        child = prune_json(acl, [*path, (seg_module, name, ())], sub)
        if child is not DENIED:
            out[member] = child
    return out


def check_write(acl: AccessControl, path: list[Segment], value: Any, access: str) -> str | None:
    """The first node under ``path`` (given as JSON content ``value``) ``acl`` denies ``access`` to."""
    if acl.unrestricted:
        return None
    if not acl.data_access(path, access):
        return _printable(path)
    if acl.decided_below(path) or not isinstance(value, dict):
        return None
    module = path[-1][0] if path else None
    for member, sub in value.items():
        if member.startswith("@"):
            continue
        mod, _, name = member.rpartition(":")
        entries = sub if isinstance(sub, list) and sub and isinstance(sub[0], dict) else [sub]
        for entry in entries:
            keys: tuple[tuple[str, str], ...] = ()
            if isinstance(entry, dict):
                keys = tuple((k, str(v)) for k, v in entry.items() if not isinstance(v, (dict, list)))
            denied = check_write(acl, [*path, (mod or module, name, keys)], entry, access)
            if denied:
                return denied
    return None


def _printable(path: list[Segment]) -> str:
    return "/" + "/".join(
        (f"{m}:{n}" if m else n) + "".join(f"[{k}={v}]" for k, v in keys) for m, n, keys in path
    )


class _Denied:
    def __repr__(self) -> str:
        return "DENIED"


DENIED: Any = _Denied()

_ = json
