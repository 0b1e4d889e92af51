"""The commit pipeline: phases, metadata, abort without side effect, group commit, events, dry run."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from _txn_helpers import (
    IFS,
    add_subifs,
    canon,
    if_path,
    mirror_doc,
    running_doc,
    running_interfaces,
    set_description,
    start_manager,
    subif_entry,
    subif_name,
)

from agent.datastore.journal import Journal
from agent.datastore.session import Session
from agent.errors import AgentError, ValidationError
from agent.model import load_model_set
from agent.txn import CommitEvent
from agent.txn.errors import RollbackFailedError


def persisted(data_dir: Path) -> tuple[int, dict[str, object]]:
    """What a fresh process would load from ``data_dir``."""
    state = Journal(data_dir, load_model_set()).load()
    return state.last_commit_id, canon(json.loads(state.running_json or "{}"))


async def test_commit_records_metadata_applies_and_persists(tmp_path: Path) -> None:
    ds, _journal, sb, tm = await start_manager(tmp_path)
    alice = Session.create("alice", "netconf")
    add_subifs(ds, alice, range(1, 4))
    rec = await tm.commit(alice, comment="first three")
    assert (rec.id, rec.user, rec.origin, rec.comment, rec.kind) == (
        1,
        "alice",
        "netconf",
        "first three",
        "commit",
    )
    assert rec.change_count == 4 and rec.time > 0
    assert set(running_interfaces(ds)) >= {subif_name(1), subif_name(3)}
    assert not ds.candidate_dirty
    assert mirror_doc(sb) == running_doc(ds)
    await tm.stop()
    last, doc = persisted(tmp_path)
    assert last == 1
    assert doc == running_doc(ds)


async def test_commit_without_changes_is_a_noop(tmp_path: Path) -> None:
    _ds, journal, sb, tm = await start_manager(tmp_path)
    bob = Session.create("bob", "gnmi")
    rec = await tm.commit(bob)
    assert rec.noop and rec.id == 0
    assert sb.apply_calls == 0 and journal.fsync_count == 0
    assert tm.list_checkpoints() == []
    await tm.stop()


@pytest.mark.parametrize("phase", ["validate", "plan", "apply"])
async def test_failure_in_any_phase_leaves_no_trace(tmp_path: Path, phase: str) -> None:
    ds, _journal, sb, tm = await start_manager(tmp_path)
    s = Session.create("alice", "netconf")
    add_subifs(ds, s, range(1, 3))
    await tm.commit(s)
    running_before = running_doc(ds)
    mirror_before = mirror_doc(sb)
    if phase == "validate":
        # a sub-interface whose name does not match parent.sub-id violates a must
        bad = subif_entry(7)
        bad["name"] = subif_name(8)  # the name does not match its sub-id
        ds.edit_gnmi("candidate", deletes=[], replaces=[], updates=[(IFS, {"interface": [bad]})], session=s)
    else:
        set_description(ds, s, 1, "changed")
        ds.edit_gnmi("candidate", deletes=[if_path(subif_name(2))], replaces=[], updates=[], session=s)
        if phase == "plan":
            sb.fail_plan_with = AgentError("planner refused")
        else:
            sb.fail_at = 1
    pending = [(c.op, c.path) for c in ds.pending_changes()]
    with pytest.raises(AgentError) as err:
        await tm.commit(s)
    if phase == "validate":
        assert isinstance(err.value, ValidationError)
    assert running_doc(ds) == running_before
    assert mirror_doc(sb) == mirror_before
    assert ds.candidate_dirty and [(c.op, c.path) for c in ds.pending_changes()] == pending
    assert tm.last_commit_id == 1 and [c.id for c in tm.list_checkpoints()] == [1]
    await tm.stop()
    last, doc = persisted(tmp_path)
    assert last == 1 and doc == running_before


async def test_failed_fsync_undoes_the_commit_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds, _journal, sb, tm = await start_manager(tmp_path)
    s = Session.create("alice", "netconf")
    add_subifs(ds, s, range(1, 3))
    await tm.commit(s)
    running_before = running_doc(ds)
    set_description(ds, s, 2, "will not stick")
    pending = ds.pending_changes()
    real_fsync = os.fsync
    calls = {"n": 0}

    def failing_fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError(5, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    events = tm.subscribe()
    with pytest.raises(AgentError) as err:
        await tm.commit(s)
    assert "fsync" in str(err.value)
    assert running_doc(ds) == running_before
    assert mirror_doc(sb) == running_before
    assert ds.pending_changes() == pending  # the candidate got its content back
    assert tm.last_commit_id == 1
    monkeypatch.setattr(os, "fsync", real_fsync)
    # the journal was cut back: the next commit gets id 2 and a restart sees exactly that
    rec = await tm.commit(s)
    assert rec.id == 2
    ev = await asyncio.wait_for(events.__anext__(), 1)
    assert ev.record.id == 2  # the failed commit was never published
    await tm.stop()
    last, doc = persisted(tmp_path)
    assert last == 2 and doc == running_doc(ds)


async def test_failed_undo_stops_further_commits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ds, _journal, sb, tm = await start_manager(tmp_path)
    s = Session.create("alice", "netconf")
    add_subifs(ds, s, [1])
    await tm.commit(s)
    set_description(ds, s, 1, "x")

    def failing_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    original_apply = sb.apply
    calls = {"n": 0}

    async def apply_then_fail(plan: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the undo of the commit
            raise AgentError("data plane gone")
        await original_apply(plan)  # type: ignore[arg-type]

    monkeypatch.setattr(sb, "apply", apply_then_fail)
    with pytest.raises(RollbackFailedError):
        await tm.commit(s)
    set_description(ds, s, 1, "y")
    with pytest.raises(RollbackFailedError) as err:
        await tm.commit(s)
    assert err.value.tag == "rollback-failed"
    monkeypatch.undo()
    await tm.stop()


async def test_concurrent_commits_share_fsyncs(tmp_path: Path) -> None:
    ds, journal, _sb, tm = await start_manager(tmp_path)
    s0 = Session.create("setup", "cli")
    add_subifs(ds, s0, range(1, 41))
    await tm.commit(s0)
    fsyncs_before = journal.fsync_count
    sessions = [Session.create(f"u{i}", "gnmi") for i in range(40)]

    async def one(i: int) -> int:
        _res, rec = await tm.edit_running_gnmi(
            sessions[i], updates=[(if_path(subif_name(i + 1)) + "/description", f"by u{i}")]
        )
        assert rec is not None
        return rec.id

    ids = await asyncio.gather(*(one(i) for i in range(40)))
    assert sorted(ids) == list(range(2, 42))
    used = journal.fsync_count - fsyncs_before
    assert used < 40, f"{used} fsyncs for 40 concurrent commits"
    assert tm.stats.batches < tm.stats.commits
    ifs = running_interfaces(ds)
    assert all(ifs[subif_name(i + 1)]["description"] == f"by u{i}" for i in range(40))
    await tm.stop()
    last, doc = persisted(tmp_path)
    assert last == 41 and doc == running_doc(ds)


async def test_events_follow_durable_commits_in_order(tmp_path: Path) -> None:
    ds, _journal, _sb, tm = await start_manager(tmp_path)
    s = Session.create("alice", "netconf")
    sub = tm.subscribe()
    add_subifs(ds, s, [1])
    await tm.commit(s)
    set_description(ds, s, 1, "hello")
    await tm.commit(s, comment="desc")
    got: list[CommitEvent] = [await asyncio.wait_for(sub.__anext__(), 1) for _ in range(2)]
    assert [e.record.id for e in got] == [1, 2]
    assert got[1].record.comment == "desc"
    assert [(c.op, c.path, c.new) for c in got[1].changes] == [
        ("create", if_path(subif_name(1)) + "/description", "hello")
    ]
    sub.close()
    await tm.stop()


async def test_dry_run_plans_without_applying(tmp_path: Path) -> None:
    ds, _journal, sb, tm = await start_manager(tmp_path)
    initial = ds.running.json()
    s = Session.create("alice", "netconf")
    add_subifs(ds, s, range(1, 3))
    plan = await tm.dry_run(s)
    assert len(plan.describe()) == 3
    assert any(subif_name(2) in line for line in plan.describe())
    assert ds.running.json() == initial and sb.apply_calls == 0 and ds.candidate_dirty
    rec = await tm.commit(s)
    assert rec.id == 1
    await tm.stop()


async def test_running_edit_validation_error_leaves_running(tmp_path: Path) -> None:
    ds, _journal, sb, tm = await start_manager(tmp_path)
    s = Session.create("g", "gnmi")
    initial = ds.running.json()
    bad = subif_entry(3)
    bad["bng-interfaces:sub-interface"]["parent-interface"] = "nonexistent"
    with pytest.raises(ValidationError):
        await tm.edit_running_gnmi(s, updates=[(IFS, {"interface": [bad]})])
    assert ds.running.json() == initial and sb.apply_calls == 0
    await tm.stop()


async def test_restart_loads_last_commit(tmp_path: Path) -> None:
    ds, _journal, _sb0, tm = await start_manager(tmp_path)
    s = Session.create("alice", "netconf")
    add_subifs(ds, s, range(1, 5))
    await tm.commit(s)
    set_description(ds, s, 4, "kept")
    await tm.commit(s)
    await tm.stop()
    ds2, _j, _sb, tm2 = await start_manager(tmp_path)
    assert tm2.last_commit_id == 2
    assert running_interfaces(ds2)[subif_name(4)]["description"] == "kept"
    assert [c.id for c in tm2.list_checkpoints()] == [2, 1]
    await tm2.stop()


async def test_failed_fsync_of_a_group_undoes_every_commit_in_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds, _journal, sb, tm = await start_manager(tmp_path)
    s0 = Session.create("setup", "cli")
    add_subifs(ds, s0, range(1, 9))
    await tm.commit(s0)
    before = running_doc(ds)
    real_fsync = os.fsync
    failing = {"on": True}

    def fsync(fd: int) -> None:
        if failing["on"]:
            failing["on"] = False
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    sessions = [Session.create(f"u{i}", "gnmi") for i in range(8)]

    async def one(i: int) -> object:
        path = if_path(subif_name(i + 1)) + "/description"
        try:
            return await tm.edit_running_gnmi(sessions[i], updates=[(path, f"u{i}")])
        except AgentError as exc:
            return exc

    results = await asyncio.gather(*(one(i) for i in range(8)))
    failed = [r for r in results if isinstance(r, AgentError)]
    assert len(failed) >= 2, "the failing fsync covered a group of commits and fails them all"
    ok = [r for r in results if not isinstance(r, AgentError)]
    # whatever succeeded came after the failed group, on top of the restored running
    assert tm.last_commit_id == 1 + len(ok)
    ifs = running_interfaces(ds)
    described = {n for n, e in ifs.items() if "description" in e}
    assert len(described) == len(ok)
    assert mirror_doc(sb) == running_doc(ds)
    if not ok:
        assert running_doc(ds) == before
    await tm.stop()
    last, doc = persisted(tmp_path)
    assert last == tm.last_commit_id and doc == running_doc(ds)


async def test_caller_giving_up_mid_commit_does_not_stop_the_owner(tmp_path: Path) -> None:
    """A session that drops while its commit is in flight: the commit lands, later commits still work."""
    ds, _journal, _sb, tm = await start_manager(tmp_path)
    alice = Session.create("alice", "netconf")
    add_subifs(ds, alice, range(1, 3))
    abandoned = asyncio.create_task(tm.commit(alice))
    await asyncio.sleep(0)
    abandoned.cancel()
    with pytest.raises(asyncio.CancelledError):
        await abandoned
    set_description(ds, alice, 1, "after the drop")
    rec = await asyncio.wait_for(tm.commit(alice), timeout=30)
    assert rec.id >= 1
    assert set(running_interfaces(ds)) >= {subif_name(1), subif_name(2)}
    await tm.stop()


async def test_commit_phases_are_timed_for_durable_commits_only(tmp_path: Path) -> None:
    """``bng_commit_phase_duration_seconds``: each durable commit adds one observation per phase (validate,
    plan, apply, persist); a slow data plane shows in ``apply`` and nowhere else; a refused commit adds
    nothing."""
    ds, _journal, sb, tm = await start_manager(tmp_path)
    s = Session.create("alice", "netconf")
    add_subifs(ds, s, range(1, 3))
    real_apply = sb.apply

    async def slow_apply(plan: object) -> None:
        await asyncio.sleep(0.3)
        await real_apply(plan)  # type: ignore[arg-type]

    sb.apply = slow_apply  # type: ignore[method-assign]
    await tm.commit(s)
    phases = {p: (buckets, total) for p, buckets, total in tm.phase_latency.snapshot()}
    assert set(phases) == {"validate", "plan", "apply", "persist"}
    assert all(tm.phase_latency.count(p) == 1 for p in phases)
    assert phases["apply"][1] >= 0.3
    assert all(phases[p][1] < 0.3 for p in ("validate", "plan", "persist"))
    assert dict(phases["apply"][0])["0.25"] == 0 and dict(phases["apply"][0])["0.5"] == 1
    sb.fail_plan_with = AgentError("planner refused")
    set_description(ds, s, 1, "changed")
    with pytest.raises(AgentError):
        await tm.commit(s)
    assert all(tm.phase_latency.count(p) == 1 for p in phases)
    await tm.stop()
