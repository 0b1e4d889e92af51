"""Crash-safe persistence of committed configuration: an append-only journal plus atomic snapshots.

Why this shape: writing the whole datastore on every commit does not scale (10,000 sub-interfaces are
megabytes and one fsynced write costs ~11 ms here), so a commit appends only its
:class:`~agent.datastore.changes.Change` list to a journal segment and is acknowledged once that append
is fsynced. Commits that arrive together share one fsync (group commit, :meth:`Journal.sync`). Every so
often the whole running configuration is written as a snapshot (temporary file, fsync, rename, fsync of
the directory) and a new journal segment starts; the previous snapshot and its segment are kept, so a
damaged newest snapshot falls back to the older one plus the journal instead of to an empty config.

Files in ``data_dir``::

    snapshot-<N>.snap    running as of commit N, plus the recent commit history (checkpoints)
    journal-<N>.log      commits N+1, N+2, ... appended after snapshot N (journal-0 starts from empty)
    startup.snap         the startup datastore (RFC 6241 :startup), its own file; startup.prev.snap
                         is the copy it replaced

Every record and every snapshot section is framed as ``magic, length, CRC32, payload``. A frame that is
cut short or fails its CRC at the end of the newest segment is a torn tail: the write was never
acknowledged (acknowledgement follows fsync), so it is dropped -- its bytes are kept beside the journal
and the drop is reported. Damage anywhere else (a snapshot, the middle of the chain) is reported and,
unless an older good copy covers it, stops the load with :class:`PersistenceError` rather than
starting from an empty configuration.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import struct
import time
import zlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import libyang
import orjson

from agent.datastore.changes import Change
from agent.errors import AgentError
from agent.model import ModelSet

log = logging.getLogger(__name__)

RECORD_MAGIC = b"BJR1"
SNAP_MAGIC = b"BSN1"
_HEADER = struct.Struct(">4sII")  # magic, payload length, crc32(payload)
MAX_FRAME = 1 << 31  # a length beyond this is damage, not data

_SNAP_RE = re.compile(r"^snapshot-(\d{20})\.snap$")
_SEG_RE = re.compile(r"^journal-(\d{20})\.log$")
STARTUP_FILE = "startup.snap"
STARTUP_PREV_FILE = "startup.prev.snap"


class PersistenceError(AgentError):
    """Persisted configuration is damaged beyond what an older good copy can cover, or a write failed."""

    default_tag = "operation-failed"


@dataclass
class CommitRecord:
    """Metadata of one committed transaction (what ``list_checkpoints`` and audit logs show).

    ``kind``: ``commit`` (candidate or running edit), ``rollback`` (to a checkpoint), ``revert`` (a
    confirmed commit rolled back by timeout, cancel-commit or session loss). ``confirmed`` marks a
    confirmed commit still waiting for its confirming commit when it was recorded.
    """

    id: int
    time: float
    user: str
    origin: str
    comment: str | None = None
    confirmed: bool = False
    kind: str = "commit"
    session_id: int | None = None
    change_count: int = 0
    rollback_to: int | None = None
    noop: bool = False
    # the parts of the change the agent stores but does not apply yet (agent.datastore.unapplied):
    # [{"path": data path, "feature": ..., "reason": ...}]; the commit reply warns about each
    not_applied: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> CommitRecord:
        known = {k: obj[k] for k in cls.__dataclass_fields__ if k in obj}
        return cls(**known)


HistoryEntry = tuple[CommitRecord, list[Change]]


@dataclass
class LoadedState:
    """What :meth:`Journal.load` found: the last committed configuration and how it got there."""

    running_json: str | None
    startup_json: str | None
    last_commit_id: int
    history: list[HistoryEntry] = field(default_factory=list)
    # Id of the commit to return to if a confirmed commit was pending when the agent stopped
    # (RFC 6241 8.4.1: a reboot before confirmation restores the configuration from before it).
    pending_confirmed_base: int | None = None
    problems: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------- framing


def frame(payload: bytes, magic: bytes = RECORD_MAGIC) -> bytes:
    return _HEADER.pack(magic, len(payload), zlib.crc32(payload)) + payload


class FrameError(Exception):
    """A frame is cut short or damaged; ``offset`` is where it starts."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"offset {offset}: {reason}")
        self.offset = offset
        self.reason = reason


