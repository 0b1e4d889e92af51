"""RADIUS reply attributes land in VPP (vppsim): an IPoE subscriber on a 1:1 VLAN access port is
authorised by a real FreeRADIUS whose Access-Accept carries an operator VSA (named in the operator's
dictionary file, mapped by bng-aaa attribute-mapping to a QoS profile); the session's policer in VPP has
that profile's rate, with the policy's origin ``radius``. A rejected subscriber gets nothing in VPP."""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _freeradius import FreeRadius
from _southbound_helpers import AgentStack, vpp_snapshot
from test_qos_sessions_vppsim import QOS, policers, with_qos
from test_sessions_vppsim import P1, SUBS

from agent.aaa.service import AaaService
from agent.dhcp4.leases import Lease, LeaseKey
from agent.dhcp4.sessions import SessionSink
from agent.features.qos.session import QOS_HOOK
from agent.sessions.api import PolicyAttr, PolicyOrigin
from agent.sessions.manager import SessionManager
from agent.sessions.program import SessionProgrammer

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
