"""Prometheus samples of the CoA/Disconnect listener (the ``coa`` module of
:mod:`agent.telemetry.catalog`): answers by request type, result and Error-Cause, drops by cause.

Every label value comes from a fixed set (two request types, two results, the RFC 5176 Error-Cause
codes, the listener's drop causes), never from the request (no user names or addresses).
"""

from __future__ import annotations

from agent.aaa.coa import CoaHandler

Sample = tuple[str, tuple[str, ...], float]

DROP_CAUSES = (
    "unknown-client",
    "malformed",
    "unsupported-code",
    "bad-authenticator",
    "bad-message-authenticator",
    "duplicate",
    "no-event-timestamp",
    "stale-event-timestamp",
)


def samples(handler: CoaHandler) -> list[Sample]:
    st = handler.stats
    out: list[Sample] = [
        ("bng_coa_requests", (req, res, cause or "none"), float(v))
        for (req, res, cause), v in list(st.answers.items())
    ]
    for req in ("coa", "disconnect"):
        if (req, "ack", "") not in st.answers:
            out.append(("bng_coa_requests", (req, "ack", "none"), 0.0))
    dropped = dict(list(st.dropped.items()))
    out += [("bng_coa_dropped", (c,), float(dropped.get(c, 0))) for c in DROP_CAUSES]
    out.append(("bng_coa_audit_entries", (), float(len(handler.audit.entries))))
    out.append(("bng_coa_listening", (), 1.0 if handler.config.enabled else 0.0))
    return out
