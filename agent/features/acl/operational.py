"""ACL hit counters and reflexive-session state, for the operational datastore and Prometheus.

Counters: VPP keeps one combined counter per ACL rule in the stats segment, ``/acl/<index>/matches``
(``acl.c`` ``validate_and_reset_acl_counters``: rules + 1 elements, one row per thread), counted while
``acl_stats_intf_counters_enable`` is on (the agent turns it on with its first ACL). They are summed over
threads and, per ACE, over the VPP rules the ACE compiled to; ietf-acl's ``matched-packets`` /
``matched-octets`` under ``acls/acl/aces/ace/statistics`` (feature ``acl-aggregate-stats``: across all
interfaces -- VPP does not count per interface).

Sessions: ``show acl-plugin sessions`` (``acl.c`` ``acl_plugin_show_sessions``) prints, per worker thread
and interface, how many reflexive sessions were added and deleted; active = added - deleted. There is no
API message or stats-segment entry for them in VPP 26.06, so the CLI text is parsed (cli_inband).

Both are refreshed by :meth:`AclMonitor.refresh` (a periodic task of the app); readers only format the
last refresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from agent.features.acl import keys
from agent.features.acl.values import DENY, PERMIT_REFLECT, AclValue

log = logging.getLogger(__name__)

SESSIONS_CLI = "show acl-plugin sessions"
_SESSION_LINE = re.compile(r"^\s*sw_if_index (\d+): add (\d+) - del (\d+) = ")
TOP = "ietf-access-control-list:acls"
ACTION_NAMES = {DENY: "deny", PERMIT_REFLECT: "permit-reflect"}

Sample = tuple[str, tuple[str, ...], float]


def parse_sessions(text: str) -> dict[int, tuple[int, int]]:
    """``show acl-plugin sessions`` -> sw_if_index: (added, deleted), summed over worker threads."""
    out: dict[int, tuple[int, int]] = {}
    for line in text.splitlines():
        m = _SESSION_LINE.match(line)
        if m is None:
            continue
        idx, add, dele = int(m.group(1)), int(m.group(2)), int(m.group(3))
        a, d = out.get(idx, (0, 0))
        out[idx] = (a + add, d + dele)
    return out


def sum_rules(counter: Any) -> list[tuple[int, int]]:
    """A ``/acl/<n>/matches`` vector as VPPStats returns it (per thread, per rule (packets, bytes)),
    summed over threads."""
    totals: list[list[int]] = []
    for row in counter:
        for i, cell in enumerate(row):
            if i >= len(totals):
                totals.append([0, 0])
            totals[i][0] += int(cell[0])
            totals[i][1] += int(cell[1])
    return [(p, b) for p, b in totals]


@dataclass
class AclCounters:
    """One refresh: per ACL name its VPP index, value and per-rule (packets, bytes)."""

    rules: dict[str, tuple[AclValue, list[tuple[int, int]]]] = field(default_factory=dict)
    sessions: dict[str, tuple[int, int]] = field(default_factory=dict)  # interface -> (added, deleted)


def per_ace(value: AclValue, rules: list[tuple[int, int]]) -> list[tuple[str, int, int]]:
    """(ace name, packets, octets) per ACE, summing the rules each ACE compiled to."""
    out = []
    pos = 0
    for name, n in value.aces:
        cells = rules[pos : pos + n]
        out.append((name, sum(c[0] for c in cells), sum(c[1] for c in cells)))
        pos += n
    return out


class AclMonitor:
    """Reads the counters and sessions of the agent's ACLs; see the module docstring.

    ``southbound``: the :class:`~agent.vpp.southbound.VppSouthbound` (its applied items say which ACLs
    and ACEs exist, its name map has their VPP indices and interface names). ``read_stats``: a blocking
    function returning the counter vector of one stats-segment name (run in a thread).
    """

    def __init__(self, southbound: Any, read_stats: Callable[[str], Any] | None) -> None:
        self.sb = southbound
        self.read_stats = read_stats
        self.last = AclCounters()

    def _acls(self) -> dict[str, tuple[AclValue, int]]:
        out: dict[str, tuple[AclValue, int]] = {}
        for key, it in self.sb.applied.items():
            if isinstance(it.value, AclValue):
                index = self.sb.names.handles.get(key)
                if index is not None:
                    out[keys.name_of(key)] = (it.value, index)
        return out

    async def refresh(self) -> AclCounters:
        acls = self._acls()
        got = AclCounters()
        if self.read_stats is not None and acls:
            read = self.read_stats
            names = {n: f"/acl/{index}/matches" for n, (_, index) in acls.items()}

            def read_all() -> dict[str, Any]:
                out = {}
                for n, stat in names.items():
                    try:
                        out[n] = read(stat)
                    except KeyError:  # not in the segment (yet)
                        continue
                return out

            vectors = await asyncio.get_running_loop().run_in_executor(None, read_all)
            for n, vec in vectors.items():
                got.rules[n] = (acls[n][0], sum_rules(vec))
        conn = getattr(self.sb, "conn", None)
        if conn is not None and conn.connected and acls:
            reply = await conn.call("cli_inband", cmd=SESSIONS_CLI)
            for idx, counts in parse_sessions(str(reply.reply)).items():
                name = self.sb.names.name_of(idx)
                if name is not None and counts != (0, 0):
                    got.sessions[name] = counts
        self.last = got
        return got

    async def run(self, interval: float = 5.0) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as e:  # VPP away: keep the last values, try again later
                log.debug("acl counters not refreshed: %s", e)
            await asyncio.sleep(interval)

    # ------------------------------------------------------------------ readers

    def operational(self) -> dict[str, Any]:
        """``acls/acl/aces/ace/statistics`` of every ACL with counters, as JSON-IETF."""
        acls = []
        for name, (value, rules) in sorted(self.last.rules.items()):
            aces = [
                {"name": ace, "statistics": {"matched-packets": str(p), "matched-octets": str(b)}}
                for ace, p, b in per_ace(value, rules)
            ]
            acls.append({"name": name, "aces": {"ace": aces}})
        return {TOP: {"acl": acls}} if acls else {}

    def samples(self) -> Iterable[Sample]:
        """Prometheus samples (families in :mod:`agent.telemetry.catalog`, module ``acl``)."""
        for name, (value, rules) in sorted(self.last.rules.items()):
            by_action: dict[str, float] = {}
            for r, (hits, _) in zip(value.rules, rules, strict=False):
                action = ACTION_NAMES.get(r.action, "permit")
                by_action[action] = by_action.get(action, 0.0) + hits
            for action, total in sorted(by_action.items()):
                yield ("bng_acl_matches", (name, action), total)
            for ace, p, b in per_ace(value, rules):
                yield ("bng_acl_ace_matched_packets", (name, ace), float(p))
                yield ("bng_acl_ace_matched_bytes", (name, ace), float(b))
        for ifname, (added, deleted) in sorted(self.last.sessions.items()):
            yield ("bng_acl_sessions", (ifname,), float(added - deleted))
            yield ("bng_acl_sessions_added", (ifname,), float(added))
            yield ("bng_acl_sessions_deleted", (ifname,), float(deleted))


class StatsCounters:
    """Named counter vectors from VPP's stats segment (``vpp_papi.vpp_stats.VPPStats``), re-attached when
    the southbound's VPP connection is a new one (VPP restarted: a new segment)."""

    def __init__(self, socket_path: str, southbound: Any = None) -> None:
        self.socket_path = socket_path
        self.sb = southbound
        self._stats: Any = None
        self._conn: Any = None

    def close(self) -> None:
        if self._stats is not None:
            with contextlib.suppress(Exception):  # already gone with VPP
                self._stats.disconnect()
            self._stats = None

    def read(self, name: str) -> Any:
        from vpp_papi.vpp_stats import VPPStats

        conn = getattr(self.sb, "conn", None)
        if self._stats is not None and conn is not self._conn:
            self.close()
        if self._stats is None:
            stats = VPPStats(socketname=self.socket_path, timeout=2)
            stats.connect()
            self._stats, self._conn = stats, conn
        try:
            return self._stats[name]
        except KeyError:
            raise
        except Exception:
            self.close()
            raise
