"""IPoE sessions authorised by RADIUS before they become active.

The DHCPv4 relay's session sink asks :meth:`IpoeAuthorizer.open` instead of opening the session itself:
the session is opened with the RADIUS user name, put in state ``authenticating`` (visible in the
operational datastore and on gNMI), and an Access-Request is sent. An Accept sets the reply's policy with
origin ``radius`` (so QoS/ACL/VRF reach VPP through the features' session hooks when the address is
bound); a Reject, no answer from any server, a reply whose values the mapping refuses, or a policy the
hooks refuse ends the session with cause ``auth-failed`` and the relay does not forward the ACK.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from agent.aaa.accounting import subscriber_of
from agent.aaa.auth import Authenticator, AuthorizeBy, Subscriber, ipoe_username
from agent.aaa.errors import NoServerAvailable
from agent.aaa.mapping import AttributeMap, MappingRejected
from agent.aaa.packet import Credentials
from agent.sessions.api import (
    Circuit,
    PolicyOrigin,
    Session,
    SessionError,
    SessionKey,
    SessionManagerApi,
    SessionState,
    TerminateCause,
)

log = logging.getLogger(__name__)


class IpoeAuthorizer:
    """Opens and authorises IPoE sessions; ``settings()`` gives the current (authenticator, map, user
    name format, password), or ``None`` when no authentication server is configured."""

    def __init__(
        self,
        current: Callable[[], tuple[Authenticator, AttributeMap, str, str] | None],
        authorize_by: Callable[[str], str],
    ) -> None:
        self.current = current
        self.authorize_by = authorize_by
        self.accepted = 0
        self.rejected = 0
        self.failed = 0

    async def open(
        self, manager: SessionManagerApi, key: SessionKey, circuit: Circuit | None
    ) -> Session | None:
        """The session for ``key``, authorised; ``None`` when it was refused (the ACK is not sent)."""
        cur = self.current()
        scheme = AuthorizeBy(self.authorize_by(key.access_interface))
        if cur is None or scheme is AuthorizeBy.NONE:
            return await manager.open(key, "ipoe", circuit=circuit)
        authn, amap, fmt, password = cur
        sub = Subscriber(
            key.access_interface,
            key.outer_vlan,
            key.inner_vlan,
            key.mac,
            circuit.circuit_id if circuit else None,
            circuit.remote_id if circuit else None,
        )
        username = ipoe_username(scheme, sub, fmt)
        s = await manager.open(key, "ipoe", username=username, circuit=circuit)
        if s.state is not SessionState.INIT:
            return s  # already authorised (a retransmitted request)
        if username is None:
            log.warning("ipoe %s: authorize-by %s but the request has none", key, scheme.value)
            return await self._refuse(manager, s)
        s = await manager.set_state(s.id, SessionState.AUTHENTICATING)
        try:
            result = await authn.authenticate(Credentials(username, password), subscriber_of(s))
        except NoServerAvailable:
            self.failed += 1
            log.warning("ipoe %s: no RADIUS server answered", username)
            return await self._refuse(manager, s)
        if not result.accepted or result.reply is None:
            self.rejected += 1
            log.info("ipoe %s: Access-Reject from %s", username, result.server)
            return await self._refuse(manager, s)
        try:
            auth = amap.apply(result.reply)
            if auth.policy:
                s = await manager.set_policy(s.id, dict(auth.policy), PolicyOrigin.RADIUS)
        except (MappingRejected, SessionError) as e:
            self.failed += 1
            log.warning("ipoe %s: Access-Accept not applicable: %s", username, e)
            return await self._refuse(manager, s)
        self.accepted += 1
        return s

    async def _refuse(self, manager: SessionManagerApi, s: Session) -> Session | None:
        await manager.release(s.id, TerminateCause.AUTH_FAILED)
        return None
