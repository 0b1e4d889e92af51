"""RFC 6241 7.2 edit-config operations, default-operation, error-option and test-option on the candidate."""

from __future__ import annotations

import json

import pytest
from _ds_helpers import IF, IFP, addr, config, iface, interfaces

from agent.datastore.errors import EditError
from agent.datastore.session import Session
from agent.datastore.store import Datastores
from agent.errors import ValidationError
from agent.model import load_model_set


@pytest.fixture
def ds() -> Datastores:
    return Datastores(load_model_set())


@pytest.fixture
def sess() -> Session:
    return Session.create("alice", "netconf")


def cand(ds: Datastores) -> dict:
    return json.loads(ds.read("candidate", fmt="json"))


def names(ds: Datastores, which: str = "candidate") -> list[str]:
    data = json.loads(ds.read(which, fmt="json"))  # type: ignore[arg-type]
    return [i["name"] for i in data.get("ietf-interfaces:interfaces", {}).get("interface", [])]


def commit(ds: Datastores, s: Session) -> None:
    ds.install(ds.prepare_commit(s))


def test_merge_creates_then_merges_leaves(ds: Datastores, sess: Session) -> None:
    ds.edit_config("candidate", interfaces(iface("e1", addr("10.0.0.1"))), session=sess)
    ds.edit_config(
        "candidate",
        interfaces("<interface><name>e1</name><description>d</description></interface>"),
        session=sess,
    )
    entry = cand(ds)["ietf-interfaces:interfaces"]["interface"][0]
    assert entry["description"] == "d"
    assert entry["ietf-ip:ipv4"]["address"][0]["ip"] == "10.0.0.1"  # merge kept the address
    assert names(ds, "running") == []  # nothing committed yet


def test_replace_drops_unmentioned_children(ds: Datastores, sess: Session) -> None:
    ds.edit_config(
        "candidate", interfaces(iface("e1", "<description>x</description>" + addr("10.0.0.1"))), session=sess
    )
    ds.edit_config("candidate", interfaces(iface("e1", "", ' nc:operation="replace"')), session=sess)
    entry = cand(ds)["ietf-interfaces:interfaces"]["interface"][0]
    assert "description" not in entry and "ietf-ip:ipv4" not in entry


def test_create_existing_is_data_exists_with_path(ds: Datastores, sess: Session) -> None:
    ds.edit_config("candidate", interfaces(iface("e1")), session=sess)
    with pytest.raises(EditError) as ei:
        ds.edit_config("candidate", interfaces(iface("e1", "", ' nc:operation="create"')), session=sess)
    assert ei.value.tag == "data-exists"
    assert ei.value.path == f"{IFP}/interface[name='e1']"
    assert ei.value.grpc_code == "ALREADY_EXISTS"


def test_delete_missing_is_data_missing_remove_is_not(ds: Datastores, sess: Session) -> None:
    with pytest.raises(EditError) as ei:
        ds.edit_config(
            "candidate",
            interfaces('<interface nc:operation="delete"><name>zz</name></interface>'),
            session=sess,
        )
    assert ei.value.tag == "data-missing"
    res = ds.edit_config(
        "candidate", interfaces('<interface nc:operation="remove"><name>zz</name></interface>'), session=sess
    )
    assert not res.changed and not ds.candidate_dirty


def test_delete_leaf_and_entry(ds: Datastores, sess: Session) -> None:
    ds.edit_config(
        "candidate", interfaces(iface("e1", "<description>x</description>") + iface("e2")), session=sess
    )
    commit(ds, sess)
    ds.edit_config(
        "candidate",
        interfaces(
            '<interface><name>e1</name><description nc:operation="delete"/></interface>'
            '<interface nc:operation="delete"><name>e2</name></interface>'
        ),
        session=sess,
    )
    assert names(ds) == ["e1"]
    ops = {(c.op, c.path) for c in ds.pending_changes()}
    assert ops == {
        ("delete", f"{IFP}/interface[name='e1']/description"),
        ("delete", f"{IFP}/interface[name='e2']"),
    }


