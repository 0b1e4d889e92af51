"""The gRPC subscriber API (proto/subscribers.proto) over TLS on the gNMI server's port, with a real grpc
client: what a controller sees for List, Get, Watch, SetPolicy and Disconnect, the status code of every
kind of bad request, and NACM deciding per user with the rules NETCONF and gNMI use.

The server runs in this test's event loop with a real subscriber manager (agent.sessions.manager) whose
policy check reads running configuration; the client is grpc.aio over TLS, as a Python controller would
run it (docs/subscriber-api.md).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from agent.datastore.store import Datastores
from agent.gnmi import GnmiServer
from agent.model import load_model_set
from agent.sessions.api import PolicyAttr, PolicyOrigin, Session, SessionKey, TerminateCause
from agent.sessions.manager import SessionManager
from agent.sessions.policycheck import running_names
from agent.sessions.templates import AccessConfig
from agent.subapi import SERVICE_NAME, subscriber_service
from agent.subapi.pb import pb, pb_grpc
from agent.txn import RecordingSouthbound, TransactionManager

P0, P1 = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"
PASSWORDS = {"admin": "admin-pw", "alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw"}
SUBSCRIBERS: dict[str, Any] = {
    "access-interfaces": {
        "access-interface": [
            {"interface": P0, "session-template": "gold", "ipoe": {}},
            {"interface": P1, "session-template": "gold", "ipoe": {}},
        ]
    },
    "session-templates": {"template": [{"name": "gold", "vrf": "cust", "qos-input-profile": "up-50m"}]},
}


def running() -> dict[str, Any]:
    """Users, NACM (alice may not change sessions, bob may not read them, carol may not read session 1),
    and the VRFs, QoS profiles and ACLs a policy may name."""

    def deny(name: str, group: str, **rule: Any) -> dict[str, Any]:
        return {"name": name, "group": [group], "rule": [{"name": name, "action": "deny", **rule}]}

    return {
        "ietf-system:system": {
            "authentication": {"user": [{"name": n, "password": f"$0${p}"} for n, p in PASSWORDS.items()]}
        },
        "ietf-netconf-acm:nacm": {
            "enable-nacm": True,
            "read-default": "permit",
            "write-default": "permit",
            "exec-default": "permit",
            "groups": {
                "group": [
                    {"name": "noc", "user-name": ["alice"]},
                    {"name": "outsiders", "user-name": ["bob"]},
                    {"name": "partial", "user-name": ["carol"]},
                ]
            },
            "rule-list": [
                deny("no-clear", "noc", **{"module-name": "bng-subscribers", "rpc-name": "clear-sessions"}),
                deny(
                    "no-policy", "noc", **{"module-name": "bng-subscribers", "rpc-name": "set-session-policy"}
                ),
                deny(
                    "no-sessions",
                    "outsiders",
                    **{"module-name": "bng-subscribers", "path": "/bng-subscribers:subscribers/sessions"},
                ),
                deny(
                    "not-one",
                    "partial",
                    **{
                        "module-name": "bng-subscribers",
                        "path": "/bng-subscribers:subscribers/sessions/session[id='1']",
                        "access-operations": "read",
                    },
                ),
            ],
        },
        "bng-vrf:vrfs": {"vrf": [{"name": "cust", "table-id": 10}, {"name": "blue", "table-id": 20}]},
        "bng-qos:qos": {
            "profile": [{"name": "up-50m", "cir": "50000000"}, {"name": "up-100m", "cir": "100000000"}]
        },
        "ietf-access-control-list:acls": {
            "acl": [{"name": "web-only", "type": "ietf-access-control-list:ipv4-acl-type"}]
        },
    }


class Api:
    """The server side (datastores, manager, gNMI server with the subscriber service) and a client."""

    def __init__(self, tmp: Path) -> None:
        model = load_model_set()
        self.ds = Datastores(model, running=json.dumps(running()))
        self.txn = TransactionManager(self.ds, None, RecordingSouthbound())
        self.manager: SessionManager | None = SessionManager(
            AccessConfig.from_entry(SUBSCRIBERS), policy_check=running_names(self.ds)
        )
        self.server = GnmiServer(self.ds, self.txn, model, host="127.0.0.1", port=0, data_dir=tmp / "gnmi")
        self.server.add_service(subscriber_service(lambda: self.manager))
        self.channel: grpc.aio.Channel | None = None

    async def start(self) -> None:
        await self.server.start()
        assert self.server.tls_cert is not None
        creds = grpc.ssl_channel_credentials(self.server.tls_cert.read_bytes())
        self.channel = grpc.aio.secure_channel(f"localhost:{self.server.bound_port}", creds)
        self.stub = pb_grpc.SubscribersStub(self.channel)

    async def stop(self) -> None:
        if self.channel is not None:
            await self.channel.close()
        await self.server.stop(0.1)

    async def open(self, iface: str, vlan: int, mac: str, ipv4: str | None = None) -> Session:
        assert self.manager is not None
        s = await self.manager.open(SessionKey(iface, vlan, None, mac), "ipoe")
        if ipv4 is not None:
            s = await self.manager.bind_ipv4(s.id, ipaddress.IPv4Address(ipv4), 3600)
        return s


def md(user: str = "admin") -> list[tuple[str, str]]:
    return [("username", user), ("password", PASSWORDS[user])]


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    a = Api(tmp_path)
    await a.start()
    try:
        yield a
    finally:
        await a.stop()


async def status_of(call: Any) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    return info.value.code(), info.value.details() or ""


async def test_list_and_get_show_what_the_manager_holds(api: Api) -> None:
    a = await api.open(P0, 100, "02:00:00:00:00:01", "100.64.0.10")
    await api.open(P0, 101, "02:00:00:00:00:02")
    await api.open(P1, 200, "02:00:00:00:00:03")
    listed = await api.stub.List(pb.ListRequest(), metadata=md(), timeout=10)
    assert [s.id for s in listed.sessions] == [1, 2, 3] and listed.next_page_after == 0
    got = await api.stub.Get(pb.GetRequest(id=a.id), metadata=md(), timeout=10)
    assert got.access_interface == P0 and got.outer_vlan == 100 and not got.HasField("inner_vlan")
    assert got.mac == "02:00:00:00:00:01" and got.state == pb.ACTIVE and got.type == "ipoe"
    assert got.ipv4.address == "100.64.0.10" and got.ipv4.expires > got.started
    assert got.policy["vrf"] == pb.PolicyValue(value="cust", origin=pb.TEMPLATE)
    assert got.policy["qos-input-profile"].value == "up-50m"
    # filters and pages
    on_p0 = await api.stub.List(
        pb.ListRequest(filter=pb.Filter(access_interface=P0, state=pb.INIT)), metadata=md(), timeout=10
    )
    assert [s.id for s in on_p0.sessions] == [2]
    page = await api.stub.List(pb.ListRequest(page_size=2), metadata=md(), timeout=10)
    assert [s.id for s in page.sessions] == [1, 2] and page.next_page_after == 2
    rest = await api.stub.List(pb.ListRequest(page_size=2, page_after=2), metadata=md(), timeout=10)
    assert [s.id for s in rest.sessions] == [3] and rest.next_page_after == 0
    by_mac = await api.stub.List(
        pb.ListRequest(filter=pb.Filter(mac="0200.0000.0003")), metadata=md(), timeout=10
    )
    assert [s.id for s in by_mac.sessions] == [3]


async def test_watch_sends_a_snapshot_then_every_change(api: Api) -> None:
    assert api.manager is not None
    first = await api.open(P0, 100, "02:00:00:00:00:01", "100.64.0.10")
    stream = api.stub.Watch(pb.WatchRequest(), metadata=md(), timeout=30)
    seen = [await stream.read(), await stream.read()]
    assert [e.kind for e in seen] == [pb.SessionEvent.APPEARED, pb.SessionEvent.SYNC]
    assert seen[0].session.id == first.id and seen[0].session.ipv4.address == "100.64.0.10"
    second = await api.open(P1, 7, "02:00:00:00:00:09")
    ev = await asyncio.wait_for(stream.read(), 5)
    assert ev.kind == pb.SessionEvent.APPEARED and ev.session.id == second.id and ev.seq > 0
    await api.manager.set_policy(second.id, {PolicyAttr.VRF: "blue"}, PolicyOrigin.RADIUS)
    ev = await asyncio.wait_for(stream.read(), 5)
    assert ev.kind == pb.SessionEvent.CHANGED and ev.session.policy["vrf"].origin == pb.RADIUS
    await api.manager.release(first.id, TerminateCause.LEASE_EXPIRED)
    kinds = []
    while not kinds or kinds[-1].kind != pb.SessionEvent.LEFT:
        kinds.append(await asyncio.wait_for(stream.read(), 5))
    assert kinds[-1].session.id == first.id and kinds[-1].cause == "lease-expired"
    stream.cancel()


async def test_watch_filters_and_can_skip_the_snapshot(api: Api) -> None:
    await api.open(P0, 100, "02:00:00:00:00:01")
    stream = api.stub.Watch(
        pb.WatchRequest(filter=pb.Filter(access_interface=P1), skip_snapshot=True), metadata=md(), timeout=30
    )
    assert (await stream.read()).kind == pb.SessionEvent.SYNC
    await api.open(P0, 101, "02:00:00:00:00:02")  # not selected
    s = await api.open(P1, 5, "02:00:00:00:00:05")
    ev = await asyncio.wait_for(stream.read(), 5)
    assert ev.session.id == s.id and ev.session.access_interface == P1
    stream.cancel()


async def test_set_policy_overrides_with_origin_api_and_clear_returns_to_the_template(api: Api) -> None:
    assert api.manager is not None
    s = await api.open(P0, 100, "02:00:00:00:00:01", "100.64.0.10")
    req = pb.SetPolicyRequest(
        id=s.id, set={"vrf": "blue", "qos-input-profile": "up-100m", "acl-ingress": "web-only"}
    )
    out = await api.stub.SetPolicy(req, metadata=md(), timeout=10)
    assert out.policy["vrf"] == pb.PolicyValue(value="blue", origin=pb.API)
    assert out.policy["acl-ingress"] == pb.PolicyValue(value="web-only", origin=pb.API)
    held = api.manager.get(s.id)
    assert held is not None and held.policy[PolicyAttr.QOS_INPUT].origin is PolicyOrigin.API
    out = await api.stub.SetPolicy(
        pb.SetPolicyRequest(id=s.id, clear=["vrf", "acl-ingress"]), metadata=md(), timeout=10
    )
    assert out.policy["vrf"] == pb.PolicyValue(value="cust", origin=pb.TEMPLATE)
    assert "acl-ingress" not in out.policy and out.policy["qos-input-profile"].origin == pb.API


async def test_disconnect_one_by_filter_or_all(api: Api) -> None:
    assert api.manager is not None
    a = await api.open(P0, 100, "02:00:00:00:00:01")
    await api.open(P0, 101, "02:00:00:00:00:02")
    await api.open(P1, 5, "02:00:00:00:00:05")
    await api.open(P1, 6, "02:00:00:00:00:06")
    r = await api.stub.Disconnect(pb.DisconnectRequest(id=a.id), metadata=md(), timeout=10)
    assert r.disconnected == 1 and api.manager.get(a.id) is None
    r = await api.stub.Disconnect(
        pb.DisconnectRequest(filter=pb.Filter(access_interface=P1)), metadata=md(), timeout=10
    )
    assert r.disconnected == 2 and [s.key.access_interface for s in api.manager.list()] == [P0]
    r = await api.stub.Disconnect(pb.DisconnectRequest(all=True), metadata=md(), timeout=10)
    assert r.disconnected == 1 and api.manager.list() == []


async def test_bad_requests_get_precise_status_codes(api: Api) -> None:
    s = await api.open(P0, 100, "02:00:00:00:00:01", "100.64.0.10")
    stub = api.stub

    def policy(**values: str) -> Any:
        return stub.SetPolicy(pb.SetPolicyRequest(id=s.id, set=values), metadata=md(), timeout=10)

    cases: list[tuple[Any, grpc.StatusCode, str]] = [
        (
            stub.Get(pb.GetRequest(id=999), metadata=md(), timeout=10),
            grpc.StatusCode.NOT_FOUND,
            "no session 999",
        ),
        (
            stub.Get(pb.GetRequest(), metadata=md(), timeout=10),
            grpc.StatusCode.INVALID_ARGUMENT,
            "session id",
        ),
        (policy(vrf="nope"), grpc.StatusCode.INVALID_ARGUMENT, "no VRF 'nope'"),
        (
            policy(**{"qos-input-profile": "gold-9g"}),
            grpc.StatusCode.INVALID_ARGUMENT,
            "no QoS profile 'gold-9g'",
        ),
        (policy(**{"acl-egress": "bad-acl"}), grpc.StatusCode.INVALID_ARGUMENT, "no ACL 'bad-acl'"),
        (policy(colour="red"), grpc.StatusCode.INVALID_ARGUMENT, "unknown policy attribute 'colour'"),
        (policy(**{"idle-timeout": "soon"}), grpc.StatusCode.INVALID_ARGUMENT, "idle-timeout 'soon'"),
        (
            stub.SetPolicy(pb.SetPolicyRequest(id=s.id), metadata=md(), timeout=10),
            grpc.StatusCode.INVALID_ARGUMENT,
            "nothing to set",
        ),
        (
            stub.SetPolicy(pb.SetPolicyRequest(id=42, set={"vrf": "blue"}), metadata=md(), timeout=10),
            grpc.StatusCode.NOT_FOUND,
            "no session 42",
        ),
        (
            stub.Disconnect(pb.DisconnectRequest(), metadata=md(), timeout=10),
            grpc.StatusCode.INVALID_ARGUMENT,
            "id, filter or all",
        ),
        (
            stub.Disconnect(pb.DisconnectRequest(filter=pb.Filter()), metadata=md(), timeout=10),
            grpc.StatusCode.INVALID_ARGUMENT,
            "empty filter",
        ),
        (
            stub.Disconnect(pb.DisconnectRequest(id=77), metadata=md(), timeout=10),
            grpc.StatusCode.NOT_FOUND,
            "no session 77",
        ),
        (
            stub.List(pb.ListRequest(filter=pb.Filter(mac="zz:zz")), metadata=md(), timeout=10),
            grpc.StatusCode.INVALID_ARGUMENT,
            "not a MAC address",
        ),
        (stub.List(pb.ListRequest(), timeout=10), grpc.StatusCode.UNAUTHENTICATED, "username and password"),
        (
            stub.List(pb.ListRequest(), metadata=[("username", "admin"), ("password", "wrong")], timeout=10),
            grpc.StatusCode.UNAUTHENTICATED,
            "authentication failed",
        ),
    ]
    for call, code, words in cases:
        got, details = await status_of(call)
        assert (got, words in details) == (code, True), (code, words, got, details)
    # nothing was half-applied: the session is as it was
    assert api.manager is not None and api.manager.get(s.id) == s


async def test_a_closing_session_cannot_change(api: Api) -> None:
    """FAILED_PRECONDITION: the session is being torn down (its VPP items are being removed)."""
    gate = asyncio.Event()

    class SlowTeardown:
        async def program(self, old: Session | None, new: Session | None) -> None:
            if new is None:
                await gate.wait()

    assert api.manager is not None
    api.manager.programmer = SlowTeardown()
    s = await api.open(P0, 100, "02:00:00:00:00:01", "100.64.0.10")
    release = asyncio.create_task(api.manager.release(s.id, TerminateCause.ADMIN))
    await asyncio.sleep(0.05)
    code, details = await status_of(
        api.stub.SetPolicy(pb.SetPolicyRequest(id=s.id, set={"vrf": "blue"}), metadata=md(), timeout=10)
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "closing" in details
    gate.set()
    await release


async def test_nacm_decides_per_user_with_the_netconf_rules(api: Api) -> None:
    one = await api.open(P0, 100, "02:00:00:00:00:01")
    two = await api.open(P0, 101, "02:00:00:00:00:02")
    stub = api.stub
    # alice reads everything but may neither re-police nor disconnect (exec rules on the rpc names)
    listed = await stub.List(pb.ListRequest(), metadata=md("alice"), timeout=10)
    assert len(listed.sessions) == 2
    for call, rpc in (
        (
            stub.SetPolicy(
                pb.SetPolicyRequest(id=one.id, set={"vrf": "blue"}), metadata=md("alice"), timeout=10
            ),
            "set-session-policy",
        ),
        (stub.Disconnect(pb.DisconnectRequest(all=True), metadata=md("alice"), timeout=10), "clear-sessions"),
    ):
        code, details = await status_of(call)
        assert code == grpc.StatusCode.PERMISSION_DENIED and rpc in details and "alice" in details
    # bob may not read the session list at all
    for call in (
        stub.List(pb.ListRequest(), metadata=md("bob"), timeout=10),
        stub.Get(pb.GetRequest(id=one.id), metadata=md("bob"), timeout=10),
    ):
        assert (await status_of(call))[0] == grpc.StatusCode.PERMISSION_DENIED
    watch = stub.Watch(pb.WatchRequest(), metadata=md("bob"), timeout=10)
    assert (await status_of(watch.read()))[0] == grpc.StatusCode.PERMISSION_DENIED
    # carol may read every session but the first: left out of List and Watch, refused by Get
    listed = await stub.List(pb.ListRequest(), metadata=md("carol"), timeout=10)
    assert [s.id for s in listed.sessions] == [two.id]
    assert (await status_of(stub.Get(pb.GetRequest(id=one.id), metadata=md("carol"), timeout=10)))[0] == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    watch = stub.Watch(pb.WatchRequest(), metadata=md("carol"), timeout=10)
    first = await watch.read()
    assert first.session.id == two.id and (await watch.read()).kind == pb.SessionEvent.SYNC
    watch.cancel()


async def test_without_a_subscriber_manager_the_api_is_unavailable(api: Api) -> None:
    api.manager = None
    code, details = await status_of(api.stub.List(pb.ListRequest(), metadata=md(), timeout=10))
    assert code == grpc.StatusCode.UNAVAILABLE and "subscriber manager" in details


async def test_stopping_the_server_ends_watches_with_unavailable(api: Api) -> None:
    stream = api.stub.Watch(pb.WatchRequest(), metadata=md(), timeout=30)
    assert (await stream.read()).kind == pb.SessionEvent.SYNC
    stop = asyncio.create_task(api.server.stop(1.0))
    code, details = await status_of(stream.read())
    assert code == grpc.StatusCode.UNAVAILABLE, (code, details)
    await stop


async def test_served_with_gnmi_health_and_only_over_tls(api: Api) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc  # type: ignore[import-untyped]

    assert api.channel is not None
    health = health_pb2_grpc.HealthStub(api.channel)
    reply = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=10)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    async with grpc.aio.insecure_channel(f"127.0.0.1:{api.server.bound_port}") as plain:
        code, _ = await status_of(
            pb_grpc.SubscribersStub(plain).List(pb.ListRequest(), metadata=md(), timeout=5)
        )
    assert code == grpc.StatusCode.UNAVAILABLE  # a plaintext client cannot even connect
