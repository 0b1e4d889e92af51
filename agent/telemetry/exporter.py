"""The Prometheus exporter: a prometheus-client custom collector over the current snapshot.

A scrape never reads VPP: the collector formats the last :class:`~agent.telemetry.snapshot.Snapshot`
(swapped in atomically by the poller), so the HTTP thread needs no lock and a scrape costs the agent no
VPP call. Families and labels come from :mod:`agent.telemetry.catalog`. The number of interfaces exported
is capped (``max_interfaces``, default 20,000 -- about 300,000 series); what the cap leaves out is
counted in ``bng_telemetry_interfaces_omitted`` so a truncated scrape is visible.
"""

from __future__ import annotations

import gzip
import logging
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, ThreadingWSGIServer

from agent.telemetry.catalog import MODULES, Family, family
from agent.telemetry.counters import column_name
from agent.telemetry.fasttext import interface_text
from agent.telemetry.latency import LatencyHistogram
from agent.telemetry.snapshot import Snapshot
from agent.txn.timing import PhaseHistogram

log = logging.getLogger(__name__)

DEFAULT_MAX_INTERFACES = 20_000

#: A histogram's value: cumulative counts per upper bound (ending with ``+Inf``) and the sum.
HistogramValue = tuple[list[tuple[str, float]], float]
#: A module's live values: (family name, label values in the family's label order, value).
Sample = tuple[str, tuple[str, ...], float | HistogramValue]
Source = Callable[[], Iterable[Sample]]


def _new(f: Family, labels: tuple[str, ...] | None = None) -> Any:
    labels = f.labels if labels is None else labels
    if f.kind == "counter":
        return CounterMetricFamily(f.name, f.help, labels=list(labels))
    if f.kind == "gauge":
        return GaugeMetricFamily(f.name, f.help, labels=list(labels))
    if f.kind == "info":
        return InfoMetricFamily(f.name, f.help, labels=list(labels))
    return HistogramMetricFamily(f.name, f.help, labels=list(labels))


