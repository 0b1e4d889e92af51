"""gNMI Subscribe via pygnmi: ONCE, POLL, STREAM (SAMPLE, ON_CHANGE) and a client that never reads."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from _gnmi_helpers import Agent, interface, running_agent
from _gnmi_streams import subscribe_once, subscribe_stream
from pygnmi.client import gNMIclient
from pygnmi.create_gnmi_path import gnmi_path_generator
from pygnmi.spec.v080 import gnmi_pb2
from pygnmi.spec.v080.gnmi_pb2_grpc import gNMIStub

IFS = "/ietf-interfaces:interfaces"
MD = [("username", "admin"), ("password", "admin-pw")]
IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    with running_agent(tmp_path_factory.mktemp("gnmi-sub")) as a:
        with a.client() as c:
            entries = [interface("e0", "zero"), interface("e1", "one")]
            c.set(update=[(IFS, {"interface": entries})], encoding="json_ietf")
        yield a


@pytest.fixture
def client(agent: Agent) -> Iterator[gNMIclient]:
    with agent.client() as c:
        yield c


def _sub(path: str, mode: str, interval_ms: int = 0, **kw: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"path": path, "mode": mode, **kw}
    if interval_ms:
        s["sample_interval"] = interval_ms * 1_000_000
    return s


def _flat(msg: dict[str, Any]) -> dict[str, Any]:
    """{full path: value} of one parsed SubscribeResponse (prefix joined)."""
    up = msg.get("update") or {}
    prefix = up.get("prefix") or ""
    out = {}
    for u in up.get("update") or []:
        out[f"{prefix}/{u['path']}" if prefix else u["path"]] = u["val"]
    return out


def _collect(sub: Any, until: Any, timeout: float = 10.0) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = sub.get_update(timeout=max(0.05, deadline - time.monotonic()))
        except TimeoutError:
            break
        got.append(msg)
        if until(got):
            break
    return got


def test_once_sends_current_values_then_sync_and_ends(client: gNMIclient) -> None:
    req = {"subscription": [_sub(f"{IFS}/interface[name=*]/description", "sample")], "mode": "once"}
    msgs = subscribe_once(client, {**req, "encoding": "json_ietf"})
    values: dict[str, Any] = {}
    for m in msgs:
        values.update(_flat(m))
    assert values["ietf-interfaces:interfaces/interface[name=e0]/description"] == "zero"
    assert values["ietf-interfaces:interfaces/interface[name=e1]/description"] == "one"
    assert msgs[-1].get("sync_response") is True


def test_once_with_a_prefix_and_a_descendants_wildcard(client: gNMIclient) -> None:
    req = {
        "prefix": "/ietf-interfaces:interfaces",
        "subscription": [_sub(".../in-octets", "sample")],
        "mode": "once",
        "encoding": "proto",
    }
    values: dict[str, Any] = {}
    for m in subscribe_once(client, req):
        values.update(_flat(m))
    counters = {p: v for p, v in values.items() if p.endswith("/statistics/in-octets")}
    assert sorted(counters) == [
        f"ietf-interfaces:interfaces/interface[name={n}]/statistics/in-octets" for n in ("e0", "e1")
    ]
    assert all(isinstance(v, int) for v in counters.values())


def test_poll_answers_every_poll_with_fresh_counters(client: gNMIclient) -> None:
    req = {
        "subscription": [_sub(f"{IFS}/interface[name=e0]/statistics/in-octets", "sample")],
        "mode": "poll",
        "encoding": "proto",
    }
    sub = client.subscribe_poll(subscribe=req)
    try:
        # pygnmi sends a Poll before each read and returns the oldest answer: read 1 is the initial
        # state, read k the answer to the Poll sent by read k-1.
        first = sub.get_update(timeout=10)
        sub.get_update(timeout=10)
        time.sleep(0.3)
        sub.get_update(timeout=10)
        third = sub.get_update(timeout=10)
    finally:
        sub.close()
    a = first["update"]["update"][0]["val"]
    c = third["update"]["update"][0]["val"]
    assert isinstance(a, int) and c > a


def test_stream_sample_keeps_its_period(client: gNMIclient) -> None:
    req = {
        "subscription": [_sub(f"{IFS}/interface[name=e1]/statistics/out-octets", "sample", 200)],
        "mode": "stream",
        "encoding": "proto",
    }
    sub = subscribe_stream(client, req)
    try:
        sub.get_update(timeout=10)  # initial values and sync_response
        msgs = _collect(sub, lambda g: len(g) >= 6)
    finally:
        sub.close()
    stamps = [m["update"]["timestamp"] / 1e9 for m in msgs]
    values = [m["update"]["update"][0]["val"] for m in msgs]
    assert len(stamps) == 6
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert all(0.1 < g < 0.35 for g in gaps), gaps
    assert values == sorted(values) and values[-1] > values[0]


def test_suppress_redundant_sends_nothing_until_the_heartbeat(client: gNMIclient) -> None:
    path = f"{IFS}/interface[name=e0]/description"
    sample = _sub(path, "sample", 100, suppress_redundant=True, heartbeat_interval=1_000_000_000)
    sub = subscribe_stream(client, {"subscription": [sample], "mode": "stream", "encoding": "json_ietf"})
    try:
        sub.get_update(timeout=10)
        started = time.monotonic()
        msg = sub.get_update(timeout=5)  # the heartbeat, not every 100 ms sample
        waited = time.monotonic() - started
    finally:
        sub.close()
    assert 0.7 < waited < 1.6, waited
    assert _flat(msg) == {"ietf-interfaces:interfaces/interface[name=e0]/description": "zero"}


def test_on_change_delivers_a_netconf_commit_and_a_delete(agent: Agent, client: gNMIclient) -> None:
    req = {
        "subscription": [_sub(f"{IFS}/interface/description", "on_change")],
        "mode": "stream",
        "encoding": "json_ietf",
    }
    sub = subscribe_stream(client, req)
    try:
        initial = sub.get_update(timeout=10)
        assert initial.get("sync_response") is True
        with agent.netconf() as nc:
            nc.edit_config(
                target="candidate",
                config=(
                    '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
                    f'<interfaces xmlns="{IF_NS}"><interface><name>e1</name>'
                    "<description>from netconf</description></interface></interfaces></config>"
                ),
            )
            started = time.monotonic()
            nc.commit()
            msg = sub.get_update(timeout=10)
            latency = time.monotonic() - started
        assert _flat(msg) == {"ietf-interfaces:interfaces/interface[name=e1]/description": "from netconf"}
        assert latency < 5
        # a change elsewhere (type of e0) is not sent; deleting e1 is
        client.set(delete=[f"{IFS}/interface[name=e1]"], encoding="json_ietf")
        msg = sub.get_update(timeout=10)
        assert [d["path"] for d in msg["update"]["delete"]] == [
            "ietf-interfaces:interfaces/interface[name=e1]"
        ]
    finally:
        sub.close()
        client.set(update=[(IFS, {"interface": [interface("e1", "one")]})], encoding="json_ietf")


def test_on_change_of_operational_state_and_several_subscriptions(agent: Agent, client: gNMIclient) -> None:
    req = {
        "subscription": [
            _sub(f"{IFS}/interface[name=e0]/oper-status", "on_change"),
            _sub(f"{IFS}/interface[name=e0]/description", "on_change"),
        ],
        "mode": "stream",
        "encoding": "json_ietf",
    }
    sub = subscribe_stream(client, req)
    try:
        first = sub.get_update(timeout=10)
        assert first.get("sync_response") is True
        agent.command("oper", name="e0", status="down")
        msg = sub.get_update(timeout=10)
        assert _flat(msg) == {"ietf-interfaces:interfaces/interface[name=e0]/oper-status": "down"}
        client.set(update=[(f"{IFS}/interface[name=e0]/description", "renamed")], encoding="json_ietf")
        msg = sub.get_update(timeout=10)
        assert _flat(msg) == {"ietf-interfaces:interfaces/interface[name=e0]/description": "renamed"}
    finally:
        sub.close()
        agent.command("oper", name="e0", status="up")


def test_target_defined_samples_counters_and_watches_config(agent: Agent, client: gNMIclient) -> None:
    req = {
        "subscription": [
            _sub(f"{IFS}/interface[name=e1]/statistics/in-octets", "target_defined", 150),
            _sub(f"{IFS}/interface[name=e1]/description", "target_defined", 150),
        ],
        "mode": "stream",
        "encoding": "json_ietf",
    }
    sub = subscribe_stream(client, req)
    try:
        sub.get_update(timeout=10)
        msgs = _collect(sub, lambda g: len(g) >= 4, timeout=3)
        paths = {p for m in msgs for p in _flat(m)}
        assert paths == {"ietf-interfaces:interfaces/interface[name=e1]/statistics/in-octets"}  # sampled
        client.set(update=[(f"{IFS}/interface[name=e1]/description", "td")], encoding="json_ietf")
        changed = _collect(sub, lambda g: any("description" in p for m in g for p in _flat(m)), timeout=5)
        assert any(
            _flat(m).get("ietf-interfaces:interfaces/interface[name=e1]/description") == "td" for m in changed
        )
    finally:
        sub.close()
        client.set(update=[(f"{IFS}/interface[name=e1]/description", "one")], encoding="json_ietf")


def test_updates_only_skips_the_initial_state(client: gNMIclient) -> None:
    req = {
        "subscription": [_sub(f"{IFS}/interface[name=e0]/statistics/in-octets", "sample", 100)],
        "mode": "stream",
        "encoding": "proto",
        "updates_only": True,
    }
    sub = subscribe_stream(client, req)
    try:
        first = sub.get_update(timeout=10)
    finally:
        sub.close()
    assert first == {"sync_response": True, "update": {}} or first.get("sync_response") is True
    assert not first.get("update", {}).get("update")


def _raw(agent: Agent) -> tuple[grpc.Channel, Any]:
    creds = grpc.ssl_channel_credentials(Path(agent.cert).read_bytes())
    channel = grpc.secure_channel(f"localhost:{agent.gnmi_port}", creds)
    return channel, gNMIStub(channel)


def test_bad_subscribe_requests_are_invalid_argument(agent: Agent) -> None:
    channel, stub = _raw(agent)
    with channel:
        # first message is a Poll, not a SubscriptionList
        with pytest.raises(grpc.RpcError) as info:
            list(
                stub.Subscribe(
                    iter([gnmi_pb2.SubscribeRequest(poll=gnmi_pb2.Poll())]), metadata=MD, timeout=10
                )
            )
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        bad = gnmi_pb2.Subscription(path=gnmi_pb2.Path(elem=[gnmi_pb2.PathElem(name="bogus")]))
        req = gnmi_pb2.SubscribeRequest(subscribe=gnmi_pb2.SubscriptionList(subscription=[bad], mode=1))
        with pytest.raises(grpc.RpcError) as info:
            list(stub.Subscribe(iter([req]), metadata=MD, timeout=10))
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_a_client_that_never_reads_is_cut_off_and_others_are_unaffected(tmp_path: Path) -> None:
    with running_agent(tmp_path, "--queue-limit", "8") as agent:
        with agent.client() as c:
            many = [interface(f"bulk{i}", "x" * 200) for i in range(1500)]
            c.set(update=[(IFS, {"interface": many})], encoding="json_ietf")
        channel, stub = _raw(agent)
        with channel:
            path = gnmi_pb2.Path(elem=[gnmi_pb2.PathElem(name="ietf-interfaces:interfaces")])
            s = gnmi_pb2.Subscription(path=path, mode=gnmi_pb2.SAMPLE, sample_interval=50_000_000)
            req = gnmi_pb2.SubscribeRequest(
                subscribe=gnmi_pb2.SubscriptionList(subscription=[s], mode=0, encoding=gnmi_pb2.JSON_IETF)
            )
            stalled = stub.Subscribe(iter([req]), metadata=MD)  # never read until the end
            deadline = time.monotonic() + 40
            dropped = 0
            with agent.client() as other:
                while time.monotonic() < deadline:
                    started = time.monotonic()
                    other.get(path=[f"{IFS}/interface[name=bulk0]/description"], encoding="json_ietf")
                    assert time.monotonic() - started < 5  # the agent keeps answering others
                    dropped = agent.command("stats")["streams-dropped-slow"]
                    if dropped:
                        break
                    time.sleep(0.5)
            assert dropped == 1
            with pytest.raises(grpc.RpcError) as info:
                for _ in stalled:
                    pass
            assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert agent.command("stats")["streams"] == 0


def test_many_streams_each_get_the_change(agent: Agent, client: gNMIclient) -> None:
    import queue
    import threading

    channel, stub = _raw(agent)
    path = gnmi_pb2.Path(
        elem=[
            gnmi_pb2.PathElem(name="ietf-interfaces:interfaces"),
            gnmi_pb2.PathElem(name="interface", key={"name": "e0"}),
            gnmi_pb2.PathElem(name="description"),
        ]
    )
    sub = gnmi_pb2.Subscription(path=path, mode=gnmi_pb2.ON_CHANGE)
    req = gnmi_pb2.SubscribeRequest(
        subscribe=gnmi_pb2.SubscriptionList(subscription=[sub], mode=0, encoding=4)
    )
    got: queue.Queue[tuple[int, str]] = queue.Queue()
    stop = threading.Event()

    def requests() -> Iterator[Any]:
        yield req
        stop.wait(30)

    calls = [stub.Subscribe(requests(), metadata=MD) for _ in range(24)]

    def read(i: int, call: Any) -> None:
        try:
            for resp in call:
                if resp.HasField("sync_response"):
                    got.put((i, "<sync>"))
                for u in resp.update.update:
                    got.put((i, u.val.json_ietf_val.decode()))
        except grpc.RpcError:
            pass

    threads = [threading.Thread(target=read, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    try:
        synced: set[int] = set()
        deadline = time.monotonic() + 20
        while len(synced) < len(calls) and time.monotonic() < deadline:
            i, v = got.get(timeout=20)
            if v == "<sync>":
                synced.add(i)
        assert len(synced) == len(calls)
        client.set(update=[(f"{IFS}/interface[name=e0]/description", "fan-out")], encoding="json_ietf")
        seen: set[int] = set()
        while len(seen) < len(calls) and time.monotonic() < deadline + 10:
            i, v = got.get(timeout=20)
            if v == '"fan-out"':
                seen.add(i)
        assert len(seen) == len(calls)
    finally:
        stop.set()
        for c in calls:
            c.cancel()
        channel.close()
        client.set(update=[(f"{IFS}/interface[name=e0]/description", "zero")], encoding="json_ietf")


def _values(resp: Any) -> dict[str, Any]:
    """{path: JSON value} of a raw SubscribeResponse's updates, prefix joined, keys as [k=v]."""
    out: dict[str, Any] = {}
    prefix = resp.update.prefix
    for up in resp.update.update:
        parts = []
        for e in [*prefix.elem, *up.path.elem]:
            keys = "".join(f"[{k}={v}]" for k, v in sorted(e.key.items()))
            parts.append(e.name + keys)
        out["/".join(parts)] = json.loads(up.val.json_ietf_val)
    return out


