"""The bounded audit log of CoA and Disconnect requests, and its YANG forms: the ``bng-aaa``
``dynamic-authorization-audit`` list (operational datastore), per-leaf changes for gNMI ON_CHANGE and the
``dynamic-authorization-event`` NETCONF notification.

Only requests that passed the client and authenticator checks are recorded: a flood of forged datagrams
must not push real entries out of a bounded log (those drops are counted in metrics instead).
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from agent.datastore.changes import Change

MODULE = "bng-aaa"
NS = "urn:bng-agent:yang:bng-aaa"
AUDIT = "/bng-aaa:dynamic-authorization-audit"
DEFAULT_SIZE = 1000


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One answered request: when, from whom, what it asked, which sessions, and the answer."""

    seq: int
    time: float
    client: str
    request: str  # "coa" or "disconnect"
    attributes: tuple[str, ...]  # "Name=value", secrets never included
    sessions: tuple[int, ...]
    result: str  # "ack" or "nak"
    error_cause: int | None
    latency_ms: float


def _time(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def entry_path(seq: int) -> str:
    return f"{AUDIT}/request[seq='{seq}']"


def leaves(e: AuditEntry) -> dict[str, Any]:
    out: dict[str, Any] = {
        "seq": str(e.seq),
        "time": _time(e.time),
        "client": e.client,
        "type": e.request,
        "result": e.result,
        "attribute": list(e.attributes),
        "session-id": [str(s) for s in e.sessions],
    }
    if e.error_cause is not None:
        out["error-cause"] = e.error_cause
    return out


class AuditLog:
    """The last ``size`` entries; listeners (the app's gNMI/NETCONF forwarder) are called per entry."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.entries: collections.deque[AuditEntry] = collections.deque(maxlen=size)
        self._seq = itertools.count(1)
        self.listeners: list[Callable[[AuditEntry, AuditEntry | None], None]] = []

    def resize(self, size: int) -> None:
        if size != self.entries.maxlen:
            self.entries = collections.deque(self.entries, maxlen=size)

    def record(self, **kw: Any) -> AuditEntry:
        e = AuditEntry(seq=next(self._seq), **kw)
        evicted = self.entries[0] if len(self.entries) == self.entries.maxlen else None
        self.entries.append(e)
        for fn in list(self.listeners):
            fn(e, evicted)
        return e

    def document(self) -> dict[str, Any]:
        """The operational ``dynamic-authorization-audit`` container in JSON-IETF."""
        return {"bng-aaa:dynamic-authorization-audit": {"request": [leaves(e) for e in self.entries]}}


def changes(e: AuditEntry, evicted: AuditEntry | None) -> list[Change]:
    """gNMI ON_CHANGE: the new entry's leaves, and the delete of the entry the bound pushed out."""
    base = entry_path(e.seq)
    out = [Change("create", f"{base}/{k}", None, v) for k, v in leaves(e).items()]
    if evicted is not None:
        out.insert(0, Change("delete", entry_path(evicted.seq)))
    return out


def notification(e: AuditEntry) -> str:
    """The ``bng-aaa:dynamic-authorization-event`` notification body."""
    parts = [
        f"<seq>{e.seq}</seq>",
        f"<client>{escape(e.client)}</client>",
        f"<type>{e.request}</type>",
        f"<result>{e.result}</result>",
    ]
    if e.error_cause is not None:
        parts.append(f"<error-cause>{e.error_cause}</error-cause>")
    parts += [f"<session-id>{s}</session-id>" for s in e.sessions]
    parts += [f"<attribute>{escape(a)}</attribute>" for a in e.attributes]
    return f'<dynamic-authorization-event xmlns="{NS}">{"".join(parts)}</dynamic-authorization-event>'