def read_frames(data: bytes, magic: bytes = RECORD_MAGIC) -> tuple[list[bytes], FrameError | None]:
    """Split ``data`` into payloads; stop at the first bad frame and return the error with it."""
    out: list[bytes] = []
    pos = 0
    view = memoryview(data)
    while pos < len(data):
        if len(data) - pos < _HEADER.size:
            return out, FrameError(pos, "truncated frame header")
        got_magic, length, crc = _HEADER.unpack_from(view, pos)
        if got_magic != magic:
            return out, FrameError(pos, "bad frame magic")
        if length > MAX_FRAME:
            return out, FrameError(pos, "implausible frame length")
        start = pos + _HEADER.size
        if start + length > len(data):
            return out, FrameError(pos, "truncated frame payload")
        payload = bytes(view[start : start + length])
        if zlib.crc32(payload) != crc:
            return out, FrameError(pos, "CRC mismatch")
        out.append(payload)
        pos = start + length
    return out, None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, parts: list[bytes], *, keep_previous: Path | None = None) -> None:
    """Replace ``path`` with ``parts`` so a crash leaves either the old or the new file, never a mix.

    temp file in the same directory, fsync, (optionally hard-link the old file to ``keep_previous``),
    rename over ``path``, fsync the directory so the rename itself is durable.
    """
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for part in parts:
            view = memoryview(part)
            while view:
                n = os.write(fd, view)
                view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)
    if keep_previous is not None and path.exists():
        prev_tmp = keep_previous.with_name(keep_previous.name + ".tmp")
        with contextlib.suppress(FileNotFoundError):
            prev_tmp.unlink()
        os.link(path, prev_tmp)
        os.replace(prev_tmp, keep_previous)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def encode_entry(record: CommitRecord, changes: list[Change]) -> bytes:
    """The journal payload of one commit (what :meth:`Journal.write` writes; large commits encode it in a
    worker thread and pass it in)."""
    return _encode_entry(record, changes)


def _encode_entry(record: CommitRecord, changes: list[Change]) -> bytes:
    obj = {"record": record.to_json(), "changes": [c.to_json() for c in changes]}
    return orjson.dumps(obj)  # 20x faster than json for a 10,000-entry change list


def _decode_entry(payload: bytes) -> HistoryEntry:
    obj = orjson.loads(payload)
    return CommitRecord.from_json(obj["record"]), [Change.from_json(c) for c in obj["changes"]]


def encode_snapshot(
    last_commit_id: int,
    running_json: str,
    history: list[HistoryEntry],
    encoded: dict[int, bytes] | None = None,
) -> list[bytes]:
    """The sections of a snapshot file: header, running (JSON-IETF), history (one frame per entry).

    ``encoded`` maps commit ids to the payloads the journal already wrote for them, so a snapshot
    does not re-encode the (possibly large) change lists of recent commits.
    """
    header = {
        "format": "bng-agent-snapshot",
        "version": 1,
        "last_commit_id": last_commit_id,
        "time": time.time(),
    }
    cache = encoded or {}
    hist = b"".join(frame(cache.get(r.id) or _encode_entry(r, ch)) for r, ch in history)
    return [
        frame(json.dumps(header).encode(), SNAP_MAGIC),
        frame(running_json.encode(), SNAP_MAGIC),
        frame(hist, SNAP_MAGIC),
    ]


def decode_snapshot(data: bytes) -> tuple[int, str, list[HistoryEntry], list[bytes]]:
    """Parse a snapshot file; raise :class:`FrameError` if it is damaged in any way.

    Returns the commit id, running JSON, the history and the history entries' encoded payloads."""
    payloads, err = read_frames(data, SNAP_MAGIC)
    if err is not None:
        raise err
    if len(payloads) != 3:
        raise FrameError(0, f"snapshot has {len(payloads)} sections, expected 3")
    header = json.loads(payloads[0])
    if header.get("format") != "bng-agent-snapshot":
        raise FrameError(0, "not a bng-agent snapshot")
    entries, err = read_frames(payloads[2])
    if err is not None:
        raise err
    hist = [_decode_entry(e) for e in entries]
    return int(header["last_commit_id"]), payloads[1].decode(), hist, entries


