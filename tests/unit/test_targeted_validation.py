"""Targeted validation (agent/datastore/targeted.py) accepts and rejects exactly as full validation.

The differential property test builds a datastore with a few hundred interfaces (parents with MTUs,
VLAN sub-interfaces with MTUs, addresses, VRF and QoS references), VRFs, QoS profiles and HA settings,
applies random one- to three-leaf edits (valid values and values that break a must through deref, a
leafref, a unique, a range), and compares the commit's verdict with libyang's full validation of the
same candidate (``<validate>``): same acceptance, same first error (tag, path, message, app-tag), and
an accepted commit's running equal to the fully validated candidate (defaults included).
"""

from __future__ import annotations

from functools import cache
from typing import Any
from unittest import mock

import pytest
from _ds_helpers import BNGIF, IFP, addr, config, iface, interfaces, subif
from _libyang import ffi
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from agent.datastore import store as store_mod
from agent.datastore import targeted
from agent.datastore.changes import Change
from agent.datastore.diff import apply_changes
from agent.datastore.errors import EditError
from agent.datastore.session import Session
from agent.datastore.store import Datastores
from agent.datastore.tree import DataTree
from agent.errors import ValidationError
from agent.model import load_model_set

VRF = "urn:bng-agent:yang:bng-vrf"
QOS = "urn:bng-agent:yang:bng-qos"
HA = "urn:bng-agent:yang:bng-ha"
PARENTS = ["Gi0", "Gi1", "Gi2", "Gi3"]
SUBS_PER_PARENT = 50  # 200 sub-interfaces


def _unnumbered(lender: str) -> str:
    return (
        '<ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip">'
        f'<unnumbered xmlns="{BNGIF}"><use-interface>{lender}</use-interface></unnumbered></ipv4>'
    )


def _mtu(v: int) -> str:
    return f'<mtu xmlns="{BNGIF}">{v}</mtu>'


@cache
def base_xml() -> str:
    """The starting configuration as one <config> body (built once)."""
    parts = []
    parts.append(iface("Lo0", addr("192.0.2.1", 32), kind="softwareLoopback"))
    for i, p in enumerate(PARENTS):
        parts.append(iface(p, _mtu(9000) if i < 2 else ""))
        for v in range(1, SUBS_PER_PARENT + 1):
            extra = addr(f"10.{i}.{v}.1") if (i, v % 4) != (3, 0) else _unnumbered("Lo0")
            if v % 3 == 0 and i < 2:
                extra += _mtu(1500)
            if v % 5 == 0:
                extra += f'<vrf xmlns="{VRF}">red</vrf>'
            if v % 7 == 0:
                extra += f'<qos xmlns="{QOS}"><input-profile>p1</input-profile></qos>'
            parts.append(subif(p, v, extra))
    ifs = f'<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces">{"".join(parts)}</interfaces>'
    vrfs = (
        f'<vrfs xmlns="{VRF}">'
        + "".join(
            f"<vrf><name>{n}</name><table-id>{t}</table-id></vrf>" for n, t in [("red", 10), ("blue", 20)]
        )
        + "</vrfs>"
    )
    qos = (
        f'<qos xmlns="{QOS}"><profile><name>p1</name><type>2r3c</type><cir>1000</cir><pir>2000</pir>'
        "</profile>"
        f"<profile><name>p2</name><cir>500</cir></profile></qos>"
    )
    ha = (
        f'<ha xmlns="{HA}"><state-sync><local-address>10.9.0.1</local-address>'
        f"<peer-address>10.9.0.2</peer-address><auth-key>0123456789abcdef0123</auth-key><sync>nat-sessions</sync>"
        f"<keepalive-interval>1000</keepalive-interval><dead-interval>3000</dead-interval></state-sync></ha>"
    )
    return ifs + vrfs + qos + ha


@cache
def base_json() -> str:
    ds = Datastores(load_model_set())
    s = Session.create("base", "netconf")
    ds.edit_config("candidate", config(base_xml()), session=s)
    ds.install(ds.prepare_commit(s))
    return ds.read("running", fmt="json")