class SnapshotCollector:
    """prometheus-client collector; ``snapshot`` is a callable returning the current snapshot."""

    def __init__(
        self,
        snapshot: Callable[[], Snapshot],
        latency: LatencyHistogram,
        *,
        max_interfaces: int = DEFAULT_MAX_INTERFACES,
        include_interfaces: bool = True,
        commit_phases: PhaseHistogram | None = None,
    ) -> None:
        self._snapshot = snapshot
        self._latency = latency
        self._commit_phases = commit_phases
        self.max_interfaces = max_interfaces
        self.include_interfaces = include_interfaces
        self._sources: dict[str, Source] = {}

    def register_source(self, module: str, source: Source) -> None:
        """A BNG module's live values replace its zero-valued families (:mod:`agent.telemetry.catalog`)."""
        if module not in {m.module for m in MODULES}:
            raise KeyError(f"no telemetry catalog entry for module {module!r}")
        self._sources[module] = source

    def unregister_source(self, module: str) -> None:
        self._sources.pop(module, None)

    def collect(self) -> Iterator[Metric]:
        snap = self._snapshot()
        yield from self._interfaces(snap)
        yield from self._routing(snap)
        yield from self._agent(snap)
        yield from self._modules()

    # ------------------------------------------------------------------ interfaces

    def _interfaces(self, snap: Snapshot) -> Iterator[Metric]:
        rows = snap.interface_rows()
        omitted_fam = _new(family("bng_telemetry_interfaces_omitted"))
        omitted_fam.add_metric([], float(max(0, len(rows) - self.max_interfaces)))
        yield omitted_fam
        if not self.include_interfaces:
            return
        rows = rows[: self.max_interfaces]
        table = snap.counters
        n = len(table.names) if table is not None else 0
        cols = table.columns if table is not None else {}

        def col(name: str) -> list[int]:
            return cols.get(name) or [0] * n

        fams = {f.name: _new(f) for f in _module("interfaces").families}
        oper, admin = fams["bng_interface_oper_up"], fams["bng_interface_admin_up"]
        speed, mtu = fams["bng_interface_speed_bytes_per_second"], fams["bng_interface_mtu_bytes"]
        info = fams["bng_interface"]
        simple = [
            (fams["bng_interface_receive_bytes"], [col(column_name("rx", "bytes"))]),
            (fams["bng_interface_transmit_bytes"], [col(column_name("tx", "bytes"))]),
            (fams["bng_interface_receive_discards"], [col("drops"), col("rx-no-buf"), col("rx-miss")]),
            (fams["bng_interface_receive_errors"], [col("rx-error")]),
            (fams["bng_interface_transmit_errors"], [col("tx-error")]),
        ]
        casts = [
            (fams[f"bng_interface_{d}_packets"], c, col(column_name(f"{p}-{c}", "packets")))
            for d, p in (("receive", "rx"), ("transmit", "tx"))
            for c in ("unicast", "multicast", "broadcast")
        ]
        for r in rows:
            labels = [r.name, r.vrf]
            oper.add_metric(labels, 1.0 if snap.agent.vpp_connected and r.oper_status == "up" else 0.0)
            admin.add_metric(labels, 1.0 if r.admin_up else 0.0)
            speed.add_metric(labels, r.speed_kbps * 125.0)  # kbit/s -> bytes/s (Prometheus base unit)
            mtu.add_metric(labels, float(r.link_mtu))
            info.add_metric(labels, {"vpp_name": r.vpp_name, "sw_if_index": str(r.sw_if_index)})
            i = r.sw_if_index
            if i >= n:
                continue
            for fam, sources in simple:
                fam.add_metric(labels, float(sum(s[i] for s in sources)))
            for fam, cast, values in casts:
                fam.add_metric([r.name, r.vrf, cast], float(values[i]))
        bonds = fams["bng_bond_member_active"]
        for m in snap.inventory.members:
            bonds.add_metric([m.bond, m.member], 1.0 if m.active else 0.0)
        yield from fams.values()

    def _routing(self, snap: Snapshot) -> Iterator[Metric]:
        fam = _new(family("bng_vrf_routes"))
        counts: dict[tuple[str, str], int] = {}
        for r in snap.inventory.routes:
            key = (r.vrf, "ipv6" if ":" in r.prefix else "ipv4")
            counts[key] = counts.get(key, 0) + 1
        for (vrf, fam_name), count in sorted(counts.items()):
            fam.add_metric([vrf, fam_name], float(count))
        yield fam

    # ------------------------------------------------------------------ agent health

    def _agent(self, snap: Snapshot) -> Iterator[Metric]:
        a = snap.agent
        values: dict[str, float] = {
            "bng_vpp_connected": 1.0 if a.vpp_connected else 0.0,
            "bng_vpp_connects": a.vpp_connects,
            "bng_vpp_disconnects": a.vpp_disconnects,
            "bng_agent_resyncs": a.resyncs,
            "bng_agent_resync_repairs": a.resync_repairs,
            "bng_agent_in_sync": 1.0 if a.in_sync else 0.0,
            "bng_agent_commits": a.commits,
            "bng_agent_commit_failures": a.commit_failures,
            "bng_telemetry_last_poll_timestamp_seconds": a.last_poll_at,
            "bng_telemetry_poll_duration_seconds": a.last_poll_seconds,
            "bng_telemetry_poll_errors": a.poll_errors,
        }
        heartbeat = snap.counters.scalars.get("/sys/heartbeat") if snap.counters is not None else None
        if heartbeat is not None:
            values["bng_vpp_stats_heartbeat"] = float(heartbeat)
        for name, value in values.items():
            fam = _new(family(name))
            fam.add_metric([], float(value))
            yield fam
        version = _new(family("bng_vpp"))
        if a.vpp_version:
            version.add_metric([], {"version": a.vpp_version})
        yield version
        hist = _new(family("bng_vpp_api_latency_seconds"))
        for msg, buckets, total in self._latency.snapshot():
            hist.add_metric([msg], buckets, total)
        yield hist
        commits = _new(family("bng_commit_phase_duration_seconds"))
        phases = self._commit_phases.snapshot() if self._commit_phases is not None else []
        for phase, buckets, total in phases:
            commits.add_metric([phase], buckets, total)
        yield commits

    # ------------------------------------------------------------------ BNG modules

    def _modules(self) -> Iterator[Metric]:
        for m in MODULES:
            if m.status != "zero":
                continue
            source = self._sources.get(m.module)
            fams = {f.name: _new(f) for f in m.families}
            if source is None:
                for f in m.families:
                    series = f.zero_series if f.labels else ((),)
                    for labels in series:
                        if f.kind == "histogram":
                            fams[f.name].add_metric(list(labels), buckets=[("+Inf", 0.0)], sum_value=0.0)
                        else:
                            fams[f.name].add_metric(list(labels), 0.0)
            else:
                try:
                    for name, labels, value in source():
                        if isinstance(value, tuple):
                            buckets, total = value
                            fams[name].add_metric(list(labels), buckets=buckets, sum_value=total)
                        else:
                            fams[name].add_metric(list(labels), float(value))
                except Exception:  # a module's bug must not break the whole scrape
                    log.exception("telemetry source failed module=%s", m.module)
            yield from fams.values()


