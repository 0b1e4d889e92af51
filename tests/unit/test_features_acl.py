"""The ACL feature's mapping, without VPP: ACEs to VPP rules, items, keys and rendered calls."""

from __future__ import annotations

from typing import Any

import pytest
from _feature_helpers import P0, calls, items_of, value

from agent.datastore.changes import Change
from agent.errors import ValidationError
from agent.features import registry
from agent.features.acl.compile import TAG_MAX, compile_acl, tag_for
from agent.features.acl.values import AclRule, AclValue, AttachmentValue, MacipValue
from agent.vpp.config import ConfigIndex, Overlay
from agent.vpp.items import HandleRef

ACLS = "ietf-access-control-list:acls"


def ace(name: str, action: str = "accept", **matches: Any) -> dict[str, Any]:
    fwd = action if ":" in action else f"ietf-access-control-list:{action}"
    return {"name": name, "matches": matches, "actions": {"forwarding": fwd}}


def acl(name: str, *aces: dict[str, Any], kind: str = "ipv4") -> dict[str, Any]:
    return {"name": name, "type": f"ietf-access-control-list:{kind}-acl-type", "aces": {"ace": list(aces)}}


def test_port_operators_and_families() -> None:
    v = compile_acl(
        "x",
        acl(
            "x",
            ace(
                "eq",
                ipv4={"source-ipv4-network": "10.1.2.3/8"},
                udp={"source-port": {"operator": "eq", "port": 53}},
            ),
            ace("lte", tcp={"destination-port": {"operator": "lte", "port": 1023}}),
            ace("neq", tcp={"destination-port": {"operator": "neq", "port": 0}}),
            ace("icmp", "drop", ipv6={"destination-ipv6-network": "2001:db8::/32"}, icmp={"type": 128}),
            ace("reflect", "bng-acl:accept-reflexive", ipv4={"protocol": 6}),
        ),
    )
    assert isinstance(v, AclValue)
    assert v.rules[0] == AclRule(1, "10.0.0.0/8", "0.0.0.0/0", 17, (53, 53), (0, 65535))
    # no IPv4/IPv6 match: one rule per family
    assert [(r.src, r.dport) for r in v.rules[1:3]] == [("0.0.0.0/0", (0, 1023)), ("::/0", (0, 1023))]
    # neq 0 leaves one range per family
    assert [(r.src, r.dport) for r in v.rules[3:5]] == [("0.0.0.0/0", (1, 65535)), ("::/0", (1, 65535))]
    assert v.rules[5] == AclRule(0, "::/0", "2001:db8::/32", 58, (128, 128), (0, 255))
    assert v.rules[6].action == 2 and v.rules[6].proto == 6
    assert v.aces == (("eq", 1), ("lte", 2), ("neq", 2), ("icmp", 1), ("reflect", 1))


def test_tcp_flags_are_a_mask_of_set_flags() -> None:
    v = compile_acl("x", acl("x", ace("syn", ipv4={"protocol": 6}, tcp={"flags": "syn ack"})))
    assert isinstance(v, AclValue)
    assert (v.rules[0].tcp_mask, v.rules[0].tcp_value) == (0x12, 0x12)


def test_ethernet_acl_type_is_a_macip_acl() -> None:
    v = compile_acl(
        "m",
        acl(
            "m",
            ace(
                "cpe",
                eth={"source-mac-address": "02:00:00:00:00:0A"},
                ipv4={"source-ipv4-network": "100.64.0.0/10"},
            ),
            kind="mixed-eth-ipv4",
        ),
    )
    assert isinstance(v, MacipValue)
    assert [(r.mac, r.mask, r.src) for r in v.rules] == [
        ("02:00:00:00:00:0a", "ff:ff:ff:ff:ff:ff", "100.64.0.0/10")
    ]


@pytest.mark.parametrize(
    ("entry", "where"),
    [
        (acl("x", ace("r", "reject")), "ace[name='r']/actions/forwarding"),
        (acl("x", ace("r", ipv4={"protocol": 17}, tcp={})), "ace[name='r']/matches"),
        (acl("x", ace("e", eth={"source-mac-address": "02:00:00:00:00:01"})), "ace[name='e']/matches/eth"),
        (acl("m", ace("t", tcp={}), kind="eth"), "ace[name='t']/matches/tcp"),
        (acl("m", ace("f", "bng-acl:accept-reflexive"), kind="eth"), "ace[name='f']/actions/forwarding"),
    ],
)
def test_what_vpp_cannot_express_is_an_error_naming_the_ace(entry: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationError) as err:
        compile_acl(entry["name"], entry)
    assert err.value.path is not None and err.value.path.endswith(where)


