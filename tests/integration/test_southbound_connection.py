"""The VPP connection: CRC check at connect, many calls in flight, timeouts, events, reconnect."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent.vpp.api import api_json_files
from agent.vpp.connection import VppConnection
from agent.vpp.errors import ApiMismatchError, VppConnectError
from agent.vpp.link import VppLink
from agent.vpp.southbound import VppSouthbound

ROOT = Path(__file__).resolve().parents[2]


def start_vppsim_with_crc(tmp: Path, message: str, crc: str) -> tuple[subprocess.Popen[bytes], str]:
    """A vppsim serving definitions where ``message`` has another CRC (as a VPP of another release)."""
    changed = tmp / "defs"
    changed.mkdir()
    for path in api_json_files():
        api = json.loads(path.read_text())
        for m in api.get("messages", []):
            if m[0] == message:
                m[-1]["crc"] = crc
        (changed / path.name).write_text(json.dumps(api))
    api_sock = str(tmp / "api.sock")
    code = (
        "import sys, pathlib, agent.vpp.api as a\n"
        f"files = sorted(pathlib.Path({str(changed)!r}).glob('*.json'),\n"
        "               key=lambda p: p.name != 'memclnt.api.json')\n"
        "a.api_json_files = lambda: files\n"
        "from vppsim.cli import main\n"
        f"sys.exit(main(['--api-socket', {api_sock!r}, '--stats-socket', {str(tmp / 's.sock')!r}]))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    deadline = time.monotonic() + 30
    while not os.path.exists(tmp / "s.sock"):
        assert proc.poll() is None and time.monotonic() < deadline, "vppsim did not start"
        time.sleep(0.05)
    return proc, api_sock


async def test_connect_refuses_a_vpp_with_other_message_crcs(tmp_path: Path) -> None:
    proc, api_sock = start_vppsim_with_crc(tmp_path, "sw_interface_dump", "0xdeadbeef")
    try:
        conn = VppConnection(api_sock, timeout=5)
        with pytest.raises(ApiMismatchError) as info:
            await conn.connect()
        text = str(info.value)
        assert "sw_interface_dump" in text and "0xdeadbeef" in text and "0xaa610c27" in text
        assert not conn.connected
        # the agent's link gives up instead of half-working
        link = VppLink(api_sock, VppSouthbound(), backoff_initial=0.05)
        await link.start()
        assert not await link.wait_ready(10)
        assert isinstance(link.fatal, ApiMismatchError)
        await link.stop()
    finally:
        proc.terminate()
        proc.wait(10)


async def test_many_calls_in_flight_and_replies_in_order(vppsim_factory: Callable[..., Any]) -> None:
    sim = vppsim_factory(ports=1)
    conn = VppConnection(sim.api_socket)
    await conn.connect()
    try:
        assert conn.version.startswith("26.06")
        futs = [
            conn.send(
                "create_subif", sw_if_index=1, sub_id=i, sub_if_flags=2 | 16, outer_vlan_id=i, inner_vlan_id=0
            )
            for i in range(1, 2001)
        ]
        replies = await asyncio.gather(*futs)
        assert all(r.retval == 0 for r in replies)
        assert len({r.sw_if_index for r in replies}) == 2000
        assert conn.writes == 2000
        names = {str(d.interface_name) for d in await conn.dump("sw_interface_dump", sw_if_index=0xFFFFFFFF)}
        assert {f"GigabitEthernet0/8/0.{i}" for i in range(1, 2001)} <= names
    finally:
        await conn.close()


async def test_a_hung_vpp_fails_pending_calls_after_the_timeout(vppsim_factory: Callable[..., Any]) -> None:
    sim = vppsim_factory(ports=1)
    lost: list[str] = []
    conn = VppConnection(sim.api_socket, timeout=0.5, on_lost=lost.append)
    await conn.connect()
    sim.ctl("delay", message="sw_interface_dump", count=1, seconds=3)
    t0 = time.monotonic()
    with pytest.raises(VppConnectError):
        await conn.dump("sw_interface_dump", sw_if_index=0xFFFFFFFF)
    assert time.monotonic() - t0 < 2.5
    assert lost and "no reply" in lost[0]
    with pytest.raises(VppConnectError):
        conn.send("show_version")
    await conn.close()


async def test_interface_events_reach_subscribers_across_reconnects(
    vppsim_factory: Callable[..., Any],
) -> None:
    sim = vppsim_factory(ports=2)
    sb = VppSouthbound()
    sb.load_config({})
    link = VppLink(sim.api_socket, sb, backoff_initial=0.05, backoff_max=0.3)
    events = link.subscribe()
    await link.start()
    try:
        assert await link.wait_ready(20)
        sim.ctl("link", sw_if_index=2, up=False)
        ev = await asyncio.wait_for(_next_event(events, 2), 10)
        assert not (int(ev.flags) & 2)  # link down
        connects = link.connects
        sim.crash()
        sim.start()
        deadline = time.monotonic() + 20
        while link.connects == connects or not link.ready.is_set():
            assert time.monotonic() < deadline, "no reconnect"
            await asyncio.sleep(0.05)
        sim.ctl("link", sw_if_index=1, up=False)
        ev = await asyncio.wait_for(_next_event(events, 1), 10)
        assert not (int(ev.flags) & 2)
    finally:
        await link.stop()


async def _next_event(q: asyncio.Queue[Any], sw_if_index: int) -> Any:
    while True:
        ev = await q.get()
        if type(ev).__name__ == "sw_interface_event" and int(ev.sw_if_index) == sw_if_index:
            return ev


async def test_fast_route_decoder_reads_what_vpp_papi_reads(vppsim_factory: Callable[..., Any]) -> None:
    sim = vppsim_factory(ports=1)
    c = sim.client("writer")
    c.api.ip_table_add_del(is_add=True, table={"table_id": 5, "is_ip6": True, "name": "t"})
    c.api.sw_interface_add_del_address(sw_if_index=1, is_add=True, prefix="2001:db8:1::1/64")
    labels = [{"is_uniform": 0, "label": 0, "ttl": 0, "exp": 0}] * 16
    for table, prefix, nh, proto in (
        (0, "10.9.0.0/16", {"ip4": "192.0.2.9"}, 0),
        (5, "2001:db8:9::/48", {"ip6": "2001:db8:1::fe"}, 1),
    ):
        path = {
            "sw_if_index": 1,
            "table_id": table,
            "weight": 7,
            "preference": 2,
            "proto": proto,
            "nh": {"address": nh},
            "label_stack": labels,
        }
        reply = c.api.ip_route_add_del(
            is_add=True, route={"table_id": table, "prefix": prefix, "n_paths": 1, "paths": [path]}
        )
        assert reply.retval == 0
    conn = VppConnection(sim.api_socket)
    await conn.connect()
    try:
        assert conn._client is not None and conn._client.fast_route_id > 0  # the self-check passed
        for table_id, is_ip6 in ((0, False), (0, True), (5, True)):
            which = {"table_id": table_id, "is_ip6": is_ip6, "name": ""}
            fast = await conn.dump("ip_route_dump", table=which)
            slow = c.api.ip_route_dump(table=which)
            assert len(fast) == len(slow) > 0
            for f, s in zip(fast, slow, strict=True):
                assert f.route.prefix == s.route.prefix and f.route.table_id == s.route.table_id
                fam = "ip6" if is_ip6 else "ip4"
                assert [
                    (p.sw_if_index, p.weight, p.preference, int(p.type), str(getattr(p.nh.address, fam)))
                    for p in f.route.paths
                ] == [
                    (p.sw_if_index, p.weight, p.preference, int(p.type), str(getattr(p.nh.address, fam)))
                    for p in s.route.paths
                ]
    finally:
        await conn.close()


async def test_fast_interface_decoder_reads_what_vpp_papi_reads(vppsim_factory: Callable[..., Any]) -> None:
    from agent.vpp.fastdecode import INTERFACE_FIELDS

    sim = vppsim_factory(ports=2)
    c = sim.client("writer")
    loop = c.api.create_loopback(mac_address="02:00:00:00:00:01").sw_if_index
    c.api.sw_interface_tag_add_del(is_add=True, sw_if_index=loop, tag="bng-agent:loopback7")
    c.api.sw_interface_set_flags(sw_if_index=loop, flags=1)
    sub = c.api.create_subif(
        sw_if_index=2, sub_id=20001001, sub_if_flags=4 | 8 | 16, outer_vlan_id=2000, inner_vlan_id=1001
    ).sw_if_index
    c.api.sw_interface_set_mtu(sw_if_index=sub, mtu=[1500, 0, 0, 0])
    conn = VppConnection(sim.api_socket)
    await conn.connect()
    try:
        assert conn._client is not None and conn._client.fast_interface_id > 0  # the self-check passed
        fast = await conn.dump(
            "sw_interface_dump", sw_if_index=0xFFFFFFFF, name_filter_valid=False, name_filter=""
        )
        slow = c.api.sw_interface_dump(sw_if_index=0xFFFFFFFF)
        assert len(fast) == len(slow) == 5
        for f, s in zip(fast, slow, strict=True):
            for name in INTERFACE_FIELDS:
                want = getattr(s, name)
                got = getattr(f, name)
                if name == "mtu":
                    assert got == [int(x) for x in want]
                elif name == "context":
                    continue  # each client numbers its own requests
                elif isinstance(got, int):
                    assert got == int(want), name
                elif name in ("l2_address", "b_dmac", "b_smac"):
                    assert (str(got), got.packed) == (str(want), want.packed), name
                    assert got == want
                else:
                    assert got == str(want), name
        one = await conn.dump("sw_interface_dump", sw_if_index=sub, name_filter_valid=False, name_filter="")
        assert [(d.interface_name, d.sub_id, d.sub_if_flags) for d in one] == [
            ("GigabitEthernet0/9/0.20001001", 20001001, 4 | 8 | 16)
        ]
    finally:
        await conn.close()