def fresh() -> tuple[Datastores, Session]:
    ds = Datastores(load_model_set())
    ds.set_running(base_json())
    return ds, Session.create("t", "netconf")


def _if_leaf(name: str, body: str) -> str:
    return f"<interface><name>{name}</name>{body}</interface>"


sub_names = st.builds(
    lambda p, v: f"{p}.{v}", st.sampled_from(PARENTS), st.integers(min_value=1, max_value=SUBS_PER_PARENT)
)
any_if = st.one_of(st.sampled_from(PARENTS), sub_names)


@st.composite
def one_leaf(draw: st.DrawFn) -> tuple[str, str]:
    """One leaf edit, as an <interfaces>/<vrfs>/<qos>/<ha> body."""
    kind = draw(
        st.sampled_from(
            [
                "mtu",
                "mtu",
                "mtu",
                "remove-mtu",
                "descr",
                "vrf",
                "qos",
                "cir",
                "pir",
                "sub-id",
                "vlan",
                "parent",
                "table-id",
                "unnumbered",
                "lo-plen",
                "lo-mac",
                "ha",
                "plen",
                "enabled",
            ]
        )
    )
    name = draw(any_if)
    if kind == "mtu":
        v = draw(st.sampled_from([64, 1000, 1499, 1500, 1501, 9000, 9216]))
        return "if", _if_leaf(name, _mtu(v))
    if kind == "remove-mtu":
        return "if", _if_leaf(name, f'<mtu xmlns="{BNGIF}" nc:operation="remove"/>')
    if kind == "descr":
        return "if", _if_leaf(name, f"<description>{draw(st.sampled_from(['a', 'b']))}</description>")
    if kind == "vrf":
        return "if", _if_leaf(
            name, f'<vrf xmlns="{VRF}">{draw(st.sampled_from(["red", "blue", "nope"]))}</vrf>'
        )
    if kind == "qos":
        prof = draw(st.sampled_from(["p1", "p2", "nope"]))
        return "if", _if_leaf(name, f'<qos xmlns="{QOS}"><input-profile>{prof}</input-profile></qos>')
    if kind == "lo-mac":  # the loopback container exists only on loopbacks (when): Gi0 has none
        name = draw(st.sampled_from(["Lo0", "Gi0"]))
        mac = f'<loopback xmlns="{BNGIF}"><mac-address>02:00:00:00:00:01</mac-address></loopback>'
        return "if", _if_leaf(name, mac)
    if kind == "unnumbered":
        lender = draw(st.sampled_from(["Lo0", "Gi0", "Gi0.1", "Gi3.8", "nope"]))
        v = draw(st.sampled_from([4, 8, 12]))
        return "if", _if_leaf(f"Gi3.{v}", _unnumbered(lender))
    if kind == "lo-plen":
        plen = draw(st.sampled_from([24, 32]))
        body = (
            '<ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip">'
            f"<address><ip>192.0.2.1</ip><prefix-length>{plen}</prefix-length></address></ipv4>"
        )
        return "if", _if_leaf("Lo0", body)
    if kind == "enabled":
        return "if", _if_leaf(name, "<enabled>false</enabled>")
    if kind == "plen":
        p, v = draw(st.sampled_from(PARENTS)), draw(st.integers(min_value=1, max_value=SUBS_PER_PARENT))
        ip = f"10.{PARENTS.index(p)}.{v}.1"
        body = (
            '<ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip">'
            f"<address><ip>{ip}</ip><prefix-length>16</prefix-length></address></ipv4>"
        )
        return "if", _if_leaf(f"{p}.{v}", body)
    if kind in ("sub-id", "vlan", "parent"):
        p, v = draw(st.sampled_from(PARENTS)), draw(st.integers(min_value=1, max_value=SUBS_PER_PARENT))
        nv = draw(st.sampled_from([v, v + 1]))
        if kind == "sub-id":
            body = f"<sub-id>{nv}</sub-id>"
        elif kind == "vlan":
            body = f"<encapsulation><single-tagged><vlan-id>{nv}</vlan-id></single-tagged></encapsulation>"
        else:
            body = f"<parent-interface>{draw(st.sampled_from([p, 'Gi1', 'Gi9']))}</parent-interface>"
        return "if", _if_leaf(f"{p}.{v}", f'<sub-interface xmlns="{BNGIF}">{body}</sub-interface>')
    if kind in ("cir", "pir"):
        prof = draw(st.sampled_from(["p1", "p2"]))
        v = draw(st.sampled_from([100, 1000, 1500, 2000, 5000]))
        return "qos", f"<profile><name>{prof}</name><{kind}>{v}</{kind}></profile>"
    if kind == "table-id":
        vrf = draw(st.sampled_from(["red", "blue"]))
        return (
            "vrf",
            f"<vrf><name>{vrf}</name><table-id>{draw(st.sampled_from([10, 20, 30]))}</table-id></vrf>",
        )
    leaf = draw(st.sampled_from(["keepalive-interval", "dead-interval"]))
    v = draw(st.sampled_from([300, 1000, 2000, 3000, 9000]))
    return "ha", f"<state-sync><{leaf}>{v}</{leaf}></state-sync>"


