"""The journal: framing, torn tails, damaged snapshots, group commit, startup file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from _txn_helpers import if_path, parent_entry, subif_entry, subif_name

from agent.datastore.changes import Change
from agent.datastore.journal import (
    STARTUP_FILE,
    STARTUP_PREV_FILE,
    CommitRecord,
    Journal,
    PersistenceError,
    frame,
    read_frames,
)
from agent.model import load_model_set

DESC = if_path(subif_name(1)) + "/description"


def rec(i: int) -> CommitRecord:
    return CommitRecord(id=i, time=float(i), user="u", origin="netconf", comment=f"c{i}", change_count=1)


def create_parent_and_one() -> list[Change]:
    return [
        Change("create", if_path(e["name"]), None, e)  # type: ignore[index]
        for e in (parent_entry(), subif_entry(1))
    ]


def desc(i: int) -> list[Change]:
    return [Change("modify" if i > 2 else "create", DESC, f"d{i - 1}" if i > 2 else None, f"d{i}")]


async def write_commits(j: Journal, upto: int, start: int = 1) -> None:
    for i in range(start, upto + 1):
        await j.append(rec(i), create_parent_and_one() if i == 1 else desc(i))


def loaded_description(running_json: str | None) -> str | None:
    doc = json.loads(running_json or "{}")
    for e in doc.get("ietf-interfaces:interfaces", {}).get("interface", []):
        if e["name"] == subif_name(1):
            return e.get("description")
    return None


def segment(d: Path) -> Path:
    return sorted(d.glob("journal-*.log"))[-1]


def test_frames_detect_truncation_and_bit_flips() -> None:
    data = frame(b"hello") + frame(b"world")
    assert read_frames(data) == ([b"hello", b"world"], None)
    payloads, err = read_frames(data[:-2])
    assert payloads == [b"hello"] and err is not None and "truncated" in err.reason
    flipped = bytearray(data)
    flipped[-1] ^= 0x01
    payloads, err = read_frames(bytes(flipped))
    assert payloads == [b"hello"] and err is not None and err.reason == "CRC mismatch"


async def test_replay_gives_the_last_commit(tmp_path: Path) -> None:
    model = load_model_set()
    j = Journal(tmp_path, model)
    assert j.load().last_commit_id == 0
    await write_commits(j, 5)
    await j.close()
    state = Journal(tmp_path, model).load()
    assert state.last_commit_id == 5 and loaded_description(state.running_json) == "d5"
    assert [r.id for r, _ in state.history] == [1, 2, 3, 4, 5] and state.problems == []


@pytest.mark.parametrize("cut", [1, 5, 13, 30])
async def test_torn_tail_is_dropped_reported_and_kept(tmp_path: Path, cut: int) -> None:
    model = load_model_set()
    j = Journal(tmp_path, model)
    j.load()
    await write_commits(j, 4)
    await j.close()
    seg = segment(tmp_path)
    size = seg.stat().st_size
    with open(seg, "ab") as fh:  # commit 5 was being written when the power went
        fh.write(frame(json.dumps({"record": rec(5).to_json(), "changes": []}).encode())[:cut])
    state = Journal(tmp_path, model).load()
    assert state.last_commit_id == 4 and loaded_description(state.running_json) == "d4"
    assert any("torn tail" in p for p in state.problems)
    assert seg.stat().st_size == size
    assert list(tmp_path.glob("journal-*.log.torn-*"))
    # appending continues cleanly after the cut
    j2 = Journal(tmp_path, model)
    j2.load()
    await j2.append(rec(5), desc(5))
    await j2.close()
    assert Journal(tmp_path, model).load().last_commit_id == 5


async def test_group_commit_shares_fsyncs(tmp_path: Path) -> None:
    j = Journal(tmp_path, load_model_set())
    j.load()
    await j.append(rec(1), create_parent_and_one())
    before = j.fsync_count
    # 20 commits written together, all waiting for durability at once
    for i in range(2, 22):
        j.write(rec(i), desc(i))
    await asyncio.gather(*(j.sync() for _ in range(20)))
    assert j.fsync_count - before == 1
    await j.close()
    assert Journal(tmp_path, load_model_set()).load().last_commit_id == 21


async def test_snapshot_rotation_keeps_previous_generation(tmp_path: Path) -> None:
    model = load_model_set()
    j = Journal(tmp_path, model)
    j.load()
    await write_commits(j, 3)
    for upto in (6, 9):
        await j.snapshot(_running_after(model, upto - 3), upto - 3, [])
        await write_commits(j, upto, start=upto - 2)
    await j.wait_snapshot()
    await j.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        f"journal-{3:020d}.log",
        f"journal-{6:020d}.log",
        f"snapshot-{3:020d}.snap",
        f"snapshot-{6:020d}.snap",
    ]
    state = Journal(tmp_path, model).load()
    assert state.last_commit_id == 9 and loaded_description(state.running_json) == "d9"


async def test_damaged_snapshot_falls_back_to_previous_one(tmp_path: Path) -> None:
    model = load_model_set()
    j = Journal(tmp_path, model)
    j.load()
    await write_commits(j, 3)
    await j.snapshot(_running_after(model, 3), 3, [])
    await write_commits(j, 6, start=4)
    await j.snapshot(_running_after(model, 6), 6, [])
    await write_commits(j, 8, start=7)
    await j.close()
    newest = tmp_path / f"snapshot-{6:020d}.snap"
    data = bytearray(newest.read_bytes())
    data[len(data) // 2] ^= 0xFF
    newest.write_bytes(bytes(data))
    state = Journal(tmp_path, model).load()
    assert state.last_commit_id == 8 and loaded_description(state.running_json) == "d8"
    assert any("damaged" in p for p in state.problems)
    assert list(tmp_path.glob("snapshot-*.snap.corrupt-*"))  # kept for inspection


async def test_damage_with_no_good_copy_refuses_to_start_empty(tmp_path: Path) -> None:
    model = load_model_set()
    j = Journal(tmp_path, model)
    j.load()
    await write_commits(j, 3)
    await j.snapshot(_running_after(model, 3), 3, [])
    await write_commits(j, 5, start=4)
    await j.wait_snapshot()
    await j.close()
    (tmp_path / f"journal-{0:020d}.log").unlink()  # only one snapshot generation exists now
    snap = tmp_path / f"snapshot-{3:020d}.snap"
    snap.write_bytes(snap.read_bytes()[:-10])
    with pytest.raises(PersistenceError) as err:
        Journal(tmp_path, model).load()
    assert "refusing to start with an empty configuration" in str(err.value)


async def test_damage_in_the_middle_of_the_chain_is_not_a_torn_tail(tmp_path: Path) -> None:
    model = load_model_set()
    j = Journal(tmp_path, model)
    j.load()
    await write_commits(j, 3)
    await j.snapshot(_running_after(model, 3), 3, [])
    await write_commits(j, 5, start=4)
    await j.wait_snapshot()
    await j.close()
    (tmp_path / f"snapshot-{3:020d}.snap").unlink()
    first = tmp_path / f"journal-{0:020d}.log"
    data = bytearray(first.read_bytes())
    data[20] ^= 0xFF
    first.write_bytes(bytes(data))
    with pytest.raises(PersistenceError):
        Journal(tmp_path, model).load()
    j2 = Journal(tmp_path, model)
    state = j2.load(recover_partial=True)
    assert state.last_commit_id == 0 and any("recover_partial" in p for p in state.problems)
    assert list(tmp_path.glob("journal-*.log.abandoned-*")) and list(tmp_path.glob("journal-*.log.damaged-*"))
    # the operator-approved recovery is a consistent chain again: appends and reloads work
    await write_commits(j2, 2)
    await j2.close()
    state = Journal(tmp_path, model).load()
    assert state.last_commit_id == 2 and loaded_description(state.running_json) == "d2" and not state.problems


def test_startup_is_its_own_file_with_a_previous_copy(tmp_path: Path) -> None:
    model = load_model_set()
    j = Journal(tmp_path, model)
    j.load()
    doc_a = json.dumps({"ietf-interfaces:interfaces": {"interface": [parent_entry()]}})
    doc_b = json.dumps({"ietf-interfaces:interfaces": {"interface": []}})
    j.save_startup(doc_a)
    j.save_startup(doc_b)
    assert Journal(tmp_path, model).load().startup_json == doc_b
    cur = tmp_path / STARTUP_FILE
    cur.write_bytes(cur.read_bytes()[:-3])
    state = Journal(tmp_path, model).load()
    assert state.startup_json == doc_a and any("previous startup" in p for p in state.problems)
    (tmp_path / STARTUP_PREV_FILE).write_bytes(b"garbage")
    with pytest.raises(PersistenceError):
        Journal(tmp_path, model).load()


def _running_after(model: object, n: int) -> str:  # model unused: the JSON is built by hand
    """The configuration after ``n`` commits of this file's sequence, as the manager would snapshot it."""
    doc = {"ietf-interfaces:interfaces": {"interface": [parent_entry(), subif_entry(1)]}}
    if n >= 2:
        doc["ietf-interfaces:interfaces"]["interface"][1]["description"] = f"d{n}"
    return json.dumps(doc)


async def test_a_record_that_cannot_be_replayed_stops_the_load(tmp_path: Path) -> None:
    model = load_model_set()
    j = Journal(tmp_path, model)
    j.load()
    await write_commits(j, 2)
    await j.append(rec(3), [Change("create", "/ietf-interfaces:interfaces/no-such-node", None, {})])
    await j.close()
    with pytest.raises(PersistenceError) as err:
        Journal(tmp_path, model).load()
    assert "commit 3" in str(err.value)
