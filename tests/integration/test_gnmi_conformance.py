"""gNMI conformance details (issue #7) through a real gRPC client: prefix.target, use_models, the Depth
extension, union_replace, commit-confirmed status codes, sample intervals.

pygnmi's bundled protos (gNMI 0.8) predate ``SetRequest.union_replace``, ``UpdateResult.UNION_REPLACE``
and the gnmi_ext ``Commit`` / ``Depth`` extensions, so those fields are appended as raw protobuf bytes
(field numbers from proto/gnmi.proto and proto/gnmi_ext.proto); protobuf keeps unknown fields, so they
travel unchanged inside pygnmi's messages, and unknown enum values decode as plain numbers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from _gnmi_helpers import ALICE_PASSWORD, Agent, interface, running_agent
from pygnmi.spec.v080 import gnmi_ext_pb2, gnmi_pb2
from pygnmi.spec.v080.gnmi_pb2_grpc import gNMIStub

MD = [("username", "admin"), ("password", "admin-pw")]
JSON_IETF, PROTO = 4, 2
OP_UNION_REPLACE = 4


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


def _depth(level: int) -> Any:
    """gnmi_ext.Extension{depth: Depth{level}} (Extension.depth = 5, Depth.level = 1)."""
    return gnmi_ext_pb2.Extension.FromString(_field(5, _varint(1 << 3) + _varint(level)))


def _commit_ext(token: str, action: str, seconds: int | None = None) -> Any:
    """gnmi_ext.Extension{commit: Commit{id, <action>}} (Extension.commit = 4)."""
    body = _field(1, token.encode())
    number = {"commit": 2, "confirm": 3, "cancel": 4, "set_rollback_duration": 5}[action]
    inner = b"" if seconds is None else _field(1, _varint(1 << 3) + _varint(seconds))
    body += _field(number, inner)
    return gnmi_ext_pb2.Extension.FromString(_field(4, body))


def _path(*elems: str | tuple[str, dict[str, str]], target: str = "") -> Any:
    p = gnmi_pb2.Path(target=target)
    for e in elems:
        if isinstance(e, tuple):
            p.elem.add(name=e[0], key=e[1])
        else:
            p.elem.add(name=e)
    return p


def _if(name: str, *rest: str) -> Any:
    return _path("ietf-interfaces:interfaces", ("interface", {"name": name}), *rest)


def _json(value: Any) -> Any:
    return gnmi_pb2.TypedValue(json_ietf_val=json.dumps(value).encode())


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    with running_agent(tmp_path_factory.mktemp("gnmi-conf")) as a:
        with a.client() as c:
            c0 = {**interface("c0", "zero"), "ietf-ip:ipv4": {"mtu": 1400}}
            c.set(
                update=[("/ietf-interfaces:interfaces", {"interface": [c0, interface("c1", "one")]})],
                encoding="json_ietf",
            )
        yield a


@pytest.fixture
def stub(agent: Agent) -> Iterator[Any]:
    creds = grpc.ssl_channel_credentials(Path(agent.cert).read_bytes())
    with grpc.secure_channel(f"localhost:{agent.gnmi_port}", creds) as channel:
        yield gNMIStub(channel)


def _code(call: Any) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as info:
        call()
    return info.value.code()  # type: ignore[no-any-return]


def _running_ifs(agent: Agent) -> dict[str, Any]:
    doc = agent.command("running")
    return {e["name"]: e for e in doc.get("ietf-interfaces:interfaces", {}).get("interface", [])}


def _elems(path: Any) -> str:
    return "/".join(e.name + "".join(f"[{k}={v}]" for k, v in sorted(e.key.items())) for e in path.elem)


def _leaves(responses: list[Any]) -> dict[str, Any]:
    """{absolute path: value} of the updates in a list of SubscribeResponses / Notifications."""
    out: dict[str, Any] = {}
    for r in responses:
        note = r.update if hasattr(r, "sync_response") else r
        pre = _elems(note.prefix)
        for u in note.update:
            rel = _elems(u.path)
            kind = u.val.WhichOneof("value")
            val = getattr(u.val, kind)
            out[f"{pre}/{rel}" if pre else rel] = json.loads(val) if kind.startswith("json") else val
    return out


def _once(stub: Any, slist: Any, extension: list[Any] | None = None) -> list[Any]:
    req = gnmi_pb2.SubscribeRequest(subscribe=slist, extension=extension or [])
    return list(stub.Subscribe(iter([req]), metadata=MD, timeout=20))


# ----------------------------------------------------------------------------------------------- Get


def test_get_echoes_prefix_target_in_every_notification(stub: Any) -> None:
    prefix = _path("ietf-interfaces:interfaces", target="bng-7")
    req = gnmi_pb2.GetRequest(
        prefix=prefix,
        path=[_path(("interface", {"name": "c0"}), "description"), _path(("interface", {"name": "c1"}))],
        encoding=JSON_IETF,
    )
    resp = stub.Get(req, metadata=MD)
    assert len(resp.notification) == 2
    assert all(n.prefix.target == "bng-7" and not n.prefix.elem for n in resp.notification)
    assert _leaves(resp.notification)["ietf-interfaces:interfaces/interface[name=c0]/description"] == "zero"


def test_get_use_models_leaves_out_other_modules_data(stub: Any) -> None:
    def get(models: list[Any]) -> dict[str, Any]:
        req = gnmi_pb2.GetRequest(path=[_if("c0")], encoding=JSON_IETF, type=1, use_models=models)
        return _leaves(stub.Get(req, metadata=MD).notification)[
            "ietf-interfaces:interfaces/interface[name=c0]"
        ]

    everything = get([])
    assert everything["ietf-ip:ipv4"] == {"mtu": 1400}
    only_if = get([gnmi_pb2.ModelData(name="ietf-interfaces")])
    assert only_if["description"] == "zero" and "ietf-ip:ipv4" not in only_if
    with_ip = get([gnmi_pb2.ModelData(name="ietf-interfaces"), gnmi_pb2.ModelData(name="ietf-ip")])
    assert with_ip["ietf-ip:ipv4"] == {"mtu": 1400}
    # PROTO (one update per leaf) filters the same way
    req = gnmi_pb2.GetRequest(
        path=[_if("c0")], encoding=PROTO, type=1, use_models=[gnmi_pb2.ModelData(name="ietf-interfaces")]
    )
    paths = set(_leaves(stub.Get(req, metadata=MD).notification))
    assert "ietf-interfaces:interfaces/interface[name=c0]/description" in paths
    assert not any("ietf-ip:" in p for p in paths)


def test_get_use_models_errors(stub: Any) -> None:
    def code(models: list[Any], path: Any = None) -> grpc.StatusCode:
        req = gnmi_pb2.GetRequest(path=[path or _if("c0")], encoding=JSON_IETF, use_models=models)
        return _code(lambda: stub.Get(req, metadata=MD))

    assert code([gnmi_pb2.ModelData(name="openconfig-interfaces")]) == grpc.StatusCode.INVALID_ARGUMENT
    wrong = gnmi_pb2.ModelData(name="ietf-interfaces", version="1999-01-01")
    assert code([wrong]) == grpc.StatusCode.INVALID_ARGUMENT
    # the addressed node belongs to a module outside the set: no data there
    assert code([gnmi_pb2.ModelData(name="ietf-ip")]) == grpc.StatusCode.NOT_FOUND


def test_get_depth_extension(stub: Any) -> None:
    def get(level: int, encoding: int = JSON_IETF, dtype: int = 1) -> dict[str, Any]:
        req = gnmi_pb2.GetRequest(path=[_if("c0")], encoding=encoding, type=dtype, extension=[_depth(level)])
        return _leaves(stub.Get(req, metadata=MD).notification)

    one = get(1)["ietf-interfaces:interfaces/interface[name=c0]"]
    assert one["description"] == "zero" and "ietf-ip:ipv4" not in one
    two = get(2)["ietf-interfaces:interfaces/interface[name=c0]"]
    assert two["ietf-ip:ipv4"] == {"mtu": 1400}
    assert get(0) == get(2)  # level 0: no limit
    proto = set(get(1, PROTO))
    assert "ietf-interfaces:interfaces/interface[name=c0]/description" in proto
    assert not any("ipv4" in p for p in proto)
    # state: the counters sit one level below the entry
    state = set(get(1, PROTO, dtype=2))
    assert "ietf-interfaces:interfaces/interface[name=c0]/oper-status" in state
    assert not any("statistics" in p for p in state)
    assert any("statistics/in-octets" in p for p in get(2, PROTO, dtype=2))


def test_depth_on_set_and_capabilities_is_refused(stub: Any) -> None:
    req = gnmi_pb2.SetRequest(extension=[_depth(1)])
    assert _code(lambda: stub.Set(req, metadata=MD)) == grpc.StatusCode.UNIMPLEMENTED
    caps = gnmi_pb2.CapabilityRequest(extension=[_depth(1)])
    assert _code(lambda: stub.Capabilities(caps, metadata=MD)) == grpc.StatusCode.UNIMPLEMENTED


def test_get_all_returns_config_and_state(stub: Any) -> None:
    req = gnmi_pb2.GetRequest(path=[_if("c0")], encoding=PROTO, type=0)
    paths = set(_leaves(stub.Get(req, metadata=MD).notification))
    base = "ietf-interfaces:interfaces/interface[name=c0]"
    assert {f"{base}/description", f"{base}/oper-status", f"{base}/statistics/in-octets"} <= paths


# ----------------------------------------------------------------------------------------------- Set


def test_delete_of_a_missing_path_is_accepted(agent: Agent, stub: Any) -> None:
    before = _running_ifs(agent)
    req = gnmi_pb2.SetRequest(delete=[_if("never-there"), _if("c1", "ietf-ip:ipv4")])
    resp = stub.Set(req, metadata=MD)
    assert [r.op for r in resp.response] == [1, 1]
    assert _running_ifs(agent) == before


def _union_request(*updates: Any, **kw: Any) -> Any:
    """A SetRequest with ``updates`` as union_replace (SetRequest field 6)."""
    raw = gnmi_pb2.SetRequest(**kw).SerializeToString()
    raw += b"".join(_field(6, u.SerializeToString()) for u in updates)
    return gnmi_pb2.SetRequest.FromString(raw)


def test_union_replace_replaces_the_subtrees_with_the_union_of_the_contents(agent: Agent, stub: Any) -> None:
    entry = {**interface("u1", "old"), "enabled": False, "ietf-ip:ipv4": {"mtu": 1300}}
    stub.Set(gnmi_pb2.SetRequest(update=[gnmi_pb2.Update(path=_if("u1"), val=_json(entry))]), metadata=MD)
    stub.Set(
        gnmi_pb2.SetRequest(update=[gnmi_pb2.Update(path=_if("u2"), val=_json(interface("u2", "keep")))]),
        metadata=MD,
    )
    req = _union_request(
        gnmi_pb2.Update(path=_if("u1"), val=_json(interface("u1"))),
        gnmi_pb2.Update(path=_if("u1", "description"), val=_json("new")),
        gnmi_pb2.Update(path=_if("u1", "ietf-ip:ipv4"), val=_json({"mtu": 1280})),
    )
    resp = stub.Set(req, metadata=MD)
    assert [r.op for r in resp.response] == [OP_UNION_REPLACE] * 3
    running = _running_ifs(agent)
    u1 = running["u1"]
    assert u1["description"] == "new" and u1["ietf-ip:ipv4"] == {"mtu": 1280}
    assert "enabled" not in u1  # not in the union: back to its default
    assert running["u2"]["description"] == "keep"  # outside the replaced subtrees


def test_union_replace_cannot_be_mixed_with_replace_or_update(agent: Agent, stub: Any) -> None:
    before = _running_ifs(agent)
    req = _union_request(
        gnmi_pb2.Update(path=_if("c0", "description"), val=_json("a")),
        update=[gnmi_pb2.Update(path=_if("c1", "description"), val=_json("b"))],
    )
    assert _code(lambda: stub.Set(req, metadata=MD)) == grpc.StatusCode.INVALID_ARGUMENT
    assert _running_ifs(agent) == before


def test_commit_confirmed_status_codes(agent: Agent, stub: Any) -> None:
    def code(*ext: Any, update: list[Any] | None = None) -> grpc.StatusCode:
        req = gnmi_pb2.SetRequest(update=update or [], extension=list(ext))
        return _code(lambda: stub.Set(req, metadata=MD))

    desc = [gnmi_pb2.Update(path=_if("c1", "description"), val=_json("trial"))]
    # nothing pending: confirm, cancel and set_rollback_duration are FAILED_PRECONDITION
    assert code(_commit_ext("k", "confirm")) == grpc.StatusCode.FAILED_PRECONDITION
    assert code(_commit_ext("k", "cancel")) == grpc.StatusCode.FAILED_PRECONDITION
    assert code(_commit_ext("k", "set_rollback_duration", 30)) == grpc.StatusCode.FAILED_PRECONDITION
    stub.Set(gnmi_pb2.SetRequest(update=desc, extension=[_commit_ext("k", "commit", 300)]), metadata=MD)
    try:
        # a Set without the extension while the rollback timer runs
        plain = [gnmi_pb2.Update(path=_if("c1", "description"), val=_json("plain"))]
        assert code(update=plain) == grpc.StatusCode.FAILED_PRECONDITION
        # wrong id: INVALID_ARGUMENT; a zero or missing rollback duration: INVALID_ARGUMENT
        assert code(_commit_ext("other", "confirm")) == grpc.StatusCode.INVALID_ARGUMENT
        assert code(_commit_ext("other", "cancel")) == grpc.StatusCode.INVALID_ARGUMENT
        assert code(_commit_ext("k", "set_rollback_duration", 0)) == grpc.StatusCode.INVALID_ARGUMENT
        assert code(_commit_ext("k", "set_rollback_duration")) == grpc.StatusCode.INVALID_ARGUMENT
        assert _running_ifs(agent)["c1"]["description"] == "trial"
    finally:
        stub.Set(gnmi_pb2.SetRequest(extension=[_commit_ext("k", "cancel")]), metadata=MD)
    assert _running_ifs(agent)["c1"]["description"] == "one"


# ----------------------------------------------------------------------------------------- Subscribe


def _slist(*subs: Any, mode: int = 1, encoding: int = PROTO, **kw: Any) -> Any:
    return gnmi_pb2.SubscriptionList(subscription=list(subs), mode=mode, encoding=encoding, **kw)


def test_subscribe_echoes_prefix_target(agent: Agent, stub: Any) -> None:
    slist = _slist(
        gnmi_pb2.Subscription(path=_path(("interface", {"name": "c0"}), "description")),
        prefix=_path("ietf-interfaces:interfaces", target="bng-7"),
    )
    got = _once(stub, slist)
    assert got[-1].sync_response
    notes = [r.update for r in got if r.HasField("update")]
    assert notes and all(n.prefix.target == "bng-7" for n in notes)
    assert _leaves(notes) == {"ietf-interfaces:interfaces/interface[name=c0]/description": "zero"}


def test_on_change_deletes_carry_the_target(agent: Agent, stub: Any) -> None:
    stub.Set(
        gnmi_pb2.SetRequest(update=[gnmi_pb2.Update(path=_if("t9"), val=_json(interface("t9", "x")))]),
        metadata=MD,
    )
    sub = gnmi_pb2.Subscription(path=_path("interface", "description"), mode=1)
    slist = _slist(sub, mode=0, prefix=_path("ietf-interfaces:interfaces", target="bng-7"))
    call = stub.Subscribe(iter([gnmi_pb2.SubscribeRequest(subscribe=slist)]), metadata=MD, timeout=30)
    try:
        for r in call:  # initial values, then sync
            if r.sync_response:
                break
        stub.Set(gnmi_pb2.SetRequest(delete=[_if("t9")]), metadata=MD)
        deletes = next(r.update for r in call if r.HasField("update") and r.update.delete)
        assert deletes.prefix.target == "bng-7"
        assert [_elems(d) for d in deletes.delete] == ["ietf-interfaces:interfaces/interface[name=t9]"]
    finally:
        call.cancel()


def test_subscribe_use_models(stub: Any) -> None:
    sub = gnmi_pb2.Subscription(path=_if("c0"))
    only_if = _leaves(_once(stub, _slist(sub, use_models=[gnmi_pb2.ModelData(name="ietf-interfaces")])))
    assert "ietf-interfaces:interfaces/interface[name=c0]/description" in only_if
    assert not any("ietf-ip:" in p for p in only_if)
    assert any("ietf-ip:ipv4/mtu" in p for p in _leaves(_once(stub, _slist(sub))))
    bad = _slist(sub, use_models=[gnmi_pb2.ModelData(name="no-such-model")])
    assert _code(lambda: _once(stub, bad)) == grpc.StatusCode.INVALID_ARGUMENT


def test_subscribe_depth_extension(stub: Any) -> None:
    sub = gnmi_pb2.Subscription(path=_if("c0"))
    one = set(_leaves(_once(stub, _slist(sub), [_depth(1)])))
    base = "ietf-interfaces:interfaces/interface[name=c0]"
    assert {f"{base}/description", f"{base}/oper-status"} <= one
    assert not any("statistics" in p or "ipv4" in p for p in one)
    two = set(_leaves(_once(stub, _slist(sub), [_depth(2)])))
    assert f"{base}/statistics/in-octets" in two and f"{base}/ietf-ip:ipv4/mtu" in two
    desc = gnmi_pb2.Subscription(path=_path("ietf-interfaces:interfaces", "..."))
    assert _code(lambda: _once(stub, _slist(desc), [_depth(1)])) == grpc.StatusCode.UNIMPLEMENTED


def test_sample_interval_below_the_minimum_is_invalid_argument(stub: Any) -> None:
    path = _if("c0", "statistics", "in-octets")
    fast = gnmi_pb2.Subscription(path=path, mode=2, sample_interval=1000)
    assert _code(lambda: _once(stub, _slist(fast, mode=0))) == grpc.StatusCode.INVALID_ARGUMENT
    beat = gnmi_pb2.Subscription(path=path, mode=1, heartbeat_interval=1000)
    assert _code(lambda: _once(stub, _slist(beat, mode=0))) == grpc.StatusCode.INVALID_ARGUMENT
    # 0 is "the lowest interval the target supports": accepted; allow_aggregation is accepted too
    lowest = gnmi_pb2.Subscription(path=path, mode=2, sample_interval=0)
    slist = _slist(lowest, mode=0, allow_aggregation=True)
    call = stub.Subscribe(iter([gnmi_pb2.SubscribeRequest(subscribe=slist)]), metadata=MD, timeout=30)
    try:
        samples = 0
        started = time.monotonic()
        for r in call:
            if r.HasField("update"):
                samples += 1
            if samples >= 3 or time.monotonic() - started > 20:
                break
        assert samples >= 3
    finally:
        call.cancel()


def test_sample_intervals_are_not_checked_for_once_and_poll(stub: Any) -> None:
    fast = gnmi_pb2.Subscription(path=_if("c0", "description"), mode=2, sample_interval=1000)
    got = _once(stub, _slist(fast, mode=1))
    assert got[-1].sync_response and _leaves(got)


# ------------------------------------------------------------------------------------ replace semantics


def test_replace_of_a_list_keeps_only_the_entries_given(agent: Agent, stub: Any) -> None:
    stub.Set(
        gnmi_pb2.SetRequest(
            update=[gnmi_pb2.Update(path=_if(n), val=_json(interface(n, n))) for n in ("r1", "r2", "r3")]
        ),
        metadata=MD,
    )
    now = _running_ifs(agent)
    keep = [interface(n, now[n].get("description")) for n in sorted(now) if n not in ("r2", "r3")]
    lst = _path("ietf-interfaces:interfaces", "interface")
    stub.Set(gnmi_pb2.SetRequest(replace=[gnmi_pb2.Update(path=lst, val=_json(keep))]), metadata=MD)
    running = _running_ifs(agent)
    assert "r1" in running and "r2" not in running and "r3" not in running
    # an update of the list adds entries (the {"interface": [...]} form is accepted too)
    more = {"interface": [interface("r2", "back")]}
    stub.Set(gnmi_pb2.SetRequest(update=[gnmi_pb2.Update(path=lst, val=_json(more))]), metadata=MD)
    running = _running_ifs(agent)
    assert running["r2"]["description"] == "back" and "r1" in running
    # union_replace of the list: exactly the union of the entries given
    kept = [interface(n, running[n].get("description")) for n in sorted(running) if n != "r1"]
    union = _union_request(
        gnmi_pb2.Update(path=lst, val=_json(kept)),
        gnmi_pb2.Update(path=_if("r2", "description"), val=_json("union")),
    )
    stub.Set(union, metadata=MD)
    running = _running_ifs(agent)
    assert "r1" not in running and running["r2"]["description"] == "union"
    assert running["c0"]["description"] == "zero" and "ietf-ip:ipv4" not in running["c0"]
    c0 = {**interface("c0", "zero"), "ietf-ip:ipv4": {"mtu": 1400}}  # as the fixture made it
    stub.Set(gnmi_pb2.SetRequest(replace=[gnmi_pb2.Update(path=_if("c0"), val=_json(c0))]), metadata=MD)


def test_replace_of_a_container_resets_what_it_does_not_give(agent: Agent, stub: Any) -> None:
    entry = {**interface("r4", "four"), "enabled": False, "ietf-ip:ipv4": {"mtu": 1300}}
    stub.Set(gnmi_pb2.SetRequest(update=[gnmi_pb2.Update(path=_if("r4"), val=_json(entry))]), metadata=MD)
    stub.Set(
        gnmi_pb2.SetRequest(replace=[gnmi_pb2.Update(path=_if("r4", "ietf-ip:ipv4"), val=_json({}))]),
        metadata=MD,
    )
    r4 = _running_ifs(agent)["r4"]
    assert "mtu" not in r4.get("ietf-ip:ipv4", {}) and r4["enabled"] is False
    # a leaf replaced is just set; the entry replaced loses enabled=false (back to the default)
    stub.Set(
        gnmi_pb2.SetRequest(replace=[gnmi_pb2.Update(path=_if("r4", "description"), val=_json("leaf"))]),
        metadata=MD,
    )
    assert _running_ifs(agent)["r4"]["description"] == "leaf"
    stub.Set(
        gnmi_pb2.SetRequest(replace=[gnmi_pb2.Update(path=_if("r4"), val=_json(interface("r4", "new")))]),
        metadata=MD,
    )
    assert "enabled" not in _running_ifs(agent)["r4"]


def test_a_key_in_the_value_that_contradicts_the_path_is_invalid_argument(agent: Agent, stub: Any) -> None:
    before = _running_ifs(agent)
    bad = gnmi_pb2.Update(path=_if("c0"), val=_json(interface("other", "x")))
    assert _code(lambda: stub.Set(gnmi_pb2.SetRequest(update=[bad]), metadata=MD)) == (
        grpc.StatusCode.INVALID_ARGUMENT
    )
    assert _running_ifs(agent) == before


def test_update_of_a_path_the_schema_lacks_is_not_found(agent: Agent, stub: Any) -> None:
    bad = gnmi_pb2.Update(path=_if("c0", "no-such-leaf"), val=_json("x"))
    assert (
        _code(lambda: stub.Set(gnmi_pb2.SetRequest(update=[bad]), metadata=MD)) == grpc.StatusCode.NOT_FOUND
    )
    unparsable = gnmi_pb2.Update(path=_path("ietf-interfaces:interfaces", ("interface", {"nom": "c0"})))
    unparsable.val.CopyFrom(_json({}))
    assert _code(lambda: stub.Set(gnmi_pb2.SetRequest(update=[unparsable]), metadata=MD)) == (
        grpc.StatusCode.INVALID_ARGUMENT
    )


def test_target_defined_decides_per_leaf_in_a_mixed_subtree(agent: Agent, stub: Any) -> None:
    # an interface entry holds configuration (description) and counters: the counters are sampled (at
    # an interval far beyond this test), the configuration is sent when it changes
    sub = gnmi_pb2.Subscription(path=_if("c1"), mode=0, sample_interval=3600 * 10**9)
    slist = _slist(sub, mode=0)
    call = stub.Subscribe(iter([gnmi_pb2.SubscribeRequest(subscribe=slist)]), metadata=MD, timeout=30)
    base = "ietf-interfaces:interfaces/interface[name=c1]"
    try:
        initial = []
        for r in call:
            if r.sync_response:
                break
            initial.append(r)
        first = _leaves(initial)
        assert first[f"{base}/description"] == "one" and f"{base}/statistics/in-octets" in first
        assert len([p for p in first if p.endswith("/description")]) == 1  # sent once, not by both parts
        desc = gnmi_pb2.Update(path=_if("c1", "description"), val=_json("changed"))
        stub.Set(gnmi_pb2.SetRequest(update=[desc]), metadata=MD)
        change = next(r for r in call if r.HasField("update"))
        assert _leaves([change]) == {f"{base}/description": "changed"}
    finally:
        call.cancel()
        desc = gnmi_pb2.Update(path=_if("c1", "description"), val=_json("one"))
        stub.Set(gnmi_pb2.SetRequest(update=[desc]), metadata=MD)


def test_sample_without_suppression_sends_deletes_for_removed_entries(agent: Agent, stub: Any) -> None:
    stub.Set(
        gnmi_pb2.SetRequest(update=[gnmi_pb2.Update(path=_if("s9"), val=_json(interface("s9", "x")))]),
        metadata=MD,
    )
    path = _path("ietf-interfaces:interfaces", ("interface", {"name": "*"}), "statistics")
    sub = gnmi_pb2.Subscription(path=path, mode=2, sample_interval=200_000_000)
    call = stub.Subscribe(
        iter([gnmi_pb2.SubscribeRequest(subscribe=_slist(sub, mode=0))]), metadata=MD, timeout=30
    )
    gone = "ietf-interfaces:interfaces/interface[name=s9]/statistics"
    try:
        for r in call:
            if r.sync_response:
                break
        stub.Set(gnmi_pb2.SetRequest(delete=[_if("s9")]), metadata=MD)
        deletes: list[str] = []
        for n, r in enumerate(call):
            deletes += [_elems(d) for d in r.update.delete]
            if deletes or n > 200:
                break
        assert deletes == [gone]
        # and the next samples no longer carry it
        later = _leaves([next(r for r in call if r.update.update)])
        assert later and not any("name=s9" in p for p in later)
    finally:
        call.cancel()


def test_get_with_an_origin_in_the_prefix(stub: Any) -> None:
    want = {"ietf-interfaces:interfaces/interface[name=c0]/description": "zero"}
    rel = _path(("interface", {"name": "c0"}), "description")
    for origin, first in (
        ("ietf-interfaces", "interfaces"),
        ("rfc7951", "ietf-interfaces:interfaces"),
        ("", "interfaces"),
    ):
        prefix = gnmi_pb2.Path(origin=origin, elem=[gnmi_pb2.PathElem(name=first)])
        resp = stub.Get(gnmi_pb2.GetRequest(prefix=prefix, path=[rel], encoding=JSON_IETF), metadata=MD)
        assert _leaves(resp.notification) == want, origin
    # an origin in the path that differs from the prefix's
    prefix = gnmi_pb2.Path(origin="ietf-interfaces", elem=[gnmi_pb2.PathElem(name="interfaces")])
    other = gnmi_pb2.Path(origin="ietf-ip", elem=rel.elem)
    req = gnmi_pb2.GetRequest(prefix=prefix, path=[other], encoding=JSON_IETF)
    assert _code(lambda: stub.Get(req, metadata=MD)) == grpc.StatusCode.INVALID_ARGUMENT


def test_set_response_echoes_the_prefix_target(stub: Any) -> None:
    prefix = _path("ietf-interfaces:interfaces", target="bng-7")
    up = gnmi_pb2.Update(path=_path(("interface", {"name": "c0"}), "description"), val=_json("zero"))
    resp = stub.Set(gnmi_pb2.SetRequest(prefix=prefix, update=[up]), metadata=MD)
    assert resp.prefix.target == "bng-7" and [r.op for r in resp.response] == [3]


def test_unsupported_subscribe_modes_and_encodings(stub: Any) -> None:
    path = _if("c0", "description")
    bad_mode = _slist(gnmi_pb2.Subscription(path=path, mode=7), mode=0)
    assert _code(lambda: _once(stub, bad_mode)) == grpc.StatusCode.INVALID_ARGUMENT
    bad_list_mode = _slist(gnmi_pb2.Subscription(path=path), mode=9)
    assert _code(lambda: _once(stub, bad_list_mode)) == grpc.StatusCode.INVALID_ARGUMENT
    for encoding in (1, 3):  # BYTES, ASCII
        slist = _slist(gnmi_pb2.Subscription(path=path), encoding=encoding)
        assert _code(lambda s=slist: _once(stub, s)) == grpc.StatusCode.UNIMPLEMENTED
    aliases = gnmi_pb2.SubscribeRequest(aliases=gnmi_pb2.AliasList())
    with pytest.raises(grpc.RpcError) as info:
        list(stub.Subscribe(iter([aliases]), metadata=MD, timeout=20))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # a Poll on a STREAM subscription
    stream = gnmi_pb2.SubscribeRequest(subscribe=_slist(gnmi_pb2.Subscription(path=path, mode=1), mode=0))
    poll = gnmi_pb2.SubscribeRequest(poll=gnmi_pb2.Poll())
    with pytest.raises(grpc.RpcError) as info:
        list(stub.Subscribe(iter([stream, poll]), metadata=MD, timeout=20))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_union_replace_at_the_root_replaces_the_whole_configuration(tmp_path: Path) -> None:
    with running_agent(tmp_path) as agent:
        creds = grpc.ssl_channel_credentials(Path(agent.cert).read_bytes())
        with grpc.secure_channel(f"localhost:{agent.gnmi_port}", creds) as channel:
            stub = gNMIStub(channel)
            ifs = {"interface": [interface("a1", "first"), interface("a2", "second")]}
            up = gnmi_pb2.Update(path=_path("ietf-interfaces:interfaces"), val=_json(ifs))
            stub.Set(gnmi_pb2.SetRequest(update=[up]), metadata=MD)
            whole = agent.command("running")
            whole["ietf-interfaces:interfaces"] = {"interface": [interface("a2", "kept")]}
            resp = stub.Set(
                _union_request(gnmi_pb2.Update(path=gnmi_pb2.Path(), val=_json(whole))), metadata=MD
            )
            assert [r.op for r in resp.response] == [OP_UNION_REPLACE]
            after = agent.command("running")
            assert after["ietf-interfaces:interfaces"] == {"interface": [interface("a2", "kept")]}
            assert after["ietf-system:system"] == whole["ietf-system:system"]  # users given again: kept
            # a user who may not write cannot empty or replace the root
            alice = [("username", "alice"), ("password", ALICE_PASSWORD)]
            root = gnmi_pb2.Path()
            for req in (
                gnmi_pb2.SetRequest(delete=[root]),
                gnmi_pb2.SetRequest(replace=[gnmi_pb2.Update(path=root, val=_json(whole))]),
                _union_request(gnmi_pb2.Update(path=root, val=_json(whole))),
            ):
                assert _code(lambda r=req: stub.Set(r, metadata=alice)) == grpc.StatusCode.PERMISSION_DENIED
            assert agent.command("running") == after
            # a plain replace of the root by the admin works too
            whole["ietf-interfaces:interfaces"] = {"interface": [interface("a3")]}
            stub.Set(gnmi_pb2.SetRequest(replace=[gnmi_pb2.Update(path=root, val=_json(whole))]), metadata=MD)
            assert agent.command("running")["ietf-interfaces:interfaces"] == {"interface": [interface("a3")]}


def test_delete_expands_wildcards(tmp_path: Path) -> None:
    with running_agent(tmp_path) as agent:
        creds = grpc.ssl_channel_credentials(Path(agent.cert).read_bytes())
        with grpc.secure_channel(f"localhost:{agent.gnmi_port}", creds) as channel:
            stub = gNMIStub(channel)
            entries = [
                {**interface(n, n), "ietf-ip:ipv4": {"mtu": 1400 + i}}
                for i, n in enumerate(("w1", "w2", "w3"))
            ]
            up = gnmi_pb2.Update(path=_path("ietf-interfaces:interfaces"), val=_json({"interface": entries}))
            stub.Set(gnmi_pb2.SetRequest(update=[up]), metadata=MD)
            alice = [("username", "alice"), ("password", ALICE_PASSWORD)]
            any_desc = _path("ietf-interfaces:interfaces", ("interface", {"name": "*"}), "description")
            denied = gnmi_pb2.SetRequest(delete=[any_desc])
            assert _code(lambda: stub.Set(denied, metadata=alice)) == grpc.StatusCode.PERMISSION_DENIED
            lst = _path("ietf-interfaces:interfaces", "interface")
            as_list = gnmi_pb2.SetRequest(replace=[gnmi_pb2.Update(path=lst, val=_json(entries[:1]))])
            assert _code(lambda: stub.Set(as_list, metadata=alice)) == grpc.StatusCode.PERMISSION_DENIED
            # a key wildcard, "..." and "*"
            mtus = _path("ietf-interfaces:interfaces", "...", "ietf-ip:mtu")
            stub.Set(gnmi_pb2.SetRequest(delete=[any_desc, mtus]), metadata=MD)
            running = _running_ifs(agent)
            assert all(
                "description" not in e and "mtu" not in e.get("ietf-ip:ipv4", {}) for e in running.values()
            )
            children = _path("ietf-interfaces:interfaces", "*")
            stub.Set(gnmi_pb2.SetRequest(delete=[children]), metadata=MD)
            assert _running_ifs(agent) == {}


def test_update_with_a_key_wildcard_is_invalid_argument(agent: Agent, stub: Any) -> None:
    before = _running_ifs(agent)
    path = _path("ietf-interfaces:interfaces", ("interface", {"name": "*"}), "description")
    bad = gnmi_pb2.Update(path=path, val=_json("all"))
    for req in (gnmi_pb2.SetRequest(update=[bad]), gnmi_pb2.SetRequest(replace=[bad])):
        assert _code(lambda r=req: stub.Set(r, metadata=MD)) == grpc.StatusCode.INVALID_ARGUMENT
    assert _running_ifs(agent) == before


def test_on_change_reports_state_that_no_event_covers(tmp_path: Path) -> None:
    # counters change without an event: an ON_CHANGE subscription still sends them when they change
    # (checked every --state-change-interval), only the leaves that changed
    with running_agent(tmp_path, "--state-change-interval", "0.3") as agent:
        creds = grpc.ssl_channel_credentials(Path(agent.cert).read_bytes())
        with grpc.secure_channel(f"localhost:{agent.gnmi_port}", creds) as channel:
            stub = gNMIStub(channel)
            up = gnmi_pb2.Update(path=_if("k1"), val=_json(interface("k1", "x")))
            stub.Set(gnmi_pb2.SetRequest(update=[up]), metadata=MD)
            sub = gnmi_pb2.Subscription(path=_if("k1", "statistics"), mode=1)
            req = gnmi_pb2.SubscribeRequest(subscribe=_slist(sub, mode=0))
            call = stub.Subscribe(iter([req]), metadata=MD, timeout=30)
            base = "ietf-interfaces:interfaces/interface[name=k1]/statistics"
            try:
                initial = []
                for r in call:
                    if r.sync_response:
                        break
                    initial.append(r)
                first = _leaves(initial)
                assert first[f"{base}/in-discards"] == 0 and f"{base}/in-octets" in first
                change = _leaves([next(r for r in call if r.update.update)])
                assert (
                    f"{base}/in-octets" in change
                    and change[f"{base}/in-octets"] != first[f"{base}/in-octets"]
                )
                assert f"{base}/in-discards" not in change  # unchanged: not sent again
            finally:
                call.cancel()


def test_get_state_in_json_is_the_state_subtree(stub: Any) -> None:
    def get(path: Any, dtype: int = 2) -> dict[str, Any]:
        req = gnmi_pb2.GetRequest(path=[path], encoding=JSON_IETF, type=dtype)
        return _leaves(stub.Get(req, metadata=MD).notification)

    (entry,) = get(_if("c0")).values()  # one update with the entry's state (and its key)
    assert entry["name"] == "c0" and entry["oper-status"] == "up" and "in-octets" in entry["statistics"]
    assert "description" not in entry and "type" not in entry and "ietf-ip:ipv4" not in entry
    (ifs,) = get(_path("ietf-interfaces:interfaces")).values()
    assert {e["name"] for e in ifs["interface"]} >= {"c0", "c1"}
    assert all("description" not in e and "statistics" in e for e in ifs["interface"])
    (stats,) = get(_if("c0", "statistics")).values()
    assert "in-octets" in stats
    # OPERATIONAL is the same; a configuration leaf has no state: NOT_FOUND
    (oper,) = get(_if("c0"), 3).values()
    assert set(oper) == set(entry) and set(oper["statistics"]) == set(entry["statistics"])
    req = gnmi_pb2.GetRequest(path=[_if("c0", "description")], encoding=JSON_IETF, type=2)
    assert _code(lambda: stub.Get(req, metadata=MD)) == grpc.StatusCode.NOT_FOUND


def test_set_values_in_unsupported_encodings_are_unimplemented(agent: Agent, stub: Any) -> None:
    before = _running_ifs(agent)
    for val in (
        gnmi_pb2.TypedValue(ascii_val="description zero"),
        gnmi_pb2.TypedValue(proto_bytes=b"\x01"),
    ):
        up = gnmi_pb2.Update(path=_if("c0", "description"), val=val)
        assert _code(lambda u=up: stub.Set(gnmi_pb2.SetRequest(update=[u]), metadata=MD)) == (
            grpc.StatusCode.UNIMPLEMENTED
        )
    assert _running_ifs(agent) == before