def _cut_tail(path: Path, data: bytes, good_end: int, why: str) -> str:
    """Keep the bytes after ``good_end`` in a side file, then truncate ``path`` there (durably)."""
    side = path.with_name(path.name + f".{why}-{int(time.time() * 1000)}")
    side.write_bytes(data[good_end:])
    with open(path, "r+b") as fh:
        fh.truncate(good_end)
        os.fsync(fh.fileno())
    return side.name


def _abandon(paths: Iterable[Path]) -> list[str]:
    """Rename segments that can no longer be chained (recover_partial) so nothing replays them."""
    notes = []
    for path in paths:
        kept = path.with_name(path.name + f".abandoned-{int(time.time() * 1000)}")
        os.replace(path, kept)
        notes.append(f"journal {path.name} cannot be chained any more; kept as {kept.name}")
    return notes


class Journal:
    """Durable store of committed configuration for one data directory (one agent process owns it)."""

    def __init__(
        self,
        data_dir: Path,
        model: ModelSet,
        *,
        snapshot_every: int = 500,
        snapshot_min_bytes: int = 4 << 20,
        fsync: bool = True,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.model = model
        self.snapshot_every = snapshot_every
        self.snapshot_min_bytes = snapshot_min_bytes
        self.do_fsync = fsync
        self._fd: int | None = None
        self._segment_base = 0
        self._dir_dirty = False  # a new segment file exists whose directory entry is not yet fsynced
        self._written_seq = 0  # records handed to write()
        self._synced_seq = 0  # records known durable
        self._synced_size = 0  # segment size up to the last durable record
        self._size = 0
        self._sync_task: asyncio.Future[None] | None = None
        self._failed: BaseException | None = None
        self._records_since_snapshot = 0
        self._bytes_since_snapshot = 0
        self._last_snapshot_bytes = 0
        self._last_id = 0
        self._snapshot_task: asyncio.Task[None] | None = None
        self.fsync_count = 0
        self.problems: list[str] = []
        # payloads of recent records, reused by snapshots (pruned to the history passed to snapshot())
        self._encoded: dict[int, bytes] = {}

    # ----------------------------------------------------------------------------------------- loading

    def load(self, *, recover_partial: bool = False) -> LoadedState:
        """Read what was last committed and open the journal for appending.

        ``recover_partial``: when the chain is broken in the middle (damage an older copy cannot
        cover), start from the last good commit before the damage instead of refusing to start.
        """
        if not self.data_dir.is_dir():
            self.data_dir.mkdir(parents=True)
            if self.do_fsync:
                _fsync_dir(self.data_dir.parent)  # the new directory's own entry must survive a crash
        problems: list[str] = []
        for stale in self.data_dir.glob("*.tmp"):
            stale.unlink()
        snaps = sorted(
            ((int(m.group(1)), p) for p in self.data_dir.iterdir() if (m := _SNAP_RE.match(p.name))),
            reverse=True,
        )
        segments = sorted(
            (int(m.group(1)), p) for p in self.data_dir.iterdir() if (m := _SEG_RE.match(p.name))
        )
        base_id = 0
        running_json: str | None = None
        history: list[HistoryEntry] = []
        found_snapshot = False
        for snap_id, path in snaps:
            try:
                got_id, running_json, history, hist_payloads = decode_snapshot(path.read_bytes())
                if got_id != snap_id:
                    raise FrameError(0, f"names commit {got_id}, file name says {snap_id}")
            except (FrameError, ValueError, KeyError, UnicodeDecodeError) as exc:
                kept = path.with_name(path.name + f".corrupt-{int(time.time())}")
                os.replace(path, kept)
                problems.append(f"snapshot {path.name} is damaged ({exc}); kept as {kept.name}")
                running_json, history = None, []
                continue
            base_id, found_snapshot = snap_id, True
            self._encoded.update(zip((r.id for r, _ in history), hist_payloads, strict=True))
            self._last_snapshot_bytes = path.stat().st_size
            break
        if not found_snapshot and snaps and not any(b == 0 for b, _ in segments):
            raise PersistenceError(
                "no intact snapshot and no journal from an empty configuration: refusing to start "
                "with an empty configuration; " + "; ".join(problems)
            )

        usable = [(b, p) for b, p in segments if b >= base_id]
        last_id = base_id
        replay: list[HistoryEntry] = []
        tail_base = base_id
        tail_size = 0
        for index, (seg_base, path) in enumerate(usable):
            is_last = index == len(usable) - 1
            if seg_base != last_id:
                msg = f"journal {path.name} starts after commit {seg_base} but the chain ends at {last_id}"
                if recover_partial:
                    problems.append(msg + "; stopped there (recover_partial)")
                    problems.extend(_abandon(p for _b, p in usable[index:]))
                    break
                raise PersistenceError(msg + "; commits are missing", info={"problems": "; ".join(problems)})
            data = path.read_bytes()
            payloads, err = read_frames(data)
            good_end = 0
            for payload in payloads:
                try:
                    record, changes = _decode_entry(payload)
                except (ValueError, KeyError, TypeError) as exc:
                    err = FrameError(good_end, f"undecodable record ({exc})")
                    break
                if record.id != last_id + 1:
                    err = FrameError(good_end, f"record id {record.id} does not follow {last_id}")
                    break
                replay.append((record, changes))
                self._encoded[record.id] = payload
                last_id = record.id
                good_end += _HEADER.size + len(payload)
            if err is not None:
                if is_last:
                    side_name = _cut_tail(path, data, good_end, "torn")
                    problems.append(
                        f"dropped an unacknowledged torn tail of {path.name} at {err} "
                        f"({len(data) - good_end} bytes kept in {side_name})"
                    )
                elif recover_partial:
                    side_name = _cut_tail(path, data, good_end, "damaged")
                    problems.append(
                        f"journal {path.name} damaged at {err}; stopped there (recover_partial), "
                        f"the rest kept in {side_name}"
                    )
                    problems.extend(_abandon(p for _b, p in usable[index + 1 :]))
                    tail_base, tail_size = seg_base, good_end
                    break
                else:
                    raise PersistenceError(
                        f"journal {path.name} is damaged at {err}; later commits depend on it"
                    )
            tail_base, tail_size = seg_base, good_end if err is not None else len(data)

        if replay:
            running_json = self._replay(running_json, replay)
        history = history + replay

        pending_base: int | None = None
        for record, _changes in history:
            if record.kind == "commit" and record.confirmed:
                if pending_base is None:
                    pending_base = record.id - 1
            else:
                pending_base = None

        startup_json = self._load_startup(problems)
        for p in problems:
            log.warning("persistence: %s", p)
        self.problems = problems
        self._last_id = last_id
        self._open_segment(tail_base, tail_size)
        self._records_since_snapshot = len(replay)
        self._bytes_since_snapshot = tail_size
        return LoadedState(
            running_json=running_json,
            startup_json=startup_json,
            last_commit_id=last_id,
            history=history,
            pending_confirmed_base=pending_base,
            problems=problems,
        )

    def _replay(self, running_json: str | None, entries: list[HistoryEntry]) -> str:
        from agent.datastore.diff import apply_changes
        from agent.datastore.tree import DataTree

        ctx = self.model.ctx
        try:
            tree = (
                DataTree.parse(ctx, running_json, "json", validate=False) if running_json else DataTree(ctx)
            )
        except AgentError as exc:
            # e.g. the YANG set changed incompatibly since the snapshot: say so instead of starting empty
            raise PersistenceError(
                f"the snapshot does not parse with the loaded YANG modules: {exc}"
            ) from exc
        try:
            for record, changes in entries:
                try:
                    apply_changes(tree, changes)
                except (AgentError, libyang.LibyangError) as exc:
                    raise PersistenceError(
                        f"cannot replay commit {record.id} from the journal: {exc}"
                    ) from exc
            return tree.print("json", with_defaults="explicit")
        finally:
            tree.close()

    def _load_startup(self, problems: list[str]) -> str | None:
        for name in (STARTUP_FILE, STARTUP_PREV_FILE):
            path = self.data_dir / name
            if not path.exists():
                continue
            payloads, err = read_frames(path.read_bytes(), SNAP_MAGIC)
            if err is None and len(payloads) == 2:
                if name != STARTUP_FILE:
                    problems.append(f"using the previous startup copy {name}")
                return payloads[1].decode()
            problems.append(f"startup file {name} is damaged ({err or 'wrong section count'})")
        if (self.data_dir / STARTUP_FILE).exists():
            raise PersistenceError(
                "startup datastore damaged and no intact previous copy: " + "; ".join(problems)
            )
        return None

    # ----------------------------------------------------------------------------------------- segments

    def _segment_path(self, base: int) -> Path:
        return self.data_dir / f"journal-{base:020d}.log"

    def _snapshot_path(self, base: int) -> Path:
        return self.data_dir / f"snapshot-{base:020d}.snap"

    def _open_segment(self, base: int, size: int) -> None:
        path = self._segment_path(base)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        # The first sync also fsyncs the directory: the segment may be new, or (after a crash) its
        # directory entry may never have been made durable.
        self._dir_dirty = True
        self._segment_base = base
        self._size = self._synced_size = size

    def _require_open(self) -> int:
        if self._fd is None:
            raise PersistenceError("journal is not open (call load() first)")
        if self._failed is not None:
            raise PersistenceError(f"persistence failed earlier ({self._failed}); restart required")
        return self._fd

    @property
    def last_id(self) -> int:
        return self._last_id

    # ----------------------------------------------------------------------------------------- appending

    def write(self, record: CommitRecord, changes: list[Change], *, payload: bytes | None = None) -> None:
        """Hand one committed record to the OS (no fsync yet); :meth:`sync` makes it durable."""
        fd = self._require_open()
        if record.id != self._last_id + 1:
            raise PersistenceError(f"commit id {record.id} does not follow {self._last_id}")
        if payload is None:
            payload = _encode_entry(record, changes)
        data = frame(payload)
        view = memoryview(data)
        try:
            while view:
                n = os.write(fd, view)
                view = view[n:]
        except OSError as exc:  # e.g. ENOSPC: cut the partial frame off so the file stays well-formed
            try:
                os.ftruncate(fd, self._size)
            except OSError as exc2:
                self._failed = exc2
            raise PersistenceError(f"cannot write the journal: {exc}") from exc
        self._size += len(data)
        self._encoded[record.id] = payload
        self._written_seq += 1
        self._last_id = record.id
        self._records_since_snapshot += 1
        self._bytes_since_snapshot += len(data)

    async def sync(self) -> None:
        """Return once everything written so far is durable; concurrent callers share one fsync."""
        target = self._written_seq
        while self._synced_seq < target:
            self._require_open()
            if self._sync_task is None:
                self._sync_task = asyncio.ensure_future(self._sync_once())
            task = self._sync_task
            await asyncio.shield(task)

    async def _sync_once(self) -> None:
        seq, size = self._written_seq, self._size
        fd, dir_dirty = self._require_open(), self._dir_dirty
        try:
            if self.do_fsync:
                await asyncio.to_thread(os.fsync, fd)
                if dir_dirty:
                    await asyncio.to_thread(_fsync_dir, self.data_dir)
            self.fsync_count += 1
        except OSError as exc:
            self._failed = exc
            raise PersistenceError(f"fsync of the journal failed: {exc}") from exc
        finally:
            self._sync_task = None
        if dir_dirty:
            self._dir_dirty = False
        self._synced_seq = max(self._synced_seq, seq)
        self._synced_size = max(self._synced_size, size)

    async def append(self, record: CommitRecord, changes: list[Change]) -> None:
        """Write one record and return only when it is durable (group commit with concurrent appends)."""
        self.write(record, changes)
        await self.sync()

    def discard_unsynced(self, last_good_id: int) -> None:
        """Cut the segment back to the last durable record (after a failed fsync the bytes must not reach
        disk later and resurrect commits that were reported as failed)."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, self._synced_size)
            if self.do_fsync:
                os.fsync(self._fd)
        except OSError as exc:
            self._failed = exc
            raise PersistenceError(f"cannot cut back the journal after a failed write: {exc}") from exc
        self._size = self._synced_size
        self._written_seq = self._synced_seq
        self._last_id = last_good_id
        for gone in [i for i in self._encoded if i > last_good_id]:
            del self._encoded[gone]
        # The file is back to its last durable length and that length is fsynced: appending is safe again.
        self._failed = None

    # ----------------------------------------------------------------------------------------- snapshots

    def snapshot_due(self) -> bool:
        if self._snapshot_task is not None and not self._snapshot_task.done():
            return False
        big = self._bytes_since_snapshot > max(self.snapshot_min_bytes, self._last_snapshot_bytes)
        return self._records_since_snapshot >= self.snapshot_every or big

    def forget_encoded_before(self, first_kept_id: int) -> None:
        """Drop the cached encodings of records older than ``first_kept_id`` (no longer in the history
        a snapshot carries). Snapshots prune the cache too, but one still being written skips the next."""
        for gone in [i for i in self._encoded if i < first_kept_id]:
            del self._encoded[gone]

    async def snapshot(self, running_json: str, last_commit_id: int, history: list[HistoryEntry]) -> None:
        """Start writing a snapshot of ``running_json`` (the configuration after the durable commit
        ``last_commit_id``) and start a new segment; generations older than the previous one go."""
        self._require_open()
        if last_commit_id != self._last_id or self._synced_seq != self._written_seq:
            raise PersistenceError("snapshot must follow a durable journal")
        await self.wait_snapshot()
        # New commits go to a fresh segment right away; the snapshot is written in a thread meanwhile.
        old_fd = self._fd
        self._fd = None
        if old_fd is not None:
            os.close(old_fd)
        self._open_segment(last_commit_id, 0)
        self._records_since_snapshot = 0
        self._bytes_since_snapshot = 0
        keep = {r.id for r, _ in history}
        for stale in [i for i in self._encoded if i not in keep]:
            del self._encoded[stale]
        parts = encode_snapshot(last_commit_id, running_json, history, self._encoded)
        self._last_snapshot_bytes = sum(len(p) for p in parts)
        # Written in the background: until it is durable the previous snapshot plus both segments cover
        # everything, so commits need not wait for it.
        self._snapshot_task = asyncio.create_task(self._write_snapshot(last_commit_id, parts))

    async def wait_snapshot(self) -> None:
        if self._snapshot_task is not None:
            with contextlib.suppress(Exception):
                await self._snapshot_task

    async def _write_snapshot(self, snap_id: int, parts: list[bytes]) -> None:
        try:
            await asyncio.to_thread(write_atomic, self._snapshot_path(snap_id), parts)
            await asyncio.to_thread(self._remove_old_generations)
        except OSError as exc:
            # The chain from the previous snapshot still covers everything: report, keep going.
            msg = f"snapshot {snap_id} failed: {exc}"
            self.problems.append(msg)
            log.error("persistence: %s", msg)

    def _remove_old_generations(self) -> None:
        snaps = sorted(int(m.group(1)) for p in self.data_dir.iterdir() if (m := _SNAP_RE.match(p.name)))
        if len(snaps) < 2:
            return
        keep_from = snaps[-2]  # the previous snapshot stays, with every segment after it
        for p in list(self.data_dir.iterdir()):
            m = _SNAP_RE.match(p.name) or _SEG_RE.match(p.name)
            if m and int(m.group(1)) < keep_from:
                p.unlink()
        _fsync_dir(self.data_dir)

    # ----------------------------------------------------------------------------------------- startup

    def save_startup(self, startup_json: str) -> None:
        """Write the startup datastore atomically, keeping the copy it replaces as startup.prev.snap."""
        header = json.dumps({"format": "bng-agent-startup", "version": 1, "time": time.time()}).encode()
        write_atomic(
            self.data_dir / STARTUP_FILE,
            [frame(header, SNAP_MAGIC), frame(startup_json.encode(), SNAP_MAGIC)],
            keep_previous=self.data_dir / STARTUP_PREV_FILE,
        )

    async def save_startup_async(self, startup_json: str) -> None:
        await asyncio.to_thread(self.save_startup, startup_json)

    async def close(self) -> None:
        await self.wait_snapshot()
        if self._sync_task is not None:
            with contextlib.suppress(Exception):
                await self._sync_task
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
