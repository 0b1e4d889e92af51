"""The writer side of VPP's statistics segment: a memfd laid out exactly as VPP 26.06 lays it out.

Readers (``vpp_papi.vpp_stats.VPPStats``, VPP's C ``stat_client``, the agent's telemetry poller) map the
memfd read-only and walk it on their own, so everything they need lives in the shared memory: the shared
header, the directory vector of ``vlib_stats_entry_t`` and the vectors the entries point to. What the
writer needs only for itself (free lists, name->index maps, cached views) stays in Python objects.

Consistency follows VPP's optimistic protocol (``vlib_stats_segment_lock`` / ``_unlock`` in
``src/vlib/stats/stats.c``): the writer sets ``in_progress``, changes memory, increments ``epoch`` and
clears ``in_progress``; a reader records the epoch, waits for ``in_progress == 0``, copies, and retries if
either changed. VPP takes that lock only for structural changes (a vector that grows, a name, a symlink);
the emulator also takes it around counter updates, so a reader never sees an interface's packets moved
without its bytes. Scalars (heartbeat, gauges) are single aligned 8-byte stores and are written in place
without the lock, as VPP's collector does.

Counters are two-dimensional, ``[thread][sw_if_index]``, like ``vlib_simple_counter_main_t`` and
``vlib_combined_counter_main_t``: row 0 is the main thread and rows 1..N the workers. Traffic for an
interface is counted on the worker that would poll its receive queue (round-robin over the workers, as
VPP's default queue placement does) or on the main thread when there are no workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import mmap
import os
import struct
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from vppsim.stats.errors import StatsSegmentError, StatsSegmentFullError
from vppsim.stats.heap import SegmentHeap
from vppsim.stats.layout import (
    CACHE_LINE,
    COMBINED_INTERFACE_COUNTERS,
    DIR_ENTRY,
    DIR_ENTRY_SIZE,
    DIR_ENTRY_VALUE_OFF,
    FIXED_SCALARS,
    HDR_DIRECTORY_OFF,
    HDR_EPOCH_OFF,
    HDR_IN_PROGRESS_OFF,
    MAX_NAME_SZ,
    MEM_COUNTERS,
    PAGE_SIZE,
    SEGMENT_BASE,
    SEGMENT_VERSION,
    SHARED_HEADER,
    SIMPLE_INTERFACE_COUNTERS,
    STATS_HEAP_NAME,
    STRING_VECTOR_USER_HEADER,
    VEC_HEADER_SIZE,
    DirType,
    symlink_component,
    vec_header_words,
)
from vppsim.stats.server import StatsSocketServer
from vppsim.stats.vectors import SegmentVector, new_vector, regrow, write_header

# Native formats on purpose: CPython packs native "Q" with one memcpy (a single 8-byte store a reader
# cannot see half of), while "<Q" is written a byte at a time. VPP runs little-endian x86_64/aarch64.
_U64 = struct.Struct("@Q")
_U32 = struct.Struct("@I")
_LE32 = struct.Struct("<I")  # the high half of a little-endian symlink value (DIR_ENTRY is "<")
_PAIR = struct.Struct("@QQ")
_MASK64 = (1 << 64) - 1

#: A bulk traffic row: (sw_if_index, rx_packets, rx_bytes, tx_packets, tx_bytes).
TrafficRow = tuple[int, int, int, int, int]


@dataclass
class _CounterVector:
    """A ``[thread][index]`` counter: one pointer vector (a row per thread) and one row vector per thread."""

    entry: int
    combined: bool
    threads: SegmentVector
    rows: list[SegmentVector]
    views: list[memoryview] = field(default_factory=list)  # each row as u64s (2 per element if combined)

    @property
    def width(self) -> int:
        return 2 if self.combined else 1


def _round8(n: int) -> int:
    return (n + 7) & ~7


def _encode_name(name: str) -> bytes:
    raw = name.encode("ascii")
    if len(raw) >= MAX_NAME_SZ:
        raise StatsSegmentError(f"stats entry name longer than {MAX_NAME_SZ - 1} bytes: {name!r}")
    return raw


class StatsSegment:
    """VPP's stats segment, written by the emulator and served over a stats socket.

    ``size_bytes`` is the memfd size (VPP's ``statseg { size ... }``; VPP defaults to 32 MiB). The memfd
    is sparse, so only pages actually written cost memory. Each interface costs about 200 bytes of
    counters per thread plus, with ``interface_symlinks`` (VPP's behaviour), 17 directory entries of 144
    bytes for ``/interfaces/<name>/<counter>``: 64 MiB holds roughly 11,000-13,000 interfaces with
    symlinks (the directory is copied to grow, so it gets about half the heap); 100,000 need 768 MiB
    with symlinks or 64 MiB without.

    ``counters_under_lock`` (default) makes every counter update an epoch change, so no reader can see a
    half-applied update; readers then re-read the directory after each update, which is costly with
    symlinks at scale. ``False`` writes counters in place as VPP does (epoch moves only on structural
    changes) with each packets/bytes pair written in one 16-byte store. See docs/performance.md.

    One writer: call every method from one thread (vppsim's event loop thread); readers are other
    processes or threads using the memfd read-only.
    """

    def __init__(
        self,
        size_bytes: int = 64 * 1024 * 1024,
        *,
        workers: int = 0,
        interface_symlinks: bool = True,
        counters_under_lock: bool = True,
    ) -> None:
        if size_bytes < 16 * PAGE_SIZE:
            raise StatsSegmentError(f"stats segment of {size_bytes} bytes is too small")
        if workers < 0:
            raise StatsSegmentError("worker count cannot be negative")
        self._size = size_bytes - size_bytes % PAGE_SIZE
        self._fd = os.memfd_create("stat segment", os.MFD_CLOEXEC)
        os.ftruncate(self._fd, self._size)
        self._mm = mmap.mmap(self._fd, self._size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        self._buf = memoryview(self._mm)
        self._heap = SegmentHeap(self._buf, PAGE_SIZE, self._size)
        self._n_threads = 1 + workers
        self._symlinks_enabled = interface_symlinks
        self._counters_under_lock = counters_under_lock
        self._lock_depth = 0
        self._closed = False
        self._servers: list[StatsSocketServer] = []
        self._collectors: list[Callable[[], None]] = []

        self._by_name: dict[str, int] = {}
        self._first_free_entry: int | None = None
        self._n_free_entries = 0
        self._counters: dict[str, _CounterVector] = {}
        self._if_names: dict[int, str] = {}
        # /if/names strings of one batch share one heap block (an arena), freed when its last name goes
        self._if_name_arena: dict[int, int] = {}  # sw_if_index -> arena block
        self._arena_refs: dict[int, int] = {}  # arena block -> names still in it
        self._if_symlinks: dict[int, list[int]] = {}
        # /interfaces/... symlink names are kept apart from _by_name (17 per interface): the usual case by
        # its "/interfaces/<name>/" prefix, clashing or truncated paths one by one
        self._symlink_prefixes: dict[str, int] = {}
        self._symlink_odd: set[str] = set()
        self._if_symlink_names: dict[int, tuple[str | None, list[str]]] = {}
        self._error_columns: dict[str, dict[str, int]] = {}
        self._packets_since_tick = [0] * self._n_threads
        self._last_tick = time.monotonic()

        SHARED_HEADER.pack_into(self._mm, 0, SEGMENT_VERSION, SEGMENT_BASE, 0, 0, 0)
        self._dir = new_vector(self._heap, self._buf, DIR_ENTRY_SIZE, 0, 64, align=CACHE_LINE)
        self._publish_directory()
        self._bootstrap()

    # ----------------------------------------------------------------------------------------------
    # public API (the contract vppsim codes against)

    @property
    def fd(self) -> int:
        """The memfd a stats socket hands to readers."""
        return self._fd

    @property
    def size(self) -> int:
        return self._size

    @property
    def n_threads(self) -> int:
        return self._n_threads

    @property
    def epoch(self) -> int:
        return int(_U64.unpack_from(self._mm, HDR_EPOCH_OFF)[0])

    def is_published(self, sw_if_index: int) -> bool:
        """Whether ``/if/names`` has a name at this index."""
        return sw_if_index in self._if_names

    def heap_status(self) -> dict[str, int]:
        """The segment heap in bytes: ``capacity``, ``used`` (live blocks), ``free`` (the rest,
        including ``quarantined``: freed blocks still in their grace period), ``largest_free`` (the
        biggest contiguous block outside the grace period) and ``high_water``."""
        heap = self._heap
        return {
            "capacity": heap.capacity,
            "used": heap.used_bytes,
            "free": heap.free_bytes,
            "quarantined": heap.quarantined_bytes,
            "largest_free": heap.largest_free,
            "high_water": heap.high_water,
        }

    @property
    def space_generation(self) -> int:
        """Moves whenever heap space is given back, so a publication that did not fit may fit now."""
        return self._heap.space_generation

    def next_release_at(self) -> float | None:
        """When (``time.monotonic()``) the oldest freed block leaves its grace period, if any is in it."""
        return self._heap.next_release_at()

    def register_collector(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on every :meth:`tick`, before the heap usage is sampled
        (``vlib_stats_register_collector_fn``)."""
        self._collectors.append(fn)

    def interface_names(self) -> dict[int, str]:
        """The names currently published in ``/if/names``, by sw_if_index."""
        return dict(self._if_names)

    def add_interface(self, sw_if_index: int, name: str) -> None:
        """Publish an interface: its ``/if/names`` slot, zeroed counters, and its symlinks.

        Mirrors ``statseg_sw_interface_add_del`` (``src/vnet/interface_stats.c``) plus the counter
        validation and zeroing ``vnet_create_sw_interface`` does, so a reused sw_if_index starts at 0.
        """
        self.add_interfaces([(sw_if_index, name)])

    def add_interfaces(self, interfaces: Sequence[tuple[int, str]]) -> None:
        """Publish many interfaces under one lock (one epoch change), e.g. at start-up or in a bench.

        Bad input is rejected before anything is written. If the segment fills up part-way
        (:class:`StatsSegmentFullError`), the interfaces published so far (a prefix of the batch, each
        whole) stay published and readable.
        """
        self.update_interfaces((), interfaces)

    def remove_interface(self, sw_if_index: int) -> None:
        """Withdraw an interface: VPP frees its name (the slot becomes a NULL pointer, which readers skip)
        and removes its ``/interfaces/...`` symlinks; the counters stay until the index is reused."""
        self.update_interfaces((sw_if_index,), ())

    def update_interfaces(self, removed: Sequence[int], added: Sequence[tuple[int, str]]) -> None:
        """Withdraw ``removed``, then publish ``added``, under one lock: one epoch change for a whole
        batch of creations and deletions (an index may be in both: deleted, then reused).

        Everything is checked before the first write; a bad index or name changes nothing. When the
        segment has no room for all of ``added``, the withdrawals and what fits of ``added`` happen as
        in :meth:`update_interfaces_fitting`, then :class:`StatsSegmentFullError` is raised.
        """
        done = self.update_interfaces_fitting(removed, added)
        if done < len(added):
            raise StatsSegmentFullError(
                f"stats segment heap exhausted: {done} of {len(added)} interfaces published "
                f"({self._heap.free_bytes} bytes free); start the emulator with a larger stats segment"
            )

    def update_interfaces_fitting(
        self, removed: Sequence[int], added: Sequence[tuple[int, str]], *, probe: bool = False
    ) -> int:
        """Withdraw ``removed``, then publish as many of ``added`` as the segment has room for, in the
        order given, under one lock (one epoch change); returns how many were published (a prefix of
        ``added``).

        A batch that does not fit is halved until a part fits, and the rest is tried again in parts of
        that size, so one big burst is not all-or-nothing. With ``probe`` (the segment was full a moment
        ago) the first part is one interface and parts double while they fit, so finding that nothing
        fits costs one attempt. A part that does not fit leaves nothing a
        reader can see (no name without its counters and symlinks); at most the vectors have grown.
        Bad input (an unknown index to withdraw, an index published twice, a bad name) raises
        :class:`StatsSegmentError` before anything is written.
        """
        self._check_open()
        if not removed and not added:
            return 0
        gone: set[int] = set()
        for sw_if_index in removed:
            if sw_if_index not in self._if_names or sw_if_index in gone:
                raise StatsSegmentError(f"sw_if_index {sw_if_index} is not in /if/names")
            gone.add(sw_if_index)
        batch: set[int] = set()
        encoded: list[tuple[int, str, bytes]] = []
        names = self._if_names
        for sw_if_index, name in added:
            if sw_if_index < 0 or sw_if_index >= 0xFFFF_FFFF:
                raise StatsSegmentError(f"invalid sw_if_index {sw_if_index}")
            if (sw_if_index in names and sw_if_index not in gone) or sw_if_index in batch:
                raise StatsSegmentError(f"sw_if_index {sw_if_index} already has a name in /if/names")
            batch.add(sw_if_index)
            encoded.append((sw_if_index, name, _encode_name(name)))
        done = 0
        with self._locked():
            for sw_if_index in removed:
                self._withdraw(sw_if_index)
            chunk = 1 if probe else len(encoded)
            growing = probe
            # every failure halves the part, every success publishes one: bounded by len + log2(len)
            while done < len(encoded) and chunk:
                part = encoded[done : done + chunk]
                try:
                    self._publish(part)
                except StatsSegmentFullError:
                    chunk = len(part) // 2
                    growing = False
                    continue
                done += len(part)
                if growing:
                    chunk *= 2
        return done

    def _withdraw(self, sw_if_index: int) -> None:
        self._write_u64(self._names_vec.data + 8 * sw_if_index, 0)
        del self._if_names[sw_if_index]
        arena = self._if_name_arena.pop(sw_if_index)
        left = self._arena_refs[arena] - 1
        if left:
            self._arena_refs[arena] = left
        else:
            del self._arena_refs[arena]
            self._heap.free(arena)
        for entry in self._if_symlinks.pop(sw_if_index, ()):
            self._free_entry(entry)
        self._drop_symlink_names(sw_if_index)

    def _publish(self, interfaces: Sequence[tuple[int, str, bytes]]) -> None:
        """Publish whole entries or nothing: every allocation (directory room for the symlinks, the
        ``/if/*`` rows, ``/if/names`` and the names' block) comes before the first write a reader could
        act on, so :class:`StatsSegmentFullError` leaves at most grown vectors behind."""
        top = max(i for i, _, _ in interfaces)
        if self._symlinks_enabled:
            # at most one entry per leaf and interface (fewer when paths clash), most of all the memory
            needed = len(interfaces) * (len(SIMPLE_INTERFACE_COUNTERS) + len(COMBINED_INTERFACE_COUNTERS))
            self._reserve_entries(self._dir.length + max(0, needed - self._n_free_entries))
        # Cells past a row's old length have never been written (blocks come zeroed), so only reused
        # indices need clearing.
        reused_below = self._counters["/if/rx"].rows[0].length
        for cv in self._interface_counters():
            self._validate(cv, top)
        self._ensure_names_length(self._names_vec, top + 1)
        arena, image, layout = self._pack_names(interfaces)
        reused = [i for i, _, _ in interfaces if i < reused_below]
        if reused:
            self._zero_interfaces(reused)
        self._set_names(arena, image, layout)
        if self._symlinks_enabled:
            self._add_interface_symlinks([(i, name) for i, name, _ in interfaces])

    def add_traffic(
        self,
        sw_if_index: int,
        rx_packets: int,
        rx_bytes: int,
        tx_packets: int,
        tx_bytes: int,
        *,
        rx_unicast: bool = True,
        drops: int = 0,
        rx_errors: int = 0,
        tx_errors: int = 0,
    ) -> None:
        """Count traffic on one interface, as its rx/tx nodes would: ``/if/rx`` and ``/if/tx`` plus the
        unicast (or multicast) split, and drops and errors when given. One epoch change."""
        self._check_open()
        self._check_interface(sw_if_index)
        row = self._thread_of(sw_if_index)
        rx_split = "/if/rx-unicast" if rx_unicast else "/if/rx-multicast"
        with self._counter_update():
            self._bump_combined("/if/rx", row, sw_if_index, rx_packets, rx_bytes)
            self._bump_combined(rx_split, row, sw_if_index, rx_packets, rx_bytes)
            self._bump_combined("/if/tx", row, sw_if_index, tx_packets, tx_bytes)
            self._bump_combined("/if/tx-unicast", row, sw_if_index, tx_packets, tx_bytes)
            if drops:
                self._bump_simple("/if/drops", row, sw_if_index, drops)
            if rx_errors:
                self._bump_simple("/if/rx-error", row, sw_if_index, rx_errors)
            if tx_errors:
                self._bump_simple("/if/tx-error", row, sw_if_index, tx_errors)
        self._packets_since_tick[row] += rx_packets + tx_packets

    def add_traffic_bulk(self, rows: Iterable[TrafficRow]) -> int:
        """Count unicast traffic on many interfaces under one lock; returns how many rows were applied.

        Each row is ``(sw_if_index, rx_packets, rx_bytes, tx_packets, tx_bytes)``. Rows naming an
        interface that is not published are rejected before anything is written.
        """
        self._check_open()
        batch = list(rows)
        for row in batch:
            self._check_interface(row[0])
        combined = [self._counters[name] for name in ("/if/rx", "/if/rx-unicast", "/if/tx", "/if/tx-unicast")]
        views = [cv.views for cv in combined]
        bases = [[row.data for row in cv.rows] for cv in combined]
        buf = self._buf
        pair = bytearray(16)
        pack = _PAIR.pack_into
        packets = self._packets_since_tick
        workers = self._n_threads - 1
        with self._counter_update():
            for sw_if_index, rxp, rxb, txp, txb in batch:
                t = 1 + sw_if_index % workers if workers else 0
                i = 2 * sw_if_index
                for k, (p, b) in enumerate(((rxp, rxb), (rxp, rxb), (txp, txb), (txp, txb))):
                    view = views[k][t]
                    off = bases[k][t] + 8 * i
                    pack(pair, 0, (view[i] + p) & _MASK64, (view[i + 1] + b) & _MASK64)
                    buf[off : off + 16] = pair
                packets[t] += rxp + txp
        return len(batch)

    def set_counter(self, name: str, sw_if_index: int, value: int | tuple[int, int]) -> None:
        """Set one interface's counter (``/if/drops`` = int, ``/if/rx`` = (packets, bytes)); the value is
        put on the interface's thread and the other threads' cells are cleared, so the sum is ``value``."""
        self._check_open()
        cv = self._counters.get(name)
        if cv is None:
            raise StatsSegmentError(f"no counter vector named {name!r}", path=name)
        if sw_if_index < 0 or sw_if_index >= cv.rows[0].length:
            raise StatsSegmentError(f"{name} has no index {sw_if_index}", path=name)
        if cv.combined:
            if not isinstance(value, tuple):
                raise StatsSegmentError(f"{name} is a combined counter: give (packets, bytes)", path=name)
            cells: tuple[int, ...] = value
        else:
            if isinstance(value, tuple):
                raise StatsSegmentError(f"{name} is a simple counter: give one integer", path=name)
            cells = (value,)
        if any(c < 0 or c > _MASK64 for c in cells):
            raise StatsSegmentError(f"{name} value out of u64 range: {value!r}", path=name)
        home = self._thread_of(sw_if_index) if name.startswith("/if/") else 0
        with self._counter_update():
            for t, view in enumerate(cv.views):
                for k, cell in enumerate(cells):
                    view[cv.width * sw_if_index + k] = cell if t == home else 0

    def validate_combined(self, name: str, length: int) -> None:
        """``vlib_validate_combined_counter`` on a named vector (``/acl/<n>/matches``): create it with a
        row per thread, or grow every row to at least ``length`` elements."""
        self._check_open()
        with self._locked():
            cv = self._counters.get(name)
            if cv is None:
                self._new_counter(name, combined=True, rows=self._n_threads, length=length)
            elif length > 0:
                self._validate(cv, length - 1)

    def clear_combined(self, name: str) -> None:
        """``vlib_clear_combined_counters``: zero every thread's cells of a named vector."""
        self._check_open()
        cv = self._counters.get(name)
        if cv is None:
            return
        with self._locked():
            for row in cv.rows:
                self._buf[row.data : row.end] = bytes(row.end - row.data)

    def add_combined(
        self, name: str, index: int, packets: int, nbytes: int, *, thread_index: int = 0
    ) -> None:
        """Count ``packets``/``nbytes`` in one cell of a named combined vector
        (``vlib_increment_combined_counter``)."""
        self._check_open()
        cv = self._counters.get(name)
        if cv is None or not 0 <= index < cv.rows[thread_index].length:
            raise StatsSegmentError(f"{name} has no index {index}", path=name)
        with self._counter_update():
            self._bump_combined(name, thread_index, index, packets, nbytes)

    def zero_combined(self, name: str, index: int) -> None:
        """``vlib_zero_combined_counter``: zero one element of a named vector on every thread."""
        self._check_open()
        cv = self._counters.get(name)
        if cv is None or not 0 <= index < cv.rows[0].length:
            raise StatsSegmentError(f"{name} has no index {index}", path=name)
        with self._counter_update():
            for row in cv.rows:
                off = row.data + 16 * index
                self._buf[off : off + 16] = bytes(16)

    def combined(self, name: str) -> list[tuple[int, int]]:
        """A named combined vector summed over threads: ``[(packets, bytes), ...]``."""
        cv = self._counters.get(name)
        if cv is None:
            return []
        n = cv.rows[0].length
        out = [[0, 0] for _ in range(n)]
        for view in cv.views:
            for i in range(n):
                out[i][0] += view[2 * i]
                out[i][1] += view[2 * i + 1]
        return [(p & _MASK64, b & _MASK64) for p, b in out]

    def interface_counters(self, sw_if_index: int) -> list[tuple[str, tuple[int, ...]]]:
        """One interface's counters summed over threads, in VPP's order (combined first, then simple),
        as ``show interface`` reads them (``format_vnet_sw_interface_cntrs`` in
        ``src/vnet/interface_format.c``): ``[("rx", (packets, bytes)), ..., ("drops", (n,)), ...]``.
        An interface the segment has not published reads as all zeros."""
        out: list[tuple[str, tuple[int, ...]]] = []
        for name in (*COMBINED_INTERFACE_COUNTERS, *SIMPLE_INTERFACE_COUNTERS):
            cv = self._counters.get(f"/if/{name}")
            if cv is None:
                continue
            w = cv.width
            sums = [0] * w
            for view in cv.views:
                base = w * sw_if_index
                if base + w <= len(view):
                    for k in range(w):
                        sums[k] += view[base + k]
            out.append((name, tuple(s & _MASK64 for s in sums)))
        return out

    def register_errors(self, node: str, reasons: Sequence[str]) -> list[int]:
        """Declare a graph node's error counters; returns their columns in ``/node/errors``.

        Modelled on ``vlib_register_errors`` (``src/vlib/error.c``): ``/node/errors`` is one simple
        counter vector ``[thread][error]``, created when the first node declares errors, and each error
        gets a ``/err/<node>/<reason>`` symlink to its column. Registering a node again returns the
        columns it already has."""
        self._check_open()
        known = self._error_columns.setdefault(node, {})
        wanted = [reason for reason in reasons if reason not in known]
        with self._locked():
            cv = self._counters.get("/node/errors")
            if cv is None:
                cv = self._new_counter("/node/errors", combined=False, rows=self._n_threads, length=0)
            first = cv.rows[0].length
            if wanted:
                self._validate(cv, first + len(wanted) - 1)
                links = [
                    (
                        DirType.SYMLINK,
                        f"/err/{node}/{reason}"[: MAX_NAME_SZ - 1],
                        cv.entry | ((first + k) << 32),
                    )
                    for k, reason in enumerate(wanted)
                ]
                self._add_entries([link for link in links if link[1] not in self._by_name])
                for k, reason in enumerate(wanted):
                    known[reason] = first + k
        return [known[reason] for reason in reasons]

    def count_error(self, column: int, amount: int = 1, *, thread_index: int = 0) -> None:
        """Add to one ``/node/errors`` column on one thread (a node dropping ``amount`` buffers)."""
        self._check_open()
        cv = self._counters.get("/node/errors")
        if cv is None or not 0 <= column < cv.rows[0].length:
            raise StatsSegmentError(f"no error counter in column {column}", path="/node/errors")
        if not 0 <= thread_index < self._n_threads:
            raise StatsSegmentError(f"no thread {thread_index}", path="/node/errors")
        with self._counter_update():
            view = cv.views[thread_index]
            view[column] = (view[column] + amount) & _MASK64

    def clear_interface_counters(self) -> None:
        """``clear interfaces``: zero every ``/if/`` counter and stamp ``/sys/last_stats_clear``."""
        self._check_open()
        with self._locked():
            for cv in self._interface_counters():
                for row in cv.rows:
                    self._buf[row.data : row.end] = bytes(row.end - row.data)
        self._set_scalar("/sys/last_stats_clear", int(time.time()))

    def tick(self) -> None:
        """What VPP's ``statseg-collector-process`` does every update interval (``collector.c``):
        run the collectors (vector rate, loops, heap usage) and bump ``/sys/heartbeat``."""
        self._check_open()
        for fn in self._collectors:
            fn()
        now = time.monotonic()
        elapsed = max(now - self._last_tick, 1e-3)
        self._last_tick = now
        rates = []
        for t in range(self._n_threads):
            pps = self._packets_since_tick[t] / elapsed
            self._packets_since_tick[t] = 0
            # The emulator has no graph to measure; it derives a vector rate that rises with load and
            # stays in VPP's range (a frame holds at most 256 buffers).
            rates.append(min(256, int(pps / 10_000)))
        loops = [max(1, 10_000_000 // (1 + r)) for r in rates]
        self._set_row("/sys/vector_rate_per_worker", rates)
        self._set_row("/sys/loops_per_worker", loops)
        # init.c: the system average excludes the main thread when there are workers.
        n = self._n_threads
        self._set_scalar("/sys/vector_rate", sum(rates) // (n - 1 if n > 1 else 1))
        usage = [
            self._heap.capacity,
            self._heap.used_bytes,
            self._heap.free_bytes,
            0,
            self._heap.high_water,
            0,
            0,
        ]
        self._set_row(f"/mem/{STATS_HEAP_NAME}", usage)
        self._set_scalar("/sys/heartbeat", self._scalar("/sys/heartbeat") + 1)

    async def run_collector(self, interval_s: float = 10.0) -> None:
        """Call :meth:`tick` every ``interval_s`` until the segment is closed or the task cancelled;
        VPP's ``statseg { update-interval }`` defaults to 10 seconds (``init.c``: ``statseg_config``)."""
        while not self._closed:
            self.tick()
            await asyncio.sleep(interval_s)

    async def serve(self, socket_path: str) -> StatsSocketServer:
        """Listen on ``socket_path`` (SOCK_SEQPACKET, as VPP's ``stats_segment_socket_init``) and hand
        each connecting reader the memfd with SCM_RIGHTS, then close the connection."""
        self._check_open()
        server = await StatsSocketServer.start(socket_path, self._fd)
        self._servers.append(server)
        return server

    def close(self) -> None:
        """Stop serving and unmap; readers that already mapped the memfd keep their (now frozen) view."""
        if self._closed:
            return
        self._closed = True
        for server in self._servers:
            server.close()
        self._servers.clear()
        for cv in self._counters.values():
            for view in cv.views:
                view.release()
            cv.views.clear()
        self._buf.release()
        self._mm.close()
        os.close(self._fd)

    # ----------------------------------------------------------------------------------------------
    # the lock (stats.c: vlib_stats_segment_lock / vlib_stats_segment_unlock)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        if self._lock_depth == 0:
            self._write_u64(HDR_IN_PROGRESS_OFF, 1)
        self._lock_depth += 1
        try:
            yield
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0:
                self._write_u64(HDR_EPOCH_OFF, self.epoch + 1)
                self._write_u64(HDR_IN_PROGRESS_OFF, 0)

    def _counter_update(self) -> contextlib.AbstractContextManager[None]:
        """Counter writes take the lock (torn-free for readers, at the price of a directory refresh in
        every reader after each update) unless the segment was built to write in place as VPP does."""
        return self._locked() if self._counters_under_lock else contextlib.nullcontext()

    # ----------------------------------------------------------------------------------------------
    # directory

    def _publish_directory(self) -> None:
        self._write_u64(HDR_DIRECTORY_OFF, SEGMENT_BASE + self._dir.data)

    def _entry_offset(self, index: int) -> int:
        return self._dir.data + index * DIR_ENTRY_SIZE

    def _add_entries(self, entries: Sequence[tuple[DirType, str, int]]) -> list[int]:
        """Create directory entries, reusing freed slots first (``vlib_stats_create_counter``).

        Everything that can fail (a bad name, a directory that cannot grow) is checked before the first
        write, so a failure leaves the directory exactly as it was."""
        encoded: list[tuple[DirType, str, bytes, int]] = []
        fresh: set[str] = set()
        for kind, name, value in entries:
            if name in self._by_name or name in fresh:
                raise StatsSegmentError(f"stats entry {name!r} already exists", path=name)
            fresh.add(name)
            encoded.append((kind, name, _encode_name(name), value))
        return self._add_encoded_entries(encoded)

    def _add_encoded_entries(self, encoded: Sequence[tuple[DirType, str, bytes, int]]) -> list[int]:
        """:meth:`_add_entries` for names already checked: unique, new, ASCII and short enough."""
        indices = self._add_raw_entries([(kind, raw, value) for kind, _, raw, value in encoded])
        by_name = self._by_name
        for (_, name, _, _), index in zip(encoded, indices, strict=True):
            by_name[name] = index
        return indices

    def _add_raw_entries(self, encoded: Sequence[tuple[DirType, bytes, int]]) -> list[int]:
        """Write directory entries (freed slots first, then appended); names are the caller's business."""
        packed = bytearray(DIR_ENTRY_SIZE * len(encoded))
        for k, (kind, raw, value) in enumerate(encoded):
            DIR_ENTRY.pack_into(packed, k * DIR_ENTRY_SIZE, kind, value, raw)
        return self._add_packed_entries(packed)

    def _add_packed_entries(self, packed: bytes | bytearray) -> list[int]:
        """Write already packed ``vlib_stats_entry_t`` images: into freed slots first
        (``vlib_stats_create_counter`` reuses them), the rest appended in one copy."""
        count = len(packed) // DIR_ENTRY_SIZE
        n_append = max(0, count - self._n_free_entries)
        if n_append:
            self._reserve_entries(self._dir.length + n_append)
        indices: list[int] = []
        k = 0
        mm = self._mm
        while k < count and self._first_free_entry is not None:
            index = self._first_free_entry
            off = self._entry_offset(index)
            nxt = _U64.unpack_from(mm, off + DIR_ENTRY_VALUE_OFF)[0]
            self._first_free_entry = None if nxt == 0xFFFF_FFFF else int(nxt)
            self._n_free_entries -= 1
            mm[off : off + DIR_ENTRY_SIZE] = packed[k * DIR_ENTRY_SIZE : (k + 1) * DIR_ENTRY_SIZE]
            indices.append(index)
            k += 1
        if k < count:
            first = self._dir.length
            start = self._entry_offset(first)
            rest = packed[k * DIR_ENTRY_SIZE :]
            self._buf[start : start + len(rest)] = rest
            self._dir.length = first + count - k
            write_header(self._buf, self._dir)
            indices.extend(range(first, first + count - k))
        return indices

    def _reserve_entries(self, length: int) -> None:
        """Make room for ``length`` entries; a directory that moves is republished in the header."""
        if length <= self._dir.capacity:
            return
        old = self._dir
        moved = regrow(self._heap, self._buf, old, length)
        moved.length = old.length
        write_header(self._buf, moved)
        self._dir = moved
        self._publish_directory()
        self._heap.free(old.block)

    def _remove_entry(self, index: int) -> None:
        """``vlib_stats_remove_entry``: the slot becomes EMPTY and joins the free chain via its value."""
        off = self._entry_offset(index)
        name = DIR_ENTRY.unpack_from(self._mm, off)[2].split(b"\0", 1)[0].decode("ascii")
        self._by_name.pop(name, None)
        self._free_entry(index)

    def _free_entry(self, index: int) -> None:
        """Empty a slot whose name is not in ``_by_name`` (symlinks) and chain it as free."""
        off = self._entry_offset(index)
        nxt = 0xFFFF_FFFF if self._first_free_entry is None else self._first_free_entry
        DIR_ENTRY.pack_into(self._mm, off, DirType.EMPTY, nxt, b"")
        self._first_free_entry = index
        self._n_free_entries += 1

    def _scalar(self, name: str) -> int:
        return int(
            _U64.unpack_from(self._mm, self._entry_offset(self._by_name[name]) + DIR_ENTRY_VALUE_OFF)[0]
        )

    def _set_scalar(self, name: str, value: int) -> None:
        self._write_u64(self._entry_offset(self._by_name[name]) + DIR_ENTRY_VALUE_OFF, value & _MASK64)

    # ----------------------------------------------------------------------------------------------
    # counter vectors

    def _bootstrap(self) -> None:
        """The entries VPP creates before any interface exists (``init.c``, ``provider_mem.c``,
        ``threads.c``), then the ``/if/`` counter vectors ``vnet_interface_init`` registers."""
        with self._locked():
            self._add_entries([(DirType.SCALAR_INDEX, name, 0) for name in FIXED_SCALARS])
            boot = int(time.time())
            self._set_scalar("/sys/boottime", boot)
            self._set_scalar("/sys/last_stats_clear", boot)
            mem = f"/mem/{STATS_HEAP_NAME}"
            self._new_counter(mem, combined=False, rows=1, length=len(MEM_COUNTERS))
            mem_entry = self._by_name[mem]
            self._add_entries(
                [
                    (DirType.SYMLINK, f"{mem}/{leaf}", mem_entry | (MEM_COUNTERS.index(leaf) << 32))
                    for leaf in ("total", "used", "free")
                ]
            )
            self._add_entries([(DirType.GAUGE, "/sys/vector_rate", 0)])
            self._new_counter(
                "/sys/vector_rate_per_worker", combined=False, rows=1, length=self._n_threads + 1
            )
            self._new_counter("/sys/loops_per_worker", combined=False, rows=1, length=self._n_threads + 1)
            self._add_entries([(DirType.GAUGE, "/sys/num_worker_threads", self._n_threads - 1)])
            for leaf in SIMPLE_INTERFACE_COUNTERS:
                self._new_counter(f"/if/{leaf}", combined=False, rows=self._n_threads, length=0)
            for leaf in COMBINED_INTERFACE_COUNTERS:
                self._new_counter(f"/if/{leaf}", combined=True, rows=self._n_threads, length=0)
            names = new_vector(
                self._heap, self._buf, 8, 0, 64, user_header=STRING_VECTOR_USER_HEADER, align=8
            )
            (index,) = self._add_entries([(DirType.NAME_VECTOR, "/if/names", SEGMENT_BASE + names.data)])
            # vlib_stats_header_t.entry_index, in the user header in front of the vector.
            _U32.pack_into(self._mm, names.data - names.header_bytes, index)
            self._names_vec = names

    def _new_counter(self, name: str, *, combined: bool, rows: int, length: int) -> _CounterVector:
        threads = new_vector(self._heap, self._buf, 8, rows, rows, align=CACHE_LINE)
        elt = 16 if combined else 8
        row_vecs = [
            new_vector(self._heap, self._buf, elt, length, length, align=CACHE_LINE) for _ in range(rows)
        ]
        for t, row in enumerate(row_vecs):
            self._write_u64(threads.data + 8 * t, SEGMENT_BASE + row.data)
        (entry,) = self._add_entries(
            [
                (
                    DirType.COUNTER_VECTOR_COMBINED if combined else DirType.COUNTER_VECTOR_SIMPLE,
                    name,
                    SEGMENT_BASE + threads.data,
                )
            ]
        )
        cv = _CounterVector(entry, combined, threads, row_vecs)
        cv.views = [self._row_view(cv, row) for row in row_vecs]
        self._counters[name] = cv
        return cv

    def _row_view(self, cv: _CounterVector, row: SegmentVector) -> memoryview:
        return self._buf[row.data : row.data + row.capacity * row.elt_size].cast("Q")

    def _interface_counters(self) -> list[_CounterVector]:
        return [cv for name, cv in self._counters.items() if name.startswith("/if/")]

    def _validate(self, cv: _CounterVector, index: int) -> None:
        """``vlib_stats_validate``: every thread's row gets at least ``index + 1`` elements; a row that
        is full moves to a bigger block and its new address is published in the thread vector."""
        for t, row in enumerate(cv.rows):
            if index < row.length:
                continue
            if index < row.capacity:
                row.length = index + 1
                write_header(self._buf, row)
                continue
            moved = regrow(self._heap, self._buf, row, index + 1)
            cv.views[t].release()
            cv.rows[t] = moved
            cv.views[t] = self._row_view(cv, moved)
            self._write_u64(cv.threads.data + 8 * t, SEGMENT_BASE + moved.data)
            self._heap.free(row.block)

    def _zero_interfaces(self, indices: Sequence[int]) -> None:
        for cv in self._interface_counters():
            w = cv.width
            for view in cv.views:
                for sw_if_index in indices:
                    i = w * sw_if_index
                    view[i] = 0
                    if w == 2:
                        view[i + 1] = 0

    def _bump_combined(self, name: str, row: int, index: int, packets: int, nbytes: int) -> None:
        """Packets and bytes go out in one 16-byte copy (one aligned vector store on x86_64), so even a
        reader that ignores the epoch sees the pair change together."""
        cv = self._counters[name]
        view = cv.views[row]
        i = 2 * index
        off = cv.rows[row].data + 16 * index
        self._buf[off : off + 16] = _PAIR.pack(
            (view[i] + packets) & _MASK64, (view[i + 1] + nbytes) & _MASK64
        )

    def _bump_simple(self, name: str, row: int, index: int, amount: int) -> None:
        view = self._counters[name].views[row]
        view[index] = (view[index] + amount) & _MASK64

    def _set_row(self, name: str, values: Sequence[int]) -> None:
        """Write row 0 of a one-row gauge vector in place (collector functions do not lock)."""
        view = self._counters[name].views[0]
        for i, v in enumerate(values):
            view[i] = v & _MASK64

    def _thread_of(self, sw_if_index: int) -> int:
        workers = self._n_threads - 1
        return 1 + sw_if_index % workers if workers else 0

    # ----------------------------------------------------------------------------------------------
    # /if/names and /interfaces/ symlinks

    def _ensure_names_length(self, names: SegmentVector, length: int) -> None:
        if length <= names.length:
            return
        if length <= names.capacity:
            names.length = length
            write_header(self._buf, names)
            return
        moved = regrow(self._heap, self._buf, names, length, user_header=STRING_VECTOR_USER_HEADER)
        entry = self._by_name["/if/names"]
        self._write_u64(self._entry_offset(entry) + DIR_ENTRY_VALUE_OFF, SEGMENT_BASE + moved.data)
        self._heap.free(names.block)
        self._names_vec = moved

    def _pack_names(
        self, interfaces: Sequence[tuple[int, str, bytes]]
    ) -> tuple[int, bytearray, list[tuple[int, str, int]]]:
        """Allocate one heap block for a batch's ``/if/names`` strings and build its image: each name as
        its own NUL-terminated ``u8`` vector (what ``/if/names`` slots point to, as
        ``vlib_stats_set_string_vector`` makes them). Nothing is written yet.

        One allocation per batch instead of one per name; the block is freed when its last name is."""
        layout: list[tuple[int, str, int]] = []
        pos = 0
        for sw_if_index, name, raw in interfaces:
            layout.append((sw_if_index, name, pos))
            pos += _round8(VEC_HEADER_SIZE + len(raw) + 1)
        arena = self._heap.alloc(pos)
        image = bytearray(pos)
        for (_, _, raw), (_, _, at) in zip(interfaces, layout, strict=True):
            n = len(raw) + 1
            image[at : at + VEC_HEADER_SIZE] = vec_header_words(n, VEC_HEADER_SIZE, 3, 0)
            image[at + VEC_HEADER_SIZE : at + VEC_HEADER_SIZE + n - 1] = raw
        return arena, image, layout

    def _set_names(self, arena: int, image: bytearray, layout: Sequence[tuple[int, str, int]]) -> None:
        """Write a batch's names block (from :meth:`_pack_names`), then point the slots at it."""
        pointers = self._mm
        slots = self._names_vec.data
        base = SEGMENT_BASE + arena + VEC_HEADER_SIZE
        names = self._if_names
        owner = self._if_name_arena
        self._buf[arena : arena + len(image)] = image
        # pointers last: a slot never names a string that is not written yet
        for sw_if_index, name, at in layout:
            names[sw_if_index] = name
            owner[sw_if_index] = arena
            _U64.pack_into(pointers, slots + 8 * sw_if_index, base + at)
        self._arena_refs[arena] = len(layout)

    def _add_interface_symlinks(self, interfaces: Sequence[tuple[int, str]]) -> None:
        """``/interfaces/<name with / as _>/<counter>`` -> (counter entry, sw_if_index), for every simple
        then combined counter, as ``statseg_sw_interface_add_del`` (``src/vnet/interface/stats.c``)
        creates them.

        The usual case -- a prefix no other interface uses, every path within VPP's 127 bytes -- packs
        the interface's 17 entries from cached pieces and remembers only the prefix. A clash (two
        names that map to one path, e.g. ``a/b`` and ``a_b``) or an over-long path goes path by path and
        keeps the first link, as VPP's does."""
        leaves = self._symlink_leaves()
        fast = self._symlink_prefixes
        odd = self._symlink_odd
        limit = MAX_NAME_SZ - 1
        room = limit - max(len(leaf) for leaf, _, _ in leaves)
        # An entry is <kind u32, pad, value u64 = entry | sw_if_index << 32, name[128]> (DIR_ENTRY), so
        # it is four byte strings: (kind, pad, entry) fixed per leaf, the sw_if_index, the path prefix,
        # and the leaf padded to fill the name -- joined once for the whole batch.
        heads = [
            DIR_ENTRY.pack(DirType.SYMLINK, entry, b"")[: DIR_ENTRY_VALUE_OFF + 4] for _, _, entry in leaves
        ]
        tails_by_len: dict[int, list[tuple[bytes, bytes]]] = {}
        chunks: list[bytes] = []
        owners: list[tuple[int, int, str | None, list[str]]] = []
        for sw_if_index, name in interfaces:
            prefix = f"/interfaces/{symlink_component(name)}/"
            column = sw_if_index << 32
            if (
                len(prefix) <= room
                and prefix not in fast
                and (not odd or not self._odd_clash(prefix, leaves))
            ):
                head = prefix.encode("ascii")
                pairs = tails_by_len.get(len(head))
                if pairs is None:
                    fill = MAX_NAME_SZ - len(head)
                    pairs = tails_by_len[len(head)] = [
                        (fixed, raw_leaf.ljust(fill, b"\0"))
                        for fixed, (_, raw_leaf, _) in zip(heads, leaves, strict=True)
                    ]
                index = _LE32.pack(sw_if_index)
                chunks += [part for fixed, tail in pairs for part in (fixed, index, head, tail)]
                fast[prefix] = sw_if_index
                owners.append((sw_if_index, len(leaves), prefix, []))
                continue
            kept: list[str] = []
            rows: list[tuple[DirType, bytes, int]] = []
            for leaf, _, entry in leaves:
                path = (prefix + leaf)[:limit]  # vlib_stats_set_entry_name keeps 127 bytes
                if path in odd or path in kept or self._fast_owner(path, leaves) is not None:
                    continue
                kept.append(path)
                rows.append((DirType.SYMLINK, path.encode("ascii"), entry | column))
            odd.update(kept)
            packed = bytearray(DIR_ENTRY_SIZE * len(rows))
            for k, (kind, raw, value) in enumerate(rows):
                DIR_ENTRY.pack_into(packed, k * DIR_ENTRY_SIZE, kind, value, raw)
            chunks.append(bytes(packed))
            owners.append((sw_if_index, len(rows), None, kept))
        try:
            indices = self._add_packed_entries(b"".join(chunks))
        except Exception:
            for _, _, owned, kept in owners:
                if owned is not None:
                    fast.pop(owned, None)
                odd.difference_update(kept)
            raise
        at = 0
        for sw_if_index, n, owned, kept in owners:
            self._if_symlinks[sw_if_index] = indices[at : at + n]
            self._if_symlink_names[sw_if_index] = (owned, kept)
            at += n

    def _drop_symlink_names(self, sw_if_index: int) -> None:
        prefix, kept = self._if_symlink_names.pop(sw_if_index, (None, []))
        if prefix is not None:
            self._symlink_prefixes.pop(prefix, None)
        self._symlink_odd.difference_update(kept)

    def _symlink_leaves(self) -> list[tuple[str, bytes, int]]:
        """(counter leaf, its bytes, its directory entry) in VPP's order: simple then combined."""
        return [
            (leaf, leaf.encode("ascii"), self._counters[f"/if/{leaf}"].entry)
            for leaf in (*SIMPLE_INTERFACE_COUNTERS, *COMBINED_INTERFACE_COUNTERS)
        ]

    def _odd_clash(self, prefix: str, leaves: Sequence[tuple[str, bytes, int]]) -> bool:
        return any(prefix + leaf in self._symlink_odd for leaf, _, _ in leaves)

    def _fast_owner(self, path: str, leaves: Sequence[tuple[str, bytes, int]]) -> int | None:
        """The interface whose usual-case symlinks include ``path``, if any."""
        for leaf, _, _ in leaves:
            if path.endswith("/" + leaf):
                owner = self._symlink_prefixes.get(path[: len(path) - len(leaf)])
                if owner is not None:
                    return owner
        return None

    # ----------------------------------------------------------------------------------------------
    # helpers

    def _write_u64(self, offset: int, value: int) -> None:
        _U64.pack_into(self._mm, offset, value)

    def _check_open(self) -> None:
        if self._closed:
            raise StatsSegmentError("stats segment is closed")

    def _check_interface(self, sw_if_index: int) -> None:
        if sw_if_index not in self._if_names:
            raise StatsSegmentError(f"sw_if_index {sw_if_index} is not a published interface")