def test_long_names_get_a_unique_tag_within_vpps_63_characters() -> None:
    a, b = "a" * 64, "a" * 63 + "b"
    assert len(tag_for(a)) == TAG_MAX and tag_for(a) != tag_for(b)
    assert tag_for("web") == "bng-agent:web"


def test_items_keys_deps_and_calls() -> None:
    items = items_of(
        {
            "ietf-interfaces:interfaces": {
                "interface": [{"name": P0, "type": "iana-if-type:ethernetCsmacd"}]
            },
            ACLS: {
                "acl": [acl("in", ace("a", "drop")), acl("macs", ace("m"), kind="eth")],
                "attachment-points": {
                    "interface": [
                        {
                            "interface-id": P0,
                            "ingress": {"acl-sets": {"acl-set": [{"name": "macs"}, {"name": "in"}]}},
                            "egress": {"acl-sets": {"acl-set": [{"name": "in"}]}},
                        }
                    ]
                },
            },
        }
    )
    att = items[f"acl-attachment/{P0}"]
    assert value(att, AttachmentValue) == AttachmentValue(P0, ("acl/in",), ("acl/in",))
    assert att.deps == (f"interface/{P0}", "acl/in") and att.owner == P0
    assert items[f"macip-attachment/{P0}"].deps == (f"interface/{P0}", "macip-acl/macs")
    create, delete = calls(att)
    assert (
        create
        == f"acl_interface_set_acl_list(sw_if_index=<{P0}>, count=2, n_input=1, acls=[<acl/in>, <acl/in>])"
    )
    assert delete == f"acl_interface_set_acl_list(sw_if_index=<{P0}>, count=0, n_input=0, acls=[])"
    a = items["acl/in"]
    desc = registry.DESCRIPTORS["acl"]
    assert desc.create(a) is not None and desc.create(a).binds_handle == ("acl/in", "acl_index")  # type: ignore[union-attr]
    upd = desc.update(a, a)
    assert upd is not None and upd.args["acl_index"] == HandleRef("acl/in")
    assert "acl-stats/in" in items and "acl-stats/macs" not in items


def test_attachment_points_are_roots_keyed_by_interface_id() -> None:
    doc = {ACLS: {"acl": [acl("in", ace("a"))], "attachment-points": {"interface": [{"interface-id": P0}]}}}
    cfg = ConfigIndex.from_json(doc, registry.ROOTS)
    assert set(cfg.names("acl")) == {"in"} and set(cfg.names("acl-attachment")) == {P0}
    ov = Overlay(cfg)
    path = f"/{ACLS}/attachment-points/interface[interface-id='{P0}']/ingress"
    touched = ov.apply(Change("create", path, None, {"acl-sets": {"acl-set": [{"name": "in"}]}}))
    assert touched == [("acl-attachment", P0)]
    assert ov.apply(Change("delete", f"/{ACLS}", doc[ACLS], None)) == [("acl", "in"), ("acl-attachment", P0)]


class _Key:
    access_interface = "GigabitEthernet0/8/0.7"


class _Session:
    """The fields of agent.sessions.api.Session the hook reads."""

    key = _Key()

    def __init__(self, interface: str, policy: dict[str, str]) -> None:
        self.interface = interface
        self.policy = policy

    def policy_value(self, attr: Any) -> str | None:
        return self.policy.get(str(attr))


def test_session_hook_attaches_the_policys_acls_to_the_sessions_own_interface() -> None:
    from agent.features.acl.session import AclSessionHook, session_acl_keys

    cfg = ConfigIndex.from_json({ACLS: {"acl": [acl("in", ace("a")), acl("out", ace("b"))]}}, registry.ROOTS)
    hook = AclSessionHook()
    s = _Session("GigabitEthernet0/8/0.7.1001", {"acl-ingress": "in", "acl-egress": "out, in"})
    items = hook.items(s, cfg)
    assert [(it.key, it.origin) for it in items] == [
        ("acl-attachment/GigabitEthernet0/8/0.7.1001", "session")
    ]
    assert items[0].value == AttachmentValue(
        "GigabitEthernet0/8/0.7.1001", ("acl/in",), ("acl/out", "acl/in")
    )
    assert items[0].key in session_acl_keys(s.interface)
    # a shared VLAN: the session's interface is the access interface, whose configured ACLs apply
    assert hook.items(_Session("GigabitEthernet0/8/0.7", {"acl-ingress": "in"}), cfg) == []
    assert hook.validate("acl-ingress", "in,nope", cfg) == "no ACL named nope"
    assert hook.validate("acl-egress", "out", cfg) is None and hook.validate("vrf", "x", cfg) is None
