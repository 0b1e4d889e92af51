"""DHCPv6 bindings as session addresses: a server's Reply makes (or finds) the subscriber's session and
adds each IA_NA address and IA_PD prefix with its valid lifetime; the subscriber manager programs them
into VPP (a host route for an address, a route for a delegated prefix via the session's address,
``agent/sessions/items.py``). A client's Release/Decline and the end of a valid lifetime remove them (the
last one ends the session).

Expiry is this module's: :meth:`SessionSink.expire` runs every second from the service and removes the
leases whose valid lifetime ran out without a renewal (a renewal moves the lease's expiry, so an entry
whose lease has a later expiry now is skipped).
"""

from __future__ import annotations

import heapq
import logging
from ipaddress import IPv6Address, IPv6Network

from agent.dhcp6.codec import INFINITY, Binding
from agent.dhcp6.relay import Client
from agent.sessions.api import Circuit, SessionError, SessionKey, SessionManagerApi, normalise_mac

log = logging.getLogger("agent.dhcp6")


def session_key(client: Client) -> SessionKey:
    return SessionKey(client.interface, client.outer_vlan, client.inner_vlan, normalise_mac(client.mac))


def _address(b: Binding) -> IPv6Address | IPv6Network:
    return b.prefix if b.delegated else b.prefix.network_address


class SessionSink:
    def __init__(self, manager: SessionManagerApi) -> None:
        self.manager = manager
        self._expiries: list[tuple[float, int, str]] = []  # (expires, session id, address) heap

    async def bound(
        self, client: Client, circuit: tuple[bytes | None, bytes | None], got: list[Binding]
    ) -> None:
        mgr = self.manager
        s = await mgr.open(session_key(client), "ipoe", circuit=Circuit(circuit[0], circuit[1]))
        for b in got:
            lifetime = None if b.valid == INFINITY else float(b.valid)
            if b.delegated:
                s = await mgr.add_prefix(s.id, b.prefix, lifetime)
            else:
                s = await mgr.add_ipv6(s.id, b.prefix.network_address, lifetime)
            lease = next((x for x in (*s.ipv6, *s.prefixes) if x.address == _address(b)), None)
            if lease is not None and lease.expires is not None:
                heapq.heappush(self._expiries, (lease.expires, s.id, str(lease.address)))

    async def released(self, client: Client, gone: list[Binding]) -> None:
        s = self.manager.lookup(session_key(client))
        for b in gone:
            if s is None:
                return
            if any(x.address == _address(b) for x in (*s.ipv6, *s.prefixes)):
                s = await self.manager.remove_address(s.id, _address(b))

    async def expire(self, now: float) -> int:
        """Remove every lease whose valid lifetime ended by ``now``; returns how many went."""
        n = 0
        while self._expiries and self._expiries[0][0] <= now:
            _, sid, text = heapq.heappop(self._expiries)
            s = self.manager.get(sid)
            if s is None:
                continue
            for lease in (*s.ipv6, *s.prefixes):
                if str(lease.address) == text and lease.expires is not None and lease.expires <= now:
                    try:
                        await self.manager.remove_address(sid, lease.address)
                        n += 1
                    except SessionError as e:
                        log.warning("dhcp6 lease %s of session %d not removed: %s", text, sid, e)
        return n
