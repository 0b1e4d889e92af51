"""The YANG model set: what a controller sees, and the rules the project modules enforce.

Data is parsed with libyang directly (strict parsing, full validation, no state data), the way the
datastore does, so each test shows what a client sending that configuration would get back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import libyang
import pytest
from _libyang import ffi, lib

from agent.model import libyang_c, lint
from agent.model.context import load_model_set
from agent.model.modules import PROJECT_MODULES, STANDARD_MODULES

IF = "ietf-interfaces:interfaces"
PORT = "GigabitEthernet0/8/0"
PREFIXES = {
    "bng-types": "bng-t",
    "bng-interfaces": "bng-if",
    "bng-vrf": "bng-vrf",
    "bng-qos": "bng-qos",
    "bng-subscribers": "bng-sub",
    "bng-aaa": "bng-aaa",
    "bng-telemetry": "bng-tel",
    "bng-nat": "bng-nat",
    "bng-ha": "bng-ha",
    "bng-acl": "bng-acl",
    "bng-agent": "bng-agent",
    "bng-deviations": "bng-dev",
}


@pytest.fixture(scope="module")
def ctx() -> libyang.Context:
    # Have libyang record the data path of each error (the binding turns that off by default).
    libyang_c.record_error_paths()
    return load_model_set().ctx


def parse(ctx: libyang.Context, doc: dict[str, Any] | str, fmt: str = "json") -> None:
    """Parse and validate; raise LibyangError with libyang's message and data path."""
    text = doc if isinstance(doc, str) else json.dumps(doc)
    tree = ctx.parse_data_mem(text, fmt, strict=True, no_state=True)
    if tree is not None:
        tree.free()


def rejected(ctx: libyang.Context, doc: dict[str, Any] | str, fmt: str = "json") -> str:
    with pytest.raises(libyang.LibyangError) as err:
        parse(ctx, doc, fmt)
    return str(err.value)


def port(name: str = PORT, /, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "iana-if-type:ethernetCsmacd", **extra}


def subif(
    parent: str, sub_id: int, encapsulation: dict[str, Any], name: str = "", /, **extra: Any
) -> dict[str, Any]:
    return {
        "name": name or f"{parent}.{sub_id}",
        "type": "iana-if-type:l2vlan",
        "bng-interfaces:sub-interface": {
            "parent-interface": parent,
            "sub-id": sub_id,
            "encapsulation": encapsulation,
        },
        **extra,
    }


def vlan(v: int, **kw: Any) -> dict[str, Any]:
    return {"single-tagged": {"vlan-id": v, **kw}}


def qinq(outer: int, inner: int) -> dict[str, Any]:
    return {"double-tagged": {"outer-vlan-id": outer, "inner-vlan-id": inner}}


