"""A bounded, persisted queue of accounting records, so accounting survives a RADIUS outage and a
restart of the agent.

An append-only file of JSON lines: ``["Q", seq, record]`` when a record is queued, ``["D", seq]`` when a
server acknowledged it. Loading replays the file (a torn last line, never acknowledged to anyone, is
dropped); when the file holds more than twice the live records (and at least ``compact_at`` lines) it is
rewritten with the live ones (temporary file, fsync, rename). Lines are flushed to the kernel at once and
fsynced in groups by :meth:`sync`, which the sender calls before it sends: a record is on disk before a
server can have seen it, so a Stop is never lost between RADIUS answering and the agent dying.

Bounded: at ``limit`` records the oldest Interim-Update is dropped first (the next one supersedes it);
only when none is queued does the oldest record go. Every drop is counted.
"""

from __future__ import annotations

import json
import logging
import os
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Record = dict[str, Any]


class Spool:
    """The queue; ``items()`` in the order queued."""

    def __init__(self, path: Path | None, limit: int = 100_000, compact_at: int = 10_000) -> None:
        self.path = path
        self.limit = limit
        self.compact_at = compact_at
        self._live: OrderedDict[int, Record] = OrderedDict()
        self._seq = 0
        self._lines = 0
        self.dropped = 0
        self._dirty = False
        self._fh: Any = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._load()
            self._fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - held open for appends

    def _load(self) -> None:
        assert self.path is not None
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                except ValueError:
                    log.warning("accounting spool %s: torn line dropped", self.path)
                    continue
                self._lines += 1
                if entry[0] == "Q":
                    self._live[int(entry[1])] = entry[2]
                    self._seq = max(self._seq, int(entry[1]))
                elif entry[0] == "D":
                    self._live.pop(int(entry[1]), None)
        if self._live:
            log.info("accounting spool %s: %d records to send", self.path, len(self._live))

    def __len__(self) -> int:
        return len(self._live)

    def items(self) -> Iterator[tuple[int, Record]]:
        """A copy of the queue, oldest first (safe to hold across awaits)."""
        return iter(list(self._live.items()))

    def head(self) -> Iterator[tuple[int, Record]]:
        """The live queue, oldest first, without a copy: only for a loop that does not await."""
        return iter(self._live.items())

    def get(self, seq: int) -> Record | None:
        return self._live.get(seq)

    def put(self, record: Record) -> int:
        """Queue a record; returns its sequence number."""
        if len(self._live) >= self.limit:
            self._evict()
        self._seq += 1
        self._live[self._seq] = record
        self._append(["Q", self._seq, record])
        return self._seq

    def _evict(self) -> None:
        victim = next(
            (s for s, r in self._live.items() if r.get("Acct-Status-Type") == "Interim-Update"),
            next(iter(self._live)),
        )
        self.done(victim)
        self.dropped += 1
        log.warning("accounting spool full (%d): a record dropped", self.limit)

    def done(self, seq: int) -> None:
        """A server acknowledged the record (or it was dropped)."""
        if self._live.pop(seq, None) is not None:
            self._append(["D", seq])
            if self._lines > self.compact_at and self._lines > 2 * len(self._live):
                self._compact()

    def _append(self, entry: list[Any]) -> None:
        self._lines += 1
        if self._fh is not None:
            self._fh.write(json.dumps(entry, separators=(",", ":")) + "\n")
            self._fh.flush()
            self._dirty = True

    def sync(self) -> None:
        """fsync what was appended since the last call (group commit)."""
        if self._fh is not None and self._dirty:
            os.fdatasync(self._fh.fileno())
            self._dirty = False

    def _compact(self) -> None:
        assert self.path is not None
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            for seq, record in self._live.items():
                fh.write(json.dumps(["Q", seq, record], separators=(",", ":")) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        dfd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        self._fh.close()
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        self._lines = len(self._live)
        self._dirty = False

    def close(self) -> None:
        if self._fh is not None:
            self.sync()
            self._fh.close()
            self._fh = None
