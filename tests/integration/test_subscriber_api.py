"""The gRPC subscriber API (proto/subscribers.proto) over TLS on the gNMI server's port, with a real grpc
client: what a controller sees for List, Get, Watch, SetPolicy and Disconnect, the status code of every
kind of bad request, and NACM deciding per user with the rules NETCONF and gNMI use.

The server runs in its own process (tests/integration/_subapi_child.py: the gNMI server with the
subscriber service and a real subscriber manager whose policy check reads running configuration); the
test drives the manager through that process's command channel and talks to the API with grpc.aio over
TLS, as a Python controller would (docs/subscriber-api.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from bindings.proto import subscribers_pb2 as pb
from bindings.proto import subscribers_pb2_grpc as pb_grpc

ROOT = Path(__file__).resolve().parents[2]
SERVICE_NAME = "bng.subscribers.v1.Subscribers"
P0, P1 = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"
PASSWORDS = {"admin": "admin-pw", "alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw"}


class Api:
    """The server process and a grpc.aio client to it."""

    def __init__(self, data_dir: Path) -> None:
        env = {**os.environ, "PYTHONPATH": f"{ROOT}:{Path(__file__).parent}"}
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).parent / "_subapi_child.py"), str(data_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=env,
            text=True,
        )
        info = json.loads(self._line(60.0))
        self.port: int = info["port"]
        self.cert = Path(info["cert"]).read_bytes()
        self.channel: Any = None
        self.stub: Any = None

    def connect(self) -> None:
        """The client channel (made in the test's event loop: grpc.aio binds it to the running loop)."""
        creds = grpc.ssl_channel_credentials(self.cert)
        self.channel = grpc.aio.secure_channel(f"localhost:{self.port}", creds)
        self.stub = pb_grpc.SubscribersStub(self.channel)

    def _line(self, timeout: float) -> str:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if select.select([self.proc.stdout], [], [], 0.2)[0]:
                line = self.proc.stdout.readline()
                if line:
                    return line
                break
            if self.proc.poll() is not None:
                break
        raise RuntimeError(f"subscriber API server did not answer (exit status {self.proc.poll()})")

    def _command(self, cmd: str, args: dict[str, Any]) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self._line(30.0))
        if not answer["ok"]:
            raise RuntimeError(answer["error"])
        return answer["reply"]

    async def cmd(self, cmd: str, **args: Any) -> Any:
        """A command to the server process (in a thread: the grpc.aio client needs the loop running)."""
        return await asyncio.to_thread(self._command, cmd, args)

    async def open(self, iface: str, vlan: int, mac: str, ipv4: str | None = None) -> Any:
        return await self.cmd("open", iface=iface, vlan=vlan, mac=mac, ipv4=ipv4)

    async def close(self) -> None:
        if self.channel is not None:
            await self.channel.close()
        if self.proc.poll() is None:
            with contextlib.suppress(RuntimeError, BrokenPipeError, ValueError):
                await asyncio.to_thread(self._command, "quit", {})
            try:
                await asyncio.to_thread(self.proc.wait, 15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def md(user: str = "admin") -> list[tuple[str, str]]:
    return [("username", user), ("password", PASSWORDS[user])]


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    a = await asyncio.to_thread(Api, tmp_path)
    a.connect()
    try:
        yield a
    finally:
        await a.close()


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
    got = await api.stub.Get(pb.GetRequest(id=a["id"]), metadata=md(), timeout=10)
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
    first = await api.open(P0, 100, "02:00:00:00:00:01", "100.64.0.10")
    stream = api.stub.Watch(pb.WatchRequest(), metadata=md(), timeout=30)
    seen = [await stream.read(), await stream.read()]
    assert [e.kind for e in seen] == [pb.SessionEvent.APPEARED, pb.SessionEvent.SYNC]
    assert seen[0].session.id == first["id"] and seen[0].session.ipv4.address == "100.64.0.10"
    second = await api.open(P1, 7, "02:00:00:00:00:09")
    ev = await asyncio.wait_for(stream.read(), 5)
    assert ev.kind == pb.SessionEvent.APPEARED and ev.session.id == second["id"] and ev.seq > 0
    await api.cmd("set_policy", id=second["id"], attr="vrf", value="blue", origin="radius")
    ev = await asyncio.wait_for(stream.read(), 5)
    assert ev.kind == pb.SessionEvent.CHANGED and ev.session.policy["vrf"].origin == pb.RADIUS
    await api.cmd("release", id=first["id"], cause="lease-expired")
    kinds = []
    while not kinds or kinds[-1].kind != pb.SessionEvent.LEFT:
        kinds.append(await asyncio.wait_for(stream.read(), 5))
    assert kinds[-1].session.id == first["id"] and kinds[-1].cause == "lease-expired"
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
    assert ev.session.id == s["id"] and ev.session.access_interface == P1
    assert await api.cmd("watchers") == 1
    stream.cancel()
    # the client went away: the server's watch on the manager ends too (nothing left buffering events)
    for _ in range(100):
        if await api.cmd("watchers") == 0:
            break
        await asyncio.sleep(0.05)
    assert await api.cmd("watchers") == 0


async def test_set_policy_overrides_with_origin_api_and_clear_returns_to_the_template(api: Api) -> None:
    s = await api.open(P0, 100, "02:00:00:00:00:01", "100.64.0.10")
    req = pb.SetPolicyRequest(
        id=s["id"], set={"vrf": "blue", "qos-input-profile": "up-100m", "acl-ingress": "web-only"}
    )
    out = await api.stub.SetPolicy(req, metadata=md(), timeout=10)
    assert out.policy["vrf"] == pb.PolicyValue(value="blue", origin=pb.API)
    assert out.policy["acl-ingress"] == pb.PolicyValue(value="web-only", origin=pb.API)
    held = await api.cmd("get", id=s["id"])
    assert held["policy"]["qos-input-profile"] == ["up-100m", "api"]
    out = await api.stub.SetPolicy(
        pb.SetPolicyRequest(id=s["id"], clear=["vrf", "acl-ingress"]), metadata=md(), timeout=10
    )
    assert out.policy["vrf"] == pb.PolicyValue(value="cust", origin=pb.TEMPLATE)
    assert "acl-ingress" not in out.policy and out.policy["qos-input-profile"].origin == pb.API


async def test_disconnect_one_by_filter_or_all(api: Api) -> None:
    a = await api.open(P0, 100, "02:00:00:00:00:01")
    await api.open(P0, 101, "02:00:00:00:00:02")
    await api.open(P1, 5, "02:00:00:00:00:05")
    await api.open(P1, 6, "02:00:00:00:00:06")
    r = await api.stub.Disconnect(pb.DisconnectRequest(id=a["id"]), metadata=md(), timeout=10)
    assert r.disconnected == 1 and await api.cmd("get", id=a["id"]) is None
    r = await api.stub.Disconnect(
        pb.DisconnectRequest(filter=pb.Filter(access_interface=P1)), metadata=md(), timeout=10
    )
    assert r.disconnected == 2 and len(await api.cmd("list")) == 1
    r = await api.stub.Disconnect(pb.DisconnectRequest(all=True), metadata=md(), timeout=10)
    assert r.disconnected == 1 and await api.cmd("list") == []


async def test_bad_requests_get_precise_status_codes(api: Api) -> None:
    s = await api.open(P0, 100, "02:00:00:00:00:01", "100.64.0.10")
    stub = api.stub

    def policy(**values: str) -> Any:
        return stub.SetPolicy(pb.SetPolicyRequest(id=s["id"], set=values), metadata=md(), timeout=10)

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
            stub.SetPolicy(pb.SetPolicyRequest(id=s["id"]), metadata=md(), timeout=10),
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
    assert await api.cmd("get", id=s["id"]) == s


async def test_a_closing_session_cannot_change(api: Api) -> None:
    """FAILED_PRECONDITION: the session is being torn down (its VPP items are being removed)."""
    await api.cmd("slow_teardown")
    s = await api.open(P0, 100, "02:00:00:00:00:01", "100.64.0.10")
    await api.cmd("release_async", id=s["id"])
    code, details = await status_of(
        api.stub.SetPolicy(pb.SetPolicyRequest(id=s["id"], set={"vrf": "blue"}), metadata=md(), timeout=10)
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "closing" in details
    await api.cmd("gate")
    assert await api.cmd("get", id=s["id"]) is None


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
                pb.SetPolicyRequest(id=one["id"], set={"vrf": "blue"}), metadata=md("alice"), timeout=10
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
        stub.Get(pb.GetRequest(id=one["id"]), metadata=md("bob"), timeout=10),
    ):
        assert (await status_of(call))[0] == grpc.StatusCode.PERMISSION_DENIED
    watch = stub.Watch(pb.WatchRequest(), metadata=md("bob"), timeout=10)
    assert (await status_of(watch.read()))[0] == grpc.StatusCode.PERMISSION_DENIED
    # carol may read every session but the first: left out of List and Watch, refused by Get
    listed = await stub.List(pb.ListRequest(), metadata=md("carol"), timeout=10)
    assert [s.id for s in listed.sessions] == [two["id"]]
    assert (await status_of(stub.Get(pb.GetRequest(id=one["id"]), metadata=md("carol"), timeout=10)))[0] == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    watch = stub.Watch(pb.WatchRequest(), metadata=md("carol"), timeout=10)
    first = await watch.read()
    assert first.session.id == two["id"] and (await watch.read()).kind == pb.SessionEvent.SYNC
    watch.cancel()


async def test_without_a_subscriber_manager_the_api_is_unavailable(api: Api) -> None:
    await api.cmd("no_manager")
    code, details = await status_of(api.stub.List(pb.ListRequest(), metadata=md(), timeout=10))
    assert code == grpc.StatusCode.UNAVAILABLE and "subscriber manager" in details


async def test_stopping_the_server_ends_watches_with_unavailable(api: Api) -> None:
    stream = api.stub.Watch(pb.WatchRequest(), metadata=md(), timeout=30)
    assert (await stream.read()).kind == pb.SessionEvent.SYNC
    stop = asyncio.create_task(api.cmd("stop_server"))
    code, details = await status_of(stream.read())
    assert code == grpc.StatusCode.UNAVAILABLE, (code, details)
    await stop


async def test_served_with_gnmi_health_and_only_over_tls(api: Api) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc  # type: ignore[import-untyped]

    health = health_pb2_grpc.HealthStub(api.channel)
    reply = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=10)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    async with grpc.aio.insecure_channel(f"127.0.0.1:{api.port}") as plain:
        code, _ = await status_of(
            pb_grpc.SubscribersStub(plain).List(pb.ListRequest(), metadata=md(), timeout=5)
        )
    assert code == grpc.StatusCode.UNAVAILABLE  # a plaintext client cannot even connect
