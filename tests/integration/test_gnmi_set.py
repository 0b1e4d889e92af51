"""gNMI Set through pygnmi: one transaction of the shared commit engine, applied to the data plane first."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from _gnmi_helpers import ALICE_PASSWORD, Agent, interface, mirror_interfaces, running_agent
from ncclient.operations.rpc import RPCError
from pygnmi.client import gNMIclient, gNMIException
from pygnmi.spec.v080 import gnmi_ext_pb2, gnmi_pb2
from pygnmi.spec.v080.gnmi_pb2_grpc import gNMIStub

IFS = "/ietf-interfaces:interfaces"
MD = [("username", "admin"), ("password", "admin-pw")]
BNG_IF_NS = "urn:bng-agent:yang:bng-interfaces"
IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    with running_agent(tmp_path_factory.mktemp("gnmi-set")) as a:
        yield a


@pytest.fixture
def client(agent: Agent) -> Iterator[gNMIclient]:
    with agent.client() as c:
        yield c


def _running_interfaces(agent: Agent) -> dict[str, Any]:
    doc = agent.command("running")
    return {e["name"]: e for e in doc.get("ietf-interfaces:interfaces", {}).get("interface", [])}


def _code(exc: gNMIException) -> grpc.StatusCode:
    return exc.orig_exc.code()  # type: ignore[no-any-return]


def _wait(cond: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def test_update_replace_delete_reach_the_data_plane(agent: Agent, client: gNMIclient) -> None:
    resp = client.set(
        update=[(IFS, {"interface": [interface("s1", "one"), interface("s2", "two"), interface("s3")]})],
        encoding="json_ietf",
    )
    assert [r["op"] for r in resp["response"]] == ["UPDATE"]
    assert abs(resp["timestamp"] / 1e9 - time.time()) < 60
    plane = mirror_interfaces(agent)
    assert plane["s1"]["description"] == "one" and "s3" in plane
    # replace: the entry becomes exactly the value (description of s2 disappears)
    resp = client.set(replace=[(f"{IFS}/interface[name=s2]", interface("s2"))], encoding="json_ietf")
    assert [r["op"] for r in resp["response"]] == ["REPLACE"]
    assert "description" not in mirror_interfaces(agent)["s2"]
    # delete + update in one request, reported per path in request order
    resp = client.set(
        delete=[f"{IFS}/interface[name=s3]"],
        update=[(f"{IFS}/interface[name=s1]/description", "uno")],
        encoding="json_ietf",
    )
    assert [r["op"] for r in resp["response"]] == ["DELETE", "UPDATE"]
    plane = mirror_interfaces(agent)
    assert "s3" not in plane and plane["s1"]["description"] == "uno"
    assert plane == _running_interfaces(agent)


def test_a_failing_data_plane_step_leaves_everything_unchanged(agent: Agent, client: gNMIclient) -> None:
    client.set(update=[(IFS, {"interface": [interface("f1", "before")]})], encoding="json_ietf")
    before_plane, before_running = mirror_interfaces(agent), _running_interfaces(agent)
    agent.command("fail_next_apply", step=1)
    with pytest.raises(gNMIException) as info:
        client.set(
            update=[
                (f"{IFS}/interface[name=f1]/description", "after"),
                (IFS, {"interface": [interface("f2"), interface("f3")]}),
            ],
            encoding="json_ietf",
        )
    assert _code(info.value) == grpc.StatusCode.FAILED_PRECONDITION
    assert "injected failure" in info.value.orig_exc.details()
    assert mirror_interfaces(agent) == before_plane
    assert _running_interfaces(agent) == before_running


def test_an_invalid_value_fails_the_whole_set(agent: Agent, client: gNMIclient) -> None:
    before = _running_interfaces(agent)
    with pytest.raises(gNMIException) as info:
        client.set(
            update=[
                (IFS, {"interface": [interface("v1")]}),
                (f"{IFS}/interface[name=v1]/type", "iana-if-type:no-such-type"),
            ],
            encoding="json_ietf",
        )
    assert _code(info.value) == grpc.StatusCode.INVALID_ARGUMENT
    assert _running_interfaces(agent) == before


def test_set_is_refused_while_netconf_holds_the_running_lock(agent: Agent, client: gNMIclient) -> None:
    with agent.netconf() as nc:
        nc.lock("running")
        with pytest.raises(gNMIException) as info:
            client.set(update=[(IFS, {"interface": [interface("l1")]})], encoding="json_ietf")
        assert _code(info.value) == grpc.StatusCode.FAILED_PRECONDITION
        assert "locked by session" in info.value.orig_exc.details()
        nc.unlock("running")
    client.set(update=[(IFS, {"interface": [interface("l1")]})], encoding="json_ietf")
    assert "l1" in mirror_interfaces(agent)


def test_nacm_denies_writes_of_a_read_only_user(agent: Agent) -> None:
    with agent.client(username="alice", password=ALICE_PASSWORD) as c:
        with pytest.raises(gNMIException) as info:
            c.set(update=[(IFS, {"interface": [interface("a1")]})], encoding="json_ietf")
        assert _code(info.value) == grpc.StatusCode.PERMISSION_DENIED
    assert "a1" not in _running_interfaces(agent)


# ------------------------------------------------------------------------------------ commit confirmed
# pygnmi's bundled gnmi_ext (gNMI 0.8) predates the Commit extension, so the extension is encoded here
# by hand (field numbers from gnmi_ext.proto: Extension.commit = 4; Commit.id = 1, commit = 2,
# confirm = 3, cancel = 4; CommitRequest.rollback_duration = 1; Duration.seconds = 1). Protobuf keeps
# unknown fields, so the bytes travel unchanged inside pygnmi's SetRequest.


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num: int, payload: bytes) -> bytes:
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def _commit_ext(token: str, action: str, seconds: int = 0) -> Any:
    body = _field(1, token.encode())
    if action in ("commit", "set_rollback_duration"):
        number = 2 if action == "commit" else 5
        body += _field(number, _field(1, _varint(1 << 3) + _varint(seconds)))
    else:
        body += _field({"confirm": 3, "cancel": 4}[action], b"")
    return gnmi_ext_pb2.Extension.FromString(_field(4, body))


def _stub(agent: Agent) -> tuple[grpc.Channel, Any]:
    creds = grpc.ssl_channel_credentials(Path(agent.cert).read_bytes())
    channel = grpc.secure_channel(f"localhost:{agent.gnmi_port}", creds)
    return channel, gNMIStub(channel)


def _desc_update(name: str, text: str) -> Any:
    path = gnmi_pb2.Path(
        elem=[
            gnmi_pb2.PathElem(name="ietf-interfaces:interfaces"),
            gnmi_pb2.PathElem(name="interface", key={"name": name}),
            gnmi_pb2.PathElem(name="description"),
        ]
    )
    return gnmi_pb2.Update(path=path, val=gnmi_pb2.TypedValue(string_val=text))


def test_commit_confirmed_rolls_back_unless_confirmed(agent: Agent, client: gNMIclient) -> None:
    client.set(update=[(IFS, {"interface": [interface("c1", "stable")]})], encoding="json_ietf")
    channel, stub = _stub(agent)
    with channel:
        # not confirmed: back to "stable" after the rollback duration
        stub.Set(
            gnmi_pb2.SetRequest(
                update=[_desc_update("c1", "trial")], extension=[_commit_ext("t1", "commit", 1)]
            ),
            metadata=MD,
        )
        assert mirror_interfaces(agent)["c1"]["description"] == "trial"
        assert _wait(lambda: mirror_interfaces(agent)["c1"]["description"] == "stable")
        assert _running_interfaces(agent)["c1"]["description"] == "stable"
        # confirmed with the same id: kept
        stub.Set(
            gnmi_pb2.SetRequest(
                update=[_desc_update("c1", "kept")], extension=[_commit_ext("t2", "commit", 1)]
            ),
            metadata=MD,
        )
        with pytest.raises(grpc.RpcError) as info:  # a second commit while one is pending
            stub.Set(
                gnmi_pb2.SetRequest(
                    update=[_desc_update("c1", "x")], extension=[_commit_ext("t3", "commit", 5)]
                ),
                metadata=MD,
            )
        assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        with pytest.raises(grpc.RpcError) as info:  # confirming with the wrong id
            stub.Set(gnmi_pb2.SetRequest(extension=[_commit_ext("nope", "confirm")]), metadata=MD)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        stub.Set(gnmi_pb2.SetRequest(extension=[_commit_ext("t2", "confirm")]), metadata=MD)
        time.sleep(1.5)
        assert mirror_interfaces(agent)["c1"]["description"] == "kept"
        # cancel: reverted at once
        stub.Set(
            gnmi_pb2.SetRequest(
                update=[_desc_update("c1", "gone")], extension=[_commit_ext("t4", "commit", 60)]
            ),
            metadata=MD,
        )
        assert mirror_interfaces(agent)["c1"]["description"] == "gone"
        stub.Set(gnmi_pb2.SetRequest(extension=[_commit_ext("t4", "cancel")]), metadata=MD)
        assert mirror_interfaces(agent)["c1"]["description"] == "kept"
        assert _running_interfaces(agent)["c1"]["description"] == "kept"


def test_set_rollback_duration_rearms_the_pending_commit(agent: Agent, client: gNMIclient) -> None:
    client.set(update=[(IFS, {"interface": [interface("r1", "stable")]})], encoding="json_ietf")
    channel, stub = _stub(agent)
    with channel:
        stub.Set(
            gnmi_pb2.SetRequest(
                update=[_desc_update("r1", "trial")], extension=[_commit_ext("r", "commit", 300)]
            ),
            metadata=MD,
        )
        assert mirror_interfaces(agent)["r1"]["description"] == "trial"
        stub.Set(gnmi_pb2.SetRequest(extension=[_commit_ext("r", "set_rollback_duration", 1)]), metadata=MD)
        assert _wait(lambda: mirror_interfaces(agent)["r1"]["description"] == "stable")
        assert _running_interfaces(agent)["r1"]["description"] == "stable"


def test_unknown_extensions_are_unimplemented(agent: Agent) -> None:
    # union_replace is served (test_gnmi_conformance.py); the History extension is not
    channel, stub = _stub(agent)
    with channel:
        hist = gnmi_ext_pb2.Extension(history=gnmi_ext_pb2.History(snapshot_time=1))
        with pytest.raises(grpc.RpcError) as info:
            stub.Set(gnmi_pb2.SetRequest(update=[_desc_update("x", "y")], extension=[hist]), metadata=MD)
        assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED


def _subif(name: str, parent: str, sub_id: int, vlan: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"parent-interface": parent, "sub-id": sub_id}
    if vlan is not None:
        body["encapsulation"] = {"single-tagged": {"vlan-id": vlan}}
    return {"name": name, "type": "iana-if-type:l2vlan", "bng-interfaces:sub-interface": body}


@pytest.mark.parametrize(
    ("entry", "app_tag_text"),
    [
        # must: a sub-interface is named <parent>.<sub-id> (RFC 7950 15.4 must-violation)
        (_subif("p0.5", "p0", 6, 6), "must be named"),
        # must: single-tagged sub-id equals the VLAN id
        (_subif("p0.7", "p0", 7, 8), "must equal its VLAN id"),
        # leafref to an interface that does not exist (15.5 instance-required)
        (_subif("nope.5", "nope", 5, 5), "no target instance"),
        # a mandatory choice without a case (15.6 missing-choice)
        (_subif("p0.9", "p0", 9), "Mandatory choice"),
    ],
)
def test_a_set_breaking_a_model_constraint_is_invalid_argument(
    agent: Agent, client: gNMIclient, entry: dict[str, Any], app_tag_text: str
) -> None:
    client.set(update=[(IFS, {"interface": [interface("p0")]})], encoding="json_ietf")
    before_plane, before_running = mirror_interfaces(agent), _running_interfaces(agent)
    with pytest.raises(gNMIException) as info:
        client.set(update=[(IFS, {"interface": [entry]})], encoding="json_ietf")
    # the request is invalid whatever the system's state: INVALID_ARGUMENT, not FAILED_PRECONDITION
    assert _code(info.value) == grpc.StatusCode.INVALID_ARGUMENT
    assert app_tag_text in info.value.orig_exc.details()
    assert mirror_interfaces(agent) == before_plane
    assert _running_interfaces(agent) == before_running


def test_netconf_keeps_operation_failed_for_a_must_violation(agent: Agent) -> None:
    ianaift = 'xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type"'
    config = f"""<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
      <interfaces xmlns="{IF_NS}">
      <interface><name>n0</name><type {ianaift}>ianaift:ethernetCsmacd</type></interface>
      <interface><name>n0.5</name><type {ianaift}>ianaift:l2vlan</type>
        <sub-interface xmlns="{BNG_IF_NS}"><parent-interface>n0</parent-interface><sub-id>6</sub-id>
          <encapsulation><single-tagged><vlan-id>6</vlan-id></single-tagged></encapsulation></sub-interface>
      </interface></interfaces></config>"""
    with agent.netconf() as nc:
        nc.discard_changes()
        nc.edit_config(target="candidate", config=config)
        try:
            with pytest.raises(RPCError) as info:
                nc.commit()
        finally:
            nc.discard_changes()
    # RFC 7950 15.4: error-tag operation-failed, error-app-tag must-violation (only gNMI's code differs)
    assert info.value.tag == "operation-failed"
    assert info.value.app_tag == "must-violation"


def test_module_name_origin_paths_from_pygnmi(agent: Agent, client: gNMIclient) -> None:
    # pygnmi turns "module:path" into origin=module + unqualified elems, as gnmic does
    entry = "ietf-interfaces:interfaces/interface[name=o1]"
    client.set(update=[("ietf-interfaces:interfaces", {"interface": [interface("o1", "first")]})])
    assert _wait(lambda: mirror_interfaces(agent).get("o1", {}).get("description") == "first")
    client.set(replace=[(entry, interface("o1", "second"))], encoding="json_ietf")
    got = client.get(path=[f"{entry}/description"], datatype="config", encoding="json_ietf")
    assert [u["val"] for n in got["notification"] for u in n["update"]] == ["second"]
    client.set(update=[(f"{entry}/description", "third")], encoding="json_ietf")
    assert _running_interfaces(agent)["o1"]["description"] == "third"
    client.set(delete=[entry], encoding="json_ietf")
    assert "o1" not in _running_interfaces(agent)
    assert _wait(lambda: "o1" not in mirror_interfaces(agent))


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("openconfig:interfaces/interface[name=o2]/config/description", grpc.StatusCode.UNIMPLEMENTED),
        ("no-such-module:interfaces/interface[name=o2]/description", grpc.StatusCode.INVALID_ARGUMENT),
    ],
)
def test_set_with_an_unserved_or_unknown_origin(
    agent: Agent, client: gNMIclient, path: str, code: grpc.StatusCode
) -> None:
    before = _running_interfaces(agent)
    with pytest.raises(gNMIException) as info:
        client.set(update=[(path, "x")], encoding="json_ietf")
    assert _code(info.value) == code
    assert _running_interfaces(agent) == before


def test_set_of_data_the_agent_does_not_apply_yet_succeeds_with_a_warning_extension(agent: Agent) -> None:
    """gNMI has no warning field: the warning travels as an experimental registered extension whose
    msg is JSON; the Set itself succeeds and running holds the data."""
    # the per-protocol MTU (ietf-ip ipv4/mtu) has no plan to be applied: a stable example
    mtu_if = {**interface("na-mtu"), "ietf-ip:ipv4": {"mtu": 1400}}
    update = gnmi_pb2.Update(
        path=gnmi_pb2.Path(
            elem=[
                gnmi_pb2.PathElem(name="ietf-interfaces:interfaces"),
                gnmi_pb2.PathElem(name="interface", key={"name": "na-mtu"}),
            ]
        ),
        val=gnmi_pb2.TypedValue(json_ietf_val=json.dumps(mtu_if).encode()),
    )
    channel, stub = _stub(agent)
    try:
        response = stub.Set(gnmi_pb2.SetRequest(update=[update]), metadata=MD)
        entry = gnmi_pb2.Update(
            path=gnmi_pb2.Path(
                elem=[
                    gnmi_pb2.PathElem(name="ietf-interfaces:interfaces"),
                    gnmi_pb2.PathElem(name="interface", key={"name": "na-plain"}),
                ]
            ),
            val=gnmi_pb2.TypedValue(json_ietf_val=json.dumps(interface("na-plain")).encode()),
        )
        plain = stub.Set(gnmi_pb2.SetRequest(update=[entry]), metadata=MD)
    finally:
        channel.close()
    assert len(response.extension) == 1
    registered = response.extension[0].registered_ext
    assert registered.id == gnmi_ext_pb2.EID_EXPERIMENTAL
    (warning,) = json.loads(registered.msg)["warnings"]
    assert warning["path"] == "/ietf-interfaces:interfaces/interface[name='na-mtu']/ietf-ip:ipv4/mtu"
    assert warning["app-tag"] == "not-applied" and "per-protocol (IPv4) MTU" in warning["message"]
    assert "na-mtu" in json.dumps(agent.command("running"))
    assert len(plain.extension) == 0
