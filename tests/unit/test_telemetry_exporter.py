"""The Prometheus exporter: values, units and labels a scrape shows, the fast path's equivalence with
prometheus-client's own rendering, the series cap, BNG module families, and the HTTP endpoint."""

from __future__ import annotations

import gzip
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from agent.telemetry.catalog import MODULES
from agent.telemetry.counters import all_columns, column_name
from agent.telemetry.exporter import Exporter, SnapshotCollector
from agent.telemetry.latency import LatencyHistogram
from agent.telemetry.segment import CounterTable
from agent.telemetry.snapshot import AgentCounters, BondMember, InterfaceInfo, Inventory, Route, Snapshot

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def make_snapshot(n: int = 4, *, connected: bool = True) -> Snapshot:
    names: list[str | None] = ["local0", *(f"GigabitEthernet0/8/0.{i}" for i in range(1, n))]
    cols = {c: [0] * n for c in all_columns()}
    for i in range(1, n):
        cols[column_name("rx", "bytes")][i] = 1000 * i
        cols[column_name("rx", "packets")][i] = 10 * i
        cols[column_name("rx-unicast", "packets")][i] = 8 * i
        cols[column_name("rx-broadcast", "packets")][i] = 2 * i
        cols[column_name("tx", "bytes")][i] = 2**40 + i  # beyond 32 bits: must not be truncated
        cols["drops"][i] = 1
        cols["rx-no-buf"][i] = 2
        cols["rx-miss"][i] = 3
        cols["tx-error"][i] = i
    table = CounterTable(names, cols, {"/sys/heartbeat": 42}, 1, time.time())
    ifs = {
        i: InterfaceInfo(
            i,
            str(names[i]),
            str(names[i]),
            admin_up=True,
            link_up=i != 2,
            speed_kbps=10_000_000,
            mac=f"02:00:00:00:00:{i:02x}",
            link_mtu=9000,
            sup_sw_if_index=1,
            vrf="red" if i % 2 else "default",
        )
        for i in range(1, n)
    }
    inv = Inventory(
        ifs,
        (BondMember("BondEthernet0", "GigabitEthernet0/8/0.1", True),),
        {},
        (
            Route("red", "10.0.0.0/8", ("192.0.2.1",)),
            Route("red", "2001:db8::/32", ()),
            Route("default", "0.0.0.0/0", ()),
        ),
    )
    agent = AgentCounters(
        vpp_connected=connected, vpp_connects=2, vpp_disconnects=1, commits=5, commit_failures=1
    )
    return Snapshot(table, inv, agent, time.time())


def parse(text: str) -> Samples:
    out: Samples = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def lbl(interface: str, vrf: str, **extra: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({"interface": interface, "vrf": vrf, **extra}.items()))


def test_interface_values_units_and_labels() -> None:
    snap = make_snapshot()
    m = parse(Exporter(lambda: snap, LatencyHistogram()).render().decode())
    one, two = "GigabitEthernet0/8/0.1", "GigabitEthernet0/8/0.2"
    assert m[("bng_interface_receive_bytes_total", lbl(one, "red"))] == 1000
    assert m[("bng_interface_transmit_bytes_total", lbl(one, "red"))] == 2**40 + 1
    assert m[("bng_interface_receive_packets_total", lbl(one, "red", cast="unicast"))] == 8
    assert m[("bng_interface_receive_packets_total", lbl(one, "red", cast="broadcast"))] == 2
    assert m[("bng_interface_receive_discards_total", lbl(one, "red"))] == 6  # drops + rx-no-buf + rx-miss
    assert m[("bng_interface_transmit_errors_total", lbl(two, "default"))] == 2
    assert m[("bng_interface_speed_bytes_per_second", lbl(one, "red"))] == 1.25e9  # 10 Gbit/s
    assert m[("bng_interface_oper_up", lbl(one, "red"))] == 1
    assert m[("bng_interface_oper_up", lbl(two, "default"))] == 0  # no carrier
    assert m[("bng_interface_info", lbl(one, "red", vpp_name=one, sw_if_index="1"))] == 1
    assert m[("bng_bond_member_active", (("bond", "BondEthernet0"), ("member", one)))] == 1
    assert m[("bng_vrf_routes", (("family", "ipv4"), ("vrf", "red")))] == 1
    assert m[("bng_vrf_routes", (("family", "ipv6"), ("vrf", "red")))] == 1
    assert m[("bng_agent_commits_total", ())] == 5 and m[("bng_agent_commit_failures_total", ())] == 1
    assert m[("bng_vpp_stats_heartbeat", ())] == 42
    assert not any(k[0].startswith("bng_interface") and ("interface", "local0") in k[1] for k in m)


