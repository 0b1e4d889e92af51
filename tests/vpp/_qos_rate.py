"""Measure what a QoS profile lets through on real VPP 26.06: VPP's packet generator offers traffic at a
multiple of the profile's peak rate into a port whose input the agent policed, and the rate that passed
is read from VPP's stats segment over a steady-state window.

The path is the one a subscriber's upstream takes: frames "received" on ``GigabitEthernet0/8/0`` (the pg
stream's ``interface``, entering ``ethernet-input``), routed out of ``GigabitEthernet0/9/0`` to a static
neighbour. The policer is the agent's (``policer_input`` on the port, compiled from the profile by
agent/features/qos); the measurement counts Ethernet frame bytes, as the policer does:

* ``passed``: the bytes the port transmitted (``/if/tx`` of GigabitEthernet0/9/0, frames of the same size
  as received: the IP packet is forwarded unchanged behind a new 14-byte Ethernet header);
* ``conform``/``exceed``/``violate``: the policer's own counters (``/net/policer/*``, by policer index).

Rates are the difference of two reads ``seconds`` apart, after ``warmup`` seconds in which the buckets'
initial burst drains, so the burst does not count as rate.

Used by tests/vpp/test_vpp_qos.py (the 5 % bound) and bench/bench_qos_accuracy.py (the numbers).
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import Any

from vpp_papi.vpp_stats import VPPStats

from agent.features.qos import keys

P_IN, P_OUT = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"
IF = "/ietf-interfaces:interfaces"
QOS = "/bng-qos:qos"
NEXT_HOP_MAC = "02:00:00:00:00:02"
STREAM = "qos"


@dataclass
class Rates:
    """Bits per second over the window (frame bytes x 8 / seconds)."""

    offered: float
    passed: float
    conform: float
    exceed: float
    violate: float
    seconds: float


def port(name: str, address: str, **extra: Any) -> dict[str, Any]:
    ipv4 = {"address": [{"ip": address, "prefix-length": 24}]}
    return {"name": name, "type": "iana-if-type:ethernetCsmacd", "ietf-ip:ipv4": ipv4, **extra}


def configuration(profile: dict[str, Any]) -> list[tuple[str, Any]]:
    """The agent's configuration of the measurement: the profile on the ingress port's input."""
    qos = {"bng-qos:qos": {"input-profile": profile["name"]}}
    return [
        (QOS, {"profile": [profile]}),
        (IF, {"interface": [port(P_IN, "10.10.0.1", **qos), port(P_OUT, "10.20.0.1")]}),
    ]


def _mac(vpp: Any, name: str) -> str:
    text = vpp.vppctl("show", "hardware-interfaces", name)
    m = re.search(r"Ethernet address ([0-9a-f:]{17})", text)
    assert m, text
    return m.group(1)


def start_stream(vpp: Any, bits_per_second: float, frame: int, seconds: float) -> float:
    """A pg stream of ``frame``-byte frames at ``bits_per_second`` for ``seconds``; the offered rate."""
    pps = bits_per_second / (frame * 8)
    limit = int(pps * seconds) + 1
    mac = _mac(vpp, P_IN)
    vpp.vppctl("set", "ip", "neighbor", P_OUT, "10.20.0.2", NEXT_HOP_MAC)
    # pg's data spec: Ethernet (src -> dst MAC), IPv4/UDP; the payload fills the frame to ``size``
    spec = (
        f"packet-generator new {{ name {STREAM} limit {limit} rate {pps:.1f} size {frame}-{frame} "
        f"interface {P_IN} node ethernet-input data {{ IP4: 02:00:00:00:00:01 -> {mac} "
        f"UDP: 10.10.0.2 -> 10.20.0.2 UDP: 1234 -> 5678 incrementing {frame - 42} }} }}"
    )
    vpp.vppctl(*spec.split())
    vpp.vppctl("packet-generator", "enable-stream", STREAM)
    return pps * frame * 8


def stop_stream(vpp: Any) -> None:
    vpp.vppctl("packet-generator", "disable-stream", STREAM)
    vpp.vppctl("packet-generator", "delete", STREAM)


def _read(stats: VPPStats, policer: int, out_index: int) -> tuple[float, list[int], int]:
    now = time.monotonic()
    colours = []
    for colour in ("conform", "exceed", "violate"):
        per_thread = stats[f"/net/policer/{colour}"]
        colours.append(sum(row[policer][1] for row in per_thread if policer < len(row)))
    tx = sum(row[out_index][1] for row in stats["/if/tx"] if out_index < len(row))
    return now, colours, tx


async def measure(
    vpp: Any,
    st: Any,
    profile: dict[str, Any],
    *,
    factor: float = 2.0,
    frame: int = 1000,
    seconds: float = 4.0,
) -> Rates:
    """Configure ``profile`` through the agent (``st``: an AgentStack on ``vpp``), offer ``factor`` x its
    peak rate (PIR, or CIR for one-rate types) and measure."""
    await st.commit(updates=configuration(profile))
    peak_kbps = int(profile.get("pir", profile["cir"]))
    warmup = 1.5
    offered = start_stream(vpp, factor * peak_kbps * 1000, frame, warmup + seconds + 2)
    stats = VPPStats(vpp.stats_socket)
    stats.connect()
    try:
        policer = st.sb.names.handles[keys.policer(P_IN, keys.INPUT)]
        out_index = st.sb.names.index(P_OUT)
        await asyncio.sleep(warmup)
        t0, c0, tx0 = _read(stats, policer, out_index)
        await asyncio.sleep(seconds)
        t1, c1, tx1 = _read(stats, policer, out_index)
    finally:
        stats.disconnect()
        stop_stream(vpp)
    dt = t1 - t0
    conform, exceed, violate = ((b - a) * 8 / dt for a, b in zip(c0, c1, strict=True))
    return Rates(offered, (tx1 - tx0) * 8 / dt, conform, exceed, violate, dt)


def expected(profile: dict[str, Any]) -> dict[str, float]:
    """What the profile promises at an offered load above its peak rate, in bit/s: ``passed`` (CIR for
    1r2c, PIR for two-rate types whose exceed action transmits) and ``conform`` (CIR)."""
    cir = int(profile["cir"]) * 1000
    two_rate = profile.get("type") in ("2r3c", "2r3c-rfc4115")
    exceed_passes = profile.get("exceed", {}).get("action", "drop") != "drop"
    passed = int(profile["pir"]) * 1000 if two_rate and exceed_passes else cir
    return {"passed": float(passed), "conform": float(cir)}
