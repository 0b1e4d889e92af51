"""ACL attachment items for a subscriber session's interface, for the session manager's policy hooks.

A session (IPoE or PPPoE, see DESIGN.md "Sessions are not configuration") gets its ACLs from a session
template, RADIUS or CoA by *name*; the ACLs themselves are configuration (``acls/acl``). The items
returned here have origin ``session`` and are submitted with :meth:`VppSouthbound.submit
<agent.vpp.southbound.VppSouthbound.submit>`: they depend on the named ACLs' items, so a session whose
ACL is not configured yet waits as ``pending``, and a change to the ACL's rules replaces it in place
under every session using it (one ``acl_add_replace``, no per-session call).

The keys are those of a configured attachment (``acl-attachment/<interface>``): a session interface is
not also listed under ``attachment-points`` in configuration.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from agent.features.acl import keys
from agent.features.acl.items import attachment_items
from agent.features.base import Lookup
from agent.vpp.config import Entry, RootId
from agent.vpp.items import Item, Value


class _NoConfig:
    """A lookup that knows no ACL: every name is taken as an IP ACL (``acl/<name>``)."""

    def get(self, root: RootId) -> Entry | None:
        return None

    def names(self, kind: str) -> list[str]:
        return []


def session_acl_items(
    interface: str,
    ingress: Sequence[str] = (),
    egress: Sequence[str] = (),
    config: Lookup | None = None,
) -> list[Item[Value]]:
    """Items attaching the ACLs named ``ingress``/``egress`` (in that order) to a session's interface.

    With ``config`` (the southbound's configuration index), an Ethernet-type ACL becomes the
    interface's MAC/IP ACL; without it every name is an IP ACL. Raises
    :class:`~agent.errors.ValidationError` for what VPP cannot do (a MAC/IP ACL on egress, two of them,
    more than 255 ACLs).
    """
    return attachment_items(interface, list(ingress), list(egress), config or _NoConfig(), origin="session")


def session_acl_keys(interface: str) -> list[str]:
    """The keys :func:`session_acl_items` may return for ``interface`` (to remove them at session end)."""
    return [keys.attachment(interface), keys.macip_attachment(interface)]


class _SessionLike(Protocol):
    """What the hook reads of :class:`agent.sessions.api.Session` (kept structural: features sit below
    the session manager and do not import it; read-only members, as the frozen Session has them)."""

    @property
    def interface(self) -> str: ...

    @property
    def key(self) -> Any: ...

    def policy_value(self, attr: Any) -> str | None: ...


ACL_INGRESS = "acl-ingress"
ACL_EGRESS = "acl-egress"


def policy_names(value: str | None) -> list[str]:
    """A policy value names one ACL or several, comma-separated (RADIUS Filter-Id style)."""
    return [n.strip() for n in (value or "").split(",") if n.strip()]


class AclSessionHook:
    """The session manager's :class:`~agent.sessions.api.SessionHook` for the ``acl-ingress`` and
    ``acl-egress`` policy attributes: the named ACLs on the session's own interface.

    Only a session with an interface of its own (1:1 VLAN sub-interface, PPPoE session) gets them: VPP
    applies ACLs per interface, so on a shared VLAN the access interface's configured ACLs (under
    ``attachment-points``) apply to every subscriber on it and a per-session ACL is not programmed.
    """

    name = "acl"

    def items(self, session: _SessionLike, ctx: Lookup) -> list[Item[Value]]:
        if session.interface == getattr(session.key, "access_interface", None):
            return []
        ingress = policy_names(session.policy_value(ACL_INGRESS))
        egress = policy_names(session.policy_value(ACL_EGRESS))
        if not ingress and not egress:
            return []
        return session_acl_items(session.interface, ingress, egress, ctx)

    def validate(self, attr: Any, value: str, ctx: Lookup) -> str | None:
        if str(attr) not in (ACL_INGRESS, ACL_EGRESS):
            return None
        known = set(ctx.names(keys.ACL))
        missing = [n for n in policy_names(value) if n not in known]
        return f"no ACL named {', '.join(missing)}" if missing else None
