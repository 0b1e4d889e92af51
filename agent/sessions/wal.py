"""The session write-ahead log: sessions survive an agent restart and ``kill -9`` without one NETCONF
commit (and one fsync) per session.

Why its own log and not the configuration journal (:mod:`agent.datastore.journal`): sessions change
thousands of times a second and are not configuration. Each change is one small record; changes that
arrive while a write is in flight are written together with one ``fdatasync`` (group commit), so the
cost per session falls as the rate rises. A change is acknowledged (``save``/``drop`` return) only after
its record is on disk, so nothing acknowledged is lost by a crash.

Files in ``directory``::

    sessions-<G>.snap   every live session as of generation G (written to a temporary file, fsynced,
                        renamed, directory fsynced)
    sessions-<G>.log    changes after snapshot G, appended

Every record is framed ``magic, length, CRC32, payload`` (as the configuration journal does); payload
``P`` + an encoded session (:mod:`agent.sessions.codec`) or ``D`` + a session id. Loading reads the newest
good snapshot and replays the segments from its generation on; a frame cut short or failing its CRC at
the end of a segment is a torn write that was never acknowledged and is dropped (reported). Damage
elsewhere drops the rest of that segment (reported) rather than refusing to start: a lost session is
re-created by the subscriber's next DHCP exchange, a node that does not start serves nobody.

The log stays bounded: when a segment holds more records than twice the live sessions (and at least
``compact_min``), the next flush writes a snapshot of the live sessions and starts a new generation; the
previous generation is kept (a damaged newest snapshot falls back to it) and older ones are deleted.
Loading always starts a new generation, so a torn tail is never appended to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from agent.errors import AgentError
from agent.sessions import codec
from agent.sessions.api import Session

log = logging.getLogger(__name__)

LOG_MAGIC = b"BSL1"
SNAP_MAGIC = b"BSS1"
_HEADER = struct.Struct(">4sII")
_ID = struct.Struct(">Q")
MAX_RECORD = 1 << 20
_FILE_RE = re.compile(r"^sessions-(\d{20})\.(snap|log)$")


class SessionLogError(AgentError):
    """The session log cannot be written (disk full, I/O error): sessions can no longer be acknowledged."""

    default_tag = "operation-failed"


@dataclass
class Loaded:
    """What :meth:`SessionLog.load` read back."""

    sessions: dict[int, Session] = field(default_factory=dict)
    next_id: int = 1
    generation: int = 0
    records: int = 0
    problems: list[str] = field(default_factory=list)


def frame(magic: bytes, payload: bytes) -> bytes:
    return _HEADER.pack(magic, len(payload), zlib.crc32(payload)) + payload


def _frames(data: bytes, magic: bytes) -> Iterator[bytes | str]:
    """Payloads in ``data``; a ``str`` says why the rest could not be read (and ends the iteration)."""
    pos = 0
    while pos < len(data):
        if len(data) - pos < _HEADER.size:
            yield f"torn header at byte {pos}"
            return
        m, n, crc = _HEADER.unpack_from(data, pos)
        if m != magic or n > MAX_RECORD:
            yield f"bad frame header at byte {pos}"
            return
        payload = data[pos + _HEADER.size : pos + _HEADER.size + n]
        if len(payload) < n:
            yield f"torn record at byte {pos}"
            return
        if zlib.crc32(payload) != crc:
            yield f"CRC mismatch at byte {pos}"
            return
        yield payload
        pos += _HEADER.size + n


def _snap_header(next_id: int, count: int) -> bytes:
    return b"H" + _ID.pack(next_id) + _ID.pack(count)


class SessionLog:
    """The write-ahead log of one session table (implements :class:`agent.sessions.manager.Persistence`).

    ``load`` first (synchronously, at start), then ``start`` the flusher; ``save``/``drop`` from then on.
    """

    def __init__(self, directory: Path, *, compact_min: int = 20_000, fsync: bool = True) -> None:
        self.directory = Path(directory)
        self.compact_min = compact_min
        self.fsync = fsync
        self.generation = 0
        self.next_id = 1
        self._live: dict[int, bytes] = {}  # the log's own view: id -> encoded session
        self._segment_records = 0
        self._fd = -1
        self._buf: list[bytes] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._failed: BaseException | None = None
        self.stats = {"records": 0, "flushes": 0, "snapshots": 0}

    # ------------------------------------------------------------------ load

    def load(self) -> Loaded:
        """Read the sessions back, then start a new generation with a snapshot of them."""
        self.directory.mkdir(parents=True, exist_ok=True)
        files: dict[int, dict[str, Path]] = {}
        for p in self.directory.iterdir():
            m = _FILE_RE.match(p.name)
            if m:
                files.setdefault(int(m.group(1)), {})[m.group(2)] = p
        out = Loaded()
        base: int | None = None
        for gen in sorted((g for g, f in files.items() if "snap" in f), reverse=True):
            got = self._read_snapshot(files[gen]["snap"], out)
            if got:
                base = gen
                break
        start = base if base is not None else min(files, default=0)
        for gen in sorted(g for g in files if g >= start and "log" in files[g]):
            self._replay(files[gen]["log"], out)
        out.generation = max(files, default=0)
        self.next_id = max(out.next_id, max(self._live, default=0) + 1)
        out.next_id = self.next_id
        for sid, payload in list(self._live.items()):
            try:
                out.sessions[sid] = codec.decode(payload)
            except (ValueError, KeyError, TypeError, IndexError) as e:
                out.problems.append(f"session {sid}: undecodable ({e})")
                del self._live[sid]
        for problem in out.problems:
            log.warning("session log: %s", problem)
        self.generation = out.generation + 1
        self._write_snapshot(self._snapshot_bytes())
        self._prune()
        return out

    def _read_snapshot(self, path: Path, out: Loaded) -> bool:
        data = path.read_bytes()
        frames = list(_frames(data, SNAP_MAGIC))
        bad = [f for f in frames if isinstance(f, str)]
        head = frames[0] if frames else None
        if bad or not isinstance(head, bytes) or head[:1] != b"H" or len(head) != 1 + 2 * _ID.size:
            out.problems.append(
                f"{path.name}: damaged snapshot ({bad[0] if bad else 'no header'}), older copy used"
            )
            return False
        next_id, count = _ID.unpack_from(head, 1)[0], _ID.unpack_from(head, 1 + _ID.size)[0]
        if count != len(frames) - 1:
            out.problems.append(f"{path.name}: {len(frames) - 1} of {count} sessions, older copy used")
            return False
        self._live = {}
        for payload in frames[1:]:
            assert isinstance(payload, bytes)
            self._live[_session_id(payload)] = payload
        out.next_id = max(out.next_id, next_id)
        return True

    def _replay(self, path: Path, out: Loaded) -> None:
        for payload in _frames(path.read_bytes(), LOG_MAGIC):
            if isinstance(payload, str):
                out.problems.append(f"{path.name}: {payload}; the rest was never acknowledged and is dropped")
                return
            out.records += 1
            if payload[:1] == b"P":
                body = payload[1:]
                sid = _session_id(body)
                self._live[sid] = body
                out.next_id = max(out.next_id, sid + 1)
            elif payload[:1] == b"D" and len(payload) == 1 + _ID.size:
                sid = _ID.unpack_from(payload, 1)[0]
                self._live.pop(sid, None)
                out.next_id = max(out.next_id, sid + 1)

    # ------------------------------------------------------------------ append

    def start(self) -> None:
        """Start the flusher (on the running loop)."""
        if self._task is None:
            self._wake = asyncio.Event()
            self._task = asyncio.create_task(self._flusher(), name="session-log")

    async def close(self) -> None:
        """Flush what is queued and stop."""
        if self._task is None:
            return
        if self._buf:
            fut = self._enqueue(b"")
            await fut
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    async def save(self, session: Session, next_id: int) -> None:
        payload = codec.encode(session)
        self._live[session.id] = payload
        self.next_id = max(self.next_id, next_id)
        await self._enqueue(frame(LOG_MAGIC, b"P" + payload))

    async def drop(self, session_id: int) -> None:
        self._live.pop(session_id, None)
        await self._enqueue(frame(LOG_MAGIC, b"D" + _ID.pack(session_id)))

    def __len__(self) -> int:
        return len(self._live)

    def _enqueue(self, data: bytes) -> asyncio.Future[None]:
        if self._failed is not None:
            raise SessionLogError(f"the session log cannot be written: {self._failed}")
        if self._task is None or self._wake is None:
            raise SessionLogError("the session log is not started")
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if data:
            self._buf.append(data)
        self._waiters.append(fut)
        self._wake.set()
        return fut

    async def _flusher(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._waiters:
                continue
            batch, waiters = self._buf, self._waiters
            self._buf, self._waiters = [], []
            try:
                await asyncio.to_thread(self._append, b"".join(batch))
                self._segment_records += len(batch)
                self.stats["records"] += len(batch)
                self.stats["flushes"] += 1
                if self._segment_records > max(self.compact_min, 2 * len(self._live)):
                    snap = self._snapshot_bytes()
                    self.generation += 1
                    await asyncio.to_thread(self._write_snapshot, snap)
                    await asyncio.to_thread(self._prune)
            except Exception as e:  # an I/O error: fail this batch and every later call
                self._failed = e
                log.error("session log write failed: %s", e)
                for w in waiters + self._waiters:
                    if not w.done():
                        w.set_exception(SessionLogError(f"the session log cannot be written: {e}"))
                self._waiters = []
                return
            for w in waiters:
                if not w.done():
                    w.set_result(None)

    # ------------------------------------------------------------------ files (run in a worker thread)

    def _append(self, data: bytes) -> None:
        if not data:
            return
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        if self.fsync:
            os.fdatasync(self._fd)

    def _snapshot_bytes(self) -> bytes:
        parts = [frame(SNAP_MAGIC, _snap_header(self.next_id, len(self._live)))]
        parts.extend(frame(SNAP_MAGIC, p) for p in self._live.values())
        return b"".join(parts)

    def _path(self, gen: int, ext: str) -> Path:
        return self.directory / f"sessions-{gen:020d}.{ext}"

    def _write_snapshot(self, data: bytes) -> None:
        """Snapshot of generation ``self.generation`` and a new, empty segment for it."""
        path = self._path(self.generation, "snap")
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            if self.fsync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
        fd = os.open(
            self._path(self.generation, "log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC, 0o600
        )
        if self.fsync:
            dfd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        old, self._fd = self._fd, fd
        if old >= 0:
            os.close(old)
        self._segment_records = 0
        self.stats["snapshots"] += 1

    def _prune(self) -> None:
        """Keep this generation and the one before it."""
        for p in self.directory.iterdir():
            m = _FILE_RE.match(p.name)
            if m and int(m.group(1)) < self.generation - 1:
                p.unlink(missing_ok=True)


def _session_id(payload: bytes) -> int:
    """The id of an encoded session without decoding it all (it is the array's first member)."""
    end = payload.index(b",")
    return int(payload[1:end])
