"""RFC 6022: ``<get-schema>`` and the ``/netconf-state`` operational data.

``netconf-state`` is produced on demand (an operational-datastore provider) from the server's live
session table and counters, so ``<get>`` and ``<get-data>`` of the operational datastore show it like
any other state.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from lxml import etree

from agent.errors import AgentError
from agent.model.xmlsafe import parse_xml
from agent.model.yanglib import yang_library
from agent.netconf.capabilities import capabilities
from agent.netconf.context import MON_NS, OpContext, text_of
from agent.netconf.replies import RpcError

if TYPE_CHECKING:
    from agent.netconf.server import NetconfServer


def _time(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


async def get_schema(ctx: OpContext, op: etree._Element) -> str:
    identifier = text_of(op, "identifier", MON_NS)
    if not identifier:
        raise RpcError("missing <identifier>", tag="missing-element", info={"bad-element": "identifier"})
    version = text_of(op, "version", MON_NS) or None
    fmt = (text_of(op, "format", MON_NS) or "yang").split(":")[-1]
    if fmt not in SCHEMA_FORMATS:
        raise RpcError(
            f"schema format {fmt!r} is not available (yang, yin)",
            tag="invalid-value",
            info={"bad-element": "format"},
        )
    try:
        text = yang_library(ctx.model.ctx).schema_text(identifier, version)
    except AgentError as exc:
        raise RpcError(str(exc.message), tag="invalid-value", error_type="application") from exc
    if fmt == "yin":
        # RFC 6022 3.1: YIN is XML, returned as the content of <data> (libyang converts the module)
        yin = str(ctx.model.ctx.get_module(identifier).print_mem("yin"))
        root = parse_xml(yin.encode())
        return f'<data xmlns="{MON_NS}">{etree.tostring(root, encoding="unicode")}</data>'
    return f'<data xmlns="{MON_NS}">{escape(text)}</data>'


SCHEMA_FORMATS = ("yang", "yin")


def netconf_state(server: NetconfServer) -> dict[str, Any]:
    """JSON-IETF of ``/ietf-netconf-monitoring:netconf-state``."""
    ds = server.datastores
    datastores = []
    for name in ("running", "candidate", "startup"):
        entry: dict[str, Any] = {"name": name}
        holder = ds.locks.holder(name)
        if holder is not None:
            since = server.lock_times.get((name, holder), server.start_time)
            entry["locks"] = {"global-lock": {"locked-by-session": holder, "locked-time": _time(since)}}
        datastores.append(entry)
    lib = yang_library(server.model.ctx)
    schemas = [
        {
            "identifier": m.name,
            "version": m.revision,
            "format": fmt,
            "namespace": m.namespace,
            "location": ["NETCONF"],
        }
        for m in lib.modules
        for fmt in SCHEMA_FORMATS
    ]
    sessions = [
        {
            "session-id": s.session.id,
            "transport": "netconf-ssh",
            "username": s.session.user,
            "source-host": s.peer_host or "0.0.0.0",
            "login-time": _time(s.login_time),
            "in-rpcs": s.stats["in-rpcs"],
            "in-bad-rpcs": s.stats["in-bad-rpcs"],
            "out-rpc-errors": s.stats["out-rpc-errors"],
            "out-notifications": s.stats["out-notifications"],
        }
        for s in server.sessions.values()
    ]
    st = server.stats
    return {
        "ietf-netconf-monitoring:netconf-state": {
            "capabilities": {"capability": capabilities(lib.content_id)},
            "datastores": {"datastore": datastores},
            "schemas": {"schema": schemas},
            "sessions": {"session": sessions},
            "statistics": {
                "netconf-start-time": _time(server.start_time),
                "in-bad-hellos": st["in-bad-hellos"],
                "in-sessions": st["in-sessions"],
                "dropped-sessions": st["dropped-sessions"],
                "in-rpcs": st["in-rpcs"],
                "in-bad-rpcs": st["in-bad-rpcs"],
                "out-rpc-errors": st["out-rpc-errors"],
                "out-notifications": st["out-notifications"],
            },
        }
    }
