"""Long libyang work runs off the event loop without breaking datastore invariants.

The tests do not race clocks: the worker-thread step is held open on a ``threading.Event`` that only the
concurrent reader sets once its read is done. If the step ran on the event loop, the reader could not
run until the hold timed out, and the recorded order would be commit-then-read.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from _txn_helpers import IFS, add_subifs, if_path, running_interfaces, start_manager, subif_name
from lxml import etree

from agent.datastore import store as storemod
from agent.datastore.errors import InUseError
from agent.datastore.session import Session
from agent.errors import ValidationError

HOLD_S = 20.0  # upper bound on how long the worker step waits for the reader


class Gate:
    """Holds a worker-thread step until the test's reader has finished."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.released_in_time: bool | None = None

    def hold(self) -> None:
        self.started.set()
        self.released_in_time = self.release.wait(HOLD_S)

    async def wait_started(self) -> None:
        for _ in range(int(HOLD_S / 0.005)):
            if self.started.is_set():
                return
            await asyncio.sleep(0.005)
        raise AssertionError("the worker step never started")


def names_in(text: str) -> set[str]:
    doc = json.loads(text or "{}")
    return {e["name"] for e in doc.get("ietf-interfaces:interfaces", {}).get("interface", [])}


async def test_running_read_completes_while_a_commit_validates(tmp_path: Path) -> None:
    ds, _journal, _sb, tm = await start_manager(tmp_path)
    s = Session.create("alice", "netconf")
    add_subifs(ds, s, range(1, 3))
    await tm.commit(s)
    add_subifs(ds, s, range(3, 400))
    gate = Gate()
    real = ds._prepare_validated

    def held(*args: Any, **kwargs: Any) -> Any:
        gate.hold()
        return real(*args, **kwargs)

    ds._prepare_validated = held  # type: ignore[method-assign]
    order: list[str] = []
    seen: dict[str, set[str]] = {}

    async def committer() -> None:
        await tm.commit(s)
        order.append("commit")

    async def reader() -> None:
        await gate.wait_started()
        seen["sync"] = names_in(ds.read("running", fmt="json"))
        seen["async"] = names_in(await ds.read_async("running", fmt="json"))
        order.append("read")
        gate.release.set()

    await asyncio.wait_for(asyncio.gather(committer(), reader()), timeout=2 * HOLD_S)
    assert order == ["read", "commit"]
    assert gate.released_in_time is True
    # the reader saw the configuration committed before (readers keep the tree they started with) ...
    assert subif_name(1) in seen["sync"] and subif_name(3) not in seen["sync"]
    assert seen["async"] == seen["sync"]
    # ... and the commit then landed completely
    assert {subif_name(3), subif_name(399)} <= set(running_interfaces(ds))
    await tm.stop()


async def test_candidate_edit_during_validation_survives_the_commit(tmp_path: Path) -> None:
    """The commit validates a private copy: an edit made meanwhile is not lost and not committed."""
    ds, _journal, _sb, tm = await start_manager(tmp_path)
    s = Session.create("alice", "netconf")
    add_subifs(ds, s, range(1, 50))
    gate = Gate()
    real = ds._prepare_validated

    def held(*args: Any, **kwargs: Any) -> Any:
        gate.hold()
        return real(*args, **kwargs)

    ds._prepare_validated = held  # type: ignore[method-assign]
    desc = if_path(subif_name(7)) + "/description"

    async def editor() -> None:
        await gate.wait_started()
        ds.edit_gnmi("candidate", deletes=[], replaces=[], updates=[(desc, "late")], session=s)
        gate.release.set()

    await asyncio.wait_for(asyncio.gather(tm.commit(s), editor()), timeout=2 * HOLD_S)
    assert gate.released_in_time is True
    assert subif_name(49) in running_interfaces(ds)
    assert "description" not in running_interfaces(ds)[subif_name(7)]
    assert ds.candidate_dirty
    assert [c.path for c in ds.pending_changes()] == [desc]
    await tm.commit(s)
    assert running_interfaces(ds)[subif_name(7)]["description"] == "late"
    assert not ds.candidate_dirty
    await tm.stop()


def _config(names: list[str]) -> etree._Element:
    nc = "urn:ietf:params:xml:ns:netconf:base:1.0"
    ifs = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
    ift = "urn:ietf:params:xml:ns:yang:iana-if-type"
    body = "".join(
        f'<interface><name>{n}</name><type xmlns:ianaift="{ift}">ianaift:ethernetCsmacd</type></interface>'
        for n in names
    )
    return etree.fromstring(f'<config xmlns="{nc}"><interfaces xmlns="{ifs}">{body}</interfaces></config>')


