"""The in-memory session table: sessions by id, with indexes by key and by address.

Why a table of its own and not the datastore: sessions come and go thousands of times a second and are
not configuration (DESIGN idea 9). The table is the single place the current :class:`Session` values
live; the write-ahead log (:mod:`agent.sessions.wal`) makes it durable and the manager keeps both in
step. Every operation here is synchronous and O(1) (prefix lookup: O(number of distinct prefix lengths)).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from agent.sessions.api import (
    AddressInUse,
    IPv4Address,
    IPv6Address,
    IPv6Network,
    Session,
    SessionKey,
    SessionLimit,
)

Address = IPv4Address | IPv6Address | IPv6Network
_AddrKey = tuple[str, Address]  # (vrf or "", address or prefix)


class SessionTable:
    """Sessions by id, key and address. ``limit`` bounds the table (``put`` of a new session beyond it
    raises :class:`SessionLimit`)."""

    def __init__(self, limit: int = 1_000_000) -> None:
        self.limit = limit
        self._by_id: dict[int, Session] = {}
        self._by_key: dict[SessionKey, int] = {}
        self._by_addr: dict[_AddrKey, int] = {}
        self._prefix_lengths: dict[int, int] = {}  # prefix length -> number of prefixes with it
        self._per_interface: dict[str, int] = {}  # access interface -> sessions on it

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Session]:
        return iter(self._by_id.values())

    def get(self, session_id: int) -> Session | None:
        return self._by_id.get(session_id)

    def lookup(self, key: SessionKey) -> Session | None:
        sid = self._by_key.get(key)
        return self._by_id.get(sid) if sid is not None else None

    def count_on(self, access_interface: str) -> int:
        return self._per_interface.get(access_interface, 0)

    def by_address(self, address: Address, vrf: str | None = None) -> Session | None:
        v = vrf or ""
        sid = self._by_addr.get((v, address))
        if sid is None and isinstance(address, IPv6Address):
            for plen in sorted(self._prefix_lengths, reverse=True):
                net = ipaddress.IPv6Network((int(address) >> (128 - plen) << (128 - plen), plen))
                sid = self._by_addr.get((v, net))
                if sid is not None:
                    break
        return self._by_id.get(sid) if sid is not None else None

    def check(self, new: Session) -> None:
        """Raise if ``new`` cannot be stored: a new session beyond the bound, a key or an address that
        another session holds."""
        old = self._by_id.get(new.id)
        if old is None:
            if len(self._by_id) >= self.limit:
                raise SessionLimit(f"the session table is full ({self.limit} sessions)")
            other = self._by_key.get(new.key)
            if other is not None:
                raise AddressInUse(f"session {other} already has key {new.key}")
        vrf = new.vrf or ""
        for a in new.addresses():
            holder = self._by_addr.get((vrf, a))
            if holder is not None and holder != new.id:
                raise AddressInUse(f"{a} belongs to session {holder}")

    def put(self, new: Session) -> Session | None:
        """Store ``new`` (replacing the session with its id); returns the old value. Call :meth:`check`
        first: ``put`` assumes it passed."""
        old = self._by_id.get(new.id)
        if old is not None:
            self._unindex_addresses(old)
        else:
            self._by_key[new.key] = new.id
            ai = new.key.access_interface
            self._per_interface[ai] = self._per_interface.get(ai, 0) + 1
        self._by_id[new.id] = new
        self._index_addresses(new)
        return old

    def remove(self, session_id: int) -> Session | None:
        old = self._by_id.pop(session_id, None)
        if old is None:
            return None
        self._unindex_addresses(old)
        if self._by_key.get(old.key) == session_id:
            del self._by_key[old.key]
        ai = old.key.access_interface
        n = self._per_interface.get(ai, 0) - 1
        if n > 0:
            self._per_interface[ai] = n
        else:
            self._per_interface.pop(ai, None)
        return old

    def _index_addresses(self, s: Session) -> None:
        vrf = s.vrf or ""
        for a in s.addresses():
            self._by_addr[(vrf, a)] = s.id
            if isinstance(a, IPv6Network):
                self._prefix_lengths[a.prefixlen] = self._prefix_lengths.get(a.prefixlen, 0) + 1

    def _unindex_addresses(self, s: Session) -> None:
        vrf = s.vrf or ""
        for a in s.addresses():
            if self._by_addr.get((vrf, a)) == s.id:
                del self._by_addr[(vrf, a)]
                if isinstance(a, IPv6Network):
                    n = self._prefix_lengths[a.prefixlen] - 1
                    if n:
                        self._prefix_lengths[a.prefixlen] = n
                    else:
                        del self._prefix_lengths[a.prefixlen]
