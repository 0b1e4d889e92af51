"""gNMI Set semantics on the datastore: deletes, then replaces, then updates; all or nothing."""

from __future__ import annotations

import json

import pytest
from _ds_helpers import IFP

from agent.datastore.errors import EditError
from agent.datastore.session import Session
from agent.datastore.store import Datastores
from agent.model import load_model_set


@pytest.fixture
def ds() -> Datastores:
    return Datastores(load_model_set())


@pytest.fixture
def sess() -> Session:
    return Session.create("gnmi-user", "gnmi")


def entry(name: str, **extra: object) -> dict[str, object]:
    return {"name": name, "type": "iana-if-type:ethernetCsmacd", **extra}


def read(ds: Datastores) -> dict:
    return json.loads(ds.read("candidate", fmt="json")).get("ietf-interfaces:interfaces", {})


def by_name(ds: Datastores) -> dict[str, dict]:
    return {i["name"]: i for i in read(ds).get("interface", [])}


def test_update_merges_and_replace_overwrites(ds: Datastores, sess: Session) -> None:
    p1 = f"{IFP}/interface[name='e1']"
    ds.edit_gnmi(
        "candidate", deletes=[], replaces=[], session=sess, updates=[(p1, entry("e1", description="a"))]
    )
    ds.edit_gnmi("candidate", deletes=[], replaces=[], session=sess, updates=[(p1, {"enabled": False})])
    assert by_name(ds)["e1"]["description"] == "a" and by_name(ds)["e1"]["enabled"] is False
    ds.edit_gnmi("candidate", deletes=[], updates=[], session=sess, replaces=[(p1, entry("e1"))])
    assert "description" not in by_name(ds)["e1"]  # replace removed what the value did not mention


def test_order_is_delete_replace_update(ds: Datastores, sess: Session) -> None:
    p1 = f"{IFP}/interface[name='e1']"
    ds.edit_gnmi(
        "candidate", deletes=[], replaces=[], updates=[(p1, entry("e1", description="old"))], session=sess
    )
    # the delete runs first, so the update recreates the entry instead of being deleted
    ds.edit_gnmi(
        "candidate",
        deletes=[p1],
        replaces=[(f"{IFP}/interface[name='e2']", entry("e2"))],
        updates=[(p1, entry("e1", description="new"))],
        session=sess,
    )
    got = by_name(ds)
    assert got["e1"]["description"] == "new" and "e2" in got


def test_delete_of_missing_path_is_accepted(ds: Datastores, sess: Session) -> None:
    res = ds.edit_gnmi(
        "candidate", deletes=[f"{IFP}/interface[name='nope']"], replaces=[], updates=[], session=sess
    )
    assert not res.changed and not ds.candidate_dirty


def test_leaf_update_and_leaf_delete(ds: Datastores, sess: Session) -> None:
    p1 = f"{IFP}/interface[name='e1']"
    ds.edit_gnmi("candidate", deletes=[], replaces=[], updates=[(p1, entry("e1"))], session=sess)
    ds.edit_gnmi("candidate", deletes=[], replaces=[], updates=[(p1 + "/description", "hello")], session=sess)
    assert by_name(ds)["e1"]["description"] == "hello"
    ds.edit_gnmi("candidate", deletes=[p1 + "/description"], replaces=[], updates=[], session=sess)
    assert "description" not in by_name(ds)["e1"]


def test_all_or_nothing(ds: Datastores, sess: Session) -> None:
    p1 = f"{IFP}/interface[name='e1']"
    ds.edit_gnmi(
        "candidate", deletes=[], replaces=[], updates=[(p1, entry("e1", description="keep"))], session=sess
    )
    before = ds.read("candidate", fmt="json")
    with pytest.raises(EditError) as ei:
        ds.edit_gnmi(
            "candidate",
            deletes=[p1 + "/description"],
            replaces=[(f"{IFP}/interface[name='e2']", entry("e2"))],
            updates=[(p1 + "/enabled", "not-a-boolean")],
            session=sess,
        )
    assert ei.value.tag == "invalid-value"
    assert ei.value.grpc_code == "INVALID_ARGUMENT"
    assert ds.read("candidate", fmt="json") == before


def test_unknown_path_is_reported(ds: Datastores, sess: Session) -> None:
    with pytest.raises(EditError) as ei:
        ds.edit_gnmi(
            "candidate",
            deletes=[],
            replaces=[],
            updates=[(f"{IFP}/interface[name='e1']/bogus", 1)],
            session=sess,
        )
    assert ei.value.tag == "unknown-element"
    assert not ds.candidate_dirty


def test_key_mismatch_between_path_and_value(ds: Datastores, sess: Session) -> None:
    with pytest.raises(EditError) as ei:
        ds.edit_gnmi(
            "candidate",
            deletes=[],
            replaces=[(f"{IFP}/interface[name='e1']", entry("e9"))],
            updates=[],
            session=sess,
        )
    assert ei.value.tag == "invalid-value"


def test_root_update_with_module_qualified_members(ds: Datastores, sess: Session) -> None:
    value = {"ietf-interfaces:interfaces": {"interface": [entry("r1"), entry("r2", description="x")]}}
    ds.edit_gnmi("candidate", deletes=[], replaces=[], updates=[("/", value)], session=sess)
    assert set(by_name(ds)) == {"r1", "r2"}
    changes = ds.pending_changes()
    assert {c.path for c in changes} == {f"{IFP}/interface[name='r1']", f"{IFP}/interface[name='r2']"}


def test_replace_of_a_large_subtree_creates_every_entry(ds: Datastores, sess: Session) -> None:
    entries = [entry(f"x{i}", description=f"d{i}") for i in range(500)]
    ds.edit_gnmi("candidate", deletes=[], replaces=[(IFP, {"interface": entries})], updates=[], session=sess)
    got = by_name(ds)
    assert len(got) == 500 and got["x499"]["description"] == "d499"
    prepared = ds.prepare_commit(sess)
    assert len([c for c in prepared.changes if c.op == "create"]) == 500


def test_entry_value_without_keys_takes_them_from_the_path(ds: Datastores, sess: Session) -> None:
    value = {"type": "iana-if-type:ethernetCsmacd", "description": "k"}
    ds.edit_gnmi(
        "candidate", deletes=[], replaces=[(f"{IFP}/interface[name='k1']", value)], updates=[], session=sess
    )
    assert by_name(ds)["k1"]["description"] == "k"
