"""The relay's per-collector queue: FIFO across memory and disk, bounded, segments removed once read."""

from __future__ import annotations

from pathlib import Path

from agent.flowexport import Field, Template
from agent.natlog.spill import SpillQueue

T = Template(256, (Field(323, 8), Field(8, 4)))


def recs(a: int, b: int) -> list[tuple[int | bytes, ...]]:
    return [(i, i & 0xFFFFFFFF) for i in range(a, b)]


def drain(q: SpillQueue, step: int) -> list[int]:
    out: list[int] = []
    while True:
        got = q.take(step)
        if not got:
            return out
        out += [int(r[0]) for _t, rs in got for r in rs]


def test_order_is_kept_across_memory_and_disk(tmp_path: Path) -> None:
    q = SpillQueue(tmp_path, memory_records=100, spill_bytes=1 << 20, segment_bytes=1 << 16)
    for k in range(50):
        assert q.put(T, recs(k * 97, (k + 1) * 97)) == 0
    assert q.memory_count == 100 and q.spill_count == 50 * 97 - 100 and q.spilled_records == 4750
    assert len(list(tmp_path.glob("spill-*.bin"))) >= 1
    # new records while draining still queue behind the spilled ones
    first = [int(r[0]) for _t, rs in q.take(1000) for r in rs]
    q.put(T, recs(10_000, 10_010))
    rest = drain(q, 333)
    assert first + rest == list(range(50 * 97)) + list(range(10_000, 10_010))
    assert first == list(range(1000))
    assert len(q) == 0 and q.spill_unread == 0
    assert list(tmp_path.glob("spill-*.bin")) == []  # read segments are removed


def test_spill_bound_drops_and_counts(tmp_path: Path) -> None:
    q = SpillQueue(tmp_path, memory_records=10, spill_bytes=2000)
    dropped = sum(q.put(T, recs(i * 10, i * 10 + 10)) for i in range(100))
    assert q.spill_unread <= 2000
    assert dropped == q.dropped > 0
    assert len(q) + q.dropped == 1000
    got = drain(q, 7)
    assert got == sorted(got) and got[:10] == list(range(10))  # what was kept is in order


def test_put_front_puts_records_back_at_the_head(tmp_path: Path) -> None:
    q = SpillQueue(tmp_path, memory_records=1000, spill_bytes=0)
    q.put(T, recs(10, 20))
    q.put_front([(T, recs(0, 10))])
    assert drain(q, 4) == list(range(20))


def test_a_new_queue_starts_empty(tmp_path: Path) -> None:
    q = SpillQueue(tmp_path, memory_records=1, spill_bytes=1 << 20)
    q.put(T, recs(0, 100))
    assert list(tmp_path.glob("spill-*.bin"))
    SpillQueue(tmp_path, memory_records=1, spill_bytes=1 << 20)  # the relay restarted
    assert list(tmp_path.glob("spill-*.bin")) == []