def test_on_change_sends_current_values_before_sync_response(agent: Agent, client: gNMIclient) -> None:
    """gNMI 3.5.1.5.2 / 3.5.2.3: without updates_only, the current state of every subscribed path comes
    first (state from the operational datastore, config from running), then sync_response, then
    changes. The paths use a module-name origin, as pygnmi and gnmic send "module:path" strings."""
    agent.command("oper", name="e0", status="up")
    client.set(update=[(IFS, {"interface": [interface("e0", "zero"), interface("e1", "one")]})])
    e0 = gnmi_pb2.PathElem(name="interface", key={"name": "e0"})
    e1 = gnmi_pb2.PathElem(name="interface", key={"name": "e1"})

    def sub(elem: Any, leaf: str, mode: int) -> Any:
        path = gnmi_pb2.Path(origin="ietf-interfaces", elem=[gnmi_pb2.PathElem(name="interfaces"), elem])
        path.elem.add(name=leaf)
        return gnmi_pb2.Subscription(path=path, mode=mode)

    subs = [
        sub(e0, "oper-status", gnmi_pb2.ON_CHANGE),  # state
        sub(e0, "description", gnmi_pb2.ON_CHANGE),  # config
        sub(e1, "description", gnmi_pb2.TARGET_DEFINED),  # config only: resolves to ON_CHANGE
    ]
    req = gnmi_pb2.SubscribeRequest(
        subscribe=gnmi_pb2.SubscriptionList(subscription=subs, mode=0, encoding=gnmi_pb2.JSON_IETF)
    )
    done = threading.Event()

    def requests() -> Iterator[Any]:
        yield req
        done.wait(20)

    channel, stub = _raw(agent)
    with channel:
        call = stub.Subscribe(requests(), metadata=MD, timeout=20)
        try:
            before: dict[str, Any] = {}
            for resp in itertools.islice(call, 20):
                if resp.sync_response:
                    break
                before.update(_values(resp))
            else:
                pytest.fail("no sync_response")
            assert before == {
                "ietf-interfaces:interfaces/interface[name=e0]/oper-status": "up",
                "ietf-interfaces:interfaces/interface[name=e0]/description": "zero",
                "ietf-interfaces:interfaces/interface[name=e1]/description": "one",
            }
            agent.command("oper", name="e0", status="down")
            changed = _values(next(call))
            assert changed == {"ietf-interfaces:interfaces/interface[name=e0]/oper-status": "down"}
        finally:
            done.set()
            call.cancel()
            agent.command("oper", name="e0", status="up")


