"""Operational reads build only what they ask for.

A NETCONF ``<get-data>`` / gNMI Get of one interface's state used to make the telemetry provider format
every interface (10,000 on a loaded BNG) before the read's filter threw all but one away. The registry
now hands the requested paths to providers registered with ``register_scoped``; these tests check which
requests are narrowed (and that everything else still gets the whole list, so no read misses data), and
count the entries the provider actually builds for a read of one interface among 10,000.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from lxml import etree

from agent.datastore.store import Datastores
from agent.model.context import load_model_set
from agent.telemetry import service
from agent.telemetry.operational import interfaces_text, requested_interfaces
from agent.telemetry.segment import CounterTable
from agent.telemetry.service import Telemetry
from agent.telemetry.snapshot import AgentCounters, InterfaceInfo, Inventory, Snapshot

N = 10_000
IFS = "/ietf-interfaces:interfaces"


def name_of(i: int) -> str:
    return f"GigabitEthernet0/8/0.{i}"


@pytest.fixture(scope="module")
def big_snapshot() -> Snapshot:
    """10,000 sub-interfaces with counters: sw_if_index i has i*64 octets received."""
    names: list[str | None] = ["local0", *(name_of(i) for i in range(1, N + 1))]
    cols = {"rx:bytes": [i * 64 for i in range(N + 1)], "rx:packets": list(range(N + 1))}
    cols["drops"] = [1] * (N + 1)
    cols["rx-miss"] = [2] * (N + 1)
    table = CounterTable(names, cols, {"/sys/boottime": 1_700_000_000}, 1, time.time())
    ifs = {
        i: InterfaceInfo(i, name_of(i), name_of(i), True, i % 2 == 0, 1_000_000, "00:00:00:00:00:00", 1500, 1)
        for i in range(1, N + 1)
    }
    inv = Inventory(ifs, (), {7: ("10.0.7.1/24",)}, ())
    return Snapshot(table, inv, AgentCounters(vpp_connected=True), time.time())


@pytest.fixture(scope="module")
def model() -> Any:
    return load_model_set()


class Built:
    """Records how many interface entries the telemetry provider formatted per call."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, snapshot: Snapshot, names: set[str] | None = None) -> str:
        text = service_interfaces_text(snapshot, names)
        self.calls.append(len(json.loads(text)["ietf-interfaces:interfaces"]["interface"]))
        return text


service_interfaces_text = interfaces_text


@pytest.fixture
def served(
    model: Any, big_snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Datastores, Built]]:
    built = Built()
    monkeypatch.setattr(service, "interfaces_text", built)
    ds = Datastores(model)
    tel = Telemetry("/nonexistent/stats.sock")
    tel.snapshot = big_snapshot
    tel.serve_operational(ds)
    try:
        yield ds, built
    finally:
        tel._executor.shutdown(wait=False)


def interfaces(text: str) -> list[dict[str, Any]]:
    doc = json.loads(text) if text.strip() else {}
    return list(doc.get("ietf-interfaces:interfaces", {}).get("interface", []))


@pytest.mark.parametrize(
    ("paths", "want"),
    [
        ([f"{IFS}/interface[name='Gi0/1.5']"], {"Gi0/1.5"}),
        ([f"{IFS}/interface[name='Gi0/1.5']/statistics/in-octets"], {"Gi0/1.5"}),
        # NETCONF XPath filters arrive with module-name prefixes on every step
        (
            [
                "/ietf-interfaces:interfaces/ietf-interfaces:interface[ietf-interfaces:name='a']/ietf-interfaces:statistics"
            ],
            {"a"},
        ),
        ([f'{IFS}/interface[name="it\'s"]'], {"it's"}),
        ([f"{IFS}/interface[name='a'] | {IFS}/interface[name='b']/oper-status"], {"a", "b"}),
        ([f"{IFS}/interface[name='a|b']"], {"a|b"}),  # a '|' inside the key value is not a union
        ([f"{IFS}/interface[name='a']", "/bng-agent:agent-state"], {"a"}),
    ],
)
def test_keyed_reads_are_narrowed(paths: list[str], want: set[str]) -> None:
    assert requested_interfaces(paths) == want


@pytest.mark.parametrize(
    "paths",
    [
        None,
        [],
        ["/"],
        ["/*"],
        [IFS],
        [f"{IFS}/interface"],
        [f"{IFS}/interface/statistics"],
        [f"{IFS}/interface[name='a' or name='b']"],
        [f"{IFS}/interface[oper-status='down']"],
        [f"{IFS}/interface[name='a']/../interface"],
        [f"{IFS}/interface[name='a']/following-sibling::interface"],
        ["//interface[name='a']"],
        [f"{IFS}/interface[name='a'] | {IFS}/interface"],
        ["/bng-agent:agent-state"],
    ],
)
def test_anything_else_reads_every_interface(paths: list[str] | None) -> None:
    assert requested_interfaces(paths) is None