def test_vpp_disconnected_means_no_interface_is_up() -> None:
    snap = make_snapshot(connected=False)
    m = parse(Exporter(lambda: snap, LatencyHistogram()).render().decode())
    assert m[("bng_vpp_connected", ())] == 0
    assert all(v == 0 for k, v in m.items() if k[0] == "bng_interface_oper_up")


def test_fast_path_equals_prometheus_client_rendering() -> None:
    snap = make_snapshot(20)
    snap.inventory.interfaces[5] = InterfaceInfo(5, 'we"ird\\name\nx', "x", True, True, 1, "", 1500, 0)
    fast = parse(Exporter(lambda: snap, LatencyHistogram()).render().decode())
    reg = CollectorRegistry(auto_describe=False)
    reg.register(SnapshotCollector(lambda: snap, LatencyHistogram(), include_interfaces=True))
    slow = parse(generate_latest(reg).decode())
    assert fast == slow
    assert ("bng_interface_oper_up", lbl('we"ird\\name\nx', "default")) in fast


def test_series_cap_is_reported() -> None:
    snap = make_snapshot(10)
    m = parse(Exporter(lambda: snap, LatencyHistogram(), max_interfaces=4).render().decode())
    assert sum(1 for k in m if k[0] == "bng_interface_oper_up") == 4
    assert m[("bng_telemetry_interfaces_omitted", ())] == 5


def test_module_families_are_zero_until_a_module_registers() -> None:
    snap = make_snapshot()
    ex = Exporter(lambda: snap, LatencyHistogram())
    m = parse(ex.render().decode())
    assert m[("bng_nat_sessions", (("nat_instance", "default"),))] == 0
    assert m[("bng_subscriber_sessions", (("state", "active"),))] == 0
    assert m[("bng_radius_requests_total", (("type", "access"),))] == 0
    for mod in MODULES:
        assert any(k[0].startswith(mod.families[0].name) for k in m) or mod.families[0].labels, mod.module
    ex.collector.register_source("subscribers", lambda: [("bng_subscriber_sessions", ("active",), 1234)])
    m = parse(ex.render().decode())
    assert m[("bng_subscriber_sessions", (("state", "active"),))] == 1234
    assert ("bng_subscriber_sessions", (("state", "pending"),)) not in m  # the module's values replace zeros
    with pytest.raises(KeyError):
        ex.collector.register_source("no-such-module", list)


def test_latency_histogram_buckets_and_bounded_labels() -> None:
    lat = LatencyHistogram()
    for s in (0.00005, 0.0003, 0.0003, 0.2):
        lat.observe("control_ping", s)
    lat.observe("made_up_message_x", 0.001)
    snap = make_snapshot()
    m = parse(Exporter(lambda: snap, lat).render().decode())
    ping = (("msg", "control_ping"),)
    assert m[("bng_vpp_api_latency_seconds_count", ping)] == 4
    assert m[("bng_vpp_api_latency_seconds_sum", ping)] == pytest.approx(0.20065)
    assert m[("bng_vpp_api_latency_seconds_bucket", (("le", "0.0001"), *ping))] == 1
    assert m[("bng_vpp_api_latency_seconds_bucket", (("le", "0.0005"), *ping))] == 3
    assert m[("bng_vpp_api_latency_seconds_bucket", (("le", "+Inf"), *ping))] == 4
    assert m[("bng_vpp_api_latency_seconds_count", (("msg", "other"),))] == 1


