"""vppsim's stats segment as a VPP stats client sees it.

Every assertion goes through ``vpp_papi.vpp_stats.VPPStats`` connected to the segment's stats socket (or,
for the layout details that reader ignores but VPP's C ``stat_client`` relies on, through the bytes of the
reader's own mapping), never through the writer's internals.
"""

from __future__ import annotations

import asyncio
import mmap
import os
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from vpp_papi.vpp_stats import VPPStats

from agent.errors import AgentError
from vppsim.stats import StatsSegment, StatsSegmentError, StatsSegmentFullError

T = TypeVar("T")

SIMPLE = ["drops", "punt", "ip4", "ip6", "rx-no-buf", "rx-miss", "rx-error", "tx-error", "mpls"]
COMBINED = [
    "rx",
    "rx-unicast",
    "rx-multicast",
    "rx-broadcast",
    "tx",
    "tx-unicast",
    "tx-multicast",
    "tx-broadcast",
]


async def in_thread(fn: Callable[[], T]) -> T:
    """VPPStats is blocking; run it off the loop so the stats socket can answer."""
    return await asyncio.wait_for(asyncio.to_thread(fn), timeout=30)


class Served:
    def __init__(self, seg: StatsSegment, path: str) -> None:
        self.seg = seg
        self.path = path

    async def reader(self) -> VPPStats:
        r = VPPStats(self.path)
        await in_thread(r.connect)
        return r

    async def read(self, r: VPPStats, name: str) -> Any:
        return await in_thread(lambda: r[name])


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    seg = StatsSegment(8 << 20, workers=2)
    path = str(tmp_path / "stats.sock")
    await seg.serve(path)
    try:
        yield Served(seg, path)
    finally:
        seg.close()


async def test_reader_connects_and_sees_vpp_directory(served: Served) -> None:
    r = await served.reader()
    try:
        assert r.version == 2
        for leaf in SIMPLE:
            assert r.directory[f"/if/{leaf}"].type == 2  # STAT_DIR_TYPE_COUNTER_VECTOR_SIMPLE
        for leaf in COMBINED:
            assert r.directory[f"/if/{leaf}"].type == 3  # STAT_DIR_TYPE_COUNTER_VECTOR_COMBINED
        assert r.directory["/if/names"].type == 4
        for name in ("/sys/heartbeat", "/sys/last_stats_clear", "/sys/boottime"):
            assert r.directory[name].type == 1
        assert r.directory["/sys/vector_rate"].type == 9  # gauge
        assert r.directory["/mem/stat segment/used"].type == 6  # symlink
        assert await served.read(r, "/sys/num_worker_threads") == 2
        boot = await served.read(r, "/sys/boottime")
        assert abs(boot - time.time()) < 60
        assert await served.read(r, "/if/names") == []
        # one row per thread: main + 2 workers
        assert len(await served.read(r, "/if/rx")) == 3
    finally:
        r.disconnect()


async def test_interfaces_and_traffic_are_counted_on_their_worker(served: Served) -> None:
    seg = served.seg
    seg.add_interface(0, "local0")
    seg.add_interface(1, "GigabitEthernet0/8/0")
    seg.add_interface(2, "GigabitEthernet0/9/0")
    seg.add_traffic(1, 10, 6400, 4, 1000, drops=3, rx_errors=2, tx_errors=1)
    seg.add_traffic(2, 7, 700, 0, 0, rx_unicast=False)
    r = await served.reader()
    try:
        assert await served.read(r, "/if/names") == ["local0", "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"]
        rx = await served.read(r, "/if/rx")
        assert rx[:, 1].sum_packets() == 10 and rx[:, 1].sum_octets() == 6400
        assert rx[:, 2].sum_packets() == 7
        # with two workers, sw_if_index 1 is polled by worker 2 and index 2 by worker 1 (round robin)
        assert rx[:, 1].packets() == [0, 0, 10]
        assert rx[:, 2].packets() == [0, 7, 0]
        tx = await served.read(r, "/if/tx")
        assert tx[:, 1].sum_packets() == 4 and tx[:, 1].sum_octets() == 1000
        assert (await served.read(r, "/if/rx-unicast"))[:, 1].sum_packets() == 10
        assert (await served.read(r, "/if/rx-multicast"))[:, 2].sum_octets() == 700
        assert (await served.read(r, "/if/rx-unicast"))[:, 2].sum_packets() == 0
        assert (await served.read(r, "/if/drops"))[:, 1].sum() == 3
        assert (await served.read(r, "/if/rx-error"))[:, 1].sum() == 2
        assert (await served.read(r, "/if/tx-error"))[:, 1].sum() == 1
        assert (await served.read(r, "/if/punt"))[:, 1].sum() == 0
        # VPP's per-interface symlinks resolve to the same cells ('/' becomes '_')
        link = await served.read(r, "/interfaces/GigabitEthernet0_8_0/rx")
        assert link.sum_packets() == 10 and link.sum_octets() == 6400
        assert (await served.read(r, "/interfaces/GigabitEthernet0_8_0/drops")).sum() == 3
    finally:
        r.disconnect()


