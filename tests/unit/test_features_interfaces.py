"""The interfaces feature without VPP: configuration -> items, and items -> VPP calls."""

from __future__ import annotations

from _feature_helpers import P0, P1, calls, interfaces, items_of, port, sub

from agent.features.interfaces.values import (
    AddressValue,
    EthernetValue,
    LoopbackValue,
    MtuValue,
    SubifValue,
    TableBindingValue,
    TagValue,
)
from agent.features.registry import DESCRIPTORS
from agent.vpp.descriptor import Ownership
from agent.vpp.items import Item
from agent.vpp.naming import NameMap


def test_a_port_is_only_asserted_and_gets_no_tag() -> None:
    items = items_of(interfaces(port(enabled=False)))
    assert items == {f"interface/{P0}": Item(f"interface/{P0}", EthernetValue())}
    assert calls(items[f"interface/{P0}"]) == (None, None)
    names = NameMap()
    assert DESCRIPTORS["ethernet"].check(items[f"interface/{P0}"], names) == (
        f"physical interface {P0} is not present in VPP"
    )
    names.bind(P0, 1)
    assert DESCRIPTORS["ethernet"].check(items[f"interface/{P0}"], names) is None


def test_a_qinq_sub_interface_maps_to_create_subif_flags() -> None:
    enc = {"double-tagged": {"outer-vlan-id": 100, "inner-vlan-id": 7}}
    items = items_of(interfaces(port(), sub(7, enc, **{"bng-interfaces:mtu": 1400})))
    it = items[f"interface/{P0}.7"]
    # TWO_TAGS | DOT1AD (the outer tag type defaults to 802.1ad) | EXACT_MATCH
    assert it.value == SubifValue(P0, 7, 4 | 8 | 16, 100, 7)
    # VPP copies the parent's MTU into a new sub-interface: the parent's MTU item comes first
    assert it.deps == (f"interface/{P0}", f"mtu/{P0}")
    assert items[f"mtu/{P0}.7"].value == MtuValue(1400)
    assert items[f"mtu/{P0}.7"].deps == (f"interface/{P0}.7", f"mtu/{P0}")
    create, delete = calls(it)
    assert create == (
        f"create_subif(sw_if_index=<{P0}>, sub_id=7, sub_if_flags=28, outer_vlan_id=100, inner_vlan_id=7)"
    )
    assert delete == f"delete_subif(sw_if_index=<{P0}.7>)"
    assert items[f"tag/{P0}.7"].owner == f"{P0}.7"
    assert calls(items[f"admin-up/{P0}.7"])[0] == f"sw_interface_set_flags(sw_if_index=<{P0}.7>, flags=1)"


def test_an_untagged_dot1q_default_and_inexact_sub_interface() -> None:
    items = items_of(
        interfaces(
            port(),
            sub(1, {"default-match": [None]}),
            sub(2, {"single-tagged": {"vlan-id": 2}, "exact-match": False}),
            sub(3, {}),
        )
    )
    assert items[f"interface/{P0}.1"].value == SubifValue(P0, 1, 32, 0, 0)  # DEFAULT
    assert items[f"interface/{P0}.2"].value == SubifValue(P0, 2, 2, 2, 0)  # ONE_TAG, not exact
    assert items[f"interface/{P0}.3"].value == SubifValue(P0, 3, 1, 0, 0)  # NO_TAGS


def test_addresses_depend_on_the_table_binding_of_their_family() -> None:
    doc = {
        **interfaces(
            port(
                **{
                    "bng-vrf:vrf": "cust",
                    "ietf-ip:ipv4": {"address": [{"ip": "10.0.0.1", "netmask": "255.255.255.0"}]},
                    "ietf-ip:ipv6": {"address": [{"ip": "2001:DB8::1", "prefix-length": 64}]},
                }
            )
        ),
        "bng-vrf:vrfs": {"vrf": [{"name": "cust", "table-id": 5, "ipv6": False}]},
    }
    items = items_of(doc)
    assert items[f"binding/{P0}/ipv4"].value == TableBindingValue(P0, 5, False)
    assert items[f"binding/{P0}/ipv4"].deps == (f"interface/{P0}", "vrf/cust/ipv4")
    assert f"binding/{P0}/ipv6" not in items  # the VRF has no IPv6 table
    v4 = items[f"address/{P0}/10.0.0.1/24"]
    assert v4.value == AddressValue(P0, "10.0.0.1/24")
    assert v4.deps == (f"interface/{P0}", f"binding/{P0}/ipv4")
    v6 = items[f"address/{P0}/2001:db8::1/64"]  # normalised like VPP reports it
    assert v6.deps == (f"interface/{P0}",)


