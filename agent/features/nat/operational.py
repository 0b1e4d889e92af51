"""NAT44 operational state and metrics, read from VPP on a timer.

Every ``interval`` seconds, while VPP is connected, one :meth:`NatMonitor.refresh` reads:

* ``nat44_user_dump``: every inside host with its dynamic and static session counts and VRF -> sessions
  and active subscribers per VRF (so per instance);
* ``nat44_user_session_v3_dump`` per inside address (only while there are at most
  :data:`MAX_USERS_DETAILED` hosts; VPP 26.06 returns the address's sessions of every VRF): each
  session's outside address -> sessions (ports in use) per pool;
* ``det44_map_dump``: sessions per deterministic mapping;
* ``show errors`` (``cli_inband``): nat44-ed's drop counters (``nat44_ed.h`` foreach_nat_in2out_ed_error /
  foreach_nat_out2in_ed_error), summed over its nodes by reason -- VPP counts them per node, not per VRF.

Reads of ``/ietf-nat:nat`` in ``<operational>`` (:meth:`NatMonitor.provide`) and the Prometheus source
(:meth:`NatMonitor.samples`) format the last reading with the applied configuration; neither calls VPP.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from agent.features.jsonietf import member
from agent.features.nat.det44 import PORTS
from agent.features.nat.items import instances, is_enabled, mode
from agent.features.nat.lookup import mapping_state
from agent.features.nat.values import DEFAULT_SESSIONS
from agent.vpp.config import Entry
from agent.vpp.connection import VppConnection

log = logging.getLogger(__name__)

#: Above this many inside hosts the per-pool port counts are not read (one dump per host).
MAX_USERS_DETAILED = 2000


@dataclass
class Reading:
    """One refresh: what VPP reported."""

    sessions_by_vrf: dict[int, int] = field(default_factory=dict)
    users_by_vrf: dict[int, int] = field(default_factory=dict)
    sessions_by_address: dict[str, int] | None = None  # None: too many hosts to read per session
    det_sessions: dict[str, int] = field(default_factory=dict)  # inside prefix -> ses_num
    failures: dict[str, int] = field(default_factory=dict)  # reason label -> packets dropped


#: nat44-ed drop reasons (VPP's error strings) -> the ``reason`` label of bng_nat_translation_failures
FAILURES = {
    "out of ports": "out-of-ports",
    "maximum sessions exceeded": "session-limit",
    "no translation": "no-translation",
    "couldn't translate packet": "translation-failed",
    "unsupported protocol": "unsupported-protocol",
    "non-SYN packet try to create session": "non-syn",
}
_ERROR_LINE = re.compile(r"^\s*(\d+)\s+(nat44-ed-\S+)\s+(.*?)\s{2,}\S+\s*$")


def nat_failures(show_errors: str) -> dict[str, int]:
    """``show errors`` text -> drops per reason label, over every nat44-ed node."""
    out: dict[str, int] = {}
    for line in show_errors.splitlines():
        m = _ERROR_LINE.match(line)
        if m and m.group(3) in FAILURES:
            label = FAILURES[m.group(3)]
            out[label] = out.get(label, 0) + int(m.group(1))
    return out


class NatMonitor:
    """Polls VPP's NAT state; ``config`` gives the applied ``ietf-nat:nat`` entry, ``conn`` the
    connection (None while VPP is down), ``vrf_tables`` the table id of each VRF name."""

    def __init__(
        self,
        config: Callable[[], Entry | None],
        conn: Callable[[], VppConnection | None],
        vrf_tables: Callable[[], dict[str, int]],
        interval: float = 5.0,
    ) -> None:
        self.config, self.conn, self.vrf_tables, self.interval = config, conn, vrf_tables, interval
        self.last = Reading()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="nat-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            conn = self.conn()
            if conn is not None and conn.connected and self.config() is not None:
                try:
                    await self.refresh(conn)
                except Exception:  # VPP went away mid-read: the next round retries
                    log.warning("nat monitor read failed", exc_info=True)
            await asyncio.sleep(self.interval)

    async def refresh(self, conn: VppConnection) -> Reading:
        r = Reading()
        users = await conn.dump("nat44_user_dump")
        for u in users:
            vrf = int(u.vrf_id)
            r.sessions_by_vrf[vrf] = r.sessions_by_vrf.get(vrf, 0) + int(u.nsessions) + int(u.nstaticsessions)
            r.users_by_vrf[vrf] = r.users_by_vrf.get(vrf, 0) + 1
        if len(users) <= MAX_USERS_DETAILED:
            by_addr: dict[str, int] = {}
            # VPP 26.06 answers a host's sessions of every VRF whatever vrf_id says: one dump per address
            hosts = {str(u.ip_address): u.vrf_id for u in users}
            futs = [conn.send("nat44_user_session_v3_dump", ip_address=a, vrf_id=v) for a, v in hosts.items()]
            for fut in futs:
                _, details = await fut
                for s in details:
                    a = str(s.outside_ip_address)
                    by_addr[a] = by_addr.get(a, 0) + 1
            r.sessions_by_address = by_addr
        for m in await conn.dump("det44_map_dump"):
            r.det_sessions[f"{m.in_addr}/{int(m.in_plen)}"] = int(m.ses_num)
        errors = await conn.send("cli_inband", cmd="show errors")
        r.failures = nat_failures(str(errors.reply)) if int(errors.retval) == 0 else {}
        self.last = r
        return r

    # ------------------------------------------------------------------ formatting

    def _instances(self) -> list[tuple[Entry, int]]:
        tables = self.vrf_tables()
        out = []
        for inst in instances(self.config()):
            vrf = member(inst, "vrf")
            out.append((inst, tables.get(str(vrf), -1) if vrf else 0))
        return out

    def _pools(self, inst: Entry) -> Iterable[tuple[int, ipaddress.IPv4Network]]:
        for pol in member(inst, "policy", []) or []:
            for pool in member(pol, "external-ip-address-pool", []) or []:
                yield (
                    int(pool["pool-id"]),
                    ipaddress.IPv4Network(str(member(pool, "external-ip-pool")), strict=False),
                )

    def _pool_ports(self, net: ipaddress.IPv4Network) -> int | None:
        by_addr = self.last.sessions_by_address
        if by_addr is None:
            return None
        return sum(n for a, n in by_addr.items() if ipaddress.IPv4Address(a) in net)

    def provide(self) -> dict[str, Any] | None:
        """``/ietf-nat:nat`` state (JSON-IETF): per instance, RFC 8512 statistics and bng-nat's
        deterministic mappings."""
        nat = self.config()
        if nat is None:
            return None
        det = mapping_state(nat, self.last.det_sessions)
        entries = []
        for inst, vrf_id in self._instances():
            iid = int(inst["id"])
            e: dict[str, Any] = {"id": iid}
            if is_enabled(inst) and mode(inst) == "dynamic":
                per_pool = []
                allocated = free = 0
                for pid, net in self._pools(inst):
                    used = self._pool_ports(net)
                    ports = net.num_addresses * PORTS
                    stats: dict[str, Any] = {
                        "pool-id": pid,
                        "pool-stats": {"addresses-allocated": net.num_addresses, "addresses-free": 0},
                    }
                    if used is not None:
                        stats["port-stats"] = {"ports-allocated": used, "ports-free": ports - used}
                        allocated, free = allocated + used, free + ports - used
                    per_pool.append(stats)
                e["statistics"] = {
                    "mappings-statistics": {
                        "total-active-subscribers": self.last.users_by_vrf.get(vrf_id, 0),
                        "total-port-mappings": self.last.sessions_by_vrf.get(vrf_id, 0),
                    },
                    "pools-stats": {
                        "ports-stats": {"ports-allocated": allocated, "ports-free": free},
                        "per-pool-stats": per_pool,
                    },
                }
            if iid in det:
                e["bng-nat:deterministic-mapping"] = {"mapping": det[iid]}
            entries.append(e)
        return {"ietf-nat:nat": {"instances": {"instance": entries}}}

    def samples(self) -> Iterable[tuple[str, tuple[str, ...], float]]:
        """Prometheus samples of the ``nat`` families (agent/telemetry/catalog.py)."""
        nat = self.config()
        sessions_per_thread = int(member(member(nat, "nat44-ed"), "sessions-per-thread", DEFAULT_SESSIONS))
        for inst, vrf_id in self._instances():
            if not is_enabled(inst):
                continue
            name = str(member(inst, "name", inst["id"]))
            if mode(inst) == "deterministic":
                n = sum(
                    self.last.det_sessions.get(m["inside-prefix"], 0)
                    for m in mapping_state(nat).get(int(inst["id"]), [])
                )
                yield ("bng_nat_sessions", (name,), n)
                continue
            yield ("bng_nat_sessions", (name,), self.last.sessions_by_vrf.get(vrf_id, 0))
            limit = member(inst, "session-limit", sessions_per_thread)
            yield ("bng_nat_session_limit", (name,), int(limit))
            used = total = 0
            for pid, net in self._pools(inst):
                ports = self._pool_ports(net) or 0
                yield ("bng_nat_pool_ports_used", (name, str(pid)), ports)
                used, total = used + ports, total + net.num_addresses * PORTS
            yield ("bng_nat_pool_usage_ratio", (name,), used / total if total else 0.0)
        for reason in FAILURES.values():
            yield ("bng_nat_translation_failures", (reason,), self.last.failures.get(reason, 0))