async def test_bulk_traffic_and_set_counter(served: Served) -> None:
    seg = served.seg
    seg.add_interfaces([(i, f"loop{i}") for i in range(50)])
    assert seg.add_traffic_bulk((i, i, 100 * i, 2 * i, 200 * i) for i in range(50)) == 50
    seg.add_traffic_bulk([(7, 1, 1, 1, 1)])
    seg.set_counter("/if/ip4", 3, 99)
    seg.set_counter("/if/rx", 4, (5, 55))
    r = await served.reader()
    try:
        rx = await served.read(r, "/if/rx")
        tx = await served.read(r, "/if/tx")
        for i in range(50):
            if i in (4, 7):
                continue
            assert rx[:, i].sum_packets() == i and rx[:, i].sum_octets() == 100 * i
            assert tx[:, i].sum_packets() == 2 * i and tx[:, i].sum_octets() == 200 * i
        assert rx[:, 7].sum_packets() == 8 and tx[:, 7].sum_octets() == 1401
        assert rx[:, 4].sum_packets() == 5 and rx[:, 4].sum_octets() == 55
        assert (await served.read(r, "/if/ip4"))[:, 3].sum() == 99
        assert (await served.read(r, "/if/tx-unicast"))[:, 10].sum_octets() == 2000
    finally:
        r.disconnect()


async def test_new_interfaces_appear_to_a_connected_reader(served: Served) -> None:
    seg = served.seg
    r = await served.reader()
    try:
        assert await served.read(r, "/if/names") == []
        # enough interfaces to move the directory, the name vector and every counter row
        for i in range(40):
            seg.add_interface(i, f"GigabitEthernet0/8/0.{i}")
        seg.add_traffic(39, 1, 64, 1, 64)
        names = await served.read(r, "/if/names")
        assert names == [f"GigabitEthernet0/8/0.{i}" for i in range(40)]
        assert (await served.read(r, "/if/rx"))[:, 39].sum_packets() == 1
        assert (await served.read(r, "/interfaces/GigabitEthernet0_8_0.39/tx")).sum_octets() == 64
        assert len(await in_thread(lambda: r.ls("^/interfaces/"))) == 40 * (len(SIMPLE) + len(COMBINED))
    finally:
        r.disconnect()


async def test_removed_interface_loses_name_and_links_and_reuse_starts_at_zero(served: Served) -> None:
    seg = served.seg
    seg.add_interfaces([(0, "local0"), (1, "loop0"), (2, "loop1")])
    seg.add_traffic(1, 100, 1000, 0, 0)
    seg.remove_interface(1)
    r = await served.reader()
    try:
        # VPP frees the name: the slot is NULL and vpp_stats skips it
        assert await served.read(r, "/if/names") == ["local0", "loop1"]
        assert await in_thread(lambda: r.ls("^/interfaces/loop0/")) == []
        # counters are left as they were until the index is reused
        assert (await served.read(r, "/if/rx"))[:, 1].sum_packets() == 100
        seg.add_interface(1, "loop2")
        assert await served.read(r, "/if/names") == ["local0", "loop2", "loop1"]
        assert (await served.read(r, "/if/rx"))[:, 1].sum_packets() == 0
        assert (await served.read(r, "/interfaces/loop2/rx")).sum_packets() == 0
    finally:
        r.disconnect()