def test_unnumbered_borrows_and_waits_for_both_interfaces() -> None:
    loop = {"name": "lo7", "type": "iana-if-type:softwareLoopback", "bng-interfaces:loopback": {}}
    items = items_of(
        interfaces(
            port(), loop, sub(60, **{"ietf-ip:ipv4": {"bng-interfaces:unnumbered": {"use-interface": "lo7"}}})
        )
    )
    it = items[f"unnumbered/{P0}.60"]
    assert it.deps == (f"interface/{P0}.60", "interface/lo7")
    # VPP's field names are reversed: sw_if_index lends, unnumbered_sw_if_index borrows
    assert calls(it)[0] == (
        f"sw_interface_set_unnumbered(sw_if_index=<lo7>, unnumbered_sw_if_index=<{P0}.60>, is_add=True)"
    )
    assert items["interface/lo7"].value == LoopbackValue(None)


def test_types_vpp_does_not_hold_yield_nothing() -> None:
    assert items_of(interfaces({"name": "tun0", "type": "iana-if-type:tunnel"})) == {}


def test_loopback_and_mtu_equivalence() -> None:
    d = DESCRIPTORS["loopback"]
    vpp_chose = Item("interface/lo", LoopbackValue("de:ad:00:00:00:01"))
    assert d.equivalent(vpp_chose, Item("interface/lo", LoopbackValue(None)))
    assert not d.equivalent(vpp_chose, Item("interface/lo", LoopbackValue("02:00:00:00:00:01")))
    mtu = DESCRIPTORS["mtu"]
    old, new = Item(f"mtu/{P1}", MtuValue(9000)), Item(f"mtu/{P1}", MtuValue(1500))
    assert mtu.update(old, new) is not None  # in place, no re-create
    # removing a configured MTU restores VPP's default
    restore = mtu.delete(new)
    assert restore is not None and "mtu=[9000, 0, 0, 0]" in restore.render()


def test_reconcile_claims_only_what_the_agent_made() -> None:
    ours = Ownership(owned=frozenset({f"{P0}.7"}), managed=frozenset({f"{P0}.7", P0}))
    subif = DESCRIPTORS["subif"]
    assert subif.claims(Item(f"interface/{P0}.7", SubifValue(P0, 7, 2, 7, 0)), ours)
    assert not subif.claims(Item(f"interface/{P0}.8", SubifValue(P0, 8, 2, 8, 0)), ours)
    assert not DESCRIPTORS["ethernet"].claims(Item(f"interface/{P0}", EthernetValue()), ours)
    addr = Item(f"address/{P0}/10.9.9.9/24", AddressValue(P0, "10.9.9.9/24"), (), P0)
    assert DESCRIPTORS["address"].claims(addr, ours)  # an address on a managed port is removed
    foreign = Item(f"address/{P1}/10.9.9.9/24", AddressValue(P1, "10.9.9.9/24"), (), P1)
    assert not DESCRIPTORS["address"].claims(foreign, ours)
    assert not DESCRIPTORS["mtu"].claims(Item(f"mtu/{P0}", MtuValue(1500), (), P0), ours)
    tag = DESCRIPTORS["tag"]
    assert tag.claims(Item(f"tag/{P0}", TagValue("bng-agent:x"), (), P0), ours)
    assert not tag.claims(Item(f"tag/{P0}", TagValue("someone-else"), (), P0), ours)
