"""Candidate -> running: tracked changes, validation with libyang's paths, immutable running, memory."""

from __future__ import annotations

import gc
import json

import pytest
from _ds_helpers import BNGIF, IFP, addr, iface, interfaces, subif

from agent.datastore.diff import apply_changes, diff_trees
from agent.datastore.errors import DatastoreError
from agent.datastore.session import Session
from agent.datastore.store import Datastores
from agent.datastore.tree import DataTree
from agent.errors import ValidationError
from agent.model import load_model_set


@pytest.fixture
def ds() -> Datastores:
    return Datastores(load_model_set())


@pytest.fixture
def sess() -> Session:
    return Session.create("a", "netconf")


def commit(ds: Datastores, s: Session) -> None:
    ds.install(ds.prepare_commit(s))


def test_pending_changes_are_per_entry_and_per_leaf(ds: Datastores, sess: Session) -> None:
    ds.edit_config("candidate", interfaces(iface("Gi0") + subif("Gi0", 100, addr("10.0.0.1"))), session=sess)
    commit(ds, sess)
    ds.edit_config(
        "candidate",
        interfaces(
            "<interface><name>Gi0.100</name><description>cust</description></interface>" + iface("Gi1")
        ),
        session=sess,
    )
    got = {(c.op, c.path): c for c in ds.pending_changes()}
    assert set(got) == {
        ("create", f"{IFP}/interface[name='Gi0.100']/description"),
        ("create", f"{IFP}/interface[name='Gi1']"),
    }
    assert got[("create", f"{IFP}/interface[name='Gi0.100']/description")].new == "cust"
    assert got[("create", f"{IFP}/interface[name='Gi1']")].new["type"] == "iana-if-type:ethernetCsmacd"


def test_leaf_back_to_default_is_a_modify_with_the_effective_value(ds: Datastores, sess: Session) -> None:
    ds.edit_config("candidate", interfaces(iface("e1", "<enabled>false</enabled>")), session=sess)
    commit(ds, sess)
    ds.edit_config(
        "candidate",
        interfaces('<interface><name>e1</name><enabled nc:operation="delete"/></interface>'),
        session=sess,
    )
    prepared = ds.prepare_commit(sess)
    assert [(c.op, c.old, c.new) for c in prepared.changes] == [("modify", False, True)]


def test_must_violation_reports_libyang_path(ds: Datastores, sess: Session) -> None:
    wrong = iface("Gi0") + subif("Gi0", 100).replace("<name>Gi0.100</name>", "<name>Gi0.7</name>")
    ds.edit_config("candidate", interfaces(wrong), session=sess)
    with pytest.raises(ValidationError) as ei:
        ds.prepare_commit(sess)
    assert ei.value.tag == "operation-failed" and ei.value.details[0].app_tag == "must-violation"
    assert ei.value.path == f"{IFP}/interface[name='Gi0.7']/bng-interfaces:sub-interface"
    assert "named" in ei.value.message
    with pytest.raises(ValidationError):
        ds.validate("candidate")
    assert ds.running.json() == "{}" or "Gi0.7" not in ds.running.json()


def test_leafref_to_missing_parent_is_data_missing(ds: Datastores, sess: Session) -> None:
    ds.edit_config("candidate", interfaces(subif("Gi9", 5)), session=sess)
    with pytest.raises(ValidationError) as ei:
        ds.validate("candidate")
    assert ei.value.tag == "data-missing" and ei.value.details[0].app_tag == "instance-required"
    assert ei.value.path == f"{IFP}/interface[name='Gi9.5']/bng-interfaces:sub-interface/parent-interface"


def test_mandatory_missing(ds: Datastores, sess: Session) -> None:
    ds.edit_config("candidate", interfaces("<interface><name>e1</name></interface>"), session=sess)
    with pytest.raises(ValidationError) as ei:
        ds.prepare_commit(sess)
    assert ei.value.tag == "data-missing" and "type" in (ei.value.path or "")


def test_validate_lxml_config_without_touching_datastores(ds: Datastores) -> None:
    ds.validate(interfaces(iface("Gi0") + subif("Gi0", 10)))
    with pytest.raises(ValidationError):
        ds.validate(interfaces(subif("Gi0", 10)))
    assert ds.read("candidate") == ""


