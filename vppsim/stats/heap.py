"""A small allocator over the stats segment's memory: bump pointer plus a coalescing free list.

VPP gives the stats segment its own ``clib_mem`` heap (``src/vlib/stats/init.c``) and every vector in it
is allocated and re-allocated there; readers only ever see offsets inside the segment. The emulator needs
the same property -- a vector that grows moves to a new block inside the memfd and the old block is
reused later -- without a C allocator, so this keeps the bookkeeping in Python dictionaries (never in the
shared memory, which readers must be able to parse on their own) and hands out 64-byte-aligned blocks.

Freed blocks merge with free neighbours, and a free block that touches the bump pointer gives its space
back to it, so a vector that doubles repeatedly does not leave a trail of unusable holes. Large blocks
(``LARGE`` bytes and up: the directory, ``/if/*`` rows at scale) are carved from the top of the heap
downwards and small ones (names, short vectors) from the bottom upwards, so the holes a growing vector
leaves behind are not pinned apart by small blocks and merge into room for its next growth.

Freed blocks are not reused at once. ``vpp_stats.VPPStats`` reads a vector's pointer, and only later
(after building Python objects for earlier rows, possibly hundreds of milliseconds at scale) copies the
vector, re-arming its optimistic lock in between; if the block had been handed out again and zeroed in
that gap, the reader would accept zeros. Keeping freed blocks untouched for a grace period means such a
reader copies the old, consistent, merely stale contents. Under memory pressure the grace is cut short
rather than failing the allocation.
"""

from __future__ import annotations

import bisect
import time
from collections import deque

from vppsim.stats.errors import StatsSegmentFullError

GRANULE = 64
#: Blocks of at least this many bytes come from the top of the heap, smaller ones from the bottom.
LARGE = 64 * 1024

#: How long a freed block stays untouched before it can be reused (see the module docstring).
FREE_GRACE_S = 2.0


def _round_up(n: int, to: int) -> int:
    return (n + to - 1) // to * to


