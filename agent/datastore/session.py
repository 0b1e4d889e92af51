"""Who is talking to the datastore.

Locks, candidate ownership, confirmed-commit and audit records all need to know which client session an
operation came from; every protocol front end (NETCONF, gNMI, CLI, RADIUS CoA) creates one
:class:`Session` per client connection and hands it to every datastore / transaction call.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Literal

Origin = Literal["netconf", "gnmi", "cli", "radius-coa", "system"]

_ids = itertools.count(1)
_ids_lock = threading.Lock()


def new_session_id() -> int:
    """A process-wide unique session id, starting at 1 (NETCONF session-id 0 is reserved, RFC 6241)."""
    with _ids_lock:
        return next(_ids)


@dataclass(eq=False)
class Session:
    """One client session. Identity is the object (and its ``id``), not its field values."""

    id: int
    user: str
    origin: str  # one of Origin; str so that later front ends can add their own

    @classmethod
    def create(cls, user: str, origin: str) -> Session:
        """A session with a fresh id."""
        return cls(id=new_session_id(), user=user, origin=origin)

    def __hash__(self) -> int:
        return hash(self.id)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Session) and other.id == self.id


SYSTEM_SESSION = Session(id=0, user="system", origin="system")
"""Used for start-up loads and internal reverts; session id 0 never collides with a client's."""
