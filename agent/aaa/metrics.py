"""Prometheus samples of the RADIUS client and accounting (the ``aaa`` module of
:mod:`agent.telemetry.catalog`, families ``bng_radius_*``).

Read from the exporter's thread: every counter is copied (``list(...)``) before it is walked, so a
scrape never trips over the event loop adding a key.
"""

from __future__ import annotations

from agent.aaa.accounting import Accounting
from agent.aaa.client import Function, RadiusClient
from agent.aaa.ipoe import IpoeAuthorizer

Sample = tuple[str, tuple[str, ...], float]

_CODES = {2: "access-accept", 3: "access-reject", 5: "accounting-response", 11: "access-challenge"}
#: the catalog's ``type`` label for a function
TYPE = {Function.AUTH.value: "access", Function.ACCT.value: "accounting"}


def samples(
    client: RadiusClient | None, acct: Accounting | None, ipoe: IpoeAuthorizer | None
) -> list[Sample]:
    out: list[Sample] = []
    totals = dict.fromkeys(("access", "accounting"), 0.0)
    if client is not None:
        st = client.stats
        for (name, fn), v in list(st.requests.items()):
            out.append(("bng_radius_server_requests", (name, TYPE[fn]), float(v)))
            totals[TYPE[fn]] += v
        for family, counter in (
            ("bng_radius_retransmits", st.retransmits),
            ("bng_radius_server_timeouts", st.timeouts),
            ("bng_radius_failovers", st.failovers),
        ):
            out.extend((family, (s, TYPE[f]), float(v)) for (s, f), v in list(counter.items()))
        out.extend(
            ("bng_radius_answers", (s, TYPE[f], _CODES.get(c, str(c))), float(v))
            for (s, f, c), v in list(st.answers.items())
        )
        out.extend(
            ("bng_radius_dropped", (s, TYPE[f], str(r)), float(v))
            for (s, f, r), v in list(st.dropped.items())
        )
        for function in Function:
            out.append(("bng_radius_timeouts", (TYPE[function.value],), float(st.no_server[function.value])))
            for server in client.servers(function):
                up = 0.0 if client.dead(server, function) else 1.0
                out.append(("bng_radius_server_up", (server.name, TYPE[function.value]), up))
    out.extend(("bng_radius_requests", (t,), v) for t, v in totals.items())
    if acct is not None:
        out.append(("bng_radius_accounting_queue", (), float(len(acct.spool))))
        out.append(("bng_radius_accounting_dropped", (), float(acct.spool.dropped)))
        out.extend(("bng_radius_accounting_sent", (t,), float(v)) for t, v in list(acct.sent.items()))
    if ipoe is not None:
        out.append(("bng_radius_ipoe_auth", ("accept",), float(ipoe.accepted)))
        out.append(("bng_radius_ipoe_auth", ("reject",), float(ipoe.rejected)))
        out.append(("bng_radius_ipoe_auth", ("error",), float(ipoe.failed)))
    return out
