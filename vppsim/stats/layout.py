"""Byte layout of VPP's statistics segment, as VPP 26.06 writes it and ``vpp_papi.vpp_stats`` reads it.

Everything a reader depends on is here so the writer code never spells an offset twice. The facts come
from FDio/vpp:

- ``src/vlib/stats/shared.h``: ``vlib_stats_shared_header_t`` (version, base, epoch, in_progress,
  directory_vector), ``vlib_stats_entry_t`` (type, a 64-bit union of index1/index2, value or data pointer,
  then ``char name[128]``) and ``stat_directory_type_t``.
- ``src/vlib/stats/stats.h``: ``STAT_SEGMENT_VERSION 2``, the three fixed ``/sys`` scalars and their
  directory slots, ``vlib_stats_header_t`` (the user header in front of a name vector).
- ``src/vppinfra/vec_bootstrap.h``: ``vec_header_t`` -- ``u32 len; u8 hdr_size; u8 log2_align:7,
  default_heap:1; u8 grow_elts; u8 vpad`` -- placed immediately before a vector's first element; hdr_size
  counts the whole header (user header + vec_header_t) in units of ``VEC_MIN_ALIGN`` (8).
- ``src/vlib/stats/init.c``: the shared header sits at the start of the memfd and the heap starts one
  page later.

Pointers stored in the segment are virtual addresses in the writer's address space; readers subtract
``base`` to get an offset into their own mapping (``vpp_stats.py`` ``ptr - stats.base``). The emulator
never dereferences them itself, so it publishes ``base`` as a fixed address and every pointer as
``base + offset``.
"""

from __future__ import annotations

import enum
import struct
from typing import Final

#: ``STAT_SEGMENT_VERSION`` in ``src/vlib/stats/stats.h``; vpp_stats refuses anything but 2.
SEGMENT_VERSION: Final = 2

#: The address the segment claims to be mapped at. Any page-aligned, non-zero value works for readers,
#: which only use pointer differences; a value in the typical mmap range keeps hexdumps familiar.
SEGMENT_BASE: Final = 0x7F00_0000_0000

#: The heap starts one page after the shared header (``init.c``: ``memaddr + sys_page_sz``).
PAGE_SIZE: Final = 4096

#: ``vlib_stats_shared_header_t``: u64 version, void *base, u64 epoch, u64 in_progress,
#: vlib_stats_entry_t *directory_vector. (vpp_stats unpacks "QPQQPP": the sixth word is left zero.)
SHARED_HEADER = struct.Struct("<QQQQQ")
HDR_VERSION_OFF: Final = 0
HDR_BASE_OFF: Final = 8
HDR_EPOCH_OFF: Final = 16
HDR_IN_PROGRESS_OFF: Final = 24
HDR_DIRECTORY_OFF: Final = 32

#: ``VLIB_STATS_MAX_NAME_SZ``; the name is NUL-terminated, so at most 127 characters are kept.
MAX_NAME_SZ: Final = 128

#: ``vlib_stats_entry_t``: a 4-byte enum, 4 bytes of padding to align the 8-byte union, then the name.
DIR_ENTRY = struct.Struct("<I4xQ128s")
DIR_ENTRY_SIZE: Final = DIR_ENTRY.size  # 144
DIR_ENTRY_VALUE_OFF: Final = 8

#: ``vec_header_t`` (8 bytes) immediately before element 0 of every vector.
VEC_HEADER = struct.Struct("<IBBBB")
VEC_HEADER_SIZE: Final = VEC_HEADER.size
VEC_MIN_ALIGN: Final = 8

#: ``CLIB_CACHE_LINE_BYTES`` on x86_64; counter vectors are created with ``vec_validate_aligned(...,
#: CLIB_CACHE_LINE_BYTES)`` (``vlib_stats_validate`` in ``src/vlib/stats/stats.c``).
CACHE_LINE: Final = 64

#: ``vlib_stats_header_t { u32 entry_index; }`` -- the user header of a name (string) vector.
STRING_VECTOR_USER_HEADER: Final = 4


class DirType(enum.IntEnum):
    """``stat_directory_type_t`` as numbered in VPP 26.06 (and decoded by ``vpp_stats.StatsEntry``)."""

    ILLEGAL = 0
    SCALAR_INDEX = 1
    COUNTER_VECTOR_SIMPLE = 2
    COUNTER_VECTOR_COMBINED = 3
    NAME_VECTOR = 4
    EMPTY = 5
    SYMLINK = 6
    HISTOGRAM_LOG2 = 7
    RING_BUFFER = 8
    GAUGE = 9


#: Directory slots fixed by ``stat_segment_counter_t`` in ``src/vlib/stats/stats.h``; ``init.c`` writes
#: their names with ``strcpy (sm->directory_vector[STAT_COUNTER_##E].name, ...)``.
FIXED_SCALARS: Final = ("/sys/heartbeat", "/sys/last_stats_clear", "/sys/boottime")

#: Per-interface counters, in the order of ``foreach_simple_interface_counter_name`` and
#: ``foreach_combined_interface_counter_name`` (``src/vnet/interface.h``).
SIMPLE_INTERFACE_COUNTERS: Final = (
    "drops",
    "punt",
    "ip4",
    "ip6",
    "rx-no-buf",
    "rx-miss",
    "rx-error",
    "tx-error",
    "mpls",
)
COMBINED_INTERFACE_COUNTERS: Final = (
    "rx",
    "rx-unicast",
    "rx-multicast",
    "rx-broadcast",
    "tx",
    "tx-unicast",
    "tx-multicast",
    "tx-broadcast",
)

#: ``stat_mem_usage_e`` in ``src/vlib/stats/provider_mem.c``: one row of gauges per heap.
MEM_COUNTERS: Final = ("total", "used", "free", "used_mmap", "total_alloc", "free_chunks", "releasable")

#: The heap name VPP gives the stats segment (``init.c``: ``char *mem_name = "stat segment"``).
STATS_HEAP_NAME: Final = "stat segment"


def symlink_component(name: str) -> str:
    """An interface name as it appears inside a symlink path: ``format_vlib_stats_symlink`` in
    ``src/vlib/stats/format.c`` replaces every ``/`` with ``_`` (``GigabitEthernet0_8_0``)."""
    return name.replace("/", "_")


def vec_header_words(length: int, hdr_size_bytes: int, log2_align: int, grow_elts: int) -> bytes:
    """Encode a ``vec_header_t``; ``hdr_size_bytes`` includes the 8-byte header itself."""
    return VEC_HEADER.pack(length, hdr_size_bytes // VEC_MIN_ALIGN, log2_align & 0x7F, min(grow_elts, 255), 0)
