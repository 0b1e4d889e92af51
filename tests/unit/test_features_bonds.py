"""The bonds feature without VPP: bond interfaces and membership from configuration, and their calls."""

from __future__ import annotations

from _feature_helpers import P0, P1, calls, interfaces, items_of, port, value

from agent.features.bonds.descriptors import AUTO_ID
from agent.features.bonds.values import BondMemberValue, BondValue
from agent.features.registry import DESCRIPTORS, ROOTS
from agent.vpp.config import ConfigIndex, RootId
from agent.vpp.items import Item


def bond(name: str, **settings: object) -> dict[str, object]:
    return {"name": name, "type": "iana-if-type:ieee8023adLag", "bng-interfaces:bond": settings}


def member(name: str, bond_name: str, **extra: object) -> dict[str, object]:
    return port(name, **{"bng-interfaces:bond-member": {"bond": bond_name, **extra}})


def test_a_bond_named_bondethernet_n_is_created_with_instance_n() -> None:
    items = items_of(interfaces(bond("BondEthernet3", mode="xor", **{"load-balance": "l34"}), bond("uplink")))
    assert items["interface/BondEthernet3"].value == BondValue(3, 3, 1, False, None)
    assert items["interface/uplink"].value == BondValue(AUTO_ID, 5, 0, False, None)  # lacp, l2 defaults
    assert "tag/uplink" in items  # the tag ties the VPP-named BondEthernet<n> to "uplink"
    create, delete = calls(items["interface/BondEthernet3"])
    assert create is not None and create.startswith("bond_create2(mode=3, lb=1, numa_only=False")
    assert delete == "bond_delete(sw_if_index=<BondEthernet3>)"


def test_a_members_lacp_timeout_comes_from_its_bonds_rate() -> None:
    items = items_of(
        interfaces(
            bond("BondEthernet0", **{"lacp-rate": "slow"}),
            member(P0, "BondEthernet0", **{"lacp-passive": True}),
            member(P1, "BondEthernet0"),
        )
    )
    m = items[f"member/{P0}"]
    assert m.value == BondMemberValue("BondEthernet0", True, True)
    assert m.deps == (f"interface/{P0}", "interface/BondEthernet0")
    assert m.owner == P0
    assert calls(m) == (
        f"bond_add_member(sw_if_index=<{P0}>, bond_sw_if_index=<BondEthernet0>, is_passive=True, "
        "is_long_timeout=True)",
        f"bond_detach_member(sw_if_index=<{P0}>)",
    )
    assert items[f"member/{P1}"].value == BondMemberValue("BondEthernet0", False, True)


def test_the_rate_is_ignored_outside_lacp_mode() -> None:
    items = items_of(interfaces(bond("b", mode="active-backup", **{"lacp-rate": "slow"}), member(P0, "b")))
    assert value(items[f"member/{P0}"], BondMemberValue).long_timeout is False


def test_a_member_is_flattened_again_when_its_bond_changes() -> None:
    """The member reads its bond's lacp-rate: the index names it as a reader of the bond's root."""
    cfg = ConfigIndex.from_json(interfaces(bond("b"), member(P0, "b"), port(P1)), ROOTS)
    assert cfg.readers_of([RootId("if", "b")]) == {RootId("if", P0)}
    assert cfg.readers_of([RootId("if", P1)]) == set()
    cfg.put(RootId("if", P0), port(P0))  # no longer a member
    assert cfg.readers_of([RootId("if", "b")]) == set()


def test_bond_equivalence_ignores_what_vpp_ignores() -> None:
    d = DESCRIPTORS["bond"]
    vpp = Item("interface/BondEthernet0", BondValue(0, 2, 0, False, "02:fe:00:00:00:01"))
    # active-backup does not hash: a configured lb does not matter; no configured MAC: VPP's is fine
    assert d.equivalent(vpp, Item("interface/BondEthernet0", BondValue(0, 2, 2, False, None)))
    assert not d.equivalent(vpp, Item("interface/BondEthernet0", BondValue(0, 3, 0, False, None)))
    assert d.update(vpp, vpp) is None  # nothing changes in place: a different bond is re-created