def test_pygnmi_module_path_strings_on_change(agent: Agent, client: gNMIclient) -> None:
    """pygnmi: "ietf-interfaces:interfaces/..." (origin = module name) for an ON_CHANGE STREAM; the first
    message pygnmi returns is the current value coalesced with sync_response."""
    path = "ietf-interfaces:interfaces/interface[name=e1]/oper-status"
    agent.command("oper", name="e1", status="up")
    stream = subscribe_stream(
        client, {"subscription": [_sub(path, "on_change")], "mode": "stream", "encoding": "json_ietf"}
    )
    try:
        first = stream.get_update(timeout=10)
        assert first.get("sync_response") is True
        assert _flat(first) == {"ietf-interfaces:interfaces/interface[name=e1]/oper-status": "up"}
        agent.command("oper", name="e1", status="down")
        msg = stream.get_update(timeout=10)
        assert _flat(msg) == {"ietf-interfaces:interfaces/interface[name=e1]/oper-status": "down"}
    finally:
        stream.close()
        agent.command("oper", name="e1", status="up")


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("openconfig:interfaces/interface[name=e0]/state/oper-status", grpc.StatusCode.UNIMPLEMENTED),
        ("no-such-module:interfaces/interface[name=e0]/oper-status", grpc.StatusCode.INVALID_ARGUMENT),
    ],
)
def test_subscribe_with_an_unserved_or_unknown_origin(agent: Agent, path: str, code: grpc.StatusCode) -> None:
    # pygnmi's generator makes the origin from the "module:" of the string, as gnmic does
    sub = gnmi_pb2.Subscription(path=gnmi_path_generator(path), mode=gnmi_pb2.SAMPLE)
    req = gnmi_pb2.SubscribeRequest(subscribe=gnmi_pb2.SubscriptionList(subscription=[sub], mode=1))
    channel, stub = _raw(agent)
    with channel, pytest.raises(grpc.RpcError) as info:
        list(stub.Subscribe(iter([req]), metadata=MD, timeout=10))
    assert info.value.code() == code


def test_once_on_a_module_name_origin_alone_reads_that_module(client: gNMIclient) -> None:
    req = {"subscription": [_sub("ietf-interfaces:", "sample")], "mode": "once", "encoding": "json_ietf"}
    values: dict[str, Any] = {}
    for m in subscribe_once(client, req):
        values.update(_flat(m))
    assert values["ietf-interfaces:interfaces/interface[name=e1]/description"] == "one"
    assert all(p.startswith("ietf-interfaces:interfaces/") for p in values)