async def test_async_edit_runs_off_loop_and_locks_out_sync_candidate_access(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds, _journal, _sb, tm = await start_manager(tmp_path)
    s = Session.create("alice", "netconf")
    gate = Gate()
    real = storemod._run_edit

    def held(*args: Any, **kwargs: Any) -> Any:
        gate.hold()
        return real(*args, **kwargs)

    monkeypatch.setattr(storemod, "_run_edit", held)
    order: list[str] = []
    refused: list[str] = []

    async def edit() -> None:
        await ds.edit_config_async("candidate", _config([f"eth{i}" for i in range(300)]), session=s)
        order.append("edit")

    async def other_session() -> None:
        await gate.wait_started()
        ds.read("running", fmt="json")  # running is never blocked
        for attempt in (
            lambda: ds.read("candidate", fmt="json"),
            lambda: ds.edit_gnmi("candidate", deletes=[], replaces=[], updates=[], session=s),
        ):
            try:
                attempt()
            except InUseError as exc:
                refused.append(exc.tag)
        order.append("read")
        gate.release.set()

    async def async_reader() -> None:
        await gate.wait_started()
        text = await ds.read_async("candidate", fmt="json", xpath=f"{IFS}/interface/name")
        order.append("candidate-read")
        assert len(names_in(text)) == 300  # waited for the edit, then saw all of it

    await asyncio.wait_for(asyncio.gather(edit(), other_session(), async_reader()), timeout=2 * HOLD_S)
    assert order == ["read", "edit", "candidate-read"]
    assert refused == ["in-use", "in-use"]
    assert ds.candidate_dirty
    await tm.stop()


async def test_discard_during_async_edit_drops_the_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds, _journal, _sb, tm = await start_manager(tmp_path)
    s = Session.create("alice", "netconf")
    add_subifs(ds, s, range(1, 3))
    await tm.commit(s)
    ds.edit_gnmi(
        "candidate",
        deletes=[],
        replaces=[],
        updates=[(if_path(subif_name(1)) + "/description", "x")],
        session=s,
    )
    gate = Gate()
    real = storemod._run_edit

    def held(*args: Any, **kwargs: Any) -> Any:
        gate.hold()
        return real(*args, **kwargs)

    monkeypatch.setattr(storemod, "_run_edit", held)

    async def discard() -> None:
        await gate.wait_started()
        ds.discard_changes(s)
        gate.release.set()

    results = await asyncio.wait_for(
        asyncio.gather(
            ds.edit_config_async("candidate", _config([f"eth{i}" for i in range(100)]), session=s), discard()
        ),
        timeout=2 * HOLD_S,
    )
    assert results[0].changed is False
    assert not ds.candidate_dirty and ds.pending_changes() == []
    assert "eth0" not in names_in(ds.read("candidate", fmt="json"))
    await tm.stop()


async def test_async_validate_reports_errors_without_touching_the_candidate(tmp_path: Path) -> None:
    ds, _journal, _sb, tm = await start_manager(tmp_path)
    s = Session.create("alice", "netconf")
    add_subifs(ds, s, range(1, 5))
    await ds.validate_async("candidate")
    # a sub-interface whose parent does not exist breaks a leafref
    bad = {
        "name": "Missing0.5",
        "type": "iana-if-type:l2vlan",
        "bng-interfaces:sub-interface": {"parent-interface": "Missing0", "sub-id": 5},
    }
    ds.edit_gnmi("candidate", deletes=[], replaces=[], updates=[(IFS, {"interface": [bad]})], session=s)
    mid = ds.read("candidate", fmt="json")
    with pytest.raises(ValidationError):
        await ds.validate_async("candidate")
    assert ds.read("candidate", fmt="json") == mid  # validated a copy
    await tm.stop()


async def test_discard_during_validation_commits_what_was_issued(tmp_path: Path) -> None:
    """A discard that arrives while the commit validates behaves as if it came after the commit."""
    ds, _journal, _sb, tm = await start_manager(tmp_path)
    s = Session.create("alice", "netconf")
    # enough interfaces that validation goes to a worker (a change to small modules is validated on
    # the loop, where no discard can interleave)
    add_subifs(ds, s, range(1, 200))
    gate = Gate()
    real = ds._prepare_validated

    def held(*args: Any, **kwargs: Any) -> Any:
        gate.hold()
        return real(*args, **kwargs)

    ds._prepare_validated = held  # type: ignore[method-assign]

    async def discarder() -> None:
        await gate.wait_started()
        ds.discard_changes(s)
        gate.release.set()

    await asyncio.wait_for(asyncio.gather(tm.commit(s), discarder()), timeout=2 * HOLD_S)
    assert gate.released_in_time is True  # the discard really ran while the commit was validating
    assert subif_name(199) in running_interfaces(ds)
    assert not ds.candidate_dirty and ds.pending_changes() == []
    assert names_in(ds.read("candidate", fmt="json")) == set(running_interfaces(ds))
    desc = if_path(subif_name(3)) + "/description"
    ds.edit_gnmi("candidate", deletes=[], replaces=[], updates=[(desc, "next")], session=s)
    assert [c.path for c in ds.pending_changes()] == [desc]
    await tm.stop()


async def test_large_gnmi_set_on_running_is_parsed_off_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds, _journal, _sb, tm = await start_manager(tmp_path)
    s = Session.create("alice", "gnmi")
    add_subifs(ds, s, range(1, 3))
    await tm.commit(s)
    gate = Gate()
    real = storemod.apply_gnmi_edit  # type: ignore[attr-defined]

    def held(*args: Any, **kwargs: Any) -> Any:
        gate.hold()
        return real(*args, **kwargs)

    monkeypatch.setattr(storemod, "apply_gnmi_edit", held)
    entries = [{"name": f"eth{i}", "type": "iana-if-type:ethernetCsmacd"} for i in range(150)]
    order: list[str] = []
    seen: set[str] = set()

    async def setter() -> None:
        await tm.edit_running_gnmi(s, updates=[(IFS, {"interface": entries})])
        order.append("set")

    async def reader() -> None:
        await gate.wait_started()
        seen.update(names_in(await ds.read_async("running", fmt="json")))
        order.append("read")
        gate.release.set()

    await asyncio.wait_for(asyncio.gather(setter(), reader()), timeout=2 * HOLD_S)
    assert order == ["read", "set"]
    assert subif_name(1) in seen and "eth0" not in seen
    assert {"eth0", "eth149", subif_name(2)} <= set(running_interfaces(ds))
    await tm.stop()
