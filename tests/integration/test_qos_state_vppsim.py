"""QoS operational data and metrics on vppsim: frames offered at twice a profile's rate through an
interface's policer (vppsim's ``policer_packet``: VPP's token bucket, ``policer.h``) show up as the
profile's colours in ``bng-qos:qos-state`` (valid against the model) and in the ``qos`` metric samples,
read from the stats segment's ``/net/policer/*`` by the policer's VPP index; a profile change zeroes
them as VPP does."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _southbound_helpers import IF, AgentStack, port

from agent.features.qos.state import QosState

P0, P1 = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"
QOS = "/bng-qos:qos"
GOLD = {"name": "gold", "type": "1r2c", "cir": "1000", "cbs": 2000}
BIZ = {
    "name": "biz",
    "type": "2r3c",
    "cir": "1000",
    "cbs": 2000,
    "pir": "2000",
    "pbs": 4000,
    "exceed": {"action": "mark-and-transmit", "dscp": 10},
}


def state(sim: Any, st: AgentStack) -> QosState:
    sb = st.sb
    return QosState(
        lambda: sb.conn,
        lambda: {**sb.applied, **sb.runtime.applied()},
        lambda: sb.names.handles,
        sim.stats_socket,
    )


async def test_counters_and_programmed_values_reach_operational_data_and_metrics(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    qs = state(sim, st)
    try:
        attach = {"bng-qos:qos": {"input-profile": "gold", "output-profile": "biz"}}
        await st.commit(updates=[(QOS, {"profile": [GOLD, BIZ]}), (IF, {"interface": [port(P0, **attach)]})])
        # 1000-byte frames at 250 pps = 2 Mbit/s for 20 s: twice gold's CIR, equal to biz's PIR
        sim.ctl("policer_packet", name=P0, direction="input", count=5000, bytes=1000, pps=250)
        sim.ctl("policer_packet", name=P0, direction="output", count=5000, bytes=1000, pps=250)
        assert await qs.poll()
        doc = qs.operational()
        rows = {(p["interface"], p["direction"]): p for p in doc["bng-qos:qos-state"]["policer"]}
        gin, bout = rows[(P0, "input")], rows[(P0, "output")]
        assert (
            gin["profile"] == "gold" and gin["origin"] == "config" and gin["vpp-name"] == f"bng-agent:{P0}/in"
        )
        assert gin["programmed"]["type"] == "1r2c" and gin["programmed"]["cir"] == 1000
        assert bout["programmed"]["type"] == "2r3c-rfc2698" and bout["programmed"]["eir"] == 2000
        assert 0 < gin["programmed"]["rate-rounding-ppm"] < 100
        # half conforms (CIR 1 Mbit/s of 2), the rest is gold's exceed (VPP's violate for a 1r2c)
        conform, exceed = int(gin["conform"]["packets"]), int(gin["exceed"]["packets"])
        assert conform + exceed == 5000 and int(gin["violate"]["packets"]) == 0
        assert abs(conform - 2500) < 60, gin
        assert int(gin["conform"]["bytes"]) == 1000 * conform
        # biz: at its PIR nothing violates; conform ~ CIR, exceed ~ PIR - CIR
        assert abs(int(bout["conform"]["packets"]) - 2500) < 60 and int(bout["violate"]["packets"]) < 60, bout
        # the document is what the model says qos-state is
        node = st.model.ctx.parse_data_mem(json.dumps(doc), "json", strict=True, parse_only=True)
        assert node is not None
        node.free()
        samples = {(n, labels): v for n, labels, v in qs.samples()}
        assert samples[("bng_qos_policer_packets", (P0, "input", "gold", "conform"))] == conform
        assert samples[("bng_qos_policer_bytes", (P0, "input", "gold", "exceed"))] == 1000 * exceed
        assert samples[("bng_qos_policers", ())] == 2

        # a profile change is a policer_update: VPP zeroes the policer's counters
        await st.commit(updates=[(QOS, {"profile": [{**GOLD, "cir": "1500"}]})])
        assert await qs.poll()
        gin = {(p["interface"], p["direction"]): p for p in qs.operational()["bng-qos:qos-state"]["policer"]}[
            (P0, "input")
        ]
        assert gin["conform"]["packets"] == "0" and gin["programmed"]["cir"] == 1500
    finally:
        await qs.stop()
        await st.stop()


async def test_no_policers_no_state(vppsim_factory: Callable[..., Any], tmp_path: Path) -> None:
    sim = vppsim_factory(ports=1)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    qs = state(sim, st)
    try:
        assert await qs.poll()
        assert qs.operational() == {}
        assert list(qs.samples()) == [("bng_qos_policers", (), 0)]
    finally:
        await qs.stop()
        await st.stop()
