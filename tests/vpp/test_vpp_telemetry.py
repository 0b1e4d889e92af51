"""Telemetry on real VPP: counters moved by real frames (written into a port's veth peer, received by
VPP's af_packet input), read from VPP's own stats segment into the operational datastore and /metrics,
and the telemetry tests of tests/integration/test_telemetry_vppsim.py that need no synthetic traffic."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from _realvpp import RealVpp
from _southbound_helpers import AgentStack
from test_telemetry_vppsim import (
    CONFIG,
    P0,
    SUB,
    _stop,
    operational,
    scrape,
    test_a_faster_subscriber_interval_speeds_up_polling,
    test_calls_timed_by_the_link_are_counted_once,
    test_commits_refresh_the_interfaces_they_touch_without_a_full_inventory,
    until,
)
from vpp_papi.vpp_stats import VPPStats

from agent.telemetry import Telemetry, start_telemetry

__all__ = [
    "test_a_faster_subscriber_interval_speeds_up_polling",
    "test_calls_timed_by_the_link_are_counted_once",
    "test_commits_refresh_the_interfaces_they_touch_without_a_full_inventory",
]

FRAMES, SIZE = 500, 100


def vpp_rx(vpp: RealVpp, name: str) -> dict[str, int]:
    """Port ``name``'s receive counters as VPP's own stats client reads them, by sw_if_index: VPP 26.06
    keeps an interface's first name in the stats segment's /if/names after ``set interface name``, so
    the lab's ports are listed there as host-<veth> (docs/fidelity.md)."""
    idx = vpp.sw_if_index(name)
    ref = VPPStats(vpp.stats_socket)
    ref.connect()
    try:
        rx = ref["/if/rx"]
        uni = ref["/if/rx-unicast"]
        return {
            "packets": sum(row[idx][0] for row in rx),
            "bytes": sum(row[idx][1] for row in rx),
            "unicast": sum(row[idx][0] for row in uni),
        }
    finally:
        ref.disconnect()


async def started(vpp: RealVpp, tmp_path: Path) -> tuple[AgentStack, Telemetry]:
    st = AgentStack(vpp.api_socket, tmp_path / "data")
    await st.start()
    tel = await start_telemetry(
        stats_socket=vpp.stats_socket,
        link=st.link,
        southbound=st.sb,
        txn=st.txn,
        datastores=st.ds,
        metrics_port=0,
        interval=0.1,
    )
    await st.commit(updates=list(CONFIG.items()))
    await tel.refresh_inventory()
    return st, tel


async def wait_rx(vpp: RealVpp, at_least: int) -> dict[str, int]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rx = vpp_rx(vpp, P0)
        if rx["packets"] >= at_least:
            return rx
        await asyncio.sleep(0.1)
    raise AssertionError(f"VPP counted {vpp_rx(vpp, P0)} on {P0}, sent {at_least} frames")


async def test_frames_received_by_vpp_are_counted_in_operational_and_metrics(
    vppsim: RealVpp, tmp_path: Path
) -> None:
    st, tel = await started(vppsim, tmp_path)
    try:
        before = vpp_rx(vppsim, P0)
        vppsim.send_frames(P0, FRAMES, SIZE)
        rx = await wait_rx(vppsim, before["packets"] + FRAMES)
        assert rx["bytes"] - before["bytes"] >= FRAMES * SIZE
        assert await tel.wait_poll(5) and await tel.wait_poll(5)

        stats = operational(st)[P0]["statistics"]
        assert int(stats["in-octets"]) == rx["bytes"]
        # VPP counts unicast/multicast/broadcast only where "interface stats collect" is enabled
        # (vnet/interface_stats.c); the agent reports what VPP has, here 0 for broadcast frames
        assert int(stats["in-unicast-pkts"]) == rx["unicast"]
        assert tel.metrics_port
        m = scrape(tel.metrics_port)
        lbl = (("interface", P0), ("vrf", "default"))
        assert m[("bng_interface_receive_bytes_total", lbl)] == rx["bytes"]
        assert m[("bng_interface_oper_up", (("interface", SUB), ("vrf", "red")))] == 1
        assert m[("bng_vpp_connected", ())] == 1
    finally:
        await _stop(st, tel)


async def test_counters_start_from_zero_after_a_vpp_restart(vppsim: RealVpp, tmp_path: Path) -> None:
    st, tel = await started(vppsim, tmp_path)
    try:
        vppsim.send_frames(P0, FRAMES, SIZE)
        await wait_rx(vppsim, FRAMES)
        await until(lambda: int(operational(st)[P0]["statistics"]["in-octets"]) > 0, what="traffic counted")
        connects = st.link.connects
        vppsim.crash()
        vppsim.start()
        await st.wait_reconnected(connects, timeout=30)
        await until(
            lambda: P0 in operational(st) and int(operational(st)[P0]["statistics"]["in-octets"]) == 0,
            timeout=15,
            what="counters of the new VPP",
        )
        assert operational(st)[P0]["oper-status"] == "up"  # the resync re-applied admin up
        vppsim.send_frames(P0, 10, SIZE)
        await until(
            lambda: int(operational(st)[P0]["statistics"]["in-octets"]) >= 10 * SIZE,
            timeout=15,
            what="the new VPP's counters",
        )
    finally:
        await _stop(st, tel)