def test_one_interface_of_10000_builds_one_entry(served: tuple[Datastores, Built]) -> None:
    ds, built = served
    xpath = f"{IFS}/interface[name='{name_of(7)}']"
    text = ds.read("operational", xpath=xpath, config_only=False, fmt="json")
    got = interfaces(text)
    assert [e["name"] for e in got] == [name_of(7)]
    assert got[0]["statistics"]["in-octets"] == str(7 * 64)
    assert got[0]["statistics"]["in-discards"] == 3  # drops + rx-miss, as for a full read
    assert got[0]["oper-status"] == "down"  # odd index: no carrier
    assert got[0]["ietf-ip:ipv4"]["address"] == [{"ip": "10.0.7.1", "prefix-length": 24}]
    assert built.calls == [1]


def test_netconf_style_xpath_of_one_leaf_builds_one_entry(served: tuple[Datastores, Built]) -> None:
    ds, built = served
    xpath = (
        f"/ietf-interfaces:interfaces/ietf-interfaces:interface[ietf-interfaces:name='{name_of(9000)}']"
        "/ietf-interfaces:statistics/ietf-interfaces:in-octets"
    )
    got = interfaces(ds.read("operational", xpath=xpath, config_only=False, fmt="json"))
    assert got == [{"name": name_of(9000), "statistics": {"in-octets": str(9000 * 64)}}]
    assert built.calls == [1]


def test_scoped_entry_equals_the_same_entry_of_a_full_read(served: tuple[Datastores, Built]) -> None:
    ds, built = served
    one = interfaces(
        ds.read("operational", xpath=f"{IFS}/interface[name='{name_of(42)}']", config_only=False, fmt="json")
    )
    full = interfaces(ds.read("operational", xpath=IFS, config_only=False, fmt="json"))
    assert len(full) == N
    assert one == [e for e in full if e["name"] == name_of(42)]
    assert built.calls == [1, N]


def test_unknown_interface_builds_nothing(served: tuple[Datastores, Built]) -> None:
    ds, built = served
    text = ds.read("operational", xpath=f"{IFS}/interface[name='nope']", config_only=False, fmt="json")
    assert interfaces(text) == []
    assert built.calls == [0]


def test_plain_providers_still_work_and_scoped_ones_see_only_their_paths(model: Any) -> None:
    ds = Datastores(model)
    seen: list[list[str] | None] = []

    def scoped(paths: list[str] | None) -> dict[str, Any]:
        seen.append(paths)
        return {"ietf-interfaces:interfaces": {"interface": [{"name": "x", "oper-status": "up"}]}}

    ds.operational.register_scoped(IFS, scoped)
    ds.operational.register(
        "/bng-agent:agent-state",
        lambda: {"bng-agent:agent-state": {"vpp": {"connection-state": "connected"}}},
    )
    agent = json.loads(ds.read("operational", xpath="/bng-agent:agent-state", config_only=False, fmt="json"))
    assert agent == {"bng-agent:agent-state": {"vpp": {"connection-state": "connected"}}}
    assert seen == []  # not asked: the read does not touch its subtree
    one = f"{IFS}/interface[name='x']/oper-status"
    assert interfaces(ds.read("operational", xpath=one, config_only=False, fmt="json")) == [
        {"name": "x", "oper-status": "up"}
    ]
    assert seen == [[one]]
    whole = json.loads(ds.read("operational", config_only=False, fmt="json"))
    assert whole["bng-agent:agent-state"]["vpp"]["connection-state"] == "connected"
    assert seen == [[one], None]


@pytest.mark.parametrize(
    "xpath",
    [
        "/bng-agent:agent-state | /ietf-interfaces:interfaces/interface[name='x']",
        "//ietf-interfaces:interface[ietf-interfaces:name='x']",
        "/*",
    ],
)
def test_unions_and_descendant_paths_reach_every_provider_they_may_select(model: Any, xpath: str) -> None:
    ds = Datastores(model)
    ds.operational.register(
        IFS, lambda: {"ietf-interfaces:interfaces": {"interface": [{"name": "x", "oper-status": "up"}]}}
    )
    # the datastores' own agent-state/not-applied provider is reached by the union and by /* as well
    reached = {r.path_prefix for r in ds.operational.providers_for([xpath])}
    assert reached - {"/bng-agent:agent-state"} == {IFS}
    got = interfaces(ds.read("operational", xpath=xpath, config_only=False, fmt="json"))
    assert {"name": "x", "oper-status": "up"} in got


def test_subtree_filter_of_one_interface_builds_one_entry(served: tuple[Datastores, Built]) -> None:
    """NETCONF <get> with a subtree filter naming one interface (RFC 6241 6.2.5 content match)."""
    ds, built = served
    flt = etree.fromstring(
        '<filter xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
        '<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface>'
        f"<name>{name_of(123)}</name><statistics><in-octets/></statistics>"
        "</interface></interfaces></filter>"
    )
    got = interfaces(ds.read("operational", subtree=flt, config_only=False, fmt="json"))
    assert got == [{"name": name_of(123), "statistics": {"in-octets": str(123 * 64)}}]
    assert built.calls == [1]


def test_subtree_filter_without_a_key_still_reads_every_interface(served: tuple[Datastores, Built]) -> None:
    ds, built = served
    flt = etree.fromstring(
        '<filter xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
        '<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface>'
        "<oper-status>up</oper-status><name/></interface></interfaces></filter>"
    )
    got = interfaces(ds.read("operational", subtree=flt, config_only=False, fmt="json"))
    assert len(got) == N // 2  # even indices have carrier
    assert built.calls == [N]
