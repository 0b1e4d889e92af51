"""The committed bindings are fresh, and what an orchestrator builds with them the agent accepts."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pytest
from pyangbind.lib import pybindJSON

from agent.model.bindgen import REPO_ROOT, generate
from agent.model.context import load_model_set
from agent.model.validate import check_config, parse_config

BINDINGS = REPO_ROOT / "bindings"


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bindings")
    generate(out)
    return out


def test_committed_bindings_match_a_fresh_generation(fresh: Path) -> None:
    """Generated elsewhere, at another time, the output must be byte-identical: that is the freshness
    check and the determinism check at once (no timestamps, no absolute paths)."""
    generated, committed = _files(fresh), _files(BINDINGS)
    assert generated == committed, "bindings/ out of date: run `make bindings` and commit the result"
    stale = [n for n in sorted(generated) if not filecmp.cmp(fresh / n, BINDINGS / n, shallow=False)]
    assert not stale, f"bindings/ out of date ({', '.join(stale)}): run `make bindings` and commit the result"


def test_generated_files_hold_no_local_paths(fresh: Path) -> None:
    for name in _files(fresh):
        text = (fresh / name).read_text()
        assert str(REPO_ROOT) not in text and str(fresh) not in text, name


def test_bindings_cover_ietf_interfaces_and_every_project_module() -> None:
    from agent.model.modules import PROJECT_MODULES

    header = (BINDINGS / "bng_yang.py").read_text().split("\n", 4)[:4]
    modules_line = next(line for line in header if line.startswith("# Modules:"))
    for name in ["ietf-interfaces", "ietf-ip", *PROJECT_MODULES]:
        if name.endswith("deviations"):
            continue
        assert f" {name}@" in modules_line, name


def test_config_built_with_bindings_validates_in_the_agent() -> None:
    """A port with two VLAN sub-interfaces (project augment bng-interfaces) carrying IPv4 and IPv6."""
    from bindings import bng_yang

    root = bng_yang.ietf_interfaces()
    port = root.interfaces.interface.add("GigabitEthernet0/8/0")
    port.type = "iana-if-type:ethernetCsmacd"
    for vlan in (100, 200):
        entry = root.interfaces.interface.add(f"GigabitEthernet0/8/0.{vlan}")
        entry.type = "iana-if-type:l2vlan"
        entry.description = f"subscriber VLAN {vlan}"
        entry.sub_interface.parent_interface = "GigabitEthernet0/8/0"
        entry.sub_interface.sub_id = vlan
        entry.sub_interface.encapsulation.single_tagged.vlan_id = vlan
        entry.ipv4.mtu = 1500
        entry.ipv4.address.add(f"10.{vlan // 100}.0.1").prefix_length = 24
        entry.ipv6.address.add(f"2001:db8:{vlan}::1").prefix_length = 64
    text = pybindJSON.dumps(root, mode="ietf")
    assert check_config(text, "json") == []
    tree = parse_config(text, "json", load_model_set().ctx)
    assert tree is not None
    try:
        names = sorted(n.value() for n in tree.find_all("/ietf-interfaces:interfaces/interface/name"))
        assert names == ["GigabitEthernet0/8/0", "GigabitEthernet0/8/0.100", "GigabitEthernet0/8/0.200"]
        sub = "/ietf-interfaces:interfaces/interface[name='GigabitEthernet0/8/0.200']"
        vlan_id = tree.find_one(f"{sub}/bng-interfaces:sub-interface/encapsulation/single-tagged/vlan-id")
        assert vlan_id is not None and vlan_id.value() == 200
        mtu = tree.find_one(f"{sub}/ietf-ip:ipv4/mtu")
        assert mtu is not None and mtu.value() == 1500
    finally:
        tree.free()


def test_agent_catches_cross_node_rules_the_bindings_do_not() -> None:
    """pyangbind checks types and ranges only; must/leafref rules are the agent's job."""
    from bindings import bng_yang

    root = bng_yang.ietf_interfaces()
    entry = root.interfaces.interface.add("GigabitEthernet0/8/0.100")
    entry.type = "iana-if-type:l2vlan"
    entry.sub_interface.parent_interface = "GigabitEthernet0/9/9"  # no such interface
    entry.sub_interface.sub_id = 100
    entry.sub_interface.encapsulation.single_tagged.vlan_id = 100
    problems = check_config(pybindJSON.dumps(root, mode="ietf"), "json")
    assert problems, "a sub-interface of a missing parent must be rejected"
    assert any("GigabitEthernet0/8/0.100" in (p.path or "") for p in problems)


def test_bindings_reject_values_the_model_forbids() -> None:
    from bindings import bng_yang

    entry = bng_yang.ietf_interfaces().interfaces.interface.add("eth0")
    with pytest.raises(ValueError):
        entry.ipv4.mtu = 10  # ietf-ip: mtu is 68..max
    with pytest.raises((ValueError, KeyError)):
        entry.ipv4.address.add("not-an-address")


def test_agent_rejects_what_bindings_cannot_check() -> None:
    """Bindings don't run must/leafref validation across modules; the agent does (same JSON path)."""
    from bindings import bng_yang

    root = bng_yang.ietf_interfaces()
    entry = root.interfaces.interface.add("eth0")
    entry.enabled = True  # no type: mandatory in ietf-interfaces, not enforced by pyangbind
    problems = check_config(pybindJSON.dumps(root, mode="ietf"), "json")
    assert len(problems) == 1
    assert "type" in problems[0].message
    assert problems[0].path is not None and "interface[name='eth0']" in problems[0].path
    json.loads(pybindJSON.dumps(root, mode="ietf"))  # still well-formed JSON-IETF