def _module(name: str) -> Any:
    return next(m for m in MODULES if m.module == name)


class Exporter:
    """The ``/metrics`` HTTP endpoint on ``host:port`` (a threaded WSGI server, as prometheus-client's own).

    The body is the interface families written by :mod:`agent.telemetry.fasttext` followed by
    prometheus-client's rendering of everything else the collector yields; gzip when the scraper asks.
    """

    def __init__(
        self,
        snapshot: Callable[[], Snapshot],
        latency: LatencyHistogram,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_interfaces: int = DEFAULT_MAX_INTERFACES,
        commit_phases: PhaseHistogram | None = None,
    ) -> None:
        self._snapshot = snapshot
        self.collector = SnapshotCollector(
            snapshot,
            latency,
            max_interfaces=max_interfaces,
            include_interfaces=False,
            commit_phases=commit_phases,
        )
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.collector)
        self.host = host
        self.requested_port = port
        self.scrapes = 0
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_port) if self._server is not None else 0

    def render(self) -> bytes:
        """The whole ``/metrics`` body (what a scrape returns, uncompressed)."""
        text, _ = interface_text(self._snapshot(), self.collector.max_interfaces)
        return text.encode() + generate_latest(self.registry)

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/favicon.ico":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        if path not in ("/", "/metrics"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"metrics are at /metrics\n"]
        body = self.render()
        self.scrapes += 1
        headers = [("Content-Type", CONTENT_TYPE_PLAIN_0_0_4)]  # the classic text format, as written
        if "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
            body = gzip.compress(body, compresslevel=1)
            headers.append(("Content-Encoding", "gzip"))
        start_response("200 OK", headers)
        return [body]

    def start(self) -> None:
        family_, addr = _address_family(self.host)

        class Server(ThreadingWSGIServer):
            address_family = family_

        self._server = make_server(addr, self.requested_port, self._app, Server, handler_class=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics-http", daemon=True)
        self._thread.start()
        log.info("metrics exporter listening host=%s port=%d", self.host, self.port)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def _address_family(host: str) -> tuple[socket.AddressFamily, str]:
    return (socket.AF_INET6, host.strip("[]")) if ":" in host else (socket.AF_INET, host)


class _QuietHandler(WSGIRequestHandler):
    """No access log line per scrape."""

    def log_message(self, format: str, *args: Any) -> None:
        return
