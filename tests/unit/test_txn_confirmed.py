"""Confirmed commit (RFC 6241 8.4, :confirmed-commit:1.1) with short timeouts."""

from __future__ import annotations

import asyncio
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
from agent.txn.errors import ConfirmedCommitError


async def wait_until(cond: object, timeout: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():  # type: ignore[operator]
        assert loop.time() < end, "condition not reached in time"
        await asyncio.sleep(0.01)


async def base(tmp_path: Path):  # type: ignore[no-untyped-def]
    ds, journal, sb, tm = await start_manager(tmp_path)
    admin = Session.create("admin", "netconf")
    add_subifs(ds, admin, range(1, 3))
    await tm.commit(admin)
    return ds, journal, sb, tm, admin


async def test_timeout_rolls_back_through_the_southbound(tmp_path: Path) -> None:
    ds, _journal, sb, tm, s = await base(tmp_path)
    before = running_doc(ds)
    events = tm.subscribe()
    set_description(ds, s, 1, "tentative")
    rec = await tm.commit(s, confirmed=True, confirm_timeout=0.2)
    assert rec.confirmed and tm.confirmed_commit_pending
    assert running_interfaces(ds)[subif_name(1)]["description"] == "tentative"
    await wait_until(lambda: not tm.confirmed_commit_pending)
    assert running_doc(ds) == before
    assert mirror_doc(sb) == before  # the revert went through the data plane too
    assert not ds.candidate_dirty
    evs = [await asyncio.wait_for(events.__anext__(), 1) for _ in range(2)]
    assert [e.record.kind for e in evs] == ["commit", "revert"]
    assert evs[1].record.rollback_to == 1
    await tm.stop()


async def test_confirming_commit_keeps_the_change(tmp_path: Path) -> None:
    ds, _journal, _sb, tm, s = await base(tmp_path)
    set_description(ds, s, 1, "keep me")
    await tm.commit(s, confirmed=True, confirm_timeout=0.3)
    rec = await tm.confirm(s)
    assert not rec.confirmed and not tm.confirmed_commit_pending
    await asyncio.sleep(0.45)
    assert running_interfaces(ds)[subif_name(1)]["description"] == "keep me"
    await tm.stop()


async def test_cancel_commit_rolls_back_now(tmp_path: Path) -> None:
    ds, _journal, sb, tm, s = await base(tmp_path)
    before = running_doc(ds)
    set_description(ds, s, 2, "no")
    await tm.commit(s, confirmed=True, confirm_timeout=60)
    rec = await tm.cancel_commit(s)
    assert rec.kind == "revert"
    assert running_doc(ds) == before and mirror_doc(sb) == before
    with pytest.raises(ConfirmedCommitError) as err:
        await tm.cancel_commit(s)
    assert err.value.tag == "operation-failed"
    await tm.stop()


async def test_follow_up_confirmed_commit_extends_and_reverts_to_first_base(tmp_path: Path) -> None:
    ds, _journal, _sb, tm, s = await base(tmp_path)
    before = running_doc(ds)
    set_description(ds, s, 1, "one")
    await tm.commit(s, confirmed=True, confirm_timeout=0.25)
    await asyncio.sleep(0.15)
    set_description(ds, s, 2, "two")
    await tm.commit(s, confirmed=True, confirm_timeout=0.3)  # resets the timer
    await asyncio.sleep(0.2)  # past the first deadline
    assert tm.confirmed_commit_pending
    assert running_interfaces(ds)[subif_name(2)]["description"] == "two"
    await wait_until(lambda: not tm.confirmed_commit_pending)
    assert running_doc(ds) == before  # both follow-ups undone
    await tm.stop()


async def test_other_session_cannot_confirm_or_cancel_without_persist(tmp_path: Path) -> None:
    ds, _journal, _sb, tm, s = await base(tmp_path)
    other = Session.create("eve", "netconf")
    set_description(ds, s, 1, "mine")
    await tm.commit(s, confirmed=True, confirm_timeout=60)
    with pytest.raises(ConfirmedCommitError) as err:
        await tm.commit(other)
    assert err.value.tag == "in-use" and err.value.details[0].info["session-id"] == str(s.id)
    with pytest.raises(ConfirmedCommitError) as err:
        await tm.cancel_commit(other)
    assert err.value.tag == "in-use"
    with pytest.raises(ConfirmedCommitError) as err:
        await tm.commit(s, persist_id="guess")
    assert err.value.tag == "invalid-value"
    await tm.confirm(s)
    await tm.stop()


async def test_persist_survives_session_end_and_is_confirmed_from_another_session(tmp_path: Path) -> None:
    ds, _journal, _sb, tm, s = await base(tmp_path)
    set_description(ds, s, 1, "persisted")
    await tm.commit(s, confirmed=True, confirm_timeout=60, persist="tok-1")
    assert tm.session_ended(s) is None
    ds.release_session(s)
    assert tm.confirmed_commit_pending
    later = Session.create("admin", "netconf")
    with pytest.raises(ConfirmedCommitError) as err:
        await tm.commit(later)
    assert err.value.tag == "missing-element"
    with pytest.raises(ConfirmedCommitError) as err:
        await tm.commit(later, persist_id="tok-2")
    assert err.value.tag == "invalid-value"
    await tm.commit(later, persist_id="tok-1")
    assert not tm.confirmed_commit_pending
    assert running_interfaces(ds)[subif_name(1)]["description"] == "persisted"
    await tm.stop()


async def test_persist_cancel_from_another_session(tmp_path: Path) -> None:
    ds, _journal, _sb, tm, s = await base(tmp_path)
    before = running_doc(ds)
    set_description(ds, s, 1, "x")
    await tm.commit(s, confirmed=True, persist="abc")
    other = Session.create("ops", "netconf")
    with pytest.raises(ConfirmedCommitError):
        await tm.cancel_commit(other)
    await tm.cancel_commit(other, persist_id="abc")
    assert running_doc(ds) == before
    await tm.stop()


async def test_session_drop_rolls_back_without_persist(tmp_path: Path) -> None:
    ds, _journal, sb, tm, s = await base(tmp_path)
    before = running_doc(ds)
    set_description(ds, s, 1, "gone with the session")
    await tm.commit(s, confirmed=True, confirm_timeout=60)
    bystander = Session.create("other", "gnmi")
    assert tm.session_ended(bystander) is None
    fut = tm.session_ended(s)
    assert fut is not None
    rec = await asyncio.wait_for(fut, 2)
    assert rec.kind == "revert"
    assert running_doc(ds) == before and mirror_doc(sb) == before
    await tm.stop()


async def test_restart_before_confirmation_restores_previous_config(tmp_path: Path) -> None:
    ds, _journal, _sb, tm, s = await base(tmp_path)
    before = running_interfaces(ds)
    set_description(ds, s, 1, "unconfirmed")
    await tm.commit(s, confirmed=True, confirm_timeout=60, persist="p")
    await tm.stop()  # as if the box rebooted
    ds2, _j, _sb2, tm2 = await start_manager(tmp_path)
    assert not tm2.confirmed_commit_pending
    assert running_interfaces(ds2) == before
    assert tm2.list_checkpoints()[0].kind == "revert"
    await tm2.stop()
    ds3, _j3, _sb3, tm3 = await start_manager(tmp_path)  # and it stays reverted
    assert running_interfaces(ds3) == before and not tm3.confirmed_commit_pending
    await tm3.stop()


async def test_confirmed_state_survives_restart_after_confirmation(tmp_path: Path) -> None:
    ds, _journal, _sb0, tm, s = await base(tmp_path)
    set_description(ds, s, 1, "confirmed")
    await tm.commit(s, confirmed=True, confirm_timeout=60)
    await tm.confirm(s)
    await tm.stop()
    ds2, _j, _sb, tm2 = await start_manager(tmp_path)
    assert running_interfaces(ds2)[subif_name(1)]["description"] == "confirmed"
    await tm2.stop()


async def test_writable_running_edit_during_confirmed_commit_is_reverted_too(tmp_path: Path) -> None:
    ds, _journal, _sb, tm, s = await base(tmp_path)
    before = running_doc(ds)
    set_description(ds, s, 1, "a")
    await tm.commit(s, confirmed=True, confirm_timeout=60)

    await tm.edit_running_gnmi(s, updates=[(if_path(subif_name(2)) + "/description", "b")])
    assert tm.confirmed_commit_pending
    await tm.cancel_commit(s)
    assert running_doc(ds) == before
    await tm.stop()


async def test_running_edit_during_persistent_confirmed_commit_needs_the_token(tmp_path: Path) -> None:
    ds, _journal, _sb, tm, s = await base(tmp_path)
    before = running_doc(ds)
    set_description(ds, s, 1, "a")
    await tm.commit(s, confirmed=True, confirm_timeout=60, persist="tok")
    path = if_path(subif_name(2)) + "/description"
    with pytest.raises(ConfirmedCommitError) as err:
        await tm.edit_running_gnmi(s, updates=[(path, "b")])
    assert err.value.tag == "missing-element"
    _res, rec = await tm.edit_running_gnmi(s, updates=[(path, "b")], persist_id="tok")
    assert rec is not None and rec.confirmed
    await tm.cancel_commit(s, persist_id="tok")
    assert running_doc(ds) == before
    await tm.stop()