@pytest.fixture
def served() -> Iterator[Exporter]:
    snap = make_snapshot()
    ex = Exporter(lambda: snap, LatencyHistogram(), host="127.0.0.1", port=0)
    ex.start()
    try:
        yield ex
    finally:
        ex.stop()


def test_http_endpoint_plain_and_gzip(served: Exporter) -> None:
    url = f"http://127.0.0.1:{served.port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        plain = r.read()
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.headers["Content-Encoding"] == "gzip"
        body = gzip.decompress(r.read())
    assert parse(body.decode()) == parse(plain.decode())
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"http://127.0.0.1:{served.port}/other", timeout=10)
    assert e.value.code == 404
    assert served.scrapes == 2


def test_every_family_passes_promtool_check_metrics() -> None:
    """``promtool check metrics`` (Debian's prometheus package) finds nothing to complain about in a full
    scrape -- units in base units and name suffixes, counters ``_total``, histograms complete -- for the
    fast path and for prometheus-client's own rendering, with every histogram observed."""
    import shutil
    import subprocess

    from agent.txn.timing import PhaseHistogram

    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: install the Debian package 'prometheus' (make sysdeps)"
    snap = make_snapshot(6)
    latency = LatencyHistogram()
    latency.observe("control_ping", 0.0002)
    phases = PhaseHistogram()
    phases.observe({"validate": 0.01, "plan": 0.002, "apply": 0.3, "persist": 0.004})
    fast = Exporter(lambda: snap, latency, commit_phases=phases).render()
    reg = CollectorRegistry(auto_describe=False)
    reg.register(SnapshotCollector(lambda: snap, latency, commit_phases=phases))
    slow = generate_latest(reg)
    for body in (fast, slow):
        assert b"bng_commit_phase_duration_seconds_bucket" in body
        assert b"bng_interface_speed_bytes_per_second" in body
        done = subprocess.run(
            [promtool, "check", "metrics"], input=body, capture_output=True, timeout=60, check=False
        )
        assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), (
            done.stdout.decode() + done.stderr.decode()
        )
    m = parse(fast.decode())
    assert m[("bng_commit_phase_duration_seconds_bucket", (("le", "0.5"), ("phase", "apply")))] == 1
    assert m[("bng_commit_phase_duration_seconds_bucket", (("le", "0.25"), ("phase", "apply")))] == 0
    assert m[("bng_commit_phase_duration_seconds_count", (("phase", "validate"),))] == 1


def test_packet_path_counters_are_exported_once_registered() -> None:
    from agent.packetio import PacketIO, Protocol

    snap = make_snapshot()
    ex = Exporter(lambda: snap, LatencyHistogram())
    assert parse(ex.render().decode())[("bng_packetio_subscriptions", ())] == 0
    pio = PacketIO()
    pio.subscribe(Protocol.DHCPV4)
    pio.counters.receive("GigabitEthernet0/8/0", Protocol.DHCPV4)
    pio.counters.drop("GigabitEthernet0/8/0", "rate-limited")
    pio.counters.drop("GigabitEthernet0/8/0", "rate-limited")
    ex.collector.register_source("packetio", pio.samples)
    m = parse(ex.render().decode())
    port = ("port", "GigabitEthernet0/8/0")
    assert m[("bng_packetio_frames_received_total", (port, ("protocol", "dhcpv4")))] == 1
    assert m[("bng_packetio_frames_dropped_total", (port, ("reason", "rate-limited")))] == 2
    assert m[("bng_packetio_queued_frames", (("protocol", "dhcpv4"),))] == 0
    assert m[("bng_packetio_subscriptions", ())] == 1
