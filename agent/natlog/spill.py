"""A bounded first-in first-out queue of records for one collector: memory first, then disk.

Why: a collector that is down or slower than VPP must not cost records (retention laws ask for every
NAT binding), nor unbounded memory. Records wait in memory up to ``memory_records``; beyond that they
are appended to spill segments on disk up to ``spill_bytes`` of unread data; beyond that they are
dropped and counted (``spill-full``). Order is kept: once something is on disk, new records go to disk
too, and memory refills from the oldest segment.

The spill is a relief valve, not a journal: it lives in a directory the relay owns and is emptied when
the relay starts (records of a previous run are not replayed; VPP does not replay either).
"""

from __future__ import annotations

import contextlib
import struct
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from agent.flowexport import Template
from agent.flowexport.template import Record

_HEAD = struct.Struct("!IHI")  # body length, template id, record count


@dataclass
class _Segment:
    path: Path
    fh: BinaryIO
    written: int = 0
    read: int = 0


class SpillQueue:
    """FIFO of ``(template, records)`` batches with a memory bound (records) and a disk bound (bytes)."""

    def __init__(self, directory: Path, *, memory_records: int, spill_bytes: int,
                 segment_bytes: int = 4 << 20) -> None:  # fmt: skip
        self.dir = directory
        self.memory_records = max(1, memory_records)
        self.spill_bytes = max(0, spill_bytes)
        self.segment_bytes = max(1 << 16, min(segment_bytes, max(1 << 16, spill_bytes // 4)))
        self._mem: deque[tuple[Template, list[Record]]] = deque()
        self._mem_count = 0
        self._segments: deque[_Segment] = deque()
        self._seq = 0
        self._templates: dict[int, Template] = {}
        self.spilled_records = 0  # ever written to disk
        self.spill_count = 0  # records on disk now
        self.dropped = 0  # records refused (spill full)
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("spill-*.bin"):
            old.unlink()

    # ------------------------------------------------------------------------------------------ state

    def __len__(self) -> int:
        return self._mem_count + self.spill_count

    @property
    def spill_unread(self) -> int:
        return sum(s.written - s.read for s in self._segments)

    @property
    def memory_count(self) -> int:
        return self._mem_count

    # ------------------------------------------------------------------------------------------- put

    def put(self, t: Template, records: list[Record]) -> int:
        """Queue the records; returns how many were dropped (0 unless memory and spill are full)."""
        if not records:
            return 0
        if not self._segments and self._mem_count + len(records) <= self.memory_records:
            self._mem.append((t, records))
            self._mem_count += len(records)
            return 0
        if not self._segments:  # fill memory to its bound, the rest goes to disk
            room = self.memory_records - self._mem_count
            if room > 0:
                self._mem.append((t, records[:room]))
                self._mem_count += room
                records = records[room:]
        return self._spill(t, records)

    def put_front(self, batches: list[tuple[Template, list[Record]]]) -> None:
        """Put records that were sent but may be lost back at the head (the memory bound may be
        exceeded by them: they are bounded by the link's in-flight window)."""
        for t, recs in reversed(batches):
            self._mem.appendleft((t, recs))
            self._mem_count += len(recs)

    def _spill(self, t: Template, records: list[Record]) -> int:
        self._templates[t.template_id] = t
        body = t.encode(records)
        need = _HEAD.size + len(body)
        if self.spill_unread + need > self.spill_bytes:
            self.dropped += len(records)
            return len(records)
        seg = self._segments[-1] if self._segments else None
        if seg is None or seg.written >= self.segment_bytes:
            self._seq += 1
            path = self.dir / f"spill-{self._seq:08d}.bin"
            seg = _Segment(path, open(path, "w+b"))  # noqa: SIM115 - closed when the segment is read
            self._segments.append(seg)
        seg.fh.seek(seg.written)
        seg.fh.write(_HEAD.pack(len(body), t.template_id, len(records)) + body)
        seg.written += need
        self.spilled_records += len(records)
        self.spill_count += len(records)
        return 0

    # ------------------------------------------------------------------------------------------ take

    def take(self, n: int) -> list[tuple[Template, list[Record]]]:
        """Up to ``n`` records from the head, as batches (memory first, refilled from disk)."""
        out: list[tuple[Template, list[Record]]] = []
        while n > 0:
            if not self._mem and not self._refill():
                break
            t, recs = self._mem[0]
            if len(recs) <= n:
                self._mem.popleft()
                out.append((t, recs))
                self._mem_count -= len(recs)
                n -= len(recs)
            else:
                out.append((t, recs[:n]))
                self._mem[0] = (t, recs[n:])
                self._mem_count -= n
                n = 0
        if self._mem_count < self.memory_records // 2:
            while self._mem_count < self.memory_records // 2 and self._refill():
                pass
        return out

    def _refill(self) -> bool:
        """Move the oldest spilled batch to memory."""
        while self._segments:
            seg = self._segments[0]
            if seg.read < seg.written:
                seg.fh.seek(seg.read)
                blen, tid, count = _HEAD.unpack(seg.fh.read(_HEAD.size))
                body = seg.fh.read(blen)
                seg.read += _HEAD.size + blen
                t = self._templates[tid]
                recs = t.decode(body, "spill")
                self._mem.append((t, recs))
                self._mem_count += len(recs)
                self.spill_count -= count
                return True
            if len(self._segments) == 1 and seg.written < self.segment_bytes:
                # the only segment, fully read: start it over instead of growing it
                seg.fh.truncate(0)
                seg.written = seg.read = 0
                self._close(self._segments.popleft())
                return False
            self._close(self._segments.popleft())
        return False

    def _close(self, seg: _Segment) -> None:
        seg.fh.close()
        with contextlib.suppress(FileNotFoundError):
            seg.path.unlink()

    def batches(self) -> Iterator[tuple[Template, list[Record]]]:
        """Everything queued, oldest first, emptying the queue (tests, shutdown)."""
        while True:
            got = self.take(1 << 30)
            if not got:
                return
            yield from got

    def close(self) -> None:
        while self._segments:
            self._close(self._segments.popleft())
        self._mem.clear()
        self._mem_count = self.spill_count = 0
