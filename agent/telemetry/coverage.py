"""Telemetry coverage: which modules export metrics and which have alert rules on them.

A module *has counters* when at least one of its families appears in a real ``/metrics`` rendering; it
*has alerts* when at least one alert rule's expression uses one of its families. The project goal is at
least 90 % of modules with both. ``python -m agent.telemetry.coverage`` (``make coverage-telemetry``)
prints the table and exits non-zero below the goal.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from agent.telemetry.catalog import MODULES, Family
from agent.telemetry.exporter import Exporter
from agent.telemetry.latency import LatencyHistogram
from agent.telemetry.segment import CounterTable
from agent.telemetry.snapshot import AgentCounters, BondMember, InterfaceInfo, Inventory, Route, Snapshot

GOAL = 0.9
RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "bng-agent.rules.yml"


@dataclass(frozen=True)
class ModuleCoverage:
    module: str
    status: str
    exported: tuple[str, ...]  # family names present in /metrics
    alerts: tuple[str, ...]  # alert names using one of the module's families

    @property
    def covered(self) -> bool:
        return bool(self.exported) and bool(self.alerts)


def _sample_names(f: Family) -> set[str]:
    if f.kind == "histogram":
        return {f"{f.name}_bucket", f"{f.name}_sum", f"{f.name}_count"}
    if f.kind == "info":
        return {f"{f.name}_info"}
    return {f.sample_name}


def alert_rules(path: Path = RULES) -> dict[str, str]:
    """``{alert name: expression}`` of every alerting rule in ``path``."""
    doc: Any = yaml.safe_load(path.read_text())
    out: dict[str, str] = {}
    for group in doc.get("groups", []):
        for rule in group.get("rules", []):
            if "alert" in rule:
                out[str(rule["alert"])] = str(rule["expr"])
    return out


def sample_snapshot() -> Snapshot:
    """A small but complete snapshot (an interface, a bond member, a route) so every live family renders."""
    table = CounterTable(["local0", "eth0"], {}, {"/sys/heartbeat": 1}, 1, time.time())
    eth = InterfaceInfo(1, "eth0", "eth0", True, True, 1_000_000, "02:00:00:00:00:01", 9000, 0)
    inv = Inventory(
        {1: eth}, (BondMember("BondEthernet0", "eth0", True),), {}, (Route("default", "0.0.0.0/0", ()),)
    )
    return Snapshot(table, inv, AgentCounters(vpp_connected=True, vpp_version="26.06"), time.time())


def exported_sample_names(body: str) -> set[str]:
    names = set()
    for line in body.splitlines():
        if line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def report(rules_path: Path = RULES, body: str | None = None) -> list[ModuleCoverage]:
    """Coverage per module from a ``/metrics`` body (rendered from :func:`sample_snapshot` if None)."""
    if body is None:
        latency = LatencyHistogram()
        latency.observe("control_ping", 0.0001)
        snap = sample_snapshot()
        body = Exporter(lambda: snap, latency).render().decode()
    present = exported_sample_names(body)
    rules = alert_rules(rules_path)
    out = []
    for m in MODULES:
        exported = tuple(f.name for f in m.families if _sample_names(f) & present)
        alerts = tuple(
            sorted(
                name
                for name, expr in rules.items()
                if any(re.search(rf"\b{re.escape(s)}\b", expr) for f in m.families for s in _sample_names(f))
            )
        )
        out.append(ModuleCoverage(m.module, m.status, exported, alerts))
    return out


def format_report(rows: list[ModuleCoverage]) -> str:
    lines = [f"{'module':<14} {'values':<6} {'families':>8} {'alerts':>6}  alert rules", "-" * 78]
    for r in rows:
        names = ", ".join(r.alerts) or "-"
        lines.append(f"{r.module:<14} {r.status:<6} {len(r.exported):>8} {len(r.alerts):>6}  {names}")
    both = sum(r.covered for r in rows)
    lines.append("-" * 78)
    lines.append(
        f"modules with counters and alerts: {both}/{len(rows)} = {100 * both / len(rows):.0f} % "
        f"(goal {100 * GOAL:.0f} %)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--rules", type=Path, default=RULES)
    ns = ap.parse_args(argv)
    rows = report(ns.rules)
    print(format_report(rows))
    return 0 if sum(r.covered for r in rows) >= GOAL * len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
