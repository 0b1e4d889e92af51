"""RFC 5277 notification messages carrying the RFC 6470 base notifications.

``netconf-config-change`` is built from the transaction manager's commit events (one ``<edit>`` per
:class:`~agent.datastore.changes.Change`, its target an instance-identifier whose prefixes are the
module names, each bound on the ``<target>`` element); ``netconf-confirmed-commit`` and
``netconf-session-start/end`` come from the NETCONF server itself. The project's
``bng-agent:vpp-connection-change``, ``bng-agent:oper-status-change`` and ``bng-agent:vpp-drift`` come
from the telemetry event bus (:func:`relay_telemetry`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from agent.datastore.changes import Change

log = logging.getLogger(__name__)

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


# ---------------------------------------------------------------------------------- bng-agent notifications

AGENT_NS = "urn:bng-agent:yang:bng-agent"
AGENT_MODULE = "bng-agent"


def vpp_connection_change(
    state: str, previous: str, vpp_version: str, connects: int, reason: str = ""
) -> str:
    """``bng-agent:vpp-connection-change`` (the agent lost or regained VPP)."""
    version = f"<vpp-version>{escape(vpp_version)}</vpp-version>" if vpp_version else ""
    why = f"<reason>{escape(reason)}</reason>" if reason and state != "connected" else ""
    return (
        f'<vpp-connection-change xmlns="{AGENT_NS}"><connection-state>{state}</connection-state>'
        f"{version}<connects>{connects}</connects><previous-state>{previous}</previous-state>{why}"
        "</vpp-connection-change>"
    )


def oper_status_change(name: str, oper_status: str, admin_up: bool, previous: str | None) -> str:
    """``bng-agent:oper-status-change`` (ietf-interfaces defines no notification of its own)."""
    prev = f"<previous-oper-status>{previous}</previous-oper-status>" if previous else ""
    return (
        f'<oper-status-change xmlns="{AGENT_NS}"><name>{escape(name)}</name>'
        f"<oper-status>{oper_status}</oper-status>"
        f"<admin-status>{'up' if admin_up else 'down'}</admin-status>{prev}</oper-status-change>"
    )


def vpp_drift(
    detected_by: str, action: str, total: int, items: list[tuple[str, str]], error: str = ""
) -> str:
    """``bng-agent:vpp-drift`` (VPP changed behind the agent's back: repaired, or only reported)."""
    why = f"<error>{escape(error)}</error>" if error else ""
    listed = "".join(f"<item><key>{escape(key)}</key><operation>{op}</operation></item>" for op, key in items)
    return (
        f'<vpp-drift xmlns="{AGENT_NS}"><detected-by>{detected_by}</detected-by><action>{action}</action>'
        f"<repairs>{total}</repairs>{why}{listed}</vpp-drift>"
    )


Publish = Callable[[str, str, str, float | None], None]


async def relay_telemetry(events: AsyncIterator[Any], publish: Publish) -> None:
    """Turn telemetry bus events into NETCONF notifications until ``events`` ends.

    Duck-typed on the event's ``kind`` so that the northbound does not import the telemetry layer.
    Interfaces that appear (no previous state) or disappear are not status changes: a reconnect to a
    VPP with 10,000 interfaces would otherwise flood every subscriber."""
    async for ev in events:
        try:
            if ev.kind == "vpp-connection":
                state = "connected" if ev.connected else "disconnected"
                previous = getattr(ev, "previous_state", "") or (
                    "disconnected" if ev.connected else "connected"
                )
                body = vpp_connection_change(state, previous, ev.vpp_version, ev.connects, ev.reason)
                publish(AGENT_MODULE, "vpp-connection-change", body, ev.time)
            elif ev.kind == "vpp-drift":
                body = vpp_drift(ev.source, ev.action, ev.total, list(ev.items), ev.error)
                publish(AGENT_MODULE, "vpp-drift", body, ev.time)
            elif ev.kind == "interface-state":
                if ev.deleted or ev.previous_oper_status is None:
                    continue
                body = oper_status_change(ev.name, ev.oper_status, ev.admin_up, ev.previous_oper_status)
                publish(AGENT_MODULE, "oper-status-change", body, ev.time)
        except Exception:  # one bad event must not end the stream for everyone
            log.exception("netconf event=telemetry-notification-failed")