async def test_one_update_withdraws_then_publishes_a_reused_index(served: Served) -> None:
    seg = served.seg
    seg.add_interfaces([(0, "local0"), (1, "loop0"), (2, "loop1")])
    seg.add_traffic(1, 5, 500, 0, 0)
    epoch = seg.epoch
    # loop0 deleted and its index reused by a sub-interface in the same batch: one epoch change
    seg.update_interfaces([1, 2], [(1, "GigabitEthernet0/8/0.7"), (3, "loop2")])
    assert seg.epoch == epoch + 1
    r = await served.reader()
    try:
        assert await served.read(r, "/if/names") == ["local0", "GigabitEthernet0/8/0.7", "loop2"]
        assert (await served.read(r, "/if/rx"))[:, 1].sum_packets() == 0
        assert await in_thread(lambda: r.ls("^/interfaces/loop[01]/")) == []
        assert len(await in_thread(lambda: r.ls("^/interfaces/GigabitEthernet0_8_0.7/"))) == 17
    finally:
        r.disconnect()
    with pytest.raises(StatsSegmentError):
        seg.update_interfaces([2], [])  # already withdrawn
    with pytest.raises(StatsSegmentError):
        seg.update_interfaces([], [(5, "a"), (5, "b")])
    assert seg.epoch == epoch + 1  # rejected batches write nothing


async def test_symlink_clashes_keep_the_first_link_and_long_paths_are_cut(served: Served) -> None:
    seg = served.seg
    long_name = "x" * 120
    # "a/b" and "a_b" map to the same /interfaces/a_b/ paths: VPP keeps the first interface's links
    seg.add_interfaces([(0, "a/b"), (1, "a_b"), (2, long_name)])
    r = await served.reader()
    try:
        links = await in_thread(lambda: r.ls("^/interfaces/a_b/"))
        assert len(links) == 17
        seg.add_traffic(0, 3, 300, 0, 0)
        assert (await served.read(r, "/interfaces/a_b/rx")).sum_packets() == 3
        cut = await in_thread(lambda: r.ls("^/interfaces/x"))
        # every path is cut to 127 bytes, so the 17 collapse into the distinct prefixes that remain
        assert cut and all(len(p) == 127 for p in cut)
        assert len(cut) == len(set(cut))
        # the first owner goes: its links go with it, the clashing second interface never had any
        seg.remove_interface(0)
        assert await in_thread(lambda: r.ls("^/interfaces/a_b/")) == []
        seg.remove_interface(1)
        seg.add_interface(0, "a_b")
        assert len(await in_thread(lambda: r.ls("^/interfaces/a_b/"))) == 17
        seg.remove_interface(2)
        assert await in_thread(lambda: r.ls("^/interfaces/x")) == []
    finally:
        r.disconnect()


async def test_clear_interface_counters_and_tick(served: Served) -> None:
    seg = served.seg
    seg.add_interfaces([(0, "local0"), (1, "loop0")])
    seg.add_traffic(1, 1_000_000, 64_000_000, 0, 0)
    r = await served.reader()
    try:
        beat = await served.read(r, "/sys/heartbeat")
        seg.tick()
        seg.tick()
        assert await served.read(r, "/sys/heartbeat") == beat + 2
        assert (await served.read(r, "/mem/stat segment/used"))[0] > 0
        assert (await served.read(r, "/mem/stat segment/total"))[0] == (8 << 20) - 4096
        rates = await served.read(r, "/sys/vector_rate_per_worker")
        assert len(rates[0]) == 4  # validated to n_threads, as init.c does
        assert all(0 <= v <= 256 for v in rates[0])
        seg.clear_interface_counters()
        assert (await served.read(r, "/if/rx"))[:, 1].sum_packets() == 0
        assert abs(await served.read(r, "/sys/last_stats_clear") - time.time()) < 60
    finally:
        r.disconnect()


async def test_wrong_requests_raise_agent_errors(served: Served) -> None:
    seg = served.seg
    seg.add_interface(0, "local0")
    with pytest.raises(StatsSegmentError) as exc:
        seg.add_traffic(5, 1, 1, 1, 1)
    assert isinstance(exc.value, AgentError) and exc.value.tag == "invalid-value"
    with pytest.raises(StatsSegmentError):
        seg.add_traffic_bulk([(0, 1, 1, 1, 1), (9, 1, 1, 1, 1)])
    with pytest.raises(StatsSegmentError):
        seg.add_interface(0, "again")
    with pytest.raises(StatsSegmentError):
        seg.add_interfaces([(1, "loop0"), (1, "loop1")])
    with pytest.raises(StatsSegmentError):
        seg.add_interface(2, "x" * 200)
    with pytest.raises(StatsSegmentError):
        seg.set_counter("/if/rx", 0, 5)
    with pytest.raises(StatsSegmentError):
        seg.set_counter("/if/drops", 0, (1, 2))
    with pytest.raises(StatsSegmentError):
        seg.set_counter("/if/nope", 0, 1)
    with pytest.raises(StatsSegmentError):
        seg.remove_interface(3)
    # rejected requests wrote nothing
    r = await served.reader()
    try:
        assert (await served.read(r, "/if/rx"))[:, 0].sum_packets() == 0
        assert await served.read(r, "/if/names") == ["local0"]
    finally:
        r.disconnect()


