"""The shipped Prometheus alert rules: ``promtool check rules`` and ``promtool test rules`` (Debian's
prometheus package), and every metric an expression uses is one the agent exports."""

from __future__ import annotations

import re
import shutil
import subprocess

from agent.telemetry.catalog import MODULES
from agent.telemetry.coverage import RULES, alert_rules

TESTS = sorted((RULES.parent / "tests").glob("*.yml"))
PROMQL_WORDS = {
    "and", "or", "unless", "on", "by", "without", "offset", "bool", "ignoring", "group_left", "group_right",
    "rate", "increase", "changes", "sum", "clamp_min", "max_over_time", "time", "up", "printf",
    "histogram_quantile",
}  # fmt: skip


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool is missing: install the Debian package 'prometheus' (make sysdeps)"
    return path


def test_rules_pass_promtool_check() -> None:
    r = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS" in r.stdout


def test_rules_pass_their_promtool_unit_tests() -> None:
    assert len(TESTS) >= 3
    r = subprocess.run(
        [promtool(), "test", "rules", *map(str, TESTS)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("SUCCESS") == len(TESTS)


def test_every_alert_has_a_test() -> None:
    tested = set()
    for t in TESTS:
        tested |= set(re.findall(r"alertname: (\w+)", t.read_text()))
    assert set(alert_rules()) <= tested


def test_expressions_only_use_exported_metrics() -> None:
    exported = {"up"}
    for m in MODULES:
        for f in m.families:
            exported |= {
                f.sample_name,
                f"{f.name}_bucket",
                f"{f.name}_count",
                f"{f.name}_sum",
                f"{f.name}_info",
            }
    for name, expr in alert_rules().items():
        no_strings = re.sub(r'"[^"]*"', "", expr)
        no_ranges = re.sub(r"\[[^\]]*\]", "", no_strings)
        no_labels = re.sub(r"\{[^}]*\}", "", no_ranges)
        no_groupings = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", no_labels)
        idents = set(re.findall(r"\b[a-z_][a-z0-9_]*\b", no_groupings))
        unknown = {i for i in idents if i not in PROMQL_WORDS and i not in exported and not i.isdigit()}
        assert not unknown, f"{name} uses metrics the agent does not export: {unknown}"
