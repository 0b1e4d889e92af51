"""Property-based: whatever the datastore accepts validates; whatever it rejects leaves no trace.

Hypothesis generates short sequences of NETCONF edits (every operation, on plain interfaces and on
bng-interfaces sub-interfaces with sometimes-wrong names or parents, so both edit errors and
validation errors happen) and checks after every step:

* a rejected edit leaves the candidate's content as it was (entries of ordered-by-system lists may
  change places, which RFC 7950 allows; ordered-by-user lists keep their order);
* a rejected commit leaves running and the candidate as they were;
* an accepted commit yields a running configuration that validates on its own, and the change list
  the datastore computed from what the edits touched, replayed on the previous running, gives exactly
  the new running (so the cheap tracked diff never misses or invents a change).
"""

from __future__ import annotations

from _ds_helpers import addr, iface, interfaces, subif
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from agent.datastore.diff import apply_changes, diff_trees
from agent.datastore.errors import EditError
from agent.datastore.session import Session
from agent.datastore.store import Datastores
from agent.datastore.tree import DataTree
from agent.errors import ValidationError
from agent.model import load_model_set

NAMES = ["Gi0", "Gi1", "e2"]
OPS = ["merge", "replace", "create", "delete", "remove", None]


@st.composite
def one_interface(draw: st.DrawFn) -> str:
    op = draw(st.sampled_from([*OPS, None, None]))
    attr = f' nc:operation="{op}"' if op else ""
    kind = draw(st.sampled_from(["plain", "leaf", "leaf", "sub", "sub", "badsub"]))
    name = draw(st.sampled_from(NAMES))
    if kind == "plain":
        extra = draw(
            st.sampled_from(
                ["", "<description>d</description>", addr("10.0.0.1"), "<enabled>false</enabled>"]
            )
        )
        return iface(name, extra, attr)
    if kind == "leaf":
        leaf_op = draw(st.sampled_from(OPS))
        la = f' nc:operation="{leaf_op}"' if leaf_op else ""
        val = draw(st.sampled_from(["x", "y"]))
        return f"<interface{attr}><name>{name}</name><description{la}>{val}</description></interface>"
    vid = draw(st.integers(min_value=1, max_value=3))
    parent = draw(st.sampled_from(["Gi0", "Gi1"]))
    body = subif(parent, vid)
    if kind == "badsub":
        body = body.replace(f"<name>{parent}.{vid}</name>", f"<name>{parent}.{vid + 1}</name>")
    return body.replace("<interface>", f"<interface{attr}>", 1)


@st.composite
def an_edit(draw: st.DrawFn) -> tuple[str, str, str, bool]:
    body = "".join(draw(st.lists(one_interface(), min_size=1, max_size=3)))
    default_op = draw(st.sampled_from(["merge", "merge", "merge", "none", "replace"]))
    error_option = draw(st.sampled_from(["stop-on-error", "rollback-on-error", "continue-on-error"]))
    do_commit = draw(st.sampled_from([True, True, False]))
    return body, default_op, error_option, do_commit


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(an_edit(), min_size=1, max_size=5))
def test_accepted_validates_rejected_leaves_no_trace(edits: list[tuple[str, str, str, bool]]) -> None:
    model = load_model_set()
    ds = Datastores(model)
    s = Session.create("prop", "netconf")
    ds.edit_config("candidate", interfaces(iface("Gi0") + iface("Gi1") + subif("Gi0", 1)), session=s)
    ds.install(ds.prepare_commit(s))
    for body, default_op, error_option, do_commit in edits:
        before = ds.read_tree("candidate")
        try:
            ds.edit_config(
                "candidate",
                interfaces(body),
                default_operation=default_op,  # type: ignore[arg-type]
                error_option=error_option,  # type: ignore[arg-type]
                session=s,
            )
        except EditError:
            event("edit rejected")
            after = ds.read_tree("candidate")
            # ordered-by-system lists may come back in another order; content must be identical
            assert diff_trees(before, after) == []
            after.close()
            before.close()
            continue
        before.close()
        if not do_commit:
            continue
        old_view = ds.running
        cand_before = ds.read("candidate", fmt="json")
        try:
            prepared = ds.prepare_commit(s)
        except ValidationError:
            event("commit rejected")
            assert ds.running is not None and ds.running.print("json") == old_view.print("json")
            assert ds.read("candidate", fmt="json") == cand_before
            continue
        ds.install(prepared)
        event("commit accepted" + (" with changes" if prepared.changes else ""))
        new_json = ds.running.print("json")
        # running validates on its own
        DataTree.parse(model.ctx, new_json, "json", validate=True).close()
        # the tracked changes, replayed on the previous running, give the new running
        replay = old_view.tree.dup()
        apply_changes(replay, prepared.changes)
        replay.validate()
        assert diff_trees(replay, ds.running.tree) == [], prepared.changes
        assert diff_trees(ds.running.tree, replay) == []
        replay.close()
