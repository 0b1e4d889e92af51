"""The RADIUS client against a real FreeRADIUS (Debian's, started here with its own configuration):
PAP and CHAP accept and reject, reply attributes as session policy (vendor attributes through an
operator dictionary), failover when the primary stops, BlastRADIUS checks (answers without or with a bad
Message-Authenticator, or from a server with another secret, are dropped and counted), and accounting
Start / Interim-Update / Stop in FreeRADIUS's detail file with the right counters, queued through an
outage."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from _freeradius import FreeRadius, free_udp_port
from pyrad import packet as rp

from agent.aaa import dictionary
from agent.aaa.accounting import Accounting, Counters, acct_session_id
from agent.aaa.auth import Authenticator, AuthorizeBy, NasIdentity, Subscriber, ipoe_username
from agent.aaa.client import Function, RadiusClient, Server
from agent.aaa.config import AaaSettings
from agent.aaa.errors import NoServerAvailable
from agent.aaa.mapping import AttributeMap, MappingRejected
from agent.aaa.packet import Codec, Credentials, chap_response
from agent.aaa.spool import Spool
from agent.sessions.api import (
    Circuit,
    Lease,
    PolicyAttr,
    PolicyOrigin,
    PolicyValue,
    Session,
    SessionKey,
    SessionState,
    TerminateCause,
)

VENDOR_DICT = """\
VENDOR\tExampleNet\t65000
BEGIN-VENDOR\tExampleNet
ATTRIBUTE\tExampleNet-Qos-Down\t1\tstring
ATTRIBUTE\tExampleNet-Vrf\t2\tstring
END-VENDOR\tExampleNet
"""

USERS = """\
alice\tCleartext-Password := "wonderland"
\tFilter-Id = "acl-web",
\tSession-Timeout = 7200,
\tIdle-Timeout = 600,
\tAcct-Interim-Interval = 30,
\tFramed-IP-Address = 100.64.1.5,
\tFramed-Pool = "pool-a",
\tExampleNet-Qos-Down = "gold",
\tExampleNet-Vrf = "internet"

02:00:00:00:00:01\tCleartext-Password := "ipoe-pw"
\tFilter-Id = "acl-mac"