def test_default_operation_none_only_applies_explicit_operations(ds: Datastores, sess: Session) -> None:
    ds.edit_config("candidate", interfaces(iface("e1", "<description>x</description>")), session=sess)
    body = (
        "<interface><name>e1</name><description>ignored</description>"
        '<enabled nc:operation="create">false</enabled></interface>'
    )
    ds.edit_config("candidate", interfaces(body), default_operation="none", session=sess)
    entry = cand(ds)["ietf-interfaces:interfaces"]["interface"][0]
    assert entry["description"] == "x" and entry["enabled"] is False


def test_default_operation_none_missing_parent_for_delete_is_data_missing(
    ds: Datastores, sess: Session
) -> None:
    body = '<interface><name>nope</name><description nc:operation="delete"/></interface>'
    with pytest.raises(EditError) as ei:
        ds.edit_config("candidate", interfaces(body), default_operation="none", session=sess)
    assert ei.value.tag == "data-missing"


def test_default_operation_replace_replaces_whole_datastore(ds: Datastores, sess: Session) -> None:
    ds.edit_config("candidate", interfaces(iface("e1") + iface("e2")), session=sess)
    ds.edit_config("candidate", interfaces(iface("e3")), default_operation="replace", session=sess)
    assert names(ds) == ["e3"]


def test_stop_on_error_leaves_no_trace(ds: Datastores, sess: Session) -> None:
    ds.edit_config("candidate", interfaces(iface("e1")), session=sess)
    before = ds.read("candidate", fmt="json")
    body = (
        iface("e2")
        + "<interface><name>e1</name><description>new</description></interface>"
        + iface("e1", "", ' nc:operation="create"')
    )
    with pytest.raises(EditError):
        ds.edit_config("candidate", interfaces(body), error_option="stop-on-error", session=sess)
    assert ds.read("candidate", fmt="json") == before


def test_rollback_on_error_leaves_no_trace(ds: Datastores, sess: Session) -> None:
    ds.edit_config("candidate", interfaces(iface("e1", "<description>old</description>")), session=sess)
    before = ds.read("candidate", fmt="json")
    body = (
        '<interface nc:operation="delete"><name>e1</name></interface>'
        + iface("e2")
        + '<interface nc:operation="delete"><name>missing</name></interface>'
    )
    with pytest.raises(EditError) as ei:
        ds.edit_config("candidate", interfaces(body), error_option="rollback-on-error", session=sess)
    assert ei.value.tag == "data-missing"
    assert ds.read("candidate", fmt="json") == before


def test_continue_on_error_keeps_good_parts_and_reports_all_errors(ds: Datastores, sess: Session) -> None:
    ds.edit_config("candidate", interfaces(iface("e1")), session=sess)
    body = (
        iface("e1", "", ' nc:operation="create"')
        + iface("e2")
        + '<interface nc:operation="delete"><name>missing</name></interface>'
        + iface("e3")
    )
    res = ds.edit_config("candidate", interfaces(body), error_option="continue-on-error", session=sess)
    assert [e.tag for e in res.errors] == ["data-exists", "data-missing"]
    assert sorted(names(ds)) == ["e1", "e2", "e3"]


def test_test_only_changes_nothing_but_reports_errors(ds: Datastores, sess: Session) -> None:
    res = ds.edit_config("candidate", interfaces(iface("e1")), test_option="test-only", session=sess)
    assert names(ds) == [] and not ds.candidate_dirty and not res.changed
    with pytest.raises(EditError) as ei:
        ds.edit_config(
            "candidate",
            interfaces('<interface nc:operation="delete"><name>x</name></interface>'),
            test_option="test-only",
            session=sess,
        )
    assert ei.value.tag == "data-missing"


