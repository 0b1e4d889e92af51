"""Configuration the agent stores but does not apply yet: which commits touch it, what running holds there,
and that an operational copy leaves it out."""

from __future__ import annotations

import json
from pathlib import Path

from agent.datastore import unapplied
from agent.datastore.changes import Change
from agent.datastore.tree import DataTree, find_xpath
from agent.model import load_model_set

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-config.json"
IF = "/ietf-interfaces:interfaces/interface"


def _paths(changes: list[Change]) -> set[tuple[str, str]]:
    return {(h.entry.path, h.path) for h in unapplied.touched(changes)}


def test_a_whole_top_level_subtree_created_is_one_warning() -> None:
    hits = _paths([Change("create", "/bng-ha:ha", None, {"peer": {"address": "192.0.2.1"}})])
    assert hits == {("/bng-ha:ha", "/bng-ha:ha")}


def test_a_leaf_modified_deep_inside_names_its_own_path() -> None:
    path = "/ietf-system:system/radius/server[name='r1']/timeout"
    assert _paths([Change("modify", path, 1, 2)]) == {("/ietf-system:system/radius", path)}


def test_an_interface_created_with_an_unapplied_leaf_is_found_inside_its_value() -> None:
    entry = {"name": "x", "type": "iana-if-type:l2vlan", "ietf-ip:ipv4": {"mtu": 1400}}
    change = Change("create", f"{IF}[name='x']", None, entry)
    assert _paths([change]) == {(f"{IF}/ietf-ip:ipv4/mtu", f"{IF}[name='x']/ietf-ip:ipv4/mtu")}


def test_qos_profiles_and_attachments_are_applied_and_give_no_warning() -> None:
    entry = {"name": "x", "type": "iana-if-type:l2vlan", "bng-qos:qos": {"input-profile": "gold"}}
    assert _paths([Change("create", f"{IF}[name='x']", None, entry)]) == set()
    assert _paths([Change("modify", "/bng-qos:qos/profile[name='gold']/cir", 1, 2)]) == set()


def test_applied_data_and_deletions_give_no_warning() -> None:
    entry = {"name": "x", "type": "iana-if-type:ethernetCsmacd", "ietf-ip:ipv4": {"address": []}}
    assert _paths([Change("create", f"{IF}[name='x']", None, entry)]) == set()
    assert _paths([Change("delete", "/bng-ha:ha", {"peer": {}}, None)]) == set()
    # NAT is programmed (issue #17): creating it gives no warning
    assert (
        _paths([Change("create", "/ietf-nat:nat", None, {"instances": {"instance": [{"id": 1}]}})]) == set()
    )
    # same local name in another module: bng-interfaces' mtu is applied, ietf-ip's per-protocol one not
    assert _paths([Change("modify", f"{IF}[name='x']/bng-interfaces:mtu", 1500, 9000)]) == set()
    assert _paths([Change("modify", f"{IF}[name='x']/ietf-ip:ipv4/mtu", 1500, 9000)]) != set()


def test_any_depth_wildcard_matches_health_probes_in_every_route_list() -> None:
    vrf = {
        "name": "blue",
        "static-routes": {
            "ipv4-route": [
                {"prefix": "10.0.0.0/8", "next-hop": [{"id": 1, "health-probe": {"interval": 5}}]},
            ]
        },
    }
    hits = _paths([Change("create", "/bng-vrf:vrfs/vrf[name='blue']", None, vrf)])
    assert hits == {
        (
            "/bng-vrf:vrfs/**/health-probe",
            "/bng-vrf:vrfs/vrf[name='blue']/static-routes/ipv4-route/next-hop/health-probe",
        )
    }


def test_the_demo_configuration_reports_every_unapplied_service_it_sets() -> None:
    doc = json.loads(DEMO.read_text())
    features = {
        h.entry.feature
        for h in unapplied.touched([Change("create", f"/{k}", None, v) for k, v in doc.items()])
    }
    for expected in ("two-node state synchronisation", "VRRP"):
        assert expected in features


def _demo_tree() -> DataTree:
    model = load_model_set()
    return DataTree.parse(model.ctx, DEMO.read_text(), "json")


def test_instances_count_what_running_holds_and_strip_removes_only_that() -> None:
    tree = _demo_tree()
    try:
        found = {e.path: len(nodes) for e, nodes in unapplied.instances(tree.root)}
        assert "/ietf-nat:nat" not in found
        assert found["/bng-ha:ha"] == 1
        assert "/bng-qos:qos" not in found  # applied by the qos feature
        state = unapplied.agent_state(tree.root)["bng-agent:agent-state"]["not-applied"]
        ha = next(r for r in state if r["path"] == "/bng-ha:ha")
        assert ha["instances"] == 1 and ha["first-instance"] == "/bng-ha:ha"
        assert "issue #19" in ha["reason"]
        interfaces_before = len(find_xpath(tree.root, f"{IF}"))
        unapplied.strip(tree.root, tree.free_node)
        assert all(not nodes for _e, nodes in unapplied.instances(tree.root))
        assert len(find_xpath(tree.root, f"{IF}")) == interfaces_before
        assert find_xpath(tree.root, "/bng-vrf:vrfs/vrf")
    finally:
        tree.close()


def test_schema_defaults_are_not_configuration_anyone_wrote() -> None:
    model = load_model_set()
    doc = {
        "ietf-interfaces:interfaces": {
            "interface": [{"name": "eth0", "type": "iana-if-type:ethernetCsmacd", "ietf-ip:ipv4": {}}]
        }
    }
    tree = DataTree.parse(model.ctx, json.dumps(doc), "json")
    try:
        tree.validate()  # adds schema defaults (proxy-arp false, ...)
        assert unapplied.agent_state(tree.root) == {}
    finally:
        tree.close()


def test_defaults_libyang_tags_in_change_values_give_no_warning() -> None:
    """Change values carry schema defaults tagged (report-all-tagged): proxy-arp false on every new
    interface is nobody's configuration; proxy-arp true is."""
    tag = {"ietf-netconf-with-defaults:default": True}
    entry = {
        "name": "x",
        "ietf-ip:ipv4": {"bng-interfaces:proxy-arp": False, "@bng-interfaces:proxy-arp": tag},
    }
    # proxy-ARP is applied now (agent/features/proxyarp); the matcher is the same for any leaf
    table = [unapplied.Unapplied(f"{IF}/ietf-ip:ipv4/bng-interfaces:proxy-arp", "proxy-ARP", None)]

    def hits(changes: list[Change]) -> set[tuple[str, str]]:
        return {(h.entry.path, h.path) for h in unapplied.touched(changes, table)}

    assert hits([Change("create", f"{IF}[name='x']", None, entry)]) == set()
    entry["ietf-ip:ipv4"] = {"bng-interfaces:proxy-arp": True}
    assert hits([Change("create", f"{IF}[name='x']", None, entry)]) == {
        (
            f"{IF}/ietf-ip:ipv4/bng-interfaces:proxy-arp",
            f"{IF}[name='x']/ietf-ip:ipv4/bng-interfaces:proxy-arp",
        )
    }
    probe = {"interval": 5, "@interval": tag}
    assert _paths([Change("create", "/bng-vrf:vrfs/vrf[name='v']/x/health-probe", None, probe)]) == set()
