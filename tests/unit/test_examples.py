"""The demo configuration in examples/: valid in both encodings, the same BNG in each, and complete.

An operator starts from these files (``make run`` loads the XML one), so beyond validating they must
hold what issue #2 promises: four ports, an LACP uplink bond, 50 VLAN and a few QinQ sub-interfaces,
a loopback, two VRFs with ECMP routes, NAT, two QoS profiles, an ACL, DHCP relay, RADIUS, an admin.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import libyang
import pytest

from agent.model import libyang_c, lint
from agent.model.context import load_model_set

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
XML = EXAMPLES / "demo-config.xml"
JSON = EXAMPLES / "demo-config.json"


@pytest.fixture(scope="module")
def ctx() -> libyang.Context:
    libyang_c.record_error_paths()
    return load_model_set().ctx


def load(ctx: libyang.Context, path: Path) -> libyang.DNode:
    if path.suffix == ".xml":
        text = lint.unwrap_netconf_config(path.read_bytes()).decode()
        tree = ctx.parse_data_mem(text, "xml", strict=True, no_state=True)
    else:
        tree = ctx.parse_data_mem(path.read_text(), "json", strict=True, no_state=True)
    assert tree is not None
    return tree


@pytest.fixture(scope="module")
def demo(ctx: libyang.Context) -> Iterator[libyang.DNode]:
    tree = load(ctx, JSON)
    yield tree
    tree.free()


def count(tree: libyang.DNode, xpath: str) -> int:
    return sum(1 for _ in tree.find_all(xpath))


def values(tree: libyang.DNode, xpath: str) -> list[str]:
    leaves = [n for n in tree.find_all(xpath) if isinstance(n, libyang.DLeaf)]
    assert len(leaves) == count(tree, xpath), f"{xpath} selects non-leaf nodes"
    return [str(n.value()) for n in leaves]


@pytest.mark.parametrize("path", [XML, JSON], ids=["xml", "json"])
def test_example_is_valid_configuration(ctx: libyang.Context, path: Path) -> None:
    load(ctx, path).free()


def test_xml_is_a_netconf_config_element() -> None:
    head = XML.read_text()
    assert '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">' in head


def test_xml_and_json_hold_the_same_configuration(ctx: libyang.Context) -> None:
    from_xml, from_json = load(ctx, XML), load(ctx, JSON)
    try:
        assert from_xml.print_mem("json", with_siblings=True) == from_json.print_mem(
            "json", with_siblings=True
        )
    finally:
        from_xml.free()
        from_json.free()


@pytest.mark.parametrize("path", [XML, JSON], ids=["xml", "json"])
def test_yanglint_accepts_the_example(path: Path) -> None:
    assert [str(f) for f in lint.yanglint_example(path)] == []


def test_yanglint_check_catches_a_broken_example(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text(XML.read_text().replace("<vlan-id>100</vlan-id>", "<vlan-id>4095</vlan-id>", 1))
    findings = lint.yanglint_example(broken)
    assert findings and any("4095" in str(f) for f in findings)


IF = "/ietf-interfaces:interfaces/interface"


def test_demo_has_four_vpp_ports_and_an_lacp_bond_of_two(demo: libyang.DNode) -> None:
    ports = values(demo, f"{IF}[type='iana-if-type:ethernetCsmacd']/name")
    assert ports == [f"GigabitEthernet0/{slot}/0" for slot in ("8", "9", "a", "b")]
    assert values(demo, f"{IF}[name='BondEthernet0']/bng-interfaces:bond/mode") == ["lacp"]
    members = values(demo, f"{IF}[bng-interfaces:bond-member/bond='BondEthernet0']/name")
    assert len(members) == 2


def test_demo_has_50_vlans_and_qinq_on_the_access_port(demo: libyang.DNode) -> None:
    on_access = f"{IF}[bng-interfaces:sub-interface/parent-interface='GigabitEthernet0/a/0']"
    assert count(demo, f"{on_access}/bng-interfaces:sub-interface/encapsulation/single-tagged") == 50
    assert count(demo, f"{on_access}/bng-interfaces:sub-interface/encapsulation/double-tagged") >= 2
    assert values(demo, f"{IF}[type='iana-if-type:softwareLoopback']/name") == ["loopback0"]


def test_demo_has_two_vrfs_with_ecmp_routes(demo: libyang.DNode) -> None:
    assert values(demo, "/bng-vrf:vrfs/vrf/name") == ["internet", "voip"]
    ecmp = [
        r for r in demo.find_all("/bng-vrf:vrfs/vrf/static-routes/ipv4-route") if count(r, "next-hop") >= 2
    ]
    assert len(ecmp) >= 2


def test_demo_has_nat_qos_acl_relay_radius_and_admin(demo: libyang.DNode) -> None:
    assert values(demo, "/ietf-nat:nat/instances/instance/policy/external-ip-address-pool/external-ip-pool")
    assert count(demo, "/bng-qos:qos/profile") == 2
    assert count(demo, "/ietf-access-control-list:acls/acl") >= 1
    assert values(demo, "/bng-subscribers:subscribers/dhcpv4-relay/server-group/server")
    assert values(demo, "/bng-aaa:aaa/radius/server/address") == ["192.0.2.20"]
    assert values(demo, "/ietf-system:system/authentication/user/name") == ["admin"]


def test_yang_check_exit_status_follows_the_examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = tmp_path / "good"
    good.mkdir()
    (good / "demo-config.json").write_text(JSON.read_text())
    monkeypatch.setattr(lint, "EXAMPLES_DIR", good)
    assert lint.main([]) == 0
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "demo-config.json").write_text(JSON.read_text().replace('"table-id": 20', '"table-id": 10'))
    monkeypatch.setattr(lint, "EXAMPLES_DIR", bad)
    assert lint.main([]) == 1