@pytest.mark.parametrize(
    ("body", "tag"),
    [
        (
            f'<interfaces xmlns="{IF}"><interface><name>e1</name><bogus>1</bogus></interface></interfaces>',
            "unknown-element",
        ),
        (
            '<interfaces xmlns="urn:example:nothing"><interface><name>e1</name></interface></interfaces>',
            "unknown-namespace",
        ),
        (
            f'<interfaces xmlns="{IF}"><interface><description>no key</description></interface></interfaces>',
            "missing-element",
        ),
        (
            f'<interfaces xmlns="{IF}"><interface nc:operation="frobnicate"><name>e1</name></interface>'
            "</interfaces>",
            "bad-attribute",
        ),
        (
            f'<interfaces xmlns="{IF}"><interface><name>e1</name><enabled>maybe</enabled></interface>'
            "</interfaces>",
            "invalid-value",
        ),
        (
            f'<interfaces xmlns="{IF}"><interface><name>e1</name>'
            '<ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip">'
            "<mtu>10</mtu></ipv4></interface></interfaces>",
            "invalid-value",
        ),
    ],
)
def test_bad_input_error_tags(ds: Datastores, sess: Session, body: str, tag: str) -> None:
    with pytest.raises(EditError) as ei:
        ds.edit_config("candidate", config(body), session=sess)
    assert ei.value.tag == tag, ei.value
    assert ei.value.path
    assert names(ds) == [] and not ds.candidate_dirty


def test_state_data_cannot_be_edited(ds: Datastores, sess: Session) -> None:
    body = (
        f'<interfaces xmlns="{IF}"><interface><name>e1</name><oper-status>up</oper-status></interface>'
        "</interfaces>"
    )
    with pytest.raises(EditError) as ei:
        ds.edit_config("candidate", config(body), session=sess)
    assert ei.value.tag == "invalid-value"
    assert "oper-status" in (ei.value.path or "")


def test_bulk_plain_create_in_one_edit(ds: Datastores, sess: Session) -> None:
    body = "".join(iface(f"Gi0/0/0.{i}", addr(f"10.0.{i}.1")) for i in range(1, 201))
    res = ds.edit_config("candidate", interfaces(body), session=sess)
    assert res.changed
    prepared = ds.prepare_commit(sess)
    creates = [c for c in prepared.changes if c.op == "create"]
    assert len(creates) == 200  # one change per entry, each with its subtree
    one = next(c for c in creates if c.path == f"{IFP}/interface[name='Gi0/0/0.7']")
    assert one.new["ietf-ip:ipv4"]["address"][0]["ip"] == "10.0.7.1"
    ds.install(prepared)
    assert len(names(ds, "running")) == 200


NACM = "urn:ietf:params:xml:ns:yang:ietf-netconf-acm"


def rule_lists(ds: Datastores) -> list[str]:
    data = json.loads(ds.read("candidate", fmt="json"))
    return [r["name"] for r in data["ietf-netconf-acm:nacm"].get("rule-list", [])]


def test_ordered_by_user_insert_attributes(ds: Datastores, sess: Session) -> None:
    def rl(name: str, attrs: str = "") -> str:
        return f"<rule-list{attrs}><name>{name}</name><group>*</group></rule-list>"

    ds.edit_config("candidate", config(f'<nacm xmlns="{NACM}">{rl("a")}{rl("b")}</nacm>'), session=sess)
    assert rule_lists(ds) == ["a", "b"]
    first = ' yang:insert="first"'
    ds.edit_config("candidate", config(f'<nacm xmlns="{NACM}">{rl("c", first)}</nacm>'), session=sess)
    assert rule_lists(ds) == ["c", "a", "b"]
    attrs = ' yang:insert="after" yang:key="[name=\'a\']"'
    ds.edit_config("candidate", config(f'<nacm xmlns="{NACM}">{rl("d", attrs)}</nacm>'), session=sess)
    assert rule_lists(ds) == ["c", "a", "d", "b"]
    bad = ' yang:insert="before" yang:key="[name=\'zz\']"'
    with pytest.raises(EditError) as ei:
        ds.edit_config("candidate", config(f'<nacm xmlns="{NACM}">{rl("e", bad)}</nacm>'), session=sess)
    assert ei.value.tag == "bad-attribute"
    assert rule_lists(ds) == ["c", "a", "d", "b"]