async def test_segment_full_is_reported_and_segment_stays_readable(tmp_path: Path) -> None:
    seg = StatsSegment(1 << 20, interface_symlinks=True)
    path = str(tmp_path / "stats.sock")
    await seg.serve(path)
    try:
        seg.add_interface(0, "local0")
        with pytest.raises(StatsSegmentFullError) as exc:
            for start in range(1, 20_000, 500):
                seg.add_interfaces([(i, f"GigabitEthernet0/8/0.{i}") for i in range(start, start + 500)])
        assert exc.value.tag == "resource-denied"
        r = VPPStats(path)
        await in_thread(r.connect)
        try:
            names = await in_thread(lambda: r["/if/names"])
            assert names[0] == "local0" and len(names) > 1
            assert all(n == f"GigabitEthernet0/8/0.{i}" for i, n in enumerate(names[1:], start=1))
            links = await in_thread(lambda: r.ls("^/interfaces/"))
            assert all(link.split("/")[2] in {n.replace("/", "_") for n in names} for link in links)
            seg.add_traffic(0, 1, 60, 0, 0)
            assert (await in_thread(lambda: r["/if/rx"]))[:, 0].sum_octets() == 60
        finally:
            r.disconnect()
    finally:
        seg.close()


async def test_layout_matches_vpp_vec_headers(served: Served) -> None:
    """Details vpp_stats ignores but VPP's C stat_client and vec macros use: vec_header_t.hdr_size,
    the name vector's user header carrying its directory index, cache-line aligned counter rows."""
    served.seg.add_interfaces([(0, "local0"), (1, "loop0")])
    r = await served.reader()
    try:
        seg_map: mmap.mmap = r.statseg
        base = r.base
        entries = r.directory

        def vec_header(ptr: int) -> tuple[int, int, int, int, int]:
            return struct.unpack_from("<IBBBB", seg_map, ptr - base - 8)

        names = entries["/if/names"]
        length, hdr_size, _align, _grow, _pad = vec_header(names.value)
        assert length == 2 and hdr_size == 2  # 4-byte vlib_stats_header_t rounded to 8, plus 8
        (entry_index,) = struct.unpack_from("<I", seg_map, names.value - base - 16)
        assert entry_index == names.index
        threads_ptr = entries["/if/rx"].value
        (row_ptr,) = struct.unpack_from("<Q", seg_map, threads_ptr - base)
        length, hdr_size, log2_align, _grow, _pad = vec_header(row_ptr)
        assert (length, hdr_size, log2_align) == (2, 1, 6)
        assert (row_ptr - base) % 64 == 0
        epoch, in_progress = struct.unpack_from("<QQ", seg_map, 16)
        assert in_progress == 0 and epoch == r.epoch
    finally:
        r.disconnect()


async def test_socket_handshake_is_vpps(served: Served, tmp_path: Path) -> None:
    """SOCK_SEQPACKET, one empty message carrying the memfd, then the server closes."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock.settimeout(5)
    await in_thread(lambda: sock.connect(served.path))
    data, anc, _flags, _addr = await in_thread(lambda: sock.recvmsg(16, socket.CMSG_SPACE(4)))
    assert data == b""
    assert anc and anc[0][0] == socket.SOL_SOCKET and anc[0][1] == socket.SCM_RIGHTS
    fd = struct.unpack("i", anc[0][2][:4])[0]
    try:
        assert os.fstat(fd).st_size == served.seg.size
    finally:
        os.close(fd)
    assert await in_thread(lambda: sock.recv(16)) == b""  # closed by the server
    sock.close()


async def test_stale_socket_replaced_and_close_unlinks(tmp_path: Path) -> None:
    path = tmp_path / "stale.sock"
    old = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    old.bind(str(path))
    old.close()  # leaves the socket file behind, as a crashed VPP would
    seg = StatsSegment(1 << 20)
    try:
        server = await seg.serve(str(path))
        assert server.is_serving()
        readers = [VPPStats(str(path)) for _ in range(5)]
        await asyncio.gather(*(in_thread(rd.connect) for rd in readers))
        assert all(rd.version == 2 for rd in readers)
        for rd in readers:
            rd.disconnect()
    finally:
        seg.close()
    assert not path.exists()
    await server.wait_closed()
    assert not server.is_serving()


async def test_in_place_counters_leave_the_epoch_alone(tmp_path: Path) -> None:
    """VPP's own behaviour: counters move without an epoch change, so readers keep their directory."""
    seg = StatsSegment(4 << 20, counters_under_lock=False)
    path = str(tmp_path / "stats.sock")
    await seg.serve(path)
    try:
        seg.add_interfaces([(0, "local0"), (1, "loop0")])
        r = VPPStats(path)
        await in_thread(r.connect)
        try:
            epoch = r.epoch
            seg.add_traffic(1, 3, 300, 2, 200)
            seg.add_traffic_bulk([(1, 1, 100, 0, 0)])
            seg.set_counter("/if/drops", 1, 4)
            assert r.epoch == epoch
            assert (await in_thread(lambda: r["/if/rx"]))[:, 1].sum_octets() == 400
            assert (await in_thread(lambda: r["/interfaces/loop0/drops"])).sum() == 4
            seg.add_interface(2, "loop1")  # structural change: the epoch moves
            assert r.epoch > epoch
        finally:
            r.disconnect()
    finally:
        seg.close()


