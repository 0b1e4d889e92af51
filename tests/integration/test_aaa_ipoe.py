"""IPoE sessions authorised by a real FreeRADIUS before they become active, through the DHCPv4 relay's
session sink and the subscriber manager: an Accept's attributes become policy with origin ``radius``
(the session passes through ``authenticating``), a Reject ends the session with ``auth-failed`` and the
relay is told not to forward the ACK; accounting follows the manager's events (Start when active, Stop
with Acct-Terminate-Cause when it leaves) into FreeRADIUS's detail file."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _freeradius import FreeRadius

from agent.aaa.service import AaaService
from agent.dhcp4.leases import Lease, LeaseKey
from agent.dhcp4.sessions import SessionSink
from agent.sessions.api import PolicyAttr, PolicyOrigin, SessionEvent, SessionState, TerminateCause
from agent.sessions.manager import SessionManager
from agent.sessions.templates import AccessConfig

P0 = "GigabitEthernet0/8/0"
USERS = """\
02:00:00:00:00:01\tCleartext-Password := "ipoe-secret"
\tFilter-Id = "acl-gold",
\tAcct-Interim-Interval = 120

DEFAULT\tAuth-Type := Reject
"""


@pytest.fixture(scope="module")
def radius(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreeRadius]:
    fr = FreeRadius(tmp_path_factory.mktemp("radius-ipoe"), USERS)
    fr.start()
    yield fr
    fr.stop()


def running(fr: FreeRadius, authorize_by: str = "mac", accounting: bool = True) -> dict[str, Any]:
    return {
        "bng-subscribers:subscribers": {
            "access-interfaces": {
                "access-interface": [
                    {"interface": P0, "session-template": "t", "ipoe": {"authorize-by": authorize_by}}
                ]
            },
            "session-templates": {
                "template": [{"name": "t", "acl-ingress": "acl-default", "accounting": accounting}]
            },
        },
        "bng-aaa:aaa": {
            "radius": {
                "nas-identifier": "bng-ipoe-test",
                "server": [
                    {"name": "r1", "address": "127.0.0.1", "auth-port": fr.auth_port,
                     "acct-port": fr.acct_port, "shared-secret": fr.secret, "timeout": 1,
                     "retransmits": 1}
                ],
                "ipoe": {"password": "ipoe-secret"},
            }
        },
    }  # fmt: skip


def lease(mac_last: int) -> Lease:
    now = time.time()
    return Lease(
        LeaseKey(P0, 0, 0, bytes([2, 0, 0, 0, 0, mac_last])),
        ipaddress.IPv4Address(f"100.64.0.{mac_last}"),
        ipaddress.IPv4Address("192.0.2.67"),
        3600,
        now,
        now + 3600,
    )


async def wait_for(pred: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_ipoe_accept_reject_and_accounting(radius: FreeRadius, tmp_path: Path) -> None:
    config = running(radius)
    mgr = SessionManager(AccessConfig.from_entry(config["bng-subscribers:subscribers"]))
    aaa = AaaService(lambda: json.dumps(config), lambda: mgr, tmp_path)
    await aaa.start()
    events: list[SessionEvent] = []

    async def collect() -> None:
        async for ev in mgr.watch(replay=False):
            events.append(ev)

    watcher = asyncio.create_task(collect())
    await asyncio.sleep(0)
    try:
        sink = SessionSink(mgr, aaa.authorizer())
        assert await sink.lease_bound(lease(1), renewed=False) is True
        (s,) = mgr.list()
        assert s.state is SessionState.ACTIVE and s.username == "02:00:00:00:00:01"
        assert s.policy[PolicyAttr.ACL_INGRESS].value == "acl-gold"
        assert s.policy[PolicyAttr.ACL_INGRESS].origin is PolicyOrigin.RADIUS
        assert s.policy[PolicyAttr.INTERIM_INTERVAL].value == "120"
        states = [e.session.state for e in events if e.session.id == s.id]
        assert SessionState.AUTHENTICATING in states

        # unknown MAC: Access-Reject, the session ends, the ACK is not forwarded
        assert await sink.lease_bound(lease(2), renewed=False) is False
        left = [e for e in events if e.kind == "left"]
        assert [e.cause for e in left] == [TerminateCause.AUTH_FAILED]
        assert len(mgr.list()) == 1
        assert aaa.ipoe.accepted == 1 and aaa.ipoe.rejected == 1

        await mgr.release(s.id, TerminateCause.RELEASE)
        acct = aaa.accounting
        assert acct is not None
        await wait_for(lambda: acct.sent["Stop"] == 1)
        detail = radius.detail_text()
        assert "Acct-Status-Type = Start" in detail and "Acct-Terminate-Cause = User-Request" in detail
        assert 'User-Name = "02:00:00:00:00:01"' in detail
        assert "02:00:00:00:00:02" not in detail  # rejected: never accounted
        names = {n for n, _, _ in aaa.samples()}
        assert {"bng_radius_requests", "bng_radius_accounting_sent", "bng_radius_ipoe_auth"} <= names
    finally:
        watcher.cancel()
        await aaa.stop()
        await mgr.close()


async def test_authorize_by_none_opens_without_radius(radius: FreeRadius, tmp_path: Path) -> None:
    config = running(radius, authorize_by="none", accounting=False)
    mgr = SessionManager(AccessConfig.from_entry(config["bng-subscribers:subscribers"]))
    aaa = AaaService(lambda: json.dumps(config), lambda: mgr, tmp_path)
    await aaa.start()
    try:
        sink = SessionSink(mgr, aaa.authorizer())
        assert await sink.lease_bound(lease(9), renewed=False) is True
        (s,) = mgr.list()
        assert s.policy[PolicyAttr.ACL_INGRESS].origin is PolicyOrigin.TEMPLATE
        assert aaa.client is not None and not aaa.client.stats.requests
        # the template says accounting false: nothing is queued for it
        await mgr.release(s.id, TerminateCause.RELEASE)
        await asyncio.sleep(0.2)
        assert aaa.accounting is not None and len(aaa.accounting.spool) == 0
        assert sum(aaa.accounting.sent.values()) == 0
        assert "02:00:00:00:00:09" not in radius.detail_text()
    finally:
        await aaa.stop()
        await mgr.close()