def test_same_entry_twice_in_one_edit_never_yields_two_instances(ds: Datastores, sess: Session) -> None:
    # Into an existing list the second element merges into the first; inside a brand-new container the
    # whole subtree goes to libyang at once and validation rejects the duplicate. Either way running
    # never holds two instances with one key.
    ds.edit_config("candidate", interfaces(iface("e0")), session=sess)
    commit(ds, sess)
    ds.edit_config(
        "candidate", interfaces(iface("e1") + iface("e1", "<description>d</description>")), session=sess
    )
    assert names(ds) == ["e0", "e1"]
    commit(ds, sess)
    assert names(ds, "running") == ["e0", "e1"]
    fresh = Datastores(load_model_set())
    fresh.edit_config("candidate", interfaces(iface("e1") + iface("e1")), session=sess)
    with pytest.raises(ValidationError) as ei:
        fresh.prepare_commit(sess)
    assert "Duplicate" in ei.value.message and ei.value.path == f"{IFP}/interface[name='e1']"
    assert names(fresh, "running") == []


def test_creating_a_case_removes_the_other_cases_of_the_choice(ds: Datastores, sess: Session) -> None:
    from _ds_helpers import BNGIF, subif

    ds.edit_config("candidate", interfaces(iface("Gi0") + subif("Gi0", 100)), session=sess)
    commit(ds, sess)

    def qinq(outer: int, inner: int) -> str:
        return (
            f'<interface><name>Gi0.100</name><sub-interface xmlns="{BNGIF}"><encapsulation><double-tagged>'
            f"<outer-vlan-id>{outer}</outer-vlan-id><inner-vlan-id>{inner}</inner-vlan-id></double-tagged>"
            "</encapsulation></sub-interface></interface>"
        )

    # 0 is not a valid VLAN id: the edit fails and the single-tagged case stays
    with pytest.raises(EditError):
        ds.edit_config("candidate", interfaces(qinq(10, 0)), session=sess)
    assert "single-tagged" in ds.read("candidate", fmt="json")
    ds.edit_config("candidate", interfaces(qinq(10, 100)), session=sess)
    enc = json.loads(ds.read("candidate", fmt="json"))["ietf-interfaces:interfaces"]["interface"][1]
    enc = enc["bng-interfaces:sub-interface"]["encapsulation"]
    assert "single-tagged" not in enc and enc["double-tagged"]["outer-vlan-id"] == 10
    ops = {(c.op, c.path.rsplit("/", 1)[-1]) for c in ds.pending_changes()}
    assert ("delete", "single-tagged") in ops and ("create", "double-tagged") in ops


def test_failed_edit_undoes_an_ordered_by_user_move(ds: Datastores, sess: Session) -> None:
    def rl(name: str, attrs: str = "") -> str:
        return f"<rule-list{attrs}><name>{name}</name><group>*</group></rule-list>"

    ds.edit_config(
        "candidate", config(f'<nacm xmlns="{NACM}">{rl("a")}{rl("b")}{rl("c")}</nacm>'), session=sess
    )
    move_first = ' yang:insert="first"'
    bad = '<rule-list nc:operation="delete"><name>zz</name></rule-list>'
    with pytest.raises(EditError):
        ds.edit_config(
            "candidate", config(f'<nacm xmlns="{NACM}">{rl("c", move_first)}{bad}</nacm>'), session=sess
        )
    assert rule_lists(ds) == ["a", "b", "c"]