DEFAULT\tAuth-Type := Reject
"""

SUB = Subscriber("GigabitEthernet0/8/0", 100, 7, "02:00:00:00:00:01", b"port-1/2", b"cpe-9")


@pytest.fixture(scope="module")
def radius(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreeRadius]:
    fr = FreeRadius(tmp_path_factory.mktemp("radius-a"), USERS, dictionary=VENDOR_DICT)
    fr.start()
    yield fr
    fr.stop()


@pytest.fixture
def vendor_dict(tmp_path: Path) -> Path:
    p = tmp_path / "dictionary.examplenet"
    p.write_text(VENDOR_DICT)
    return p


def server(fr: FreeRadius, name: str = "a", **kw: float) -> Server:
    args: dict[str, float] = {"timeout": 1.0, "retransmits": 1, "dead_time": 30.0} | kw
    return Server(
        name,
        "127.0.0.1",
        fr.secret.encode(),
        auth_port=fr.auth_port,
        acct_port=fr.acct_port,
        timeout=args["timeout"],
        retransmits=int(args["retransmits"]),
        dead_time=args["dead_time"],
    )


@pytest.fixture
async def authn(radius: FreeRadius, vendor_dict: Path) -> AsyncIterator[Authenticator]:
    client = RadiusClient(
        Codec(dictionary.load([vendor_dict])),
        {Function.AUTH: [server(radius)], Function.ACCT: [server(radius)]},
    )
    yield Authenticator(client, NasIdentity("bng-test-1", "192.0.2.1"))
    client.close()


async def test_pap_accept_and_reject(authn: Authenticator) -> None:
    ok = await authn.authenticate(Credentials("alice", "wonderland"), SUB)
    assert ok.accepted and ok.server == "a", ok.attributes
    assert ok.attributes["Filter-Id"] == ["acl-web"]
    bad = await authn.authenticate(Credentials("alice", "not-it"), SUB)
    assert not bad.accepted
    nobody = await authn.authenticate(Credentials("mallory", "x"), SUB)
    assert not nobody.accepted


@pytest.mark.parametrize("challenge", [b"0123456789abcdef", b"short-chal"])
async def test_chap_accept_and_reject(authn: Authenticator, challenge: bytes) -> None:
    """A 16-octet challenge travels as the Request Authenticator, another in CHAP-Challenge (RFC 2865
    2.2); FreeRADIUS checks both."""
    good = chap_response(7, b"wonderland", challenge)
    creds = Credentials("alice", chap_id=7, chap_challenge=challenge, chap_response=good)
    assert (await authn.authenticate(creds, SUB)).accepted
    wrong = chap_response(7, b"guess", challenge)
    creds = Credentials("alice", chap_id=7, chap_challenge=challenge, chap_response=wrong)
    assert not (await authn.authenticate(creds, SUB)).accepted


async def test_ipoe_authorised_by_mac_with_the_configured_password(authn: Authenticator) -> None:
    name = ipoe_username(AuthorizeBy.MAC, SUB)
    assert name == "02:00:00:00:00:01"
    r = await authn.authenticate(Credentials(name, "ipoe-pw"), SUB)
    assert r.accepted and r.attributes["Filter-Id"] == ["acl-mac"]
    assert ipoe_username(AuthorizeBy.CIRCUIT_ID, SUB) == "port-1/2"
    assert ipoe_username(AuthorizeBy.REMOTE_ID, SUB) == "cpe-9"
    assert ipoe_username(AuthorizeBy.CIRCUIT_ID, Subscriber("ge0")) is None
    fmt = ipoe_username(AuthorizeBy.USERNAME_FORMAT, SUB, "{interface}:{outer_vlan}.{inner_vlan}@isp")
    assert fmt == "GigabitEthernet0/8/0:100.7@isp"


async def test_reply_attributes_become_session_policy(authn: Authenticator) -> None:
    """RFC attributes by default, an operator's VSA through its dictionary and a configured mapping
    (one with a value table, one passed through)."""
    settings = AaaSettings.from_entry(
        {
            "attribute-mapping": {
                "attribute": [
                    {"name": "qos", "vendor-id": 65000, "type": 1, "target": "qos-output-profile",
                     "value": [{"radius-value": "gold", "qos-profile": "down-1g"}]},
                    {"name": "vrf", "vendor-id": 65000, "type": 2, "target": "vrf"},
                ]
            }
        }
    )  # fmt: skip
    r = await authn.authenticate(Credentials("alice", "wonderland"), SUB)
    assert r.reply is not None
    auth = AttributeMap(settings.rules).apply(r.reply)
    assert auth.policy == {
        PolicyAttr.ACL_INGRESS: "acl-web",
        PolicyAttr.SESSION_TIMEOUT: "7200",
        PolicyAttr.IDLE_TIMEOUT: "600",
        PolicyAttr.INTERIM_INTERVAL: "60",  # 30 raised to the RFC 2869 minimum
        PolicyAttr.QOS_OUTPUT: "down-1g",
        PolicyAttr.VRF: "internet",
    }
    assert str(auth.framed_ip) == "100.64.1.5" and auth.framed_pool == "pool-a"
    strict = AaaSettings.from_entry(
        {
            "attribute-mapping": {
                "attribute": [
                    {"name": "qos", "vendor-id": 65000, "type": 1, "target": "qos-output-profile",
                     "pass-through": False, "value": [{"radius-value": "silver", "qos-profile": "x"}]}
                ]
            }
        }
    )  # fmt: skip
    with pytest.raises(MappingRejected, match="gold"):
        AttributeMap(strict.rules).apply(r.reply)


async def test_failover_to_the_secondary_within_the_timeout(tmp_path: Path) -> None:
    primary = FreeRadius(tmp_path / "p", USERS, dictionary=VENDOR_DICT)
    secondary = FreeRadius(tmp_path / "s", USERS, dictionary=VENDOR_DICT)
    primary.start()
    secondary.start()
    servers = [server(primary, "primary", timeout=0.5, retransmits=1), server(secondary, "secondary")]
    client = RadiusClient(Codec(dictionary.load()), {Function.AUTH: servers})
    authn = Authenticator(client, NasIdentity("bng-test-1"))
    try:
        assert (await authn.authenticate(Credentials("alice", "wonderland"), SUB)).server == "primary"
        primary.stop()
        t0 = time.monotonic()
        r = await authn.authenticate(Credentials("alice", "wonderland"), SUB)
        took = time.monotonic() - t0
        assert r.accepted and r.server == "secondary"
        assert took < 0.5 * 2 + 0.5  # timeout x (1 + retransmits), plus the secondary's answer
        # the primary is dead now: the next request goes straight to the secondary
        t0 = time.monotonic()
        assert (await authn.authenticate(Credentials("alice", "wonderland"), SUB)).server == "secondary"
        assert time.monotonic() - t0 < 0.4
        assert client.stats.timeouts[("primary", "authentication")] == 1
        assert client.stats.failovers[("secondary", "authentication")] == 1
        assert client.dead(client.servers(Function.AUTH)[0], Function.AUTH)
        secondary.stop()
        with pytest.raises(NoServerAvailable):
            await authn.authenticate(Credentials("alice", "wonderland"), SUB)
    finally:
        client.close()
        primary.stop()
        secondary.stop()


async def test_server_without_message_authenticator_is_not_believed(tmp_path: Path) -> None:
    """An old FreeRADIUS that does not sign its answers: every Accept is dropped and counted, and the
    request fails as unanswered rather than succeed unauthenticated."""
    unsigned = FreeRadius(tmp_path / "u", USERS, sign_replies=False, dictionary=VENDOR_DICT)
    unsigned.start()
    client = RadiusClient(Codec(dictionary.load()), {Function.AUTH: [server(unsigned, timeout=0.3)]})
    try:
        with pytest.raises(NoServerAvailable):
            await Authenticator(client, NasIdentity("n")).authenticate(
                Credentials("alice", "wonderland"), SUB
            )
        assert client.stats.dropped[("a", "authentication", "no-message-authenticator")] == 2
    finally:
        client.close()
        unsigned.stop()


async def test_wrong_secret_gets_no_answer(radius: FreeRadius) -> None:
    """FreeRADIUS discards a request whose Message-Authenticator does not verify with its secret."""
    wrong = Server("a", "127.0.0.1", b"not-the-secret", auth_port=radius.auth_port, timeout=0.3,
                   retransmits=0)  # fmt: skip
    client = RadiusClient(Codec(dictionary.load()), {Function.AUTH: [wrong]})
    try:
        with pytest.raises(NoServerAvailable):
            await Authenticator(client, NasIdentity("n")).authenticate(
                Credentials("alice", "wonderland"), SUB
            )
        assert client.stats.timeouts[("a", "authentication")] == 1
    finally:
        client.close()


class _Forger(asyncio.DatagramProtocol):
    """Answers every Access-Request with a forged Accept, in the way chosen by ``mode``."""

    def __init__(self, mode: str, secret: bytes) -> None:
        self.mode = mode
        self.secret = secret
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        ident, req_auth = data[1], data[4:20]
        attrs = b""
        if self.mode in ("bad-ma", "wrong-secret"):
            attrs = bytes([80, 18]) + b"\x00" * 16
        secret = b"other" if self.mode == "wrong-secret" else self.secret
        length = 20 + len(attrs)
        header = bytes([rp.AccessAccept, ident]) + length.to_bytes(2, "big")
        if self.mode == "wrong-secret":
            import hmac

            ma = hmac.new(secret, header + req_auth + attrs, "md5").digest()
            attrs = bytes([80, 18]) + ma
        resp_auth = hashlib.md5(header + req_auth + attrs + secret).digest()
        self.transport.sendto(header + resp_auth + attrs, addr)


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("no-ma", "no-message-authenticator"),
        ("bad-ma", "bad-message-authenticator"),
        ("wrong-secret", "bad-authenticator"),
    ],
)
async def test_forged_answers_are_dropped_and_counted(mode: str, reason: str) -> None:
    loop = asyncio.get_running_loop()
    port = free_udp_port()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Forger(mode, b"s3cret"), local_addr=("127.0.0.1", port)
    )
    srv = Server("forger", "127.0.0.1", b"s3cret", auth_port=port, timeout=0.2, retransmits=1)
    client = RadiusClient(Codec(dictionary.load()), {Function.AUTH: [srv]})
    try:
        with pytest.raises(NoServerAvailable):
            await Authenticator(client, NasIdentity("n")).authenticate(Credentials("alice", "x"), SUB)
        assert client.stats.dropped[("forger", "authentication", reason)] == 2
        assert not client.stats.answers
    finally:
        client.close()
        transport.close()


# ----------------------------------------------------------------------------------- accounting


def session(sid: int = 1, started: float | None = None) -> Session:
    now = time.time() if started is None else started
    return Session(
        id=sid,
        key=SessionKey("GigabitEthernet0/8/0", 100, 7, "02:00:00:00:00:01"),
        type="ipoe",
        state=SessionState.ACTIVE,
        template="t",
        interface="GigabitEthernet0/8/0.1000007",
        started=now - 125,
        updated=now,
        last_seen=now,
        ipv4=Lease(__import__("ipaddress").IPv4Address("100.64.1.5"), now + 3600),
        policy={PolicyAttr.INTERIM_INTERVAL: PolicyValue("60", PolicyOrigin.RADIUS)},
        username="alice",
        circuit=Circuit(b"port-1/2", b"cpe-9"),
    )


def detail_records(fr: FreeRadius) -> list[dict[str, str]]:
    out = []
    for block in fr.detail_text().split("\n\n"):
        rec = {}
        for line in block.splitlines()[1:]:
            k, _, v = line.strip().partition(" = ")
            rec[k] = v.strip('"')
        if rec:
            out.append(rec)
    return out


async def wait_for(pred: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_accounting_start_interim_stop_in_the_detail_file(
    tmp_path: Path, authn: Authenticator, radius: FreeRadius
) -> None:
    big = (5 << 32) + 1234  # more than 4 GiB: Gigawords carry the high part
    counters = Counters(in_octets=big, out_octets=999, in_packets=4_000_000, out_packets=12)

    async def read(s: Session) -> Counters:
        return counters

    acct = Accounting(authn, Spool(tmp_path / "acct.log"), read)
    acct.start_tasks()
    s = session(41)
    sid = acct_session_id(s)
    try:
        await acct.start(s)
        await acct.interim(s)
        await acct.stop(s, TerminateCause.IDLE_TIMEOUT)
        await wait_for(lambda: acct.sent["Stop"] == 1 and len(acct.spool) == 0)
    finally:
        await acct.stop_tasks()
    recs = [r for r in detail_records(radius) if r.get("Acct-Session-Id") == sid]
    assert [r["Acct-Status-Type"] for r in recs] == ["Start", "Interim-Update", "Stop"]
    start, interim, stop = recs
    assert start["User-Name"] == "alice" and start["NAS-Identifier"] == "bng-test-1"
    assert start["NAS-Port-Id"] == "GigabitEthernet0/8/0:100-7"
    assert start["Calling-Station-Id"] == "02-00-00-00-00-01"
    assert start["Framed-IP-Address"] == "100.64.1.5"
    assert "Acct-Input-Octets" not in start
    for r in (interim, stop):
        assert r["Acct-Input-Octets"] == "1234" and r["Acct-Input-Gigawords"] == "5"
        assert r["Acct-Output-Octets"] == "999" and r["Acct-Output-Gigawords"] == "0"
        assert r["Acct-Input-Packets"] == "4000000" and r["Acct-Output-Packets"] == "12"
        assert 125 <= int(r["Acct-Session-Time"]) <= 135
    assert stop["Acct-Terminate-Cause"] == "Idle-Timeout"


def test_acct_session_id_is_stable_for_a_session_and_unique_across_restarts() -> None:
    s = session(1, started=1_800_000_000.0)
    assert acct_session_id(s) == acct_session_id(session(1, started=1_800_000_000.0))
    # the same table id after a restart is another session: another start time
    assert acct_session_id(s) != acct_session_id(session(1, started=1_800_000_000.5))


async def test_accounting_queued_through_an_outage_and_a_restart(tmp_path: Path) -> None:
    """Records made while no server answers stay in the spool on disk; an agent restarted with that spool
    sends them (with Acct-Delay-Time) once the server is back, Start before Stop."""
    fr = FreeRadius(tmp_path / "r", USERS, dictionary=VENDOR_DICT)
    spool_path = tmp_path / "acct.log"

    later = [0.0]  # how far the second agent's clock is ahead: the records waited that long

    def make() -> tuple[Accounting, RadiusClient]:
        c = RadiusClient(
            Codec(dictionary.load()), {Function.ACCT: [server(fr, timeout=0.2, retransmits=0, dead_time=1)]}
        )  # fmt: skip
        authn = Authenticator(c, NasIdentity("bng-test-1"))
        clock = lambda: time.time() + later[0]  # noqa: E731
        return Accounting(authn, Spool(spool_path), clock=clock), c

    acct, client = make()
    acct.start_tasks()
    s = session(77)
    await acct.start(s)
    await acct.stop(s, TerminateCause.RELEASE)
    await asyncio.sleep(0.6)
    assert len(acct.spool) == 2 and acct.sent["Start"] == 0
    await acct.stop_tasks()  # the agent goes away with two records queued
    client.close()
    fr.start()
    later[0] = 42.0
    try:
        acct, client = make()
        assert len(acct.spool) == 2
        acct.start_tasks()
        await wait_for(lambda: acct.sent["Stop"] == 1 and len(acct.spool) == 0, timeout=40)
        await acct.stop_tasks()
        client.close()
        recs = [r for r in detail_records(fr) if r.get("Acct-Session-Id") == acct_session_id(s)]
        assert [r["Acct-Status-Type"] for r in recs] == ["Start", "Stop"]
        assert recs[1]["Acct-Terminate-Cause"] == "User-Request"
        assert 42 <= int(recs[0]["Acct-Delay-Time"]) <= 50
    finally:
        fr.stop()


def test_spool_is_bounded_dropping_interims_first(tmp_path: Path) -> None:
    sp = Spool(tmp_path / "s.log", limit=3)
    sp.put({"Acct-Status-Type": "Start", "sid": "1"})
    sp.put({"Acct-Status-Type": "Interim-Update", "sid": "1"})
    sp.put({"Acct-Status-Type": "Stop", "sid": "1"})
    sp.put({"Acct-Status-Type": "Start", "sid": "2"})
    assert [r["Acct-Status-Type"] for _, r in sp.items()] == ["Start", "Stop", "Start"]
    assert sp.dropped == 1
    sp.close()
    again = Spool(tmp_path / "s.log", limit=3)
    assert [r["sid"] for _, r in again.items()] == ["1", "1", "2"]
    again.close()