def interfaces(*entries: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {IF: {"interface": list(entries)}, **top}


VRFS = {"bng-vrf:vrfs": {"vrf": [{"name": "internet", "table-id": 10}]}}


def text(cdata: Any) -> str:
    return "" if cdata == ffi.NULL else str(ffi.string(cdata).decode())


# ---------------------------------------------------------------------------------------------- the set


def test_project_modules_have_the_agreed_namespace_prefix_and_revision(ctx: libyang.Context) -> None:
    assert set(PREFIXES) == set(PROJECT_MODULES)
    for name, prefix in PREFIXES.items():
        mod = ctx.get_module(name)
        assert mod.implemented(), name
        assert text(mod.cdata.ns) == f"urn:bng-agent:yang:{name}"
        assert mod.prefix() == prefix
        assert text(mod.cdata.revision) == "2026-11-26"
        assert text(mod.cdata.org) and text(mod.cdata.contact) and mod.description()


def compiled_nodes(first: Any) -> Iterator[Any]:
    """Every compiled schema node from ``first`` on (siblings and descendants, choices included)."""
    node = first
    while node != ffi.NULL:
        yield node
        yield from compiled_nodes(lib.lysc_node_child(node))
        node = node.next


def test_every_project_schema_node_has_a_description(ctx: libyang.Context) -> None:
    implicit = lib.LYS_CASE | lib.LYS_INPUT | lib.LYS_OUTPUT  # cases may be shorthand; I/O have none
    checked, missing = 0, []
    kinds = (lib.LYS_CONTAINER, lib.LYS_LIST, lib.LYS_LEAF, lib.LYS_LEAFLIST, lib.LYS_RPC)
    for mod in ctx:
        for top in mod.children(types=kinds):
            for node in [top.cdata, *compiled_nodes(lib.lysc_node_child(top.cdata))]:
                if not text(node.module.name).startswith("bng-") or node.nodetype & implicit:
                    continue
                checked += 1
                if node.dsc == ffi.NULL:
                    missing.append(text(node.name))
    assert checked > 300
    assert not missing


def test_features_are_exactly_the_supported_ones(ctx: libyang.Context) -> None:
    for name, features in STANDARD_MODULES.items():
        mod = ctx.get_module(name)
        enabled = {f.name() for f in mod.features() if f.state()}
        assert enabled == set(features), name
    assert not ctx.get_module("ietf-nat").feature_state("nat64")
    assert not ctx.get_module("ietf-system").feature_state("ntp")


@pytest.mark.parametrize(
    "path",
    [
        "/ietf-system:system/dns-resolver",
        "/ietf-system:system/clock",
        "/ietf-nat:nat/instances/instance/policy/algs",
        "/ietf-nat:nat/instances/instance/mapping-table/mapping-entry/external-dst-address",
        "/ietf-access-control-list:acls/acl/aces/ace/matches/ipv4/ttl",
        "/ietf-interfaces:interfaces/interface/ietf-ip:ipv6/autoconf",
        "/ietf-interfaces:interfaces/interface/statistics/in-unknown-protos",
    ],
)
def test_deviated_nodes_are_gone_from_the_schema(ctx: libyang.Context, path: str) -> None:
    with pytest.raises(libyang.LibyangError):
        next(ctx.find_path(path))


def test_supported_standard_nodes_remain(ctx: libyang.Context) -> None:
    for path in [
        "/ietf-system:system/authentication/user/password",
        "/ietf-system:system/radius/server",
        "/ietf-nat:nat/instances/instance/policy/external-ip-address-pool/external-ip-pool",
        "/ietf-nat:nat/instances/instance/mapping-table/mapping-entry/external-src-address",
        "/ietf-access-control-list:acls/acl/aces/ace/matches/tcp/destination-port",
    ]:
        assert next(ctx.find_path(path)) is not None, path


def test_pyang_lint_is_clean() -> None:
    assert [str(f) for f in lint.pyang_lint()] == []


def test_yanglint_compiles_the_set_with_the_agents_features() -> None:
    assert [str(f) for f in lint.yanglint_schema()] == []


# ------------------------------------------------------------------------------------- sub-interfaces


def test_single_and_double_tagged_sub_interfaces_are_accepted(ctx: libyang.Context) -> None:
    parse(
        ctx,
        interfaces(
            port(**{"bng-interfaces:mtu": 9000}),
            subif(PORT, 100, vlan(100), **{"bng-interfaces:mtu": 1500}),
            subif(PORT, 20001001, qinq(2000, 1001)),
            subif(PORT, 7, {"untagged": [None]}),
            subif(PORT, 8, {"default-match": [None]}),
        ),
    )


def test_vlan_4095_is_out_of_range(ctx: libyang.Context) -> None:
    msg = rejected(ctx, interfaces(port(), subif(PORT, 4095, vlan(4095))))
    assert "out of the allowed range" in msg
    assert "interface[name='GigabitEthernet0/8/0.4095']/bng-interfaces:sub-interface" in msg
    assert "vlan-id" in msg


def test_sub_interface_name_must_be_parent_dot_sub_id(ctx: libyang.Context) -> None:
    msg = rejected(ctx, interfaces(port(), subif(PORT, 100, vlan(100), f"{PORT}.101")))
    assert "must be named <parent-interface>.<sub-id>" in msg
    assert f"interface[name='{PORT}.101']" in msg


def test_sub_id_must_be_the_vlan_so_tags_stay_unique_per_parent(ctx: libyang.Context) -> None:
    msg = rejected(ctx, interfaces(port(), subif(PORT, 100, vlan(101))))
    assert "sub-id must equal its VLAN id" in msg
    msg = rejected(ctx, interfaces(port(), subif(PORT, 2000, qinq(2000, 1001))))
    assert "outer-vlan-id * 10000 + inner-vlan-id" in msg


def test_a_sub_interface_cannot_be_a_parent(ctx: libyang.Context) -> None:
    first = subif(PORT, 100, vlan(100))
    msg = rejected(ctx, interfaces(port(), first, subif(f"{PORT}.100", 5, vlan(5))))
    assert "cannot be a sub-interface" in msg
    assert f"interface[name='{PORT}.100.5']" in msg


def test_sub_interface_parent_must_exist(ctx: libyang.Context) -> None:
    msg = rejected(ctx, interfaces(subif("GigabitEthernet0/9/0", 100, vlan(100))))
    assert "Invalid leafref value" in msg
    assert "parent-interface" in msg


def test_sub_interface_mtu_cannot_exceed_the_parents(ctx: libyang.Context) -> None:
    parent = port(**{"bng-interfaces:mtu": 1500})
    msg = rejected(ctx, interfaces(parent, subif(PORT, 100, vlan(100), **{"bng-interfaces:mtu": 9000})))
    assert "MTU cannot exceed its parent's" in msg
    assert f"interface[name='{PORT}.100']/bng-interfaces:mtu" in msg
    parse(ctx, interfaces(port(), subif(PORT, 100, vlan(100), **{"bng-interfaces:mtu": 9000})))


def test_sub_interface_settings_only_on_l2vlan(ctx: libyang.Context) -> None:
    bad = port(**{"bng-interfaces:sub-interface": {"parent-interface": PORT, "sub-id": 1}})
    assert "When condition" in rejected(ctx, interfaces(bad))


def test_l2vlan_needs_an_encapsulation(ctx: libyang.Context) -> None:
    entry = subif(PORT, 100, vlan(100))
    del entry["bng-interfaces:sub-interface"]["encapsulation"]
    assert "tagging" in rejected(ctx, interfaces(port(), entry))


# ------------------------------------------------------------------------------ bonds and L3 settings


def bond(name: str = "BondEthernet0", **settings: Any) -> dict[str, Any]:
    return {"name": name, "type": "iana-if-type:ieee8023adLag", "bng-interfaces:bond": settings}


def test_bond_members_must_point_at_a_bond(ctx: libyang.Context) -> None:
    member = port(**{"bng-interfaces:bond-member": {"bond": "BondEthernet0"}})
    parse(ctx, interfaces(bond(mode="lacp", **{"load-balance": "l34"}), member))
    wrong = port(**{"bng-interfaces:bond-member": {"bond": "GigabitEthernet0/9/0"}})
    msg = rejected(ctx, interfaces(port("GigabitEthernet0/9/0"), wrong))
    assert "ieee8023adLag" in msg


def test_a_bond_member_cannot_carry_sub_interfaces(ctx: libyang.Context) -> None:
    # VPP 26.06 accepts it and the sub-interface never receives a frame (bond-input hands them to the
    # bond): the model refuses it, naming the sub-interface by its instance path
    member = port(**{"bng-interfaces:bond-member": {"bond": "BondEthernet0"}})
    lag = bond(mode="lacp")
    parse(ctx, interfaces(lag, member, subif("BondEthernet0", 10, vlan(10))))
    msg = rejected(ctx, interfaces(lag, member, subif(PORT, 10, vlan(10))))
    assert "cannot be a bond member" in msg and "create the sub-interface on the bond" in msg
    assert f"/ietf-interfaces:interfaces/interface[name='{PORT}.10']/bng-interfaces:sub-interface" in msg


def test_bond_settings_only_on_bonds(ctx: libyang.Context) -> None:
    msg = rejected(ctx, interfaces(port(**{"bng-interfaces:bond": {"mode": "lacp"}})))
    assert "need an interface of type ieee8023adLag" in msg
    assert f"interface[name='{PORT}']/bng-interfaces:bond" in msg


def test_load_balance_only_for_hashing_modes(ctx: libyang.Context) -> None:
    msg = rejected(ctx, interfaces(bond(mode="active-backup", **{"load-balance": "l34"})))
    assert "When condition" in msg and "load-balance" in msg


def test_bond_member_cannot_have_addresses(ctx: libyang.Context) -> None:
    member = port(
        **{
            "bng-interfaces:bond-member": {"bond": "BondEthernet0"},
            "ietf-ip:ipv4": {"address": [{"ip": "192.0.2.1", "prefix-length": 24}]},
        }
    )
    assert "cannot carry IP addresses" in rejected(ctx, interfaces(bond(), member))


def test_unnumbered_borrows_from_an_interface_with_an_address(ctx: libyang.Context) -> None:
    loop = {
        "name": "loopback0",
        "type": "iana-if-type:softwareLoopback",
        "ietf-ip:ipv4": {"address": [{"ip": "100.64.0.1", "prefix-length": 32}]},
    }
    access = subif(
        PORT,
        100,
        vlan(100),
        **{"ietf-ip:ipv4": {"bng-interfaces:unnumbered": {"use-interface": "loopback0"}}},
    )
    parse(ctx, interfaces(port(), loop, access))
    own = dict(access)
    own["ietf-ip:ipv4"] = {
        "bng-interfaces:unnumbered": {"use-interface": "loopback0"},
        "address": [{"ip": "10.0.0.1", "prefix-length": 24}],
    }
    assert "cannot have IPv4 addresses of its own" in rejected(ctx, interfaces(port(), loop, own))
    empty_loop = {"name": "loopback0", "type": "iana-if-type:softwareLoopback"}
    assert "has no IPv4 address" in rejected(ctx, interfaces(port(), empty_loop, access))


# ----------------------------------------------------------------------------------------------- VRFs


def test_interface_vrf_must_exist(ctx: libyang.Context) -> None:
    parse(ctx, interfaces(port(**{"bng-vrf:vrf": "internet"}), **VRFS))
    msg = rejected(ctx, interfaces(port(**{"bng-vrf:vrf": "nope"}), **VRFS))
    assert 'Invalid leafref value "nope"' in msg
    assert f"interface[name='{PORT}']/bng-vrf:vrf" in msg


def test_table_ids_are_unique(ctx: libyang.Context) -> None:
    doc = {"bng-vrf:vrfs": {"vrf": [{"name": "a", "table-id": 7}, {"name": "b", "table-id": 7}]}}
    assert "table-id" in rejected(ctx, doc)


def test_static_routes_with_ecmp_probes_and_blackhole(ctx: libyang.Context) -> None:
    hop = {"id": "a", "address": "192.0.2.1", "weight": 2, "health-probe": {"min-weight": 1, "max-weight": 4}}
    routes = {
        "ipv4-route": [
            {"prefix": "0.0.0.0/0", "next-hop": [hop, {"id": "b", "address": "192.0.2.2"}]},
            {"prefix": "10.0.0.0/8", "special-next-hop": "blackhole"},
        ]
    }
    parse(ctx, {"bng-vrf:vrfs": {"vrf": [{"name": "v", "table-id": 5, "static-routes": routes}]}})
    bad = dict(hop, weight=9)
    doc = {
        "bng-vrf:global-routing": {
            "static-routes": {"ipv4-route": [{"prefix": "0.0.0.0/0", "next-hop": [bad]}]}
        }
    }
    assert "must not exceed max-weight" in rejected(ctx, doc)
    nowhere = {"id": "x"}
    doc = {
        "bng-vrf:global-routing": {
            "static-routes": {"ipv4-route": [{"prefix": "0.0.0.0/0", "next-hop": [nowhere]}]}
        }
    }
    assert "address or an outgoing-interface" in rejected(ctx, doc)


def test_missing_vrf_table_id_names_the_vrf(ctx: libyang.Context) -> None:
    msg = rejected(ctx, {"bng-vrf:vrfs": {"vrf": [{"name": "v"}]}})
    assert "table-id" in msg


# ------------------------------------------------------------------------------------------------ QoS


def profile(**kw: Any) -> dict[str, Any]:
    return {"bng-qos:qos": {"profile": [{"name": "p", **kw}]}}


def test_cir_above_pir_is_rejected(ctx: libyang.Context) -> None:
    parse(ctx, profile(type="2r3c", cir="1000", pir="2000"))
    msg = rejected(ctx, profile(type="2r3c", cir="2000", pir="1000"))
    assert "PIR must not be less than CIR" in msg
    assert "/bng-qos:qos/profile[name='p']/pir" in msg


def test_single_rate_two_colour_has_no_pir_and_no_violate(ctx: libyang.Context) -> None:
    assert "When condition" in rejected(ctx, profile(type="1r2c", cir="1000", pir="2000"))
    assert "When condition" in rejected(ctx, profile(type="1r2c", cir="1000", violate={"action": "drop"}))


def test_marking_needs_a_dscp(ctx: libyang.Context) -> None:
    parse(ctx, profile(cir="1000", exceed={"action": "mark-and-transmit", "dscp": 10}))
    assert "dscp" in rejected(ctx, profile(cir="1000", exceed={"action": "mark-and-transmit"}))


def test_interface_qos_profile_must_exist(ctx: libyang.Context) -> None:
    doc = interfaces(port(**{"bng-qos:qos": {"input-profile": "missing"}}))
    assert "input-profile" in rejected(ctx, doc)


# ----------------------------------------------------------------------------------- subscribers, AAA


def test_access_interface_needs_a_session_type_and_an_existing_template(ctx: libyang.Context) -> None:
    tmpl = {"session-templates": {"template": [{"name": "t"}]}}
    ok = {"interface": PORT, "session-template": "t", "ipoe": {}}
    parse(
        ctx,
        interfaces(
            port(),
            **{"bng-subscribers:subscribers": {"access-interfaces": {"access-interface": [ok]}, **tmpl}},
        ),
    )
    none = {"interface": PORT, "session-template": "t"}
    doc = interfaces(
        port(), **{"bng-subscribers:subscribers": {"access-interfaces": {"access-interface": [none]}, **tmpl}}
    )
    assert "IPoE, PPPoE or both" in rejected(ctx, doc)
    dangling = {"interface": PORT, "session-template": "nope", "pppoe": {"authentication": ["chap"]}}
    doc = interfaces(
        port(), **{"bng-subscribers:subscribers": {"access-interfaces": {"access-interface": [dangling]}}}
    )
    assert "session-template" in rejected(ctx, doc)


def test_dhcpv4_relay_link_selection_needs_a_gateway_address(ctx: libyang.Context) -> None:
    def doc(group: dict[str, Any]) -> dict[str, Any]:
        relay = {
            "server-group": [{"name": "g", "server": ["192.0.2.50"], **group}],
            "option82": {
                "circuit-id-format": "{hostname}/{interface}:{svlan}.{cvlan}",
                "trusted-interface": [PORT],
            },
        }
        return interfaces(port(), **{"bng-subscribers:subscribers": {"dhcpv4-relay": relay}})

    parse(ctx, doc({"link-selection": True, "gateway-address": "198.18.0.1", "server-id-override": True}))
    parse(ctx, doc({"vrf-servers": [], "response-timeout": 30}))
    assert "link-selection needs a gateway-address" in rejected(ctx, doc({"link-selection": True}))
    assert "response-timeout" in rejected(ctx, doc({"response-timeout": 0}))


def test_per_subscriber_vlan_ranges(ctx: libyang.Context) -> None:
    def doc(model: str, rng: dict[str, Any]) -> dict[str, Any]:
        access = {
            "interface": PORT,
            "session-template": "t",
            "vlan-model": model,
            "ipoe": {},
            "vlan-range": [rng],
        }
        subs = {
            "access-interfaces": {"access-interface": [access]},
            "session-templates": {"template": [{"name": "t"}]},
        }
        return interfaces(port(), **{"bng-subscribers:subscribers": subs})

    qinq_range = {
        "id": 1,
        "outer-vlan-min": 3000,
        "outer-vlan-max": 3099,
        "inner-vlan-min": 1,
        "inner-vlan-max": 4094,
    }
    parse(ctx, doc("per-subscriber", qinq_range))
    assert "When condition" in rejected(ctx, doc("shared", qinq_range))
    backwards = dict(qinq_range, **{"outer-vlan-max": 2999})
    assert "outer-vlan-max must not be below outer-vlan-min" in rejected(
        ctx, doc("per-subscriber", backwards)
    )


def test_ra_intervals_follow_rfc4861(ctx: libyang.Context) -> None:
    doc = {
        "bng-subscribers:subscribers": {
            "ra-policies": {"ra-policy": [{"name": "r", "max-interval": 100, "min-interval": 90}]}
        }
    }
    assert "0.75 * max-interval" in rejected(ctx, doc)


def test_radius_attribute_value_must_match_its_target(ctx: libyang.Context) -> None:
    qos = {"bng-qos:qos": {"profile": [{"name": "p", "cir": "1000"}]}}
    attr = {
        "name": "tier",
        "type": 11,
        "target": "acl-ingress",
        "value": [{"radius-value": "x", "qos-profile": "p"}],
    }
    doc = {"bng-aaa:aaa": {"attribute-mapping": {"attribute": [attr]}}, **qos}
    assert "When condition" in rejected(ctx, doc)


# -------------------------------------------------------------------------------------- generic errors


def test_unknown_element_is_named(ctx: libyang.Context) -> None:
    msg = rejected(ctx, interfaces(port(bogus=1)))
    assert 'Node "bogus" not found' in msg


def test_wrong_namespace_is_rejected(ctx: libyang.Context) -> None:
    xml = (
        '<vrfs xmlns="urn:bng-agent:yang:bng-vrf-typo"><vrf><name>a</name><table-id>1</table-id></vrf></vrfs>'
    )
    assert "urn:bng-agent:yang:bng-vrf-typo" in rejected(ctx, xml, "xml")


def test_missing_key_is_named(ctx: libyang.Context) -> None:
    msg = rejected(ctx, interfaces({"type": "iana-if-type:softwareLoopback"}))
    assert 'missing its key "name"' in msg
    assert "/ietf-interfaces:interfaces/interface" in msg
