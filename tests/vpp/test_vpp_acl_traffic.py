"""Traffic through ACLs the agent programmed into real VPP 26.06, from VPP's packet generator.

Two ``pg`` interfaces stand for a subscriber side (pg0, 100.64.1.0/24) and an uplink (pg1, 192.0.2.0/24);
the agent configures both as ports with addresses and attaches ACLs. Streams (``packet-generator new``
through ``cli_inband``) send UDP and TCP into either side; the per-ACE counters the agent reads
(:class:`agent.features.acl.operational.AclMonitor`, stats segment ``/acl/<n>/matches``), the reflexive
sessions (``show acl-plugin sessions``) and the interfaces' transmit counters show what VPP did:

* a reflexive ACE on the subscriber's ingress lets the answer of a query out through an egress ACL that
  drops everything else;
* with NAT44-ED on the uplink (inside pg0, outside pg1), a reflexive ACE on the uplink's *egress* sees
  the translated packet (VPP runs nat44-ed-in2out before acl-plugin-out-ip4-fa) and the answer, on the
  uplink's ingress, is matched before NAT translates it back (acl-plugin-in-ip4-fa runs before
  nat44-ed-out2in): the session is on the public 5-tuple and return traffic passes; unsolicited traffic
  to the same public address and port -- which the static mapping alone would let in -- is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _southbound_helpers import IF, AgentStack, addrs

from agent.features.acl.operational import AclMonitor, StatsCounters

ACLS = "/ietf-access-control-list:acls"
SUB_MAC, UP_MAC = "02:00:00:00:01:02", "02:00:00:00:02:35"
CLIENT, SERVER, PUBLIC = "100.64.1.2", "192.0.2.53", "203.0.113.1"


def ace(name: str, action: str, **matches: Any) -> dict[str, Any]:
    fwd = action if ":" in action else f"ietf-access-control-list:{action}"
    return {"name": name, "matches": matches, "actions": {"forwarding": fwd}}


def acl(name: str, *aces: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "type": "ietf-access-control-list:ipv4-acl-type", "aces": {"ace": list(aces)}}


def sets(*names: str) -> dict[str, Any]:
    return {"acl-sets": {"acl-set": [{"name": n} for n in names]}}


UDP_53 = {"udp": {"destination-port": {"operator": "eq", "port": 53}}}
ALL = {"ipv4": {"source-ipv4-network": "0.0.0.0/0"}}


class Lab:
    def __init__(self, vpp: Any, st: AgentStack) -> None:
        self.vpp, self.st = vpp, st
        self.monitor = AclMonitor(st.sb, StatsCounters(vpp.stats_socket, st.sb).read)
        self.n = 0
        c = vpp.client("acl-lab")
        self.mac = {
            str(i.interface_name): str(i.l2_address) for i in c.api.sw_interface_dump(sw_if_index=0xFFFFFFFF)
        }
        c.disconnect()

    def cli(self, text: str) -> str:
        c = self.vpp.client("acl-lab-cli")
        try:
            reply = c.api.cli_inband(cmd=text)
        finally:
            c.disconnect()
        out = str(reply.reply)
        assert "unknown input" not in out and not out.lstrip().startswith("error"), (text, out)
        return out

    def send(
        self, iface: str, src_mac: str, proto: str, src: str, dst: str, sport: int, dport: int, count: int
    ) -> None:
        """``count`` packets of 100 bytes received on ``iface``, addressed to its MAC."""
        self.n += 1
        name = f"s{self.n}"
        self.cli(
            f"packet-generator new {{\n name {name}\n limit {count}\n size 100-100\n interface {iface}\n"
            f" node ethernet-input\n data {{\n  IP4: {src_mac} -> {self.mac[iface]}\n"
            f"  {proto}: {src} -> {dst}\n  {proto}: {sport} -> {dport}\n  incrementing 20\n }}\n}}"
        )
        self.cli(f"packet-generator enable-stream {name}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if "Yes" not in self.cli("show packet-generator").split(name, 1)[1].splitlines()[0]:
                break
            time.sleep(0.05)
        self.cli(f"packet-generator delete {name}")

    def tx(self, iface: str) -> int:
        for line in self.cli(f"show interface {iface}").splitlines():
            words = line.split()
            if "tx" in words and "packets" in words:
                return int(words[words.index("packets") + 1])
        return 0

    async def aces(self, acl_name: str) -> dict[str, int]:
        from agent.features.acl.operational import per_ace

        got = await self.monitor.refresh()
        value, rules = got.rules[acl_name]
        return {name: p for name, p, _ in per_ace(value, rules)}


async def start(vppsim_factory: Callable[..., Any], tmp_path: Path, nat: bool) -> tuple[Lab, AgentStack]:
    vpp = vppsim_factory(ports=1)
    for i in (0, 1):
        vpp.vppctl("create", "packet-generator", "interface", f"pg{i}")
    if nat:
        vpp.vppctl("nat44", "plugin", "enable", "sessions", "1000")
    st = AgentStack(vpp.api_socket, tmp_path / "data")
    await st.start()
    ports = [
        {"name": "pg0", "type": "iana-if-type:ethernetCsmacd", **addrs("100.64.1.1/24")},
        {"name": "pg1", "type": "iana-if-type:ethernetCsmacd", **addrs("192.0.2.1/24")},
    ]
    await st.commit(updates=[(IF, {"interface": ports})])
    vpp.vppctl("set", "ip", "neighbor", "pg0", CLIENT, SUB_MAC)
    vpp.vppctl("set", "ip", "neighbor", "pg1", SERVER, UP_MAC)
    return Lab(vpp, st), st


async def test_reflexive_ace_lets_answers_through_and_counts_each_ace(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    lab, st = await start(vppsim_factory, tmp_path, nat=False)
    try:
        await st.commit(
            updates=[
                (
                    ACLS,
                    {
                        "acl": [
                            acl(
                                "sub-in",
                                ace("dns", "bng-acl:accept-reflexive", **UDP_53),
                                ace("rest", "drop"),
                            ),
                            acl("sub-out", ace("all", "drop", **ALL)),
                        ],
                        "attachment-points": {
                            "interface": [
                                {"interface-id": "pg0", "ingress": sets("sub-in"), "egress": sets("sub-out")}
                            ]
                        },
                    },
                )
            ]
        )
        tx0, tx1 = lab.tx("pg0"), lab.tx("pg1")
        lab.send("pg0", SUB_MAC, "UDP", CLIENT, SERVER, 5353, 53, 5)  # queries: permitted, sessions made
        lab.send("pg0", SUB_MAC, "TCP", CLIENT, SERVER, 40000, 80, 3)  # not allowed out
        hits = await lab.aces("sub-in")
        # one flow: once its session exists, its packets are not checked against rules nor counted (the
        # first packets of the vector that made the session are)
        assert 1 <= hits["dns"] < 5 and hits["rest"] == 3, hits
        assert lab.tx("pg1") == tx1 + 5
        lab.send("pg1", UP_MAC, "UDP", SERVER, CLIENT, 53, 5353, 4)  # the answers: session hits
        lab.send("pg1", UP_MAC, "UDP", SERVER, CLIENT, 54, 5353, 2)  # unsolicited
        assert lab.tx("pg0") == tx0 + 4
        assert await lab.aces("sub-out") == {"all": 2}
        # VPP counts a session add for every packet the reflexive rule matched (the packets of one vector
        # that arrived before the session existed), all for the same 5-tuple
        assert lab.monitor.last.sessions == {"pg0": (hits["dns"], 0)}
        samples = {(n, labels): v for n, labels, v in lab.monitor.samples()}
        assert samples[("bng_acl_sessions", ("pg0",))] == float(hits["dns"])
        assert samples[("bng_acl_ace_matched_packets", ("sub-in", "dns"))] == float(hits["dns"])
    finally:
        await st.stop()


async def test_reflexive_ace_on_a_nat44_outside_interface(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    lab, st = await start(vppsim_factory, tmp_path, nat=True)
    try:
        lab.vpp.vppctl("set", "interface", "nat44", "in", "pg0", "out", "pg1")
        lab.vpp.vppctl("nat44", "add", "address", PUBLIC)
        lab.vpp.vppctl(
            "nat44", "add", "static", "mapping", "udp", "local", CLIENT, "5353", "external", PUBLIC, "5353"
        )
        await st.commit(
            updates=[
                (
                    ACLS,
                    {
                        "acl": [
                            acl(
                                "up-out",
                                ace(
                                    "from-nat",
                                    "bng-acl:accept-reflexive",
                                    ipv4={"source-ipv4-network": f"{PUBLIC}/32"},
                                ),
                                ace("private-leak", "drop", **ALL),
                            ),
                            acl("up-in", ace("all", "drop", **ALL)),
                        ],
                        "attachment-points": {
                            "interface": [
                                {"interface-id": "pg1", "ingress": sets("up-in"), "egress": sets("up-out")}
                            ]
                        },
                    },
                )
            ]
        )
        tx0, tx1 = lab.tx("pg0"), lab.tx("pg1")
        lab.send("pg0", SUB_MAC, "UDP", CLIENT, SERVER, 5353, 53, 5)
        # the egress ACL saw the translated source (the public address), not the subscriber's
        hits = await lab.aces("up-out")
        assert 1 <= hits["from-nat"] < 5 and hits["private-leak"] == 0, hits
        assert lab.tx("pg1") == tx1 + 5
        lab.send("pg1", UP_MAC, "UDP", SERVER, PUBLIC, 53, 5353, 4)  # answers to the public 5-tuple
        assert lab.tx("pg0") == tx0 + 4  # matched the session before NAT, then translated back
        lab.send("pg1", UP_MAC, "UDP", SERVER, PUBLIC, 54, 5353, 2)  # unsolicited, same public port
        assert await lab.aces("up-in") == {"all": 2}
        assert lab.tx("pg0") == tx0 + 4
        assert lab.monitor.last.sessions == {"pg1": (hits["from-nat"], 0)}
    finally:
        await st.stop()