WRAP = {
    "if": '<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces">{}</interfaces>',
    "vrf": f'<vrfs xmlns="{VRF}">{{}}</vrfs>',
    "qos": f'<qos xmlns="{QOS}">{{}}</qos>',
    "ha": f'<ha xmlns="{HA}">{{}}</ha>',
}


def _error(e: ValidationError) -> tuple[str, str | None, str, str | None]:
    return (e.tag, e.path, e.message, e.details[0].app_tag if e.details else None)


def _full_result(ds: Datastores) -> tuple[bool, object]:
    """libyang's full validation of the candidate: (accepted, error or the validated tree's prints)."""
    try:
        ds.validate("candidate")
    except ValidationError as e:
        return False, _error(e)
    tree = DataTree.parse(ds.ctx, ds.read("candidate", fmt="json"), "json", validate=False)
    tree.validate()
    return True, _prints(tree)


def _prints(tree: DataTree) -> tuple[str, str]:
    return tree.print("json", with_defaults="report-all-tagged"), tree.print("json", with_defaults="explicit")


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(one_leaf(), min_size=1, max_size=3))
def test_commit_verdict_equals_full_validation(edits: list[tuple[str, str]]) -> None:
    ds, s = fresh()
    try:
        for where, body in edits:
            ds.edit_config("candidate", config(WRAP[where].format(body)), session=s)
    except EditError:
        event("edit rejected")
        return
    changes = ds.pending_changes()
    full_ok, full = _full_result(ds)
    verdicts: list[bool] = []

    def recording(*args: Any) -> bool:
        verdicts.append(targeted.check_value_changes(*args))
        return verdicts[-1]

    try:
        with mock.patch.object(store_mod, "check_value_changes", recording):
            prepared = ds.prepare_commit(s)
    except ValidationError as e:
        event("rejected")
        assert not full_ok, f"targeted rejected what full validation accepts: {_error(e)} {changes}"
        assert _error(e) == full
        return
    assert full_ok, f"committed an invalid configuration: {full} {changes}"
    event("accepted" + (" by the targeted check" if verdicts == [True] else ""))
    ds.install(prepared)
    assert _prints(ds.running.tree) == full


def test_reduced_check_is_exercised_and_sound_on_its_own() -> None:
    """check_value_changes answering True implies full validation accepts (and it does answer True)."""
    from agent.datastore.schema_deps import schema_deps

    ctx = load_model_set().ctx
    deps = schema_deps(ctx)
    base = DataTree.parse(ctx, base_json(), "json")
    cases = [
        (Change("modify", _mtu_path("Gi0.3"), 1500, 1400), True),  # within the parent's 9000
        (Change("modify", _mtu_path("Gi0"), 9000, 1600), True),  # still above its sub-interfaces' 1500
        (Change("create", _mtu_path("Gi2.4"), None, 9216), True),  # Gi2 has no MTU
        (Change("modify", _mtu_path("Gi0.3"), 1500, 9216), False),  # above the parent's (must via deref)
        (Change("modify", _mtu_path("Gi0"), 9000, 1000), False),  # below a sub-interface's (the sub's must)
        (
            Change(
                "modify",
                f"{IFP}/interface[name='Gi0']/type",
                "iana-if-type:ethernetCsmacd",
                "iana-if-type:l2vlan",
            ),
            False,
        ),  # a when depends on it: not covered
        (Change("delete", _mtu_path("Gi0.3"), 1500, None), False),  # deletes are not covered
    ]
    for change, valid in cases:
        new = base.dup()
        apply_changes(new, [change])
        assert targeted.check_value_changes(deps, base, new, [change]) is valid, change
        if valid:
            new.validate()  # full validation agrees


