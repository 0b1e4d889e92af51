"""RFC 5277 notification messages carrying the RFC 6470 base notifications.

``netconf-config-change`` is built from the transaction manager's commit events (one ``<edit>`` per
:class:`~agent.datastore.changes.Change`, its target an instance-identifier whose prefixes are the
module names, each bound on the ``<target>`` element); ``netconf-confirmed-commit`` and
``netconf-session-start/end`` come from the NETCONF server itself.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from agent.datastore.changes import Change

NOTIF_NS = "urn:ietf:params:xml:ns:netconf:notification:1.0"
NCN_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-notifications"
NCN_MODULE = "ietf-netconf-notifications"

_MODULE_PREFIX = re.compile(r"(?<=/)([A-Za-z_][\w.-]*):")
_OP = {"create": "create", "delete": "delete", "modify": "replace"}


@dataclass
class ChangedBy:
    """RFC 6470 ``changed-by``: a client session, or the server itself (session None)."""

    user: str | None = None
    session_id: int | None = None
    source_host: str | None = None

    def xml(self) -> str:
        if self.session_id is None:
            return "<changed-by><server/></changed-by>"
        host = f"<source-host>{escape(self.source_host)}</source-host>" if self.source_host else ""
        return (
            f"<changed-by><username>{escape(self.user or '')}</username>"
            f"<session-id>{self.session_id}</session-id>{host}</changed-by>"
        )


def event_time(ts: float | None = None) -> str:
    when = dt.datetime.fromtimestamp(ts, dt.UTC) if ts is not None else dt.datetime.now(dt.UTC)
    return when.isoformat(timespec="microseconds").replace("+00:00", "Z")


def wrap(body: str, ts: float | None = None) -> bytes:
    head = f'<notification xmlns="{NOTIF_NS}"><eventTime>{event_time(ts)}</eventTime>'
    return (head + body + "</notification>").encode()


def target_xml(path: str, ns_of_module: dict[str, str]) -> str:
    """``<target>`` with an instance-identifier: module-name prefixes, each declared on the element."""
    modules = dict.fromkeys(_MODULE_PREFIX.findall(path))
    decls = "".join(f" xmlns:{m}={quoteattr(ns_of_module.get(m, 'urn:unknown:' + m))}" for m in modules)
    return f"<target{decls}>{escape(path)}</target>"


def config_change(
    changes: list[Change], by: ChangedBy, ns_of_module: dict[str, str], datastore: str = "running"
) -> str:
    edits = "".join(
        f"<edit>{target_xml(c.path, ns_of_module)}<operation>{_OP[c.op]}</operation></edit>" for c in changes
    )
    return (
        f'<netconf-config-change xmlns="{NCN_NS}">{by.xml()}<datastore>{datastore}</datastore>'
        f"{edits}</netconf-config-change>"
    )


def confirmed_commit(event: str, by: ChangedBy, timeout: int | None = None) -> str:
    """event: start | cancel | timeout | extend | complete."""
    who = "" if event == "timeout" else _session_fields(by)
    tmo = f"<timeout>{timeout}</timeout>" if timeout is not None and event in ("start", "extend") else ""
    return (
        f'<netconf-confirmed-commit xmlns="{NCN_NS}">{who}'
        f"<confirm-event>{event}</confirm-event>{tmo}</netconf-confirmed-commit>"
    )


def session_start(by: ChangedBy) -> str:
    return f'<netconf-session-start xmlns="{NCN_NS}">{_session_fields(by)}</netconf-session-start>'


def session_end(by: ChangedBy, reason: str, killed_by: int | None = None) -> str:
    killer = f"<killed-by>{killed_by}</killed-by>" if killed_by is not None else ""
    return (
        f'<netconf-session-end xmlns="{NCN_NS}">{_session_fields(by)}{killer}'
        f"<termination-reason>{reason}</termination-reason></netconf-session-end>"
    )


def _session_fields(by: ChangedBy) -> str:
    host = f"<source-host>{escape(by.source_host)}</source-host>" if by.source_host else ""
    return f"<username>{escape(by.user or '')}</username><session-id>{by.session_id or 0}</session-id>{host}"
