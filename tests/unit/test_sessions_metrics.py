"""Subscriber metrics from the manager's events, as /metrics shows them: sessions by state and the set-up
latency histogram (first frame to active), with a real SessionManager and the real exporter."""

from __future__ import annotations

import asyncio
import ipaddress

from prometheus_client.parser import text_string_to_metric_families
from test_telemetry_exporter import make_snapshot

from agent.sessions.api import SessionKey, TerminateCause
from agent.sessions.manager import SessionManager
from agent.sessions.metrics import SessionMetrics
from agent.sessions.templates import AccessConfig
from agent.telemetry.exporter import Exporter
from agent.telemetry.latency import LatencyHistogram

P0 = "GigabitEthernet0/8/0"
ACCESS = AccessConfig.from_entry(
    {
        "access-interfaces": {"access-interface": [{"interface": P0, "session-template": "t", "ipoe": {}}]},
        "session-templates": {"template": [{"name": "t"}]},
    }
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def scrape(metrics: SessionMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    snap = make_snapshot()
    ex = Exporter(lambda: snap, LatencyHistogram())
    ex.collector.register_source("subscribers", metrics.samples)
    out = {}
    for fam in text_string_to_metric_families(ex.render().decode()):
        if fam.name.startswith("bng_subscriber"):
            for s in fam.samples:
                out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_sessions_by_state_and_setup_latency() -> None:
    clock = Clock()
    mgr = SessionManager(ACCESS, clock=clock)
    old = await mgr.open(SessionKey(P0, 9, None, "02:00:00:00:00:09"))
    await mgr.bind_ipv4(old.id, ipaddress.IPv4Address("100.64.0.9"), 3600)  # active before counting began
    metrics = SessionMetrics(mgr)
    metrics.start()
    await settle()
    a = await mgr.open(SessionKey(P0, 10, None, "02:00:00:00:00:0a"))
    b = await mgr.open(SessionKey(P0, 11, None, "02:00:00:00:00:0b"))
    clock.now += 0.03  # DISCOVER .. ACK in 30 ms
    await mgr.bind_ipv4(a.id, ipaddress.IPv4Address("100.64.0.10"), 3600)
    await settle()
    m = scrape(metrics)
    assert m[("bng_subscriber_sessions", (("state", "active"),))] == 2
    assert m[("bng_subscriber_sessions", (("state", "init"),))] == 1
    assert m[("bng_subscriber_sessions", (("state", "closing"),))] == 0
    # one set-up measured (the session that was already active adds none), in the 50 ms bucket
    assert m[("bng_subscriber_session_setup_seconds_count", ())] == 1
    assert m[("bng_subscriber_session_setup_seconds_bucket", (("le", "0.025"),))] == 0
    assert m[("bng_subscriber_session_setup_seconds_bucket", (("le", "0.05"),))] == 1
    assert abs(m[("bng_subscriber_session_setup_seconds_sum", ())] - 0.03) < 1e-6
    await mgr.release(b.id, TerminateCause.RELEASE)
    clock.now += 1
    await mgr.bind_ipv4(a.id, ipaddress.IPv4Address("100.64.0.10"), 3600)  # a renewal: no new set-up
    await settle()
    m = scrape(metrics)
    assert m[("bng_subscriber_sessions", (("state", "init"),))] == 0
    assert m[("bng_subscriber_sessions", (("state", "active"),))] == 2
    assert m[("bng_subscriber_session_setup_seconds_count", ())] == 1
    await metrics.stop()