def test_readers_keep_the_running_they_started_with(ds: Datastores, sess: Session) -> None:
    ds.edit_config("candidate", interfaces(iface("e1")), session=sess)
    commit(ds, sess)
    view = ds.running
    before = view.print("json")
    for i in range(3):
        ds.edit_config("candidate", interfaces(iface(f"n{i}")), session=sess)
        commit(ds, sess)
    assert view.print("json") == before
    assert view.generation < ds.running.generation
    assert len(json.loads(ds.running.print("json"))["ietf-interfaces:interfaces"]["interface"]) == 4


def test_failed_prepare_changes_nothing(ds: Datastores, sess: Session) -> None:
    ds.edit_config("candidate", interfaces("<interface><name>bad</name></interface>"), session=sess)
    cand = ds.read("candidate", fmt="json")
    with pytest.raises(ValidationError):
        ds.prepare_commit(sess)
    assert ds.read("candidate", fmt="json") == cand and ds.running.json() == "{}"


def test_prepared_but_not_installed_leaves_running_and_candidate(ds: Datastores, sess: Session) -> None:
    ds.edit_config("candidate", interfaces(iface("e1")), session=sess)
    prepared = ds.prepare_commit(sess)
    assert [c.op for c in prepared.changes] == ["create"]
    ds.edit_config("candidate", interfaces(iface("e2")), session=sess)  # edit after prepare: copy-on-write
    assert "e1" not in ds.running.json()
    ds.install(prepared)
    assert "e1" in ds.running.json() and "e2" not in ds.running.json()
    assert [c.path for c in ds.pending_changes()] == [f"{IFP}/interface[name='e2']"]
    with pytest.raises(DatastoreError):
        ds.install(prepared)  # stale: running moved on


def test_running_edit_goes_through_prepare_and_install(ds: Datastores, sess: Session) -> None:
    res = ds.edit_config("running", interfaces(iface("r1")), session=sess)
    assert res.running_edit is not None and "r1" not in ds.running.json()
    ds.install(ds.prepare_commit(sess, edit=res.running_edit))
    assert "r1" in ds.running.json()
    assert ds.read("candidate", fmt="json") == ds.read("running", fmt="json")


def test_discard_copy_delete(ds: Datastores, sess: Session) -> None:
    ds.edit_config("candidate", interfaces(iface("e1")), session=sess)
    ds.discard_changes(sess)
    assert ds.read("candidate") == "" and not ds.candidate_dirty
    ds.edit_config("candidate", interfaces(iface("e1")), session=sess)
    commit(ds, sess)
    ds.copy_config("running", "startup", sess)
    assert "e1" in ds.read("startup")
    ds.delete_config("startup", sess)
    assert ds.read("startup") == ""
    with pytest.raises(DatastoreError):
        ds.delete_config("running", sess)
    ds.copy_config(interfaces(iface("c1")), "candidate", sess)
    assert [(c.op, c.path) for c in ds.pending_changes()] == [
        ("create", f"{IFP}/interface[name='c1']"),
        ("delete", f"{IFP}/interface[name='e1']"),
    ]


def test_diff_trees_and_apply_changes_round_trip(ds: Datastores, sess: Session) -> None:
    ctx = load_model_set().ctx
    ds.edit_config(
        "candidate", interfaces(iface("Gi0") + subif("Gi0", 1, addr("10.0.0.1")) + iface("e1")), session=sess
    )
    commit(ds, sess)
    old = ds.running
    ds.edit_config(
        "candidate",
        interfaces(
            '<interface nc:operation="delete"><name>e1</name></interface>'
            "<interface><name>Gi0.1</name><description>d</description></interface>"
            + subif("Gi0", 2, addr("10.0.1.1"))
        ),
        session=sess,
    )
    commit(ds, sess)
    changes = diff_trees(old.tree, ds.running.tree)
    assert {c.op for c in changes} == {"create", "delete"}
    replay = old.tree.dup()
    apply_changes(replay, changes)
    replay.validate()
    assert diff_trees(replay, ds.running.tree) == []
    assert replay.print("json") == ds.running.print("json")
    empty = DataTree(ctx)
    apply_changes(empty, diff_trees(None, ds.running.tree))
    empty.validate()
    assert diff_trees(empty, ds.running.tree) == []
    assert empty.print("json", with_defaults="report-all") == ds.running.print(
        "json", with_defaults="report-all"
    )
    _ = BNGIF


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_memory_flat_over_5000_commits(ds: Datastores, sess: Session) -> None:
    ds.edit_config(
        "candidate", interfaces("".join(iface(f"e{i}", addr(f"10.0.{i}.1")) for i in range(4))), session=sess
    )
    commit(ds, sess)

    def rounds(n: int, base: int) -> None:
        for r in range(n):
            k = (base + r) % 4
            body = f"<interface><name>e{k}</name><description>r{base + r}</description></interface>"
            if r % 3 == 0:
                body += iface(f"tmp{k}")
            elif r % 3 == 1:
                body += f'<interface nc:operation="remove"><name>tmp{k}</name></interface>'
            ds.edit_config("candidate", interfaces(body), session=sess)
            commit(ds, sess)
            if r % 7 == 0:
                ds.read("running", fmt="json")

    rounds(1000, 0)  # warm up allocator and caches
    gc.collect()
    start = _rss_kb()
    rounds(4000, 1000)
    gc.collect()
    grown = _rss_kb() - start
    assert grown < 4096, f"RSS grew by {grown} KiB over 4000 commits"


