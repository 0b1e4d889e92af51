"""Sessions as YANG data: the operational list validates against bng-subscribers (libyang), gNMI changes
carry only what changed, the notification is valid, and the timers end sessions for the right cause."""

from __future__ import annotations

import ipaddress
import json

import libyang
from lxml import etree

from agent.model import load_model_set
from agent.sessions import oper
from agent.sessions.api import (
    Lease,
    PolicyAttr,
    PolicyOrigin,
    PolicyValue,
    Session,
    SessionEvent,
    SessionKey,
    SessionState,
    TerminateCause,
)
from agent.sessions.manager import SessionManager
from agent.sessions.templates import AccessConfig
from agent.sessions.timers import Reaper

P0 = "GigabitEthernet0/8/0"


def active(n: int = 1, **kw: object) -> Session:
    base = dict(
        id=n,
        key=SessionKey(P0, 100, 7, "02:00:00:00:00:01"),
        type="ipoe",
        state=SessionState.ACTIVE,
        template="gold",
        interface=f"{P0}.1000007",
        started=1_796_000_000.0,
        updated=1_796_000_000.0,
        last_seen=1_796_000_000.0,
        ipv4=Lease(ipaddress.IPv4Address("100.64.0.7"), None),
        ipv6=(Lease(ipaddress.IPv6Address("2001:db8::7"), None),),
        prefixes=(Lease(ipaddress.IPv6Network("2001:db8:700::/56"), None),),
        policy={
            PolicyAttr.VRF: PolicyValue("cust", PolicyOrigin.TEMPLATE),
            PolicyAttr.QOS_INPUT: PolicyValue("up-100m", PolicyOrigin.COA),
        },
    )
    base.update(kw)
    return Session(**base)  # type: ignore[arg-type]


def test_operational_document_is_valid_yang() -> None:
    ctx = load_model_set().ctx
    doc = json.dumps(
        oper.document([active(1), active(2, key=SessionKey(P0, None, None, "02:00:00:00:00:02"))])
    )
    tree = ctx.parse_data_mem(doc, "json", no_state=False, parse_only=True, strict=True)
    assert tree is not None
    try:
        out = json.loads(tree.print_mem("json", with_siblings=True))
    finally:
        tree.free()
    s = out["bng-subscribers:subscribers"]["sessions"]["session"][0]
    assert (
        s["state"] == "established"
        and s["outer-vlan"] == 100
        and s["delegated-prefix"] == "2001:db8:700::/56"
    )
    assert {p["attribute"]: p["source"] for p in s["policy"]} == {
        "vrf": "ietf-origin:intended",
        "qos-input-profile": "bng-subscribers:coa",
    }


def test_gnmi_changes_carry_only_what_changed() -> None:
    old = active(3)
    new = active(
        3, ipv4=None, policy={**old.policy, PolicyAttr.QOS_INPUT: PolicyValue("up-1g", PolicyOrigin.API)}
    )
    ch = oper.changes(SessionEvent(2, "changed", new, None, old))
    base = oper.entry_path(3)
    assert {(c.op, c.path.removeprefix(base + "/"), c.new) for c in ch} == {
        ("delete", "ipv4-address", None),
        ("modify", "policy[attribute='qos-input-profile']/value", "up-1g"),
        ("modify", "policy[attribute='qos-input-profile']/source", "bng-subscribers:api"),
    }
    (left,) = oper.changes(SessionEvent(3, "left", new, TerminateCause.ADMIN))
    assert (left.op, left.path) == ("delete", base)


def test_notification_is_valid_yang() -> None:
    ctx = load_model_set().ctx
    body = oper.notification(SessionEvent(4, "left", active(5), TerminateCause.IDLE_TIMEOUT))
    el = etree.fromstring(body)
    assert el.findtext(f"{{{oper.NS}}}cause") == "idle-timeout"
    node = ctx.parse_op_mem("xml", body, dtype=libyang.DataType.NOTIF_YANG)
    assert node is not None
    node.free()


def access() -> AccessConfig:
    return AccessConfig.from_entry(
        {
            "access-interfaces": {
                "access-interface": [{"interface": P0, "session-template": "t", "ipoe": {}}]
            },
            "session-templates": {"template": [{"name": "t", "idle-timeout": 300, "session-timeout": 3600}]},
        }
    )


async def test_timers_end_sessions_for_the_right_cause() -> None:
    now = [1000.0]
    m = SessionManager(access(), clock=lambda: now[0])
    reaper = Reaper(m, setup_timeout=30)
    half_open = await m.open(SessionKey(P0, None, None, "02:00:00:00:00:01"))
    a = await m.open(SessionKey(P0, None, None, "02:00:00:00:00:02"))
    a = await m.bind_ipv4(a.id, ipaddress.IPv4Address("100.64.0.2"), 60)
    a = await m.add_ipv6(a.id, ipaddress.IPv6Address("2001:db8::2"), 6000)
    now[0] += 61
    assert await reaper.scan() == 1  # the half-open session; a loses its IPv4 lease only
    assert m.get(half_open.id) is None and reaper.ended == {"setup-timeout": 1}
    a2 = m.get(a.id)
    assert a2 is not None and a2.ipv4 is None and len(a2.ipv6) == 1
    now[0] += 300
    await m.touch(a.id)
    now[0] += 299
    assert await reaper.scan() == 0
    now[0] += 2
    assert await reaper.scan() == 1 and reaper.ended["idle-timeout"] == 1
    b = await m.open(SessionKey(P0, None, None, "02:00:00:00:00:03"))
    await m.bind_ipv4(b.id, ipaddress.IPv4Address("100.64.0.3"), None)
    for _ in range(13):
        now[0] += 280
        await m.renew(b.id, None)
        await reaper.scan()
    assert m.get(b.id) is None and reaper.ended["session-timeout"] == 1
