"""RADIUS reply attributes land in VPP (vppsim): an IPoE subscriber on a 1:1 VLAN access port is
authorised by a real FreeRADIUS whose Access-Accept carries an operator VSA (named in the operator's
dictionary file, mapped by bng-aaa attribute-mapping to a QoS profile); the session's policer in VPP has
that profile's rate, with the policy's origin ``radius``. A rejected subscriber gets nothing in VPP."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from _freeradius import FreeRadius
from _southbound_helpers import AgentStack, vpp_snapshot
from test_qos_sessions_vppsim import QOS, policers, with_qos
from test_sessions_vppsim import P1, SUBS

from agent.aaa import dictionary
from agent.aaa.accounting import Accounting
from agent.aaa.auth import Authenticator, NasIdentity
from agent.aaa.client import Function, RadiusClient, Server
from agent.aaa.counters import from_telemetry
from agent.aaa.packet import Codec
from agent.aaa.service import AaaService
from agent.aaa.spool import Spool
from agent.dhcp4.leases import Lease, LeaseKey
from agent.dhcp4.sessions import SessionSink
from agent.features.qos.session import QOS_HOOK
from agent.sessions.api import PolicyAttr, PolicyOrigin, SessionKey, TerminateCause
from agent.sessions.manager import SessionManager
from agent.sessions.program import SessionProgrammer
from agent.telemetry.segment import SegmentReader

VENDOR_DICT = (
    "VENDOR\tExampleNet\t65000\nBEGIN-VENDOR\tExampleNet\n"
    "ATTRIBUTE\tExampleNet-Qos-Up\t3\tstring\nEND-VENDOR\tExampleNet\n"
)
USERS = """\
02:00:00:00:00:07\tCleartext-Password := "ipoe-pw"
\tExampleNet-Qos-Up = "fast"

