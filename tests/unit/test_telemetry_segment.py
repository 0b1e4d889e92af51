"""The telemetry bulk reader against vppsim's stats segment, cross-checked with ``VPPStats``.

The segment is written in this process and served on an event-loop thread; the reader maps the memfd
exactly as it maps VPP's. Worker threads, free ``sw_if_index`` slots, VPP's per-interface symlinks and
growing counter vectors are the cases where a reader that indexes by position gets VPP wrong.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from vpp_papi.vpp_stats import VPPStats

from agent.telemetry.counters import STATISTICS, column_name
from agent.telemetry.segment import SegmentReader, StatsReadError
from vppsim.stats import StatsSegment

T = TypeVar("T")


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[StatsSegment, str]]:
    lt = LoopThread()
    seg = StatsSegment(16 << 20, workers=2, interface_symlinks=True)
    path = str(tmp_path / "stats.sock")
    lt.run(seg.serve(path))
    try:
        yield seg, path
    finally:
        seg.close()
        lt.stop()


def test_counters_are_summed_over_threads_and_indexed_by_sw_if_index(
    served: tuple[StatsSegment, str],
) -> None:
    seg, path = served
    seg.add_interfaces(
        [(0, "local0"), (1, "GigabitEthernet0/8/0"), (2, "GigabitEthernet0/9/0"), (3, "loop0")]
    )
    seg.remove_interface(2)  # a free slot: later names must not shift down
    seg.add_traffic(1, 10, 640, 4, 6000, drops=3, rx_errors=2, tx_errors=1)
    seg.add_traffic(3, 7, 700, 0, 0, rx_unicast=False)  # multicast
    seg.set_counter("/if/rx-miss", 1, 5)
    # counts sit on the rows of the interfaces' workers (3 rows here: main + 2 workers); the reader sums
    reader = SegmentReader(path)
    try:
        t = reader.read()
    finally:
        reader.close()
    assert t.names == ["local0", "GigabitEthernet0/8/0", None, "loop0"]
    assert t.value(column_name("rx", "packets"), 1) == 10 and t.value(column_name("rx", "bytes"), 1) == 640
    assert t.value(column_name("tx", "bytes"), 1) == 6000
    assert t.value("drops", 1) == 3 and t.value("rx-error", 1) == 2 and t.value("tx-error", 1) == 1
    assert t.value("rx-miss", 1) == 5
    assert t.value(column_name("rx-multicast", "packets"), 3) == 7
    assert t.value(column_name("rx-unicast", "packets"), 3) == 0

    ref = VPPStats(path)
    ref.connect()
    try:
        for name in ("/if/rx", "/if/tx", "/if/rx-multicast"):
            rows = ref[name]
            for idx in (1, 3):
                short = name[4:]
                assert t.value(column_name(short, "packets"), idx) == sum(r[idx][0] for r in rows)
                assert t.value(column_name(short, "bytes"), idx) == sum(r[idx][1] for r in rows)
        assert t.value("drops", 1) == sum(r[1] for r in ref["/if/drops"])
        assert t.scalars["/sys/boottime"] > 0
    finally:
        ref.disconnect()


def test_mapping_sums_discards_and_wraps_counter32() -> None:
    by_leaf = {m.leaf: m for m in STATISTICS}
    assert [c for c, _ in by_leaf["in-discards"].sources] == ["drops", "rx-no-buf", "rx-miss"]
    assert by_leaf["in-errors"].yang_value(2**32 + 5) == 5  # yang:counter32 wraps
    assert by_leaf["in-octets"].yang_value(2**40) == str(2**40)  # counter64 is a JSON string
    assert "out-discards" not in by_leaf and "in-unknown-protos" not in by_leaf


def test_reads_after_counter_updates_do_not_rescan_the_directory(served: tuple[StatsSegment, str]) -> None:
    seg, path = served
    seg.add_interfaces([(i, f"GigabitEthernet0/8/0.{i}") for i in range(1, 300)])  # 17 symlinks each
    reader = SegmentReader(path)
    try:
        reader.read()
        scans = reader.directory_scans
        for k in range(20):
            seg.add_traffic_bulk([(i, 1, 100, 2, 200) for i in range(1, 300)])  # an epoch change each
            t = reader.read()
            assert t.value(column_name("tx", "bytes"), 150) == 200 * (k + 1)
        assert reader.directory_scans == scans
        # a structural change (new interfaces, vectors regrown) is still picked up
        seg.add_interfaces([(i, f"GigabitEthernet0/9/0.{i}") for i in range(300, 2000)])
        seg.add_traffic(1999, 1, 64, 0, 0)
        t = reader.read()
        assert len(t.names) == 2000 and t.names[1999] == "GigabitEthernet0/9/0.1999"
        assert t.value(column_name("rx", "bytes"), 1999) == 64
        assert t.value(column_name("tx", "bytes"), 150) == 200 * 20
    finally:
        reader.close()


def test_missing_socket_is_a_stats_read_error(tmp_path: Path) -> None:
    reader = SegmentReader(str(tmp_path / "absent.sock"), timeout=0.5)
    with pytest.raises(StatsReadError) as e:
        reader.read()
    assert "absent.sock" in e.value.message
