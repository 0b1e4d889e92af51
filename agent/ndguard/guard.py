"""Keep VPP's IPv6 neighbour table on access interfaces to what the sessions there own.

What VPP 26.06 offers (``src/vnet/ip-neighbor``, ``src/vnet/ip6-nd/ip6_nd.c``): VPP answers neighbour
solicitations only for its own addresses (ND proxy is off unless configured), so nothing is answered for
another subscriber's address; but it *learns* a neighbour from any solicitation or advertisement with a
global source (``ip_neighbor_learn_dp``), and its only bound is node-wide per family
(``ip_neighbor_config``: ``bng-interfaces:neighbor-limits``, the proxyarp feature). There is no
per-interface learning switch or limit in the API. So the agent enforces both itself:

- every ``period`` seconds it reads the IPv6 neighbours of each IPoE access interface and of each
  session's own interface (``ip_neighbor_dump``);
- a *dynamic* entry whose address is not an address of a session on that interface (a global address of
  the session, or a link-local one from a session's MAC) is removed (``ip_neighbor_add_del``, is_add 0):
  a spoofed or scanning subscriber cannot fill the table or take another subscriber's address;
- static entries are someone's configuration and are left alone;
- the table per interface is thereby bounded by the sessions' addresses; VPP's node-wide limit stays
  the hard bound between two sweeps.

Counted in ``bng_nd_guard_removed_total{interface}`` and ``bng_nd_guard_neighbors{interface}`` (what was
left after the last sweep).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from ipaddress import IPv6Address, ip_address
from typing import Any

from agent.sessions.api import Session

log = logging.getLogger("agent.ndguard")

AF_IP6 = 1
FLAG_STATIC = 1


def link_local(mac: str) -> IPv6Address:
    """The EUI-64 link-local address of ``aa:bb:cc:dd:ee:ff``."""
    b = bytes.fromhex(mac.replace(":", ""))
    eui = bytes([b[0] ^ 0x02, b[1], b[2], 0xFF, 0xFE, b[3], b[4], b[5]])
    return IPv6Address(b"\xfe\x80" + bytes(6) + eui)


def allowed(sessions: Iterable[Session]) -> dict[str, tuple[set[IPv6Address], set[str]]]:
    """Per interface: the sessions' IPv6 addresses and MACs there."""
    out: dict[str, tuple[set[IPv6Address], set[str]]] = {}
    for s in sessions:
        for name in {s.key.access_interface, s.interface}:
            if not name:
                continue
            addrs, macs = out.setdefault(name, (set(), set()))
            macs.add(s.key.mac)
            addrs.update(x.address for x in s.ipv6 if isinstance(x.address, IPv6Address))
    return out


class NdGuard:
    def __init__(
        self,
        connection: Callable[[], Any],
        sessions: Callable[[], Iterable[Session]],
        access_interfaces: Callable[[], Iterable[str]],
        index_of: Callable[[str], int | None],
        period: float = 2.0,
    ) -> None:
        self.connection = connection
        self.sessions = sessions
        self.access_interfaces = access_interfaces
        self.index_of = index_of
        self.period = period
        self.removed: Counter[str] = Counter()
        self.kept: dict[str, int] = {}
        self.sweeps = 0
        self._task: asyncio.Task[None] | None = None

    async def sweep(self) -> int:
        """One pass over every guarded interface; returns how many neighbours were removed."""
        conn = self.connection()
        if conn is None:
            return 0
        own = allowed(self.sessions())
        names = set(self.access_interfaces()) | set(own)
        n = 0
        kept: dict[str, int] = {}
        for name in sorted(names):
            idx = self.index_of(name)
            if idx is None:
                continue
            addrs, macs = own.get(name, (set(), set()))
            lls = {link_local(m) for m in macs}
            kept[name] = 0
            for d in await conn.dump("ip_neighbor_dump", sw_if_index=idx, af=AF_IP6):
                nb = d.neighbor
                ip = ip_address(str(nb.ip_address))
                if not isinstance(ip, IPv6Address):
                    continue
                ok = ip in addrs or (ip.is_link_local and (ip in lls or str(nb.mac_address).lower() in macs))
                if ok or int(nb.flags) & FLAG_STATIC:
                    kept[name] += 1
                    continue
                reply = await conn.call(
                    "ip_neighbor_add_del",
                    is_add=False,
                    neighbor={
                        "sw_if_index": idx,
                        "flags": int(nb.flags),
                        "mac_address": nb.mac_address,
                        "ip_address": str(ip),
                    },
                )
                if reply.retval == 0:
                    self.removed[name] += 1
                    n += 1
                    log.info("nd guard removed neighbour interface=%s ip=%s mac=%s", name, ip, nb.mac_address)
                else:
                    kept[name] += 1
        self.kept = kept
        self.sweeps += 1
        return n

    async def run(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception as e:  # VPP gone or a dump failed: the next sweep tries again
                log.debug("nd guard sweep failed: %s", e)
            await asyncio.sleep(self.period)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="nd-guard")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def samples(self) -> list[tuple[str, tuple[str, ...], float]]:
        out: list[tuple[str, tuple[str, ...], float]] = [
            ("bng_nd_guard_removed", (k,), float(v)) for k, v in sorted(self.removed.items())
        ]
        out += [("bng_nd_guard_neighbors", (k,), float(v)) for k, v in sorted(self.kept.items())]
        out.append(("bng_nd_guard_sweeps", (), float(self.sweeps)))
        return out
