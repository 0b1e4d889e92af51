"""CoA and Disconnect (RFC 5176) from FreeRADIUS's own ``radclient`` against the listener in front of a
subscriber manager on vppsim: a CoA moves a live 1:1 session to another policer rate and another ACL
(checked in VPP's dumps, the session kept), a Disconnect removes it from VPP and from the manager, and
every kind of bad request is refused with the NAK RFC 5176 asks for or dropped without an answer --
each counted, each answered one in the audit log."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import shutil
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from _southbound_helpers import AgentStack, vpp_snapshot
from test_sessions_vppsim import P1, SUBS, config

from agent.aaa import coa_wire as w
from agent.aaa.coa import CoaConfig, CoaHandler, CoaListener, acct_session_id
from agent.features.acl.session import AclSessionHook
from agent.features.qos.session import QOS_HOOK
from agent.sessions.api import PolicyAttr, PolicyOrigin, Session, SessionKey
from agent.sessions.manager import SessionManager
from agent.sessions.service import SubscriberService

SECRET = "coa-secret"
ACLS = "/ietf-access-control-list:acls"
SUB_IF = f"{P1}.1000007"
AAA = {
    "radius": {
        "dynamic-authorization": {
            "enabled": True,
            "client": [{"address": "127.0.0.1", "shared-secret": SECRET}],
        }
    },
    "attribute-mapping": {
        # Juniper's ERX-Ingress-Policy-Name (vendor 4874, type 10) selects the upstream QoS profile
        "attribute": [{"name": "erx-in", "vendor-id": 4874, "type": 10, "target": "qos-input-profile"}]
    },
}


def acl(name: str, action: str) -> dict[str, Any]:
    return {
        "name": name,
        "aces": {"ace": [{"name": "all", "actions": {"forwarding": f"ietf-access-control-list:{action}"}}]},
    }


def full_config() -> list[tuple[str, Any]]:
    profiles = [
        {"name": "res-10m", "type": "1r2c", "cir": "10000", "cbs": 125000},
        {"name": "res-50m", "type": "1r2c", "cir": "50000", "cbs": 625000},
    ]
    out: list[tuple[str, Any]] = [
        ("/bng-qos:qos", {"profile": profiles}),
        (ACLS, {"acl": [acl("open-in", "accept"), acl("walled-in", "drop")]}),
    ]
    for path, value in config():
        if path == SUBS:
            t = value["session-templates"]["template"][0]
            t["qos-input-profile"], t["acl-ingress"] = "res-10m", "open-in"
        out.append((path, value))
    return out


class Node:
    def __init__(self, st: AgentStack, sim: Any, mgr: SessionManager, handler: CoaHandler, port: int):
        self.st, self.sim, self.mgr, self.handler, self.port = st, sim, mgr, handler, port


@pytest.fixture
async def node(vppsim_factory: Callable[..., Any], tmp_path: Path) -> AsyncIterator[Node]:
    assert shutil.which("radclient"), "radclient (freeradius-utils, sysdeps) is required"
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    listener: CoaListener | None = None
    service: SubscriberService | None = None
    try:
        await st.commit(updates=full_config())
        # the wiring bng-agent run uses: policy values checked by the hooks before anything changes
        service = SubscriberService(tmp_path / "subs", st.sb, hooks=[AclSessionHook(), QOS_HOOK], fsync=False)
        await service.start()
        mgr = service.manager
        cfg = CoaConfig.from_entry(AAA)
        cfg = CoaConfig(**{**cfg.__dict__, "address": "127.0.0.1", "port": 0})
        handler = CoaHandler(mgr, cfg)
        listener = CoaListener(handler)
        await listener.apply(cfg)
        assert listener.port is not None
        yield Node(st, sim, mgr, handler, listener.port)
    finally:
        if listener is not None:
            await listener.stop()
        if service is not None:
            await service.stop()
        await st.stop()


async def subscriber(mgr: SessionManager, inner: int = 7, user: str = "alice") -> Session:
    s = await mgr.open(SessionKey(P1, 100, inner, f"02:00:00:00:00:{inner:02x}"), username=user)
    return await mgr.bind_ipv4(s.id, ipaddress.IPv4Address(f"100.64.0.{inner}"), 3600)


async def radclient(port: int, command: str, attrs: str, secret: str = SECRET) -> str:
    """Send one request with radclient; its verbose output (``Received CoA-ACK ...`` or no reply)."""
    proc = await asyncio.create_subprocess_exec(
        "radclient", "-x", "-r", "1", "-t", "1", f"127.0.0.1:{port}", command, secret,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(attrs.encode()), 20)
    return out.decode()


def now_ts() -> str:
    return f"Event-Timestamp = {int(time.time())}"


def policers(snap: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {p[0]: p[1:] for p in snap["policers"]}


async def test_coa_changes_rate_and_acl_in_vpp_and_disconnect_removes_the_session(node: Node) -> None:
    s = await subscriber(node.mgr)
    snap = await vpp_snapshot(node.sim.api_socket)
    policer = f"bng-agent:{SUB_IF}/in"
    assert policers(snap)[policer][:2] == (0, 10000)
    assert snap["acl_lists"][SUB_IF][0] == ["bng-agent:open-in"]

    out = await radclient(
        node.port,
        "coa",
        f'Acct-Session-Id = "{acct_session_id(s)}", ERX-Ingress-Policy-Name = "res-50m", '
        f'Filter-Id = "walled-in", {now_ts()}, Message-Authenticator = 0x00',
    )
    assert "Received CoA-ACK" in out, out
    snap = await vpp_snapshot(node.sim.api_socket)
    assert policers(snap)[policer][:2] == (0, 50000)  # same policer, new rate
    assert snap["acl_lists"][SUB_IF][0] == ["bng-agent:walled-in"]
    live = node.mgr.get(s.id)
    assert live is not None and live.ipv4 == s.ipv4  # the session was not dropped
    assert live.policy[PolicyAttr.QOS_INPUT].origin is PolicyOrigin.COA
    assert live.policy[PolicyAttr.ACL_INGRESS].value == "walled-in"

    entry = node.handler.audit.entries[-1]
    assert (entry.request, entry.result, entry.sessions, entry.client) == ("coa", "ack", (s.id,), "127.0.0.1")
    assert "Filter-Id=walled-in" in entry.attributes
    doc = node.handler.audit.document()["bng-aaa:dynamic-authorization-audit"]["request"]
    assert doc[-1]["result"] == "ack" and doc[-1]["session-id"] == [str(s.id)]

    # by NAS-Port-Id (as Access-Request sends it) and Framed-IP-Address: both must match
    attrs = f'NAS-Port-Id = "{P1}:100-7", Framed-IP-Address = 100.64.0.7, Filter-Id = "open-in", {now_ts()}'
    assert "Received CoA-ACK" in await radclient(node.port, "coa", attrs)
    assert (await vpp_snapshot(node.sim.api_socket))["acl_lists"][SUB_IF][0] == ["bng-agent:open-in"]
    attrs = f'NAS-Port-Id = "{P1}:100-8", Framed-IP-Address = 100.64.0.7, Filter-Id = "open-in", {now_ts()}'
    assert "Session-Context-Not-Found" in await radclient(node.port, "coa", attrs)

    out = await radclient(node.port, "disconnect", f'User-Name = "alice", {now_ts()}')
    assert "Received Disconnect-ACK" in out, out
    assert node.mgr.get(s.id) is None
    snap = await vpp_snapshot(node.sim.api_socket)
    assert SUB_IF not in snap["interfaces"] and policer not in policers(snap)
    assert node.handler.stats.answers[("disconnect", "ack", "")] == 1


async def test_unknown_session_unsupported_attribute_and_bad_values_are_naked(node: Node) -> None:
    s = await subscriber(node.mgr)
    out = await radclient(node.port, "coa", f'User-Name = "nobody", Filter-Id = "walled-in", {now_ts()}')
    assert "Received CoA-NAK" in out and "Error-Cause = Session-Context-Not-Found" in out, out
    out = await radclient(node.port, "disconnect", f"Framed-IP-Address = 100.64.9.9, {now_ts()}")
    assert "Received Disconnect-NAK" in out and "Session-Context-Not-Found" in out, out
    out = await radclient(node.port, "coa", f'User-Name = "alice", Callback-Number = "1", {now_ts()}')
    assert "Received CoA-NAK" in out and "Unsupported-Attribute" in out, out
    out = await radclient(node.port, "coa", f'User-Name = "alice", Filter-Id = "no-such-acl", {now_ts()}')
    assert "Received CoA-NAK" in out and "Invalid-Request" in out, out
    out = await radclient(node.port, "coa", f"Filter-Id = walled-in, {now_ts()}")
    assert "Received CoA-NAK" in out and "Missing-Attribute" in out, out
    out = await radclient(node.port, "coa", f'User-Name = "alice", Service-Type = Authorize-Only, {now_ts()}')
    assert "Received CoA-NAK" in out and "Unsupported-Service" in out, out
    live = node.mgr.get(s.id)
    assert live is not None and live.policy[PolicyAttr.ACL_INGRESS].value == "open-in"  # nothing changed
    causes = [e.error_cause for e in node.handler.audit.entries]
    assert causes == [503, 503, 401, 404, 402, 405]
    assert node.handler.stats.answers[("coa", "nak", "503")] == 1


def _request(code: int, ident: int, attrs: bytes, secret: bytes, *, bad_ma: bool = False) -> bytes:
    """A CoA/Disconnect-Request built by hand (for what radclient will not send): Message-Authenticator
    over a zero authenticator, then the Request Authenticator (RFC 5176 2.3, 3.3)."""
    body = attrs + struct.pack("!BB", 80, 18) + b"\x00" * 16
    head = struct.pack("!BBH", code, ident, 20 + len(body))
    mac = hmac.new(secret, head + b"\x00" * 16 + body, hashlib.md5).digest()
    if bad_ma:
        mac = bytes(16)
    body = body[:-16] + mac
    auth = hashlib.md5(head + b"\x00" * 16 + body + secret).digest()
    return head + auth + body


def _attr(t: int, v: bytes) -> bytes:
    return struct.pack("!BB", t, len(v) + 2) + v


async def _exchange(port: int, data: bytes) -> bytes | None:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    try:
        sock.connect(("127.0.0.1", port))
        await loop.sock_sendall(sock, data)
        try:
            return await asyncio.wait_for(loop.sock_recv(sock, 4096), 0.5)
        except TimeoutError:
            return None
    finally:
        sock.close()


async def test_forged_unknown_replayed_and_malformed_requests(node: Node) -> None:
    s = await subscriber(node.mgr)
    ts = _attr(55, struct.pack("!I", int(time.time())))
    user = _attr(1, b"alice")
    walled = _attr(11, b"walled-in")

    # wrong secret: silently dropped (an answer signed with our secret would help a forger)
    attrs = f'User-Name = "alice", Filter-Id = "walled-in", {now_ts()}'
    out = await radclient(node.port, "coa", attrs, "wrong")
    assert "No reply from server" in out and "Received" not in out, out
    # bad Message-Authenticator: dropped
    secret = SECRET.encode()
    assert await _exchange(node.port, _request(43, 1, user + walled + ts, secret, bad_ma=True)) is None
    # no Event-Timestamp while it is required, and one an hour old: dropped (RFC 5176 section 5)
    assert await _exchange(node.port, _request(43, 2, user + walled, secret)) is None
    old = _attr(55, struct.pack("!I", int(time.time()) - 3600))
    assert await _exchange(node.port, _request(43, 3, user + walled + old, secret)) is None
    # an Event-Timestamp of 3 octets cannot pass the replay check: dropped
    short = _attr(55, b"\x00\x00\x01")
    assert await _exchange(node.port, _request(43, 8, user + walled + short, secret)) is None
    # framing broken (an attribute overrunning the packet): dropped
    broken = bytearray(_request(43, 4, user + walled + ts, secret))
    broken[21] = 200
    assert await _exchange(node.port, bytes(broken)) is None
    # a badly formed value (Framed-IP-Address of 2 octets): Invalid-Request
    answer = await _exchange(node.port, _request(43, 5, _attr(8, b"\x01\x02") + walled + ts, secret))
    assert answer is not None and answer[0] == w.Code.COA_NAK
    assert answer[20:26] == bytes([101, 6]) + struct.pack("!I", 404)

    # a good CoA, then the same datagram replayed: the first answer again, applied once
    good = _request(43, 6, user + _attr(11, b"walled-in") + ts, secret)
    first = await _exchange(node.port, good)
    assert first is not None and first[0] == w.Code.COA_ACK
    await node.mgr.set_policy(s.id, {PolicyAttr.ACL_INGRESS: "open-in"}, PolicyOrigin.API)
    assert await _exchange(node.port, good) == first
    live = node.mgr.get(s.id)
    assert live is not None and live.policy[PolicyAttr.ACL_INGRESS].value == "open-in"  # not re-applied

    # an unknown client: nothing answered
    node.handler.reconfigure(CoaConfig(**{**node.handler.config.__dict__, "clients": {"127.0.0.2": secret}}))
    assert await _exchange(node.port, _request(43, 7, user + walled + ts, secret)) is None

    assert dict(node.handler.stats.dropped) == {
        "bad-authenticator": 1,
        "bad-message-authenticator": 1,
        "no-event-timestamp": 1,
        "stale-event-timestamp": 1,
        "malformed": 2,
        "duplicate": 1,
        "unknown-client": 1,
    }
    assert [e.result for e in node.handler.audit.entries] == ["nak", "ack"]  # drops are not audited