DEFAULT\tAuth-Type := Reject
"""


def lease(last: int) -> Lease:
    now = time.time()
    return Lease(
        LeaseKey(P1, 100, last, bytes([2, 0, 0, 0, 0, last])),
        ipaddress.IPv4Address(f"100.64.0.{last}"),
        ipaddress.IPv4Address("192.0.2.67"),
        3600,
        now,
        now + 3600,
    )


async def test_radius_qos_profile_reaches_the_sessions_policer(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    fr = FreeRadius(tmp_path / "radius", USERS, dictionary=VENDOR_DICT)
    fr.start()
    dict_file = tmp_path / "dictionary.examplenet"
    dict_file.write_text(VENDOR_DICT)
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    aaa: AaaService | None = None
    try:
        updates = with_qos()
        await st.commit(updates=updates)
        running = {
            "bng-subscribers:subscribers": dict(updates)[SUBS],
            "bng-qos:qos": dict(updates)[QOS],
            "bng-aaa:aaa": {
                "radius": {
                    "dictionary-file": [str(dict_file)],
                    "server": [{"name": "r1", "address": "127.0.0.1", "auth-port": fr.auth_port,
                                "acct-port": fr.acct_port, "shared-secret": fr.secret, "timeout": 1}],
                    "authentication": {"server": ["r1"]},
                    "accounting": {"enabled": False},
                    "ipoe": {"password": "ipoe-pw"},
                },
                "attribute-mapping": {"attribute": [
                    {"name": "qos-up", "vendor-id": 65000, "type": 3, "target": "qos-input-profile",
                     "value": [{"radius-value": "fast", "qos-profile": "res-50m"}]}
                ]},
            },
        }  # fmt: skip
        prog = SessionProgrammer(st.sb, hooks=[QOS_HOOK])
        m = SessionManager(prog.access, programmer=prog)
        aaa = AaaService(lambda: json.dumps(running), lambda: m, tmp_path / "aaa")
        await aaa.start()
        sink = SessionSink(m, aaa.authorizer())

        assert await sink.lease_bound(lease(7), renewed=False) is True
        (s,) = m.list()
        assert s.policy[PolicyAttr.QOS_INPUT].value == "res-50m"
        assert s.policy[PolicyAttr.QOS_INPUT].origin is PolicyOrigin.RADIUS
        got = policers(await vpp_snapshot(sim.api_socket))
        name = f"bng-agent:{P1}.1000007/in"
        assert list(got) == [name]
        assert got[name][:5] == (0, 50000, 0, 625000, 0)  # res-50m, not the template's res-10m

        # rejected: the session ended before it had anything in VPP
        assert await sink.lease_bound(lease(8), renewed=False) is False
        snap = await vpp_snapshot(sim.api_socket)
        assert list(policers(snap)) == [name]
        assert not any(f"{P1}.1000008" in json.dumps(v) for v in snap.values())
        assert len(m.list()) == 1
    finally:
        if aaa is not None:
            await aaa.stop()
        await st.stop()
        fr.stop()


async def test_accounting_counters_come_from_the_sessions_sub_interface_in_vpp(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """Interim and Stop carry the session sub-interface's VPP counters as the stats segment has them,
    over 4 GiB split into Acct-*-Gigawords; the access port's own traffic is not counted."""
    fr = FreeRadius(tmp_path / "radius", USERS, dictionary=VENDOR_DICT)
    fr.start()
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    reader = SegmentReader(sim.stats_socket)
    acct: Accounting | None = None
    try:
        await st.commit(updates=with_qos())
        prog = SessionProgrammer(st.sb, hooks=[QOS_HOOK])
        m = SessionManager(prog.access, programmer=prog)
        s = await m.open(SessionKey(P1, 100, 9, "02:00:00:00:00:09"), username="carol")
        s = await m.bind_ipv4(s.id, ipaddress.IPv4Address("100.64.0.9"), 3600)
        sub = st.sb.names.get(s.interface)
        assert s.interface == f"{P1}.1000009" and sub is not None
        # 3 GB/s up for about 2 s: past 4 GiB; 1 MB/s down; the access port itself busy too
        sim.ctl(
            "traffic", sw_if_index=sub, rx_pps=1_000_000, rx_bps=3_000_000_000, tx_pps=1000, tx_bps=1_000_000
        )
        sim.ctl("traffic", name=P1, rx_pps=5000, rx_bps=5_000_000)
        await asyncio.sleep(2.0)
        sim.ctl("traffic", sw_if_index=sub)
        sim.ctl("traffic", name=P1)
        await asyncio.sleep(0.5)
        reader.connect()
        table = reader.read()
        rx = table.value("rx:bytes", sub)
        assert rx > 4 * 2**30

        snap = SimpleNamespace(counters=table)
        client = RadiusClient(
            Codec(dictionary.load()),
            {Function.ACCT: [Server("r1", "127.0.0.1", fr.secret.encode(), acct_port=fr.acct_port)]},
        )
        acct = Accounting(
            Authenticator(client, NasIdentity("bng-vppsim")),
            Spool(tmp_path / "acct.spool"),
            from_telemetry(lambda: snap, st.sb.names.get),
        )
        acct.start_tasks()
        await acct.start(s)
        await acct.stop(s, TerminateCause.SESSION_TIMEOUT)
        deadline = time.monotonic() + 10
        while acct.sent["Stop"] < 1:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        stop = fr.detail_text().split("\n\n")[-2] if fr.detail_text().endswith("\n\n") else ""
        assert "Acct-Status-Type = Stop" in stop
        fields = dict(line.strip().split(" = ", 1) for line in stop.splitlines()[1:] if " = " in line)
        assert int(fields["Acct-Input-Gigawords"]) * 2**32 + int(fields["Acct-Input-Octets"]) == rx
        assert int(fields["Acct-Input-Gigawords"]) >= 1
        assert int(fields["Acct-Output-Octets"]) == table.value("tx:bytes", sub) > 0
        assert int(fields["Acct-Input-Packets"]) == table.value("rx:packets", sub)
        assert fields["Acct-Terminate-Cause"] == "Session-Timeout"
        assert fields["NAS-Port-Id"] == f'"{P1}:100-9"'
        client.close()
    finally:
        if acct is not None:
            await acct.stop_tasks()
        reader.close()
        await st.stop()
        fr.stop()
