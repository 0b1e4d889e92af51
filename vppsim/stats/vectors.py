"""VPP vectors (``vec_header_t`` + elements) living inside the stats segment.

A :class:`SegmentVector` is the writer's handle on one vector: where its block is, where element 0 is,
how many elements it holds and how many fit before it must move. Growing follows VPP's ``vec_resize``
habit of adding about half again, so a vector validated one index at a time is copied O(log n) times.
"""

from __future__ import annotations

from dataclasses import dataclass

from vppsim.stats.errors import StatsSegmentFullError
from vppsim.stats.heap import SegmentHeap
from vppsim.stats.layout import VEC_HEADER_SIZE, vec_header_words


def _round_up(n: int, to: int) -> int:
    return (n + to - 1) // to * to


@dataclass
class SegmentVector:
    """One vector: ``block`` is the heap block, ``data`` the offset of element 0 (what pointers name)."""

    block: int
    data: int
    elt_size: int
    length: int
    capacity: int
    header_bytes: int  # user header + vec_header_t, as vec_header_t.hdr_size * 8 records it
    log2_align: int

    @property
    def end(self) -> int:
        return self.data + self.length * self.elt_size


def new_vector(
    heap: SegmentHeap,
    buf: memoryview,
    elt_size: int,
    length: int,
    capacity: int,
    *,
    user_header: int = 0,
    align: int = 8,
) -> SegmentVector:
    """Allocate a zeroed vector and write its ``vec_header_t``; the user header (if any) is left zero."""
    capacity = max(capacity, length, 1)
    header_bytes = _round_up(user_header, 8) + VEC_HEADER_SIZE
    lead = _round_up(header_bytes, align)
    block = heap.alloc(lead + capacity * elt_size)
    data = block + lead
    vec = SegmentVector(block, data, elt_size, length, capacity, header_bytes, align.bit_length() - 1)
    write_header(buf, vec)
    return vec


def write_header(buf: memoryview, vec: SegmentVector) -> None:
    buf[vec.data - VEC_HEADER_SIZE : vec.data] = vec_header_words(
        vec.length, vec.header_bytes, vec.log2_align, vec.capacity - vec.length
    )


def grown_capacity(current: int, needed: int) -> int:
    """VPP's ``vec_resize`` grows by about 1.5x; never less than what is needed."""
    return max(needed, current + current // 2, 8)


def regrow(
    heap: SegmentHeap, buf: memoryview, vec: SegmentVector, new_length: int, *, user_header: int = 0
) -> SegmentVector:
    """A copy of ``vec`` with room for ``new_length`` elements; the caller publishes it, then frees.

    When the heap has no block for the usual 1.5x growth, the vector grows to exactly ``new_length``
    before giving up (a nearly full segment still takes what fits)."""
    align = 1 << vec.log2_align
    capacity = grown_capacity(vec.capacity, new_length)
    size = vec.elt_size
    try:
        moved = new_vector(heap, buf, size, new_length, capacity, user_header=user_header, align=align)
    except StatsSegmentFullError:
        if capacity <= new_length:
            raise
        moved = new_vector(heap, buf, size, new_length, new_length, user_header=user_header, align=align)
    nbytes = vec.length * vec.elt_size
    buf[moved.data : moved.data + nbytes] = buf[vec.data : vec.data + nbytes]
    if user_header:
        buf[moved.data - moved.header_bytes : moved.data - VEC_HEADER_SIZE] = buf[
            vec.data - vec.header_bytes : vec.data - VEC_HEADER_SIZE
        ]
    return moved
