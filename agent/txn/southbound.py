"""The seam between a transaction and the data plane.

A commit hands the southbound the committed :class:`~agent.datastore.changes.Change` list twice: first
to :meth:`Southbound.plan` (pure: turns changes into ordered steps, so a dry run can print them and a
commit can log them before touching anything), then to :meth:`Southbound.apply` (all or nothing: on
any failure the implementation undoes the steps it already applied, in reverse, and raises). The VPP
implementation lives in ``agent/vpp`` (issue #5); :class:`RecordingSouthbound` is the test double that
the transaction tests and benchmarks use, and that keeps a model of "the data plane" so a test can
check that what was applied always equals running.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import libyang

from agent.datastore.changes import Change
from agent.errors import AgentError


@dataclass(frozen=True)
class PlanStep:
    """One ordered action on the data plane (for VPP: one descriptor call, e.g. ``create subif``)."""

    op: str
    key: str
    detail: str = ""

    def __str__(self) -> str:
        tail = f" {self.detail}" if self.detail else ""
        return f"{self.op} {self.key}{tail}"


@dataclass
class Plan:
    """What a commit will do, in order. ``steps`` print one per line for a dry run."""

    steps: list[PlanStep]
    changes: list[Change] = field(default_factory=list)
    # Free-form payload for the implementation (e.g. the VPP planner's item graph).
    data: Any = None
    # The commit this plan belongs to (set by the transaction manager; None for a dry run or an undo),
    # so the data plane's log lines can be joined with the "txn id=" line.
    txn_id: int | None = None

    def __len__(self) -> int:
        return len(self.steps)

    def describe(self) -> list[str]:
        return [str(s) for s in self.steps]


class ConfigTree(Protocol):
    """Committed configuration as the datastore hands it to a data plane (a libyang data node): all a
    data plane may do with it is print it, as JSON-IETF."""

    def print_mem(self, fmt: str, with_siblings: bool = False, pretty: bool = False) -> str | bytes: ...


class Southbound(Protocol):
    """What the transaction manager needs from a data plane."""

    async def plan(self, running: ConfigTree | None, changes: list[Change]) -> Plan:
        """Order ``changes`` (relative to the tree ``running``) into steps. No side effect."""
        ...

    async def apply(self, plan: Plan) -> None:
        """Execute ``plan`` completely or not at all; on failure revert and raise :class:`AgentError`."""
        ...


class SouthboundError(AgentError):
    """The data plane refused a step; already-applied steps were reverted."""

    default_tag = "operation-failed"


class RecordingSouthbound:
    """Test double: records every plan and apply and mirrors what was applied in its own data tree.

    The mirror (:meth:`json`) replays each applied change, so after any sequence of commits, failures,
    rollbacks and reverts a test can check that "the data plane" equals running. ``fail_at`` makes the
    next apply fail at that step index (0-based), after which the earlier steps of that plan are undone
    in reverse, exactly as the real southbound must do; ``fail_plan_with`` makes the next plan raise.
    """

    def __init__(self, ctx: libyang.Context | None = None) -> None:
        from agent.datastore.tree import DataTree
        from agent.model import load_model_set

        self.plans: list[Plan] = []
        self.applied: list[Plan] = []
        self.reverted_steps: list[PlanStep] = []
        self.fail_at: int | None = None
        self.fail_plan_with: AgentError | None = None
        self.apply_calls = 0
        self.mirror = DataTree(ctx if ctx is not None else load_model_set().ctx)

    async def plan(self, running: ConfigTree | None, changes: list[Change]) -> Plan:
        if self.fail_plan_with is not None:
            err, self.fail_plan_with = self.fail_plan_with, None
            raise err
        steps = [PlanStep(op=c.op, key=c.path) for c in changes]
        plan = Plan(steps=steps, changes=list(changes))
        self.plans.append(plan)
        return plan

    async def apply(self, plan: Plan) -> None:
        from agent.datastore.diff import apply_changes

        self.apply_calls += 1
        fail_at, self.fail_at = self.fail_at, None
        if fail_at is None or fail_at >= len(plan.changes):
            # one replay of the whole list (bulk creates share one parse: 10,000 new entries in ~0.1 s)
            apply_changes(self.mirror, plan.changes)
            self.applied.append(plan)
            return
        done = plan.changes[:fail_at]
        apply_changes(self.mirror, done)
        for undo in reversed(done):
            apply_changes(self.mirror, [undo.inverse()])
            self.reverted_steps.append(PlanStep(op=undo.inverse().op, key=undo.path))
        change = plan.changes[fail_at]
        raise SouthboundError(
            f"injected failure at step {fail_at} ({change.op} {change.path})", path=change.path
        )

    def json(self) -> str:
        """The mirrored configuration, printed like running (JSON-IETF, explicit defaults)."""
        return self.mirror.print("json", with_defaults="explicit")
