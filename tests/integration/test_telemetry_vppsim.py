"""Telemetry against a real vppsim: counters, oper-status, events, addresses/VRFs, VPP restarts.

The agent's datastore/commit/southbound stack runs in-process (``AgentStack``); traffic and carrier
changes are driven through vppsim's control channel, exactly as an operator's cable pull or a traffic
generator would move them on a real VPP. Counter values are checked against an independent read of the
stats segment with the unmodified ``vpp_papi.vpp_stats.VPPStats``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _southbound_helpers import IF, VRFS, AgentStack, addrs, port, subif
from prometheus_client.parser import text_string_to_metric_families
from vpp_papi.vpp_stats import VPPStats

from agent.telemetry import InterfaceStateEvent, Telemetry, VppConnectionEvent, start_telemetry

P0, P1 = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"
SUB = f"{P0}.100"
SUB_EXTRA: dict[str, Any] = {"bng-vrf:vrf": "red", **addrs("10.100.0.1/24", "2001:db8:100::1/64")}
CONFIG = {
    IF: {
        "interface": [
            port(P0),
            port(P1),
            subif(P0, 100, **SUB_EXTRA),
        ]
    },
    VRFS: {"vrf": [{"name": "red", "table-id": 7}]},
}


async def until(cond: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def next_event(sub: Any, match: Callable[[Any], bool], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ev = await sub.get(timeout=max(0.01, deadline - time.monotonic()))
        if ev is not None and match(ev):
            return ev
    raise AssertionError("expected event did not arrive")


def scrape(port_: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port_}/metrics", timeout=10) as r:
        text = r.read().decode()
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def operational(st: AgentStack) -> dict[str, Any]:
    text = st.ds.read("operational", xpath=IF, config_only=False, fmt="json")
    entries = json.loads(text)["ietf-interfaces:interfaces"]["interface"]
    return {e["name"]: e for e in entries}


async def _stop(st: AgentStack, tel: Telemetry) -> None:
    await tel.stop()
    await st.stop()


async def test_counters_match_the_stats_segment_with_units(vppsim: Any, tmp_path: Path) -> None:
    st = AgentStack(vppsim.api_socket, tmp_path / "data")
    await st.start()
    tel = await start_telemetry(
        stats_socket=vppsim.stats_socket,
        link=st.link,
        southbound=st.sb,
        txn=st.txn,
        datastores=st.ds,
        metrics_port=0,
        interval=0.1,
    )
    try:
        await st.commit(updates=list(CONFIG.items()))
        await tel.refresh_inventory()
        # 1,000 packets/s of 64-byte frames in, 500 packets/s of 1,500-byte frames out
        vppsim.ctl("traffic", name=P0, rx_pps=1000, rx_bps=64000, tx_pps=500, tx_bps=750000)
        await asyncio.sleep(0.6)
        vppsim.ctl("traffic", name=P0, rx_pps=0, rx_bps=0, tx_pps=0, tx_bps=0)
        await asyncio.sleep(0.25)  # the emulator's last 100 ms tick
        assert await tel.wait_poll(5)
        assert await tel.wait_poll(5)

        ref = VPPStats(vppsim.stats_socket)
        ref.connect()
        try:
            names = ref["/if/names"]
            idx = names.index(P0)
            rx = ref["/if/rx"]
            tx = ref["/if/tx"]
            want_rx_pkts = sum(row[idx][0] for row in rx)
            want_rx_bytes = sum(row[idx][1] for row in rx)
            want_tx_pkts = sum(row[idx][0] for row in tx)
            want_tx_bytes = sum(row[idx][1] for row in tx)
        finally:
            ref.disconnect()
        assert want_rx_pkts >= 300  # the traffic really ran for several ticks
        assert want_rx_bytes == 64 * want_rx_pkts and want_tx_bytes == 1500 * want_tx_pkts

        stats = operational(st)[P0]["statistics"]
        assert int(stats["in-octets"]) == want_rx_bytes
        assert int(stats["in-unicast-pkts"]) == want_rx_pkts
        assert int(stats["out-octets"]) == want_tx_bytes
        assert int(stats["out-unicast-pkts"]) == want_tx_pkts
        # counter64 leaves are JSON strings, the counter32 discard/error leaves numbers (RFC 7951, RFC 8343)
        assert stats["in-multicast-pkts"] == "0" and stats["in-errors"] == 0 and stats["in-discards"] == 0
        since = dt.datetime.fromisoformat(stats["discontinuity-time"])
        assert abs(since.timestamp() - time.time()) < 120  # the emulator booted moments ago
        assert "out-discards" not in stats  # VPP has no such counter; no fake zero

        assert tel.metrics_port
        m = scrape(tel.metrics_port)
        lbl = (("interface", P0), ("vrf", "default"))
        assert m[("bng_interface_receive_bytes_total", lbl)] == want_rx_bytes
        assert m[("bng_interface_transmit_bytes_total", lbl)] == want_tx_bytes
        assert m[("bng_interface_receive_packets_total", (("cast", "unicast"), *lbl))] == want_rx_pkts
        assert m[("bng_interface_speed_bytes_per_second", lbl)] == 125e6  # VPP reports 1,000,000 kbit/s
        assert m[("bng_interface_mtu_bytes", lbl)] == 9000
        # the sub-interface carries its VRF as a label, and its addresses are in the operational tree
        assert m[("bng_interface_oper_up", (("interface", SUB), ("vrf", "red")))] == 1
        sub = operational(st)[SUB]
        assert sub["ietf-ip:ipv4"]["address"][0] == {"ip": "10.100.0.1", "prefix-length": 24}
        assert sub["ietf-ip:ipv6"]["address"][0]["ip"] == "2001:db8:100::1"
        assert sub["bng-interfaces:vpp-state"]["managed"] is True
        assert m[("bng_agent_commits_total", ())] == 1
        assert m[("bng_vpp_connected", ())] == 1
        assert m[("bng_vpp_api_latency_seconds_count", (("msg", "control_ping"),))] >= 1
        routes = [r for r in tel.snapshot.inventory.routes if r.vrf == "red"]
        assert any(r.prefix == "10.100.0.0/24" for r in routes)
    finally:
        await _stop(st, tel)


async def test_link_down_updates_oper_status_at_once(vppsim: Any, tmp_path: Path) -> None:
    st = AgentStack(vppsim.api_socket, tmp_path / "data")
    await st.start()
    # A long poll interval: the state must come from the event, not from a poll.
    tel = await start_telemetry(
        stats_socket=vppsim.stats_socket,
        link=st.link,
        southbound=st.sb,
        txn=st.txn,
        datastores=st.ds,
        metrics_port=0,
        interval=60.0,
    )
    try:
        await st.commit(updates=list(CONFIG.items()))
        await tel.refresh_inventory()
        assert operational(st)[P0]["oper-status"] == "up"
        sub = tel.bus.subscribe()
        t0 = time.monotonic()
        vppsim.ctl("link", name=P0, up=False)
        ev = await next_event(sub, lambda e: isinstance(e, InterfaceStateEvent) and e.name == P0, timeout=5)
        assert ev.oper_status == "down" and ev.previous_oper_status == "up" and ev.admin_up
        assert time.monotonic() - t0 < 2.0
        assert operational(st)[P0]["oper-status"] == "down"
        change = ev.changes()[0]
        assert change.path == f"/ietf-interfaces:interfaces/interface[name='{P0}']/oper-status"
        assert (change.old, change.new) == ("up", "down")
        assert tel.metrics_port
        assert (
            scrape(tel.metrics_port)[("bng_interface_oper_up", (("interface", P0), ("vrf", "default")))] == 0
        )
        vppsim.ctl("link", name=P0, up=True)
        ev = await next_event(sub, lambda e: isinstance(e, InterfaceStateEvent) and e.name == P0, timeout=5)
        assert ev.oper_status == "up"
        sub.close()
    finally:
        await _stop(st, tel)


async def test_vpp_restart_is_visible_and_counters_restart(vppsim: Any, tmp_path: Path) -> None:
    st = AgentStack(vppsim.api_socket, tmp_path / "data")
    await st.start()
    tel = await start_telemetry(
        stats_socket=vppsim.stats_socket,
        link=st.link,
        southbound=st.sb,
        txn=st.txn,
        datastores=st.ds,
        metrics_port=0,
        interval=0.1,
    )
    try:
        await st.commit(updates=list(CONFIG.items()))
        await until(lambda: tel.snapshot.agent.vpp_connected, what="connected")
        vppsim.ctl("traffic", name=P0, rx_pps=1000, rx_bps=64000)
        await asyncio.sleep(0.4)
        vppsim.ctl("traffic", name=P0, rx_pps=0, rx_bps=0)
        await tel.wait_poll(5)
        await until(lambda: int(operational(st)[P0]["statistics"]["in-octets"]) > 0, what="traffic counted")
        sub = tel.bus.subscribe(kinds={"vpp-connection"})
        vppsim.crash()
        ev = await next_event(sub, lambda e: isinstance(e, VppConnectionEvent), timeout=15)
        assert ev.connected is False
        assert operational(st)[P0]["oper-status"] == "unknown"
        assert tel.metrics_port
        m = scrape(tel.metrics_port)
        assert m[("bng_vpp_connected", ())] == 0 and m[("bng_vpp_disconnects_total", ())] == 1
        vppsim.start()
        ev = await next_event(sub, lambda e: isinstance(e, VppConnectionEvent), timeout=30)
        assert ev.connected is True and ev.connects == 2
        # the new VPP's stats segment is read: its counters start from zero again
        await until(
            lambda: P0 in operational(st) and int(operational(st)[P0]["statistics"]["in-octets"]) == 0,
            timeout=15,
            what="counters of the new VPP",
        )
        assert operational(st)[P0]["oper-status"] == "up"  # the reconcile re-applied admin up
        m = scrape(tel.metrics_port)
        assert m[("bng_vpp_connects_total", ())] == 2 and m[("bng_agent_resyncs_total", ())] == 2
        sub.close()
    finally:
        await _stop(st, tel)


async def test_a_faster_subscriber_interval_speeds_up_polling(vppsim: Any, tmp_path: Path) -> None:
    st = AgentStack(vppsim.api_socket, tmp_path / "data")
    await st.start()
    tel = await start_telemetry(
        stats_socket=vppsim.stats_socket, link=st.link, datastores=st.ds, interval=30.0
    )
    try:
        await until(lambda: tel.snapshot.agent.polls >= 1, what="first poll")
        polls = tel.snapshot.agent.polls
        await asyncio.sleep(0.5)
        assert tel.snapshot.agent.polls == polls  # 30 s interval: no poll meanwhile
        release = tel.want_interval(0.1)
        assert tel.effective_interval == pytest.approx(0.1)
        await asyncio.sleep(1.0)
        fast = tel.snapshot.agent.polls - polls
        assert 3 <= fast <= 12  # ~10 a second (fewer on a loaded machine), never above the floor
        release()
        assert tel.effective_interval == 30.0
        await asyncio.sleep(0.3)
        settled = tel.snapshot.agent.polls
        await asyncio.sleep(0.5)
        assert tel.snapshot.agent.polls == settled
    finally:
        await _stop(st, tel)


async def test_commits_refresh_the_interfaces_they_touch_without_a_full_inventory(
    vppsim: Any, tmp_path: Path
) -> None:
    st = AgentStack(vppsim.api_socket, tmp_path / "data")
    await st.start()
    tel = await start_telemetry(
        stats_socket=vppsim.stats_socket, link=st.link, southbound=st.sb, txn=st.txn, datastores=st.ds
    )

    def sub_state() -> Any:
        return next((i for i in tel.snapshot.interface_rows() if i.name == SUB), None)

    def sub_addresses() -> set[str]:
        info = sub_state()
        return set(tel.snapshot.inventory.addresses.get(info.sw_if_index, ())) if info else set()

    try:
        await until(lambda: tel.snapshot.inventory.read_at > 0, what="the first full inventory")
        full_at = tel.snapshot.inventory.read_at
        await st.commit(updates=list(CONFIG.items()))
        # operational merges intended config, so check what only VPP can say: index, VRF, addresses
        await until(
            lambda: sub_state() is not None and sub_state().vrf == "red", what="the new subif from VPP"
        )
        assert sub_addresses() == {"10.100.0.1/24", "2001:db8:100::1/64"}
        assert operational(st)[SUB]["bng-interfaces:vpp-state"]["sw-if-index"] == sub_state().sw_if_index
        new_address = {"address": [{"ip": "10.200.0.1", "prefix-length": 16}]}
        await st.commit(updates=[(f"{IF}/interface[name='{SUB}']/ietf-ip:ipv4", new_address)])
        await until(
            lambda: "10.200.0.1/16" in sub_addresses(), what="the committed address read back from VPP"
        )
        assert tel.snapshot.inventory.read_at == full_at  # targeted reads only: no new full inventory
    finally:
        await _stop(st, tel)


async def test_calls_timed_by_the_link_are_counted_once(vppsim: Any, tmp_path: Path) -> None:
    """As `bng-agent run` wires it: the link times every VPP call; telemetry must not count its own again."""
    st = AgentStack(vppsim.api_socket, tmp_path / "data")
    await st.start()
    pings: list[float] = []
    tel = await start_telemetry(
        stats_socket=vppsim.stats_socket,
        link=st.link,
        southbound=st.sb,
        txn=st.txn,
        datastores=st.ds,
        metrics_port=0,
        interval=60.0,
    )

    def on_call(msg: str, seconds: float) -> None:
        if msg == "control_ping":
            pings.append(seconds)
        tel.observe_vpp_call(msg, seconds)

    st.link.on_call = on_call
    assert st.link.conn is not None
    st.link.conn.on_call = on_call
    try:
        for _ in range(3):
            await tel.poll_once()
        assert tel.metrics_port
        m = scrape(tel.metrics_port)
        assert len(pings) >= 3
        assert m[("bng_vpp_api_latency_seconds_count", (("msg", "control_ping"),))] == len(pings)
    finally:
        await _stop(st, tel)
