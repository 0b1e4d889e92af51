"""Checkpoints: the last N committed configurations, and rollback to one as a transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from _txn_helpers import (
    add_subifs,
    if_path,
    mirror_doc,
    running_doc,
    running_interfaces,
    set_description,
    start_manager,
    subif_name,
)

from agent.datastore.session import Session
from agent.errors import AgentError
from agent.txn.errors import TransactionError


async def test_rollback_to_each_checkpoint_restores_that_config(tmp_path: Path) -> None:
    ds, _journal, sb, tm = await start_manager(tmp_path)
    s = Session.create("alice", "netconf")
    add_subifs(ds, s, range(1, 4))
    await tm.commit(s, comment="base")
    configs = {1: running_doc(ds)}
    for i in range(2, 7):
        if i % 3 == 0:
            ds.edit_gnmi(
                "candidate", deletes=[if_path(subif_name(i // 3))], replaces=[], updates=[], session=s
            )
        else:
            add_subifs(ds, s, [10 + i])
            set_description(ds, s, 10 + i, f"rev {i}")
        rec = await tm.commit(s, comment=f"c{i}")
        configs[rec.id] = running_doc(ds)
    infos = tm.list_checkpoints()
    assert [c.id for c in infos] == [6, 5, 4, 3, 2, 1]
    assert infos[-1].comment == "base" and infos[0].user == "alice"
    for target in (3, 1, 5):
        rec = await tm.rollback(target, s, comment=f"back to {target}")
        assert rec.kind == "rollback" and rec.rollback_to == target
        assert running_doc(ds) == configs[target]
        assert mirror_doc(sb) == configs[target]
    assert tm.list_checkpoints()[0].id == rec.id  # a rollback is itself a checkpoint
    await tm.stop()


async def test_only_the_last_n_are_kept(tmp_path: Path) -> None:
    ds, _journal, _sb, tm = await start_manager(tmp_path, checkpoints=3)
    s = Session.create("alice", "netconf")
    add_subifs(ds, s, [1])
    await tm.commit(s)
    for i in range(6):
        set_description(ds, s, 1, f"v{i}")
        await tm.commit(s)
    assert [c.id for c in tm.list_checkpoints()] == [7, 6, 5]
    with pytest.raises(TransactionError) as err:
        await tm.rollback(2, s)
    assert err.value.tag == "invalid-value"
    with pytest.raises(TransactionError):
        await tm.rollback(99, s)
    await tm.rollback(5, s)
    assert running_interfaces(ds)[subif_name(1)]["description"] == "v3"
    await tm.stop()


async def test_checkpoints_survive_restart_and_snapshots(tmp_path: Path) -> None:
    ds, _journal, _sb0, tm = await start_manager(tmp_path, snapshot_every=3)
    s = Session.create("alice", "netconf")
    add_subifs(ds, s, [1, 2])
    await tm.commit(s)
    for i in range(8):
        set_description(ds, s, 1 + i % 2, f"v{i}")
        await tm.commit(s)
    assert any(p.name.startswith("snapshot-") for p in tmp_path.iterdir())
    await tm.stop()
    ds2, _j, _sb, tm2 = await start_manager(tmp_path, snapshot_every=3)
    assert [c.id for c in tm2.list_checkpoints()] == list(range(9, 0, -1))
    await tm2.rollback(2, s)
    ifs = running_interfaces(ds2)
    assert ifs[subif_name(1)]["description"] == "v0" and "description" not in ifs[subif_name(2)]
    await tm2.stop()


async def test_rollback_respects_locks_and_failures_leave_running(tmp_path: Path) -> None:
    ds, _journal, sb, tm = await start_manager(tmp_path)
    s = Session.create("alice", "netconf")
    other = Session.create("bob", "netconf")
    add_subifs(ds, s, [1])
    await tm.commit(s)
    set_description(ds, s, 1, "v")
    await tm.commit(s)
    ds.lock("running", other)
    with pytest.raises(AgentError) as err:
        await tm.rollback(1, s)
    assert err.value.tag == "in-use"
    ds.unlock("running", other)
    before = running_doc(ds)
    sb.fail_at = 0
    with pytest.raises(AgentError):
        await tm.rollback(1, s)
    assert running_doc(ds) == before and tm.last_commit_id == 2
    await tm.stop()