async def test_interface_churn_reuses_segment_memory(served: Served) -> None:
    """Names and symlink slots of removed interfaces are reused: the heap usage VPP publishes under
    /mem/stat segment does not creep up over add/remove cycles, and a small segment never fills."""
    seg = served.seg
    r = await served.reader()
    try:
        used: list[int] = []
        slots: list[int] = []
        for _cycle in range(6):
            seg.add_interfaces([(i, f"GigabitEthernet0/8/0.{i}") for i in range(1, 301)])
            seg.tick()
            used.append((await served.read(r, "/mem/stat segment/used"))[0])
            slots.append(len(r.directory_by_idx))
            assert len(await in_thread(lambda: r.ls("^/interfaces/"))) == 300 * 17
            for i in range(1, 301):
                seg.remove_interface(i)
        assert len(set(used[1:])) == 1, used
        # freed directory slots were reused, not appended
        assert len(set(slots)) == 1, slots
        assert await served.read(r, "/if/names") == []
        assert await in_thread(lambda: r.ls("^/interfaces/")) == []
    finally:
        r.disconnect()


async def test_error_counters_per_node_and_reason(served: Served) -> None:
    seg = served.seg
    r = await served.reader()
    try:
        assert "/node/errors" not in r.directory  # created only when a node declares errors
        ttl, no_route = seg.register_errors("ip4-input", ["ttl_expired", "no_route"])
        (ratelimit,) = seg.register_errors("pppoe-input", ["ratelimited"])
        assert seg.register_errors("ip4-input", ["no_route"]) == [no_route]
        seg.count_error(ttl, 3, thread_index=1)
        seg.count_error(ttl, 2, thread_index=2)
        seg.count_error(ratelimit)
        errors = await served.read(r, "/node/errors")
        assert len(errors) == 3 and len(errors[0]) == 3
        assert (await served.read(r, "/err/ip4-input/ttl_expired")).sum() == 5
        assert (await served.read(r, "/err/ip4-input/no_route")).sum() == 0
        assert (await served.read(r, "/err/pppoe-input/ratelimited")) == [1, 0, 0]
        assert await in_thread(r.set_errors) == {
            "/err/ip4-input/ttl_expired": 5,
            "/err/pppoe-input/ratelimited": 1,
        }
        with pytest.raises(StatsSegmentError):
            seg.count_error(7)
        with pytest.raises(StatsSegmentError):
            seg.count_error(ttl, thread_index=3)
    finally:
        r.disconnect()


async def test_collector_task_beats_until_closed(tmp_path: Path) -> None:
    seg = StatsSegment(1 << 20)
    path = str(tmp_path / "stats.sock")
    await seg.serve(path)
    task = asyncio.create_task(seg.run_collector(0.02))
    r = VPPStats(path)
    await in_thread(r.connect)
    try:
        first = await in_thread(lambda: r["/sys/heartbeat"])
        await asyncio.sleep(0.2)
        assert await in_thread(lambda: r["/sys/heartbeat"]) >= first + 3
    finally:
        r.disconnect()
        seg.close()
    await asyncio.wait_for(task, timeout=5)  # the loop ends once the segment is closed
