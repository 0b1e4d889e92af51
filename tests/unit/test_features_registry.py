"""The feature registry: what it tells the engine and the rest of the agent."""

from __future__ import annotations

from _feature_helpers import P0, P1, interfaces, items_of, port, sub

from agent.features import registry
from agent.features.interfaces.values import AddressValue
from agent.vpp.api import MESSAGES_USED
from agent.vpp.items import Item, Value

EVERYTHING = {
    **interfaces(
        port(P0, **{"bng-interfaces:mtu": 9000, "bng-qos:qos": {"input-profile": "gold"}}),
        port(P1, **{"bng-interfaces:bond-member": {"bond": "BondEthernet0"}}),
        {"name": "BondEthernet0", "type": "iana-if-type:ieee8023adLag", "bng-interfaces:bond": {}},
        {"name": "lo1", "type": "iana-if-type:softwareLoopback"},
        sub(
            7,
            **{
                "bng-vrf:vrf": "a",
                "ietf-ip:ipv4": {
                    "address": [{"ip": "10.0.0.1", "prefix-length": 24}],
                    "bng-interfaces:proxy-arp": True,
                },
            },
        ),
        sub(8, **{"ietf-ip:ipv4": {"bng-interfaces:unnumbered": {"use-interface": "lo1"}}}),
    ),
    "bng-vrf:vrfs": {
        "vrf": [
            {
                "name": "a",
                "table-id": 1,
                "static-routes": {"ipv4-route": [{"prefix": "10.1.0.0/16", "special-next-hop": "blackhole"}]},
            }
        ]
    },
    "bng-vrf:global-routing": {
        "static-routes": {
            "ipv6-route": [{"prefix": "::/0", "next-hop": [{"id": "1", "address": "2001:db8::1"}]}]
        }
    },
    "bng-interfaces:neighbor-limits": {"ipv4": {"max-entries": 20000}},
    "bng-subscribers:subscribers": {
        "access-interfaces": {
            "access-interface": [
                {"interface": f"{P0}.8", "session-template": "t", "ipoe": {"dhcpv6-relay": "g6"}},
                {"interface": P0, "session-template": "t", "ipoe": {"dhcpv4-relay": "g"}},
            ]
        },
        "dhcpv6-relay": {"server-group": [{"name": "g6", "server": ["2001:db8::547"]}]},
        "dhcpv4-relay": {"server-group": [{"name": "g", "server": ["192.0.2.50"]}]},
        "session-templates": {"template": [{"name": "t", "ra-policy": "stateful"}]},
        "ra-policies": {
            "ra-policy": [
                {
                    "name": "stateful",
                    "address-mode": "dhcpv6-stateful",
                    "prefix": [{"prefix": "2001:db8:8::/64"}],
                }
            ]
        },
    },
    "ietf-access-control-list:acls": {
        "acl": [
            {
                "name": "in",
                "aces": {"ace": [{"name": "a", "actions": {"forwarding": "ietf-access-control-list:drop"}}]},
            },
            {
                "name": "macs",
                "type": "ietf-access-control-list:eth-acl-type",
                "aces": {
                    "ace": [{"name": "a", "actions": {"forwarding": "ietf-access-control-list:accept"}}]
                },
            },
        ],
        "attachment-points": {
            "interface": [
                {
                    "interface-id": P0,
                    "ingress": {"acl-sets": {"acl-set": [{"name": "in"}, {"name": "macs"}]}},
                    "egress": {"acl-sets": {"acl-set": [{"name": "in"}]}},
                }
            ]
        },
    },
    "bng-qos:qos": {"profile": [{"name": "gold", "cir": "100000"}]},
    "ietf-nat:nat": {
        "instances": {
            "instance": [
                {
                    "id": 1,
                    "bng-nat:inside-interface": [P0],
                    "bng-nat:session-limit": 1000,
                    "policy": [
                        {
                            "id": 1,
                            "external-ip-address-pool": [
                                {"pool-id": 1, "external-ip-pool": "198.51.100.0/30"}
                            ],
                        }
                    ],
                    "mapping-table": {
                        "mapping-entry": [
                            {
                                "index": 1,
                                "internal-src-address": "10.0.0.2/32",
                                "external-src-address": "198.51.100.9/32",
                            }
                        ]
                    },
                },
                {
                    "id": 2,
                    "bng-nat:mode": "deterministic",
                    "bng-nat:inside-interface": ["lo1"],
                    "policy": [
                        {
                            "id": 1,
                            "subscriber-match": [{"match-id": 1, "subnet": "100.64.0.0/24"}],
                            "external-ip-address-pool": [{"pool-id": 1, "external-ip-pool": "192.0.2.0/28"}],
                        }
                    ],
                },
            ]
        }
    },
    "bng-telemetry:telemetry": {
        "collector": [{"name": "c1", "address": "192.0.2.10", "source-address": "192.0.2.1"}],
        "nat-logging": {"collector": ["c1"], "event": ["session-create"]},
    },
}


def test_programmed_roots_name_the_yang_nodes_some_feature_programs() -> None:
    assert registry.programmed_roots() == {
        "ietf-interfaces:interfaces": "interfaces",
        "bng-vrf:vrfs": "vrfs",
        "bng-vrf:global-routing": "routes",
        "ietf-nat:nat": "nat",
        "bng-subscribers:subscribers": "subscribers",
        "bng-interfaces:neighbor-limits": "proxyarp",
        "ietf-access-control-list:acls": "acl",
        "bng-qos:qos": "qos",
        "bng-telemetry:telemetry": "natlog",
    }
    kinds = registry.programmed_kinds()
    assert kinds["bonds"] == ["bond", "bond-member"] and kinds["routes"] == ["route"]


def test_every_kind_has_one_descriptor_and_a_feature() -> None:
    owners = [k for f in registry.FEATURES for k in (d.kind for d in f.descriptors)]
    assert len(owners) == len(set(owners)) == len(registry.DESCRIPTORS)
    items = items_of(EVERYTHING)
    assert {it.kind for it in items.values()} == set(registry.DESCRIPTORS)  # the sample covers every kind


def test_each_feature_declares_the_messages_its_descriptors_send() -> None:
    items = items_of(EVERYTHING)
    feature_of = {d.kind: f for f in registry.FEATURES for d in f.descriptors}
    for it in items.values():
        desc = registry.DESCRIPTORS[it.kind]
        for call in (desc.create(it), desc.delete(it)):
            if call is not None:
                assert call.msg in feature_of[it.kind].writes, (it.key, call.msg)
    for f in registry.FEATURES:
        # every message is one the agent checks the CRC of at connect
        assert set(f.writes) | set(f.reads) <= set(MESSAGES_USED), f.name


def test_root_items_come_from_every_feature_that_reads_the_entry() -> None:
    """An ietf-interfaces entry yields the interfaces feature's items and the bonds feature's membership."""
    items = items_of(EVERYTHING)
    assert {"interface/" + P1, "member/" + P1} <= set(items)
    it: Item[Value] = items[f"address/{P0}.7/10.0.0.1/24"]
    assert it.value == AddressValue(f"{P0}.7", "10.0.0.1/24") and it.origin == "config"