def test_when_removal_next_to_an_edited_leaf_is_a_change(ds: Datastores, sess: Session) -> None:
    bond = "<bond xmlns='urn:bng-agent:yang:bng-interfaces'>{}</bond>"
    body = bond.format("<mode>lacp</mode><lacp-rate>fast</lacp-rate>")
    ds.edit_config("candidate", interfaces(iface("Bond0", body, kind="ieee8023adLag")), session=sess)
    commit(ds, sess)
    # lacp-rate has `when "../mode = 'lacp'"`: changing the mode makes validation remove it
    ds.edit_config(
        "candidate",
        interfaces(f"<interface><name>Bond0</name>{bond.format('<mode>active-backup</mode>')}</interface>"),
        session=sess,
    )
    prepared = ds.prepare_commit(sess)
    got = {(c.op, c.path.rsplit("/", 1)[-1]) for c in prepared.changes}
    assert ("modify", "mode") in got
    assert ("delete", "lacp-rate") in got
    ds.install(prepared)
    assert "lacp-rate" not in ds.running.json()
    ds.edit_config(
        "candidate",
        interfaces("<interface><name>Bond0</name><description>x</description></interface>"),
        session=sess,
    )
    assert "lacp-rate" not in ds.read("candidate", fmt="json")  # the recycled copy follows running


def test_discard_between_prepare_and_install_leaves_candidate_equal_to_new_running(
    ds: Datastores, sess: Session
) -> None:
    ds.edit_config("candidate", interfaces(iface("e1")), session=sess)
    prepared = ds.prepare_commit(sess)
    ds.discard_changes(sess)
    ds.install(prepared)
    assert ds.pending_changes() == [] and not ds.candidate_dirty
    assert ds.read("candidate", fmt="json") == ds.read("running", fmt="json")


def test_leaf_referenced_through_deref_in_another_module_is_still_validated(
    ds: Datastores, sess: Session
) -> None:
    from agent.datastore.schema_deps import schema_deps

    mtu = "<mtu xmlns='urn:bng-agent:yang:bng-interfaces'>{}</mtu>"
    ds.edit_config(
        "candidate",
        interfaces(iface("Gi0", mtu.format(1500)) + subif("Gi0", 7, mtu.format(1500))),
        session=sess,
    )
    commit(ds, sess)
    # the parent's MTU is only mentioned by a must of the *sub-interface* (via deref): not a free leaf
    ds.edit_config(
        "candidate", interfaces(f"<interface><name>Gi0</name>{mtu.format(1000)}</interface>"), session=sess
    )
    with pytest.raises(ValidationError) as ei:
        ds.prepare_commit(sess)
    assert ei.value.details[0].app_tag == "must-violation"
    deps = schema_deps(load_model_set().ctx)
    ctx = load_model_set().ctx
    assert deps.free_leaf(next(ctx.find_path(f"{IFP}/interface/description")).cdata)
    assert not deps.free_leaf(next(ctx.find_path(f"{IFP}/interface/name")).cdata)


def test_free_leaf_commit_skips_nothing_visible(ds: Datastores, sess: Session) -> None:
    ds.edit_config("candidate", interfaces(iface("Gi0") + subif("Gi0", 7)), session=sess)
    commit(ds, sess)
    ds.edit_config(
        "candidate",
        interfaces("<interface><name>Gi0.7</name><description>x</description></interface>"),
        session=sess,
    )
    prepared = ds.prepare_commit(sess)
    assert [(c.op, c.new) for c in prepared.changes] == [("create", "x")]
    ds.install(prepared)
    tree = DataTree.parse(load_model_set().ctx, ds.running.print("json"), "json", validate=True)
    assert diff_trees(tree, ds.running.tree) == []
    assert ds.read("running", fmt="json", with_defaults="report-all") == tree.print(
        "json", with_defaults="report-all"
    )