class SegmentHeap:
    """Blocks of ``[start, end)`` inside one shared buffer; offsets are relative to the buffer start."""

    def __init__(self, buf: memoryview, start: int, end: int, *, free_grace_s: float = FREE_GRACE_S) -> None:
        self._buf = buf
        self._grace = free_grace_s
        self._quarantine: deque[tuple[float, int, int]] = deque()  # (freed at, start, size)
        self._quarantined = 0
        self._start = _round_up(start, GRANULE)
        self._end = end - end % GRANULE
        # never handed out: [_bump, _top); small blocks grow the bottom up, large ones the top down
        self._bump = self._start
        # The last granule is never handed out: VPPStats refuses a vector that ends exactly at the end
        # of the segment (vpp_stats.py StatsVector: ``start + length * size >= stats.size``).
        self._top = self._end - GRANULE
        # Everything between the high-water and low-water marks has never been handed out, so it is
        # still zero (a new memfd reads as zeros); blocks outside may hold old data and are cleared.
        self._high_water = self._start
        self._low_water = self._end
        self._allocated: dict[int, int] = {}
        self._free_by_start: dict[int, int] = {}
        self._free_by_end: dict[int, int] = {}
        self._free_sizes: list[tuple[int, int]] = []  # sorted (size, start) for best fit
        self._space_generation = 0

    @property
    def capacity(self) -> int:
        return self._end - self._start

    @property
    def used_bytes(self) -> int:
        return sum(self._allocated.values())

    @property
    def free_bytes(self) -> int:
        """Bytes not held by live blocks (including freed blocks still in their grace period)."""
        return self.capacity - self.used_bytes

    @property
    def quarantined_bytes(self) -> int:
        return self._quarantined

    @property
    def largest_free(self) -> int:
        """The biggest block an allocation could get without waiting for a grace period to end: a
        vector can only move to one contiguous block, so this, not ``free_bytes``, bounds its growth."""
        gap = self._top - self._bump
        return max(gap, self._free_sizes[-1][0]) if self._free_sizes else gap

    @property
    def space_generation(self) -> int:
        """Moves whenever a block is given back: an allocation that failed before may fit now."""
        return self._space_generation

    def next_release_at(self) -> float | None:
        """When (``time.monotonic()``) the oldest freed block leaves its grace period, if any is in it."""
        return self._quarantine[0][0] + self._grace if self._quarantine else None

    @property
    def high_water(self) -> int:
        """Bytes of the heap ever touched: what a reader's mapping actually has to page in."""
        return self._high_water - self._start + self._end - self._low_water

    def size_of(self, start: int) -> int:
        return self._allocated[start]

    def alloc(self, nbytes: int) -> int:
        """A zero-filled block of at least ``nbytes``, aligned to 64 bytes; returns its offset."""
        size = _round_up(max(nbytes, 1), GRANULE)
        self._release_expired(time.monotonic())
        start = self._take(size)
        if start is None and self._quarantine:
            self._release_expired(float("inf"))  # out of room: reuse recently freed blocks early
            start = self._take(size)
        if start is None:
            raise StatsSegmentFullError(
                f"stats segment heap exhausted: need {size} bytes, "
                f"{self._top - self._bump} never used and {self.free_bytes} free in total; "
                "start the emulator with a larger stats segment"
            )
        self._allocated[start] = size
        end = start + size
        if start < self._high_water:
            dirty_end = min(end, self._high_water)
            self._buf[start:dirty_end] = bytes(dirty_end - start)
        if end > self._low_water:
            dirty_start = max(start, self._low_water)
            self._buf[dirty_start:end] = bytes(end - dirty_start)
        if start < self._top:
            self._high_water = max(self._high_water, end)
        else:
            self._low_water = min(self._low_water, start)
        return start

    def _take(self, size: int) -> int | None:
        """A block from the free blocks of its own end of the heap, then from the never-used middle,
        then (the heap is nearly full) from any free block."""
        large = size >= LARGE
        start = self._take_free(size, large)
        if start is not None:
            return start
        if self._bump + size <= self._top:
            if large:
                self._top -= size
                return self._top
            start = self._bump
            self._bump += size
            return start
        return self._take_free(size, None)

    def free(self, start: int) -> None:
        """Give a block back; it becomes reusable after the grace period."""
        size = self._allocated.pop(start)
        self._space_generation += 1
        now = time.monotonic()
        self._quarantine.append((now, start, size))
        self._quarantined += size
        self._release_expired(now)

    def _release_expired(self, now: float) -> None:
        while self._quarantine and now - self._quarantine[0][0] >= self._grace:
            _, start, size = self._quarantine.popleft()
            self._quarantined -= size
            self._release(start, size)

    def _release(self, start: int, size: int) -> None:
        end = start + size
        # Merge with the free block just before and just after.
        before = self._free_by_end.get(start)
        if before is not None:
            start = before
            self._remove_free(before)
        after_size = self._free_by_start.get(end)
        if after_size is not None:
            self._remove_free(end)
            end += after_size
        if end == self._bump:
            self._bump = start
            return
        if start == self._top:
            self._top = end
            return
        self._add_free(start, end - start)

    def _take_free(self, size: int, large: bool | None) -> int | None:
        """Best fit among the free blocks of the top end (``large``), of the bottom end (not
        ``large``) or of both (None); a large block is cut from the top of its free block."""
        sizes = self._free_sizes
        i = bisect.bisect_left(sizes, (size, -1))
        while i < len(sizes):
            block_size, start = sizes[i]
            if large is None or (start >= self._top) == large:
                break
            i += 1
        else:
            return None
        self._remove_free(start)
        if block_size == size:
            return start
        if large:
            self._add_free(start, block_size - size)
            return start + block_size - size
        self._add_free(start + size, block_size - size)
        return start

    def _add_free(self, start: int, size: int) -> None:
        self._free_by_start[start] = size
        self._free_by_end[start + size] = start
        bisect.insort(self._free_sizes, (size, start))

    def _remove_free(self, start: int) -> None:
        size = self._free_by_start.pop(start)
        del self._free_by_end[start + size]
        i = bisect.bisect_left(self._free_sizes, (size, start))
        del self._free_sizes[i]
