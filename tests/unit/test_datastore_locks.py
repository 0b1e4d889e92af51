"""RFC 6241 7.5/7.6 locks: owner session, lock-denied with the holder's id, in-use edits, session end."""

from __future__ import annotations

import pytest
from _ds_helpers import iface, interfaces

from agent.datastore.errors import DatastoreError, InUseError, LockDeniedError
from agent.datastore.session import Session
from agent.datastore.store import Datastores
from agent.model import load_model_set


@pytest.fixture
def ds() -> Datastores:
    return Datastores(load_model_set())


def two() -> tuple[Session, Session]:
    return Session.create("a", "netconf"), Session.create("b", "netconf")


def test_lock_denied_names_holder(ds: Datastores) -> None:
    a, b = two()
    ds.lock("running", a)
    with pytest.raises(LockDeniedError) as ei:
        ds.lock("running", b)
    assert ei.value.tag == "lock-denied"
    assert ei.value.details[0].info["session-id"] == str(a.id)
    with pytest.raises(LockDeniedError):
        ds.lock("running", a)  # a second lock by the holder is refused too


def test_locked_candidate_refuses_other_sessions_edits(ds: Datastores) -> None:
    a, b = two()
    ds.lock("candidate", a)
    with pytest.raises(InUseError) as ei:
        ds.edit_config("candidate", interfaces(iface("x")), session=b)
    assert ei.value.tag == "in-use" and ei.value.details[0].info["session-id"] == str(a.id)
    ds.edit_config("candidate", interfaces(iface("x")), session=a)
    with pytest.raises(InUseError):
        ds.discard_changes(b)
    with pytest.raises(InUseError):
        ds.prepare_commit(b)


def test_locked_running_refuses_other_commits(ds: Datastores) -> None:
    a, b = two()
    ds.edit_config("candidate", interfaces(iface("x")), session=b)
    ds.lock("running", a)
    with pytest.raises(InUseError):
        ds.prepare_commit(b)
    ds.unlock("running", a)
    ds.install(ds.prepare_commit(b))


def test_unlock_rules(ds: Datastores) -> None:
    a, b = two()
    with pytest.raises(DatastoreError) as ei:
        ds.unlock("candidate", a)
    assert ei.value.tag == "operation-failed"
    ds.lock("candidate", a)
    with pytest.raises(DatastoreError):
        ds.unlock("candidate", b)
    ds.unlock("candidate", a)
    ds.lock("candidate", b)


def test_candidate_lock_refused_while_another_session_has_changes(ds: Datastores) -> None:
    a, b = two()
    ds.edit_config("candidate", interfaces(iface("x")), session=a)
    assert ds.candidate_owner == a.id
    with pytest.raises(LockDeniedError) as ei:
        ds.lock("candidate", b)
    assert ei.value.details[0].info["session-id"] == str(a.id)
    ds.lock("candidate", a)  # the session that made the changes may lock


def test_session_end_releases_locks_and_discards_locked_candidate(ds: Datastores) -> None:
    a, b = two()
    ds.lock("candidate", a)
    ds.lock("startup", a)
    ds.edit_config("candidate", interfaces(iface("x")), session=a)
    ds.release_session(a)
    assert not ds.candidate_dirty and ds.pending_changes() == []
    ds.lock("candidate", b)
    ds.lock("startup", b)


def test_session_end_without_lock_keeps_shared_candidate(ds: Datastores) -> None:
    a, _b = two()
    ds.edit_config("candidate", interfaces(iface("x")), session=a)
    ds.release_session(a)
    assert ds.candidate_dirty


def test_operational_cannot_be_locked(ds: Datastores) -> None:
    a, _ = two()
    with pytest.raises(DatastoreError):
        ds.lock("operational", a)
