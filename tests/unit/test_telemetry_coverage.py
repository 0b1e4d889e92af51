"""The telemetry coverage report (``make coverage-telemetry``): the goal is met, and the report really
notices a module without alerts or without exported families."""

from __future__ import annotations

from pathlib import Path

from agent.telemetry.coverage import GOAL, RULES, format_report, main, report


def test_goal_met_with_the_shipped_rules() -> None:
    rows = report()
    covered = sum(r.covered for r in rows)
    assert covered >= GOAL * len(rows)
    by = {r.module: r for r in rows}
    assert "BngVppDown" in by["southbound"].alerts
    assert "BngInterfaceDown" in by["interfaces"].alerts
    assert "bng_interface_receive_bytes" in by["interfaces"].exported
    assert main([]) == 0


def test_a_module_without_alerts_is_reported(tmp_path: Path, capsys: object) -> None:
    text = RULES.read_text()
    # drop every NAT, QoS, RA and ND guard rule: four modules lose their alerts, coverage falls below the goal
    kept = []
    skip = False
    for line in text.splitlines():
        if line.strip().startswith("- alert:"):
            skip = any(k in line for k in ("BngNat", "BngQos", "BngRaNotSent", "BngNdGuard"))
        if not skip:
            kept.append(line)
    rules = tmp_path / "rules.yml"
    rules.write_text("\n".join(kept) + "\n")
    rows = {r.module: r for r in report(rules)}
    assert rows["nat"].alerts == () and not rows["nat"].covered
    assert rows["qos"].alerts == ()
    assert rows["acl"].covered
    assert main(["--rules", str(rules)]) == 1
    assert "nat" in format_report(list(rows.values()))


def test_a_module_whose_families_are_not_exported_is_reported() -> None:
    body = "bng_vpp_connected 1\nbng_agent_commits_total 0\n"
    rows = {r.module: r for r in report(body=body)}
    assert rows["southbound"].exported == ("bng_vpp_connected",)
    assert not rows["interfaces"].covered and rows["interfaces"].exported == ()