def _mtu_path(name: str) -> str:
    return f"{IFP}/interface[name='{name}']/bng-interfaces:mtu"


def _count_full_validations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count libyang validations of a tree (whole or per module)."""
    calls = [0]
    real, real_modules = DataTree.validate, DataTree.validate_modules

    def counting(self: DataTree) -> None:
        calls[0] += 1
        real(self)

    def counting_modules(self: DataTree, modules: list[Any]) -> None:
        calls[0] += 1
        real_modules(self, modules)

    monkeypatch.setattr(DataTree, "validate", counting)
    monkeypatch.setattr(DataTree, "validate_modules", counting_modules)
    return calls


def test_constrained_leaf_commit_skips_full_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    ds, s = fresh()
    calls = _count_full_validations(monkeypatch)
    ds.edit_config("candidate", interfaces(_if_leaf("Gi1.6", _mtu(1400))), session=s)
    ds.install(ds.prepare_commit(s))
    assert calls[0] == 0
    assert '"bng-interfaces:mtu":1400' in ds.read(
        "running", fmt="json", xpath=f"{IFP}/interface[name='Gi1.6']"
    )


def test_violating_one_leaf_edit_reports_the_full_validation_error(monkeypatch: pytest.MonkeyPatch) -> None:
    ds, s = fresh()
    calls = _count_full_validations(monkeypatch)
    ds.edit_config("candidate", interfaces(_if_leaf("Gi0.3", _mtu(9216))), session=s)
    with pytest.raises(ValidationError) as ei:
        ds.prepare_commit(s)
    assert calls[0] == 1  # the failing re-check fell back to libyang's full validation
    assert ei.value.tag == "operation-failed"
    assert ei.value.details[0].app_tag == "must-violation"
    assert ei.value.path == f"{IFP}/interface[name='Gi0.3']/bng-interfaces:mtu"
    assert "MTU" in ei.value.message or "mtu" in ei.value.message.lower()
    # running is untouched
    assert '"bng-interfaces:mtu":1500' in ds.read(
        "running", fmt="json", xpath=f"{IFP}/interface[name='Gi0.3']"
    )


def test_leafref_value_change_to_a_missing_target_is_rejected() -> None:
    ds, s = fresh()
    ds.edit_config("candidate", interfaces(_if_leaf("Gi0.5", f'<vrf xmlns="{VRF}">nope</vrf>')), session=s)
    with pytest.raises(ValidationError) as ei:
        ds.prepare_commit(s)
    assert ei.value.tag == "data-missing" and ei.value.details[0].app_tag == "instance-required"
    assert ei.value.path == f"{IFP}/interface[name='Gi0.5']/bng-vrf:vrf"


def test_non_local_must_in_another_module_is_rechecked() -> None:
    ds, s = fresh()
    ha = f'<ha xmlns="{HA}"><state-sync><keepalive-interval>2000</keepalive-interval></state-sync></ha>'
    ds.edit_config("candidate", config(ha), session=s)
    with pytest.raises(ValidationError) as ei:
        ds.prepare_commit(s)
    assert ei.value.details[0].app_tag == "must-violation"
    assert ei.value.path == "/bng-ha:ha/state-sync/dead-interval"
    assert ei.value.message == "dead-interval must be at least 3 keepalive intervals"


def test_many_affected_instances_fall_back_to_full_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(targeted, "MAX_EVALUATIONS", 3)
    ds, s = fresh()
    calls = _count_full_validations(monkeypatch)
    # Gi0's MTU is read by the must of every sub-interface of Gi0 that has an MTU (through deref)
    ds.edit_config("candidate", interfaces(_if_leaf("Gi0", _mtu(8000))), session=s)
    ds.install(ds.prepare_commit(s))
    assert calls[0] == 1
    ds.edit_config("candidate", interfaces(_if_leaf("Gi0.3", _mtu(1400))), session=s)
    ds.install(ds.prepare_commit(s))
    assert calls[0] == 1  # one instance (no sub-interface names Gi0.3 as its parent)


# ------------------------------------------------------------------ per-module validation (structure)


@st.composite
def one_structural(draw: st.DrawFn) -> tuple[str, str]:
    """Creations and deletions in the small modules (and a few in the interface list)."""
    kind = draw(
        st.sampled_from(
            [
                "vrf",
                "del-vrf",
                "profile",
                "del-profile",
                "route",
                "del-if",
                "new-sub",
                "ha-track",
                "del-ha",
                "qinq",
            ]
        )
    )
    rm = ' nc:operation="remove"'
    if kind == "vrf":
        name = draw(st.sampled_from(["green", "red"]))
        return "vrf", f"<vrf><name>{name}</name><table-id>{draw(st.sampled_from([10, 30]))}</table-id></vrf>"
    if kind == "del-vrf":
        return "vrf", f"<vrf{rm}><name>{draw(st.sampled_from(['red', 'blue']))}</name></vrf>"
    if kind == "profile":
        pir = draw(st.sampled_from([500, 5000]))
        return "qos", f"<profile><name>p3</name><type>2r3c</type><cir>1000</cir><pir>{pir}</pir></profile>"
    if kind == "del-profile":
        return "qos", f"<profile{rm}><name>{draw(st.sampled_from(['p1', 'p2']))}</name></profile>"
    if kind == "route":
        out = draw(st.sampled_from(["Gi0", "Gi2.3", "nope"]))
        vrf = draw(st.sampled_from(["blue", "red"]))
        return "vrf", (
            f"<vrf><name>{vrf}</name><static-routes><ipv4-route><prefix>192.168.0.0/16</prefix>"
            f"<next-hop><id>1</id><outgoing-interface>{out}</outgoing-interface></next-hop>"
            "</ipv4-route></static-routes></vrf>"
        )
    if kind == "del-if":
        name = draw(st.sampled_from(["Lo0", "Gi1", "Gi2.3", "Gi3"]))
        return "if", f"<interface{rm}><name>{name}</name></interface>"
    if kind == "new-sub":
        vid = draw(st.sampled_from([77, 78]))
        body = subif("Gi2", 77)
        if vid == 78:
            body = body.replace("<name>Gi2.77</name>", "<name>Gi2.78</name>")
        return "if", body
    if kind == "qinq":  # switches the encapsulation choice's case (the edit removes single-tagged)
        sub_id = draw(st.sampled_from([5, 10005]))
        enc = "<encapsulation><double-tagged><outer-vlan-id>1</outer-vlan-id><inner-vlan-id>5</inner-vlan-id>"
        body = (
            f'<sub-interface xmlns="{BNGIF}"><sub-id>{sub_id}</sub-id>{enc}</double-tagged></encapsulation>'
        )
        return "if", f"<interface><name>Gi2.5</name>{body}</sub-interface></interface>"
    if kind == "ha-track":
        name = draw(st.sampled_from(["Gi0", "Gi2.3", "nope"]))
        return "ha", f"<state-sync><track><interface>{name}</interface><vrid>1</vrid></track></state-sync>"
    return "ha", f"<state-sync{rm}/>"


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.one_of(one_structural(), one_leaf()), min_size=1, max_size=3))
def test_structural_commit_verdict_equals_full_validation(edits: list[tuple[str, str]]) -> None:
    ds, s = fresh()
    try:
        for where, body in edits:
            ds.edit_config("candidate", config(WRAP[where].format(body)), session=s)
    except EditError:
        event("edit rejected")
        return
    full_ok, full = _full_result(ds)
    scoped: list[int] = []
    real = DataTree.validate_modules

    def recording(self: DataTree, modules: list[Any]) -> None:
        scoped.append(len(modules))
        real(self, modules)

    try:
        with mock.patch.object(DataTree, "validate_modules", recording):
            prepared = ds.prepare_commit(s)
    except ValidationError as e:
        event("rejected" + (" by per-module validation" if scoped else ""))
        assert not full_ok, f"rejected what full validation accepts: {_error(e)}"
        assert _error(e) == full
        return
    assert full_ok, f"committed an invalid configuration: {full}"
    event("accepted" + (" by per-module validation" if scoped else ""))
    ds.install(prepared)
    assert _prints(ds.running.tree) == full


def test_route_in_a_vrf_validates_only_the_vrf_module(monkeypatch: pytest.MonkeyPatch) -> None:
    ds, s = fresh()
    seen: list[list[str]] = []
    real = DataTree.validate_modules

    def recording(self: DataTree, modules: list[Any]) -> None:
        seen.append([ffi.string(m.name).decode() for m in modules])
        real(self, modules)

    monkeypatch.setattr(DataTree, "validate_modules", recording)
    route = (
        "<vrf><name>blue</name><static-routes><ipv4-route><prefix>192.168.0.0/16</prefix>"
        "<next-hop><id>1</id><outgoing-interface>{}</outgoing-interface></next-hop>"
        "</ipv4-route></static-routes></vrf>"
    )
    ds.edit_config("candidate", config(WRAP["vrf"].format(route.format("Gi0"))), session=s)
    ds.install(ds.prepare_commit(s))
    assert seen == [["bng-vrf"]]
    # a route to an interface that does not exist: the same error as full validation
    ds.edit_config(
        "candidate", config(WRAP["vrf"].format(route.format("Gi7").replace("1</id>", "2</id>"))), session=s
    )
    with pytest.raises(ValidationError) as ei:
        ds.prepare_commit(s)
    assert ei.value.tag == "data-missing" and ei.value.details[0].app_tag == "instance-required"
    assert ei.value.path is not None and ei.value.path.endswith("next-hop[id='2']/outgoing-interface")


def test_deleting_a_referenced_vrf_still_validates_the_interfaces() -> None:
    ds, s = fresh()
    ds.edit_config(
        "candidate",
        config(WRAP["vrf"].format('<vrf nc:operation="remove"><name>red</name></vrf>')),
        session=s,
    )
    with pytest.raises(ValidationError) as ei:
        ds.prepare_commit(s)
    assert ei.value.details[0].app_tag == "instance-required"
    assert ei.value.path is not None and ei.value.path.endswith("/bng-vrf:vrf")


async def test_async_commit_of_a_small_module_change_validates_in_place() -> None:
    """The transaction path (prepare_commit_async): same verdicts and errors, candidate follows."""
    ds, s = fresh()
    route = (
        "<vrf><name>blue</name><static-routes><ipv4-route><prefix>192.168.{}.0/24</prefix>"
        "<next-hop><id>1</id><outgoing-interface>{}</outgoing-interface></next-hop>"
        "</ipv4-route></static-routes></vrf>"
    )
    await ds.edit_config_async("candidate", config(WRAP["vrf"].format(route.format(1, "Gi0"))), session=s)
    ds.install(await ds.prepare_commit_async(s))
    assert "192.168.1.0/24" in ds.read("running", fmt="json")
    assert ds.pending_changes() == [] and not ds.candidate_dirty

    await ds.edit_config_async("candidate", config(WRAP["vrf"].format(route.format(2, "Gi7"))), session=s)
    with pytest.raises(ValidationError) as ei:
        await ds.prepare_commit_async(s)
    assert ei.value.details[0].app_tag == "instance-required"
    assert ei.value.path is not None and ei.value.path.endswith("outgoing-interface")
    assert "192.168.2.0/24" not in ds.read("running", fmt="json")
    # the rejected edit is still in the candidate; fixing it commits both routes' final state
    await ds.edit_config_async("candidate", config(WRAP["vrf"].format(route.format(2, "Gi1"))), session=s)
    ds.install(await ds.prepare_commit_async(s))
    assert "192.168.2.0/24" in ds.read("running", fmt="json")
    assert ds.read("candidate", fmt="json") == ds.read("running", fmt="json")
