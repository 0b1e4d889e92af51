"""Every VPP message each feature sends, refused once by VPP: the commit fails naming it, and VPP, running
and the name map are as before (vppsim's fault injection, see vppsim/faults.py).

Each feature has a scenario: a base configuration and a change that makes the feature send every message it
declares in ``Feature.writes`` (creates, deletes and updates). A feature added to the registry without a
scenario here fails :func:`test_every_feature_has_a_fault_scenario`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _southbound_helpers import GLOBAL, IF, SESSION, VRFS, AgentStack, addrs, port, route, subif, vpp_snapshot

from agent.errors import AgentError
from agent.features import registry

P0, P1, P2 = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0", "GigabitEthernet0/a/0"


def loop(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "iana-if-type:softwareLoopback", **extra}


def bond(name: str, **settings: Any) -> dict[str, Any]:
    return {"name": name, "type": "iana-if-type:ieee8023adLag", "bng-interfaces:bond": settings}


def member(name: str, bond_name: str) -> dict[str, Any]:
    return port(name, **{"bng-interfaces:bond-member": {"bond": bond_name}})


QOS = "/bng-qos:qos"


def profile(name: str, **params: Any) -> dict[str, Any]:
    return {"name": name, "type": "1r2c", "cir": "100000", **params}


def policed(name: str, **directions: str) -> dict[str, Any]:
    return port(name, **{"bng-qos:qos": {f"{d}-profile": p for d, p in directions.items()}})


SUBS = "/bng-subscribers:subscribers"


def relaying(name: str) -> dict[str, Any]:
    return {"interface": name, "session-template": "t", "ipoe": {"dhcpv4-relay": "g"}}


# feature -> (base configuration, changed configuration: updates, deletes)
Scenario = tuple[list[tuple[str, Any]], list[tuple[str, Any]], list[str]]
SCENARIOS: dict[str, Scenario] = {
    "interfaces": (
        [
            (VRFS, {"vrf": [{"name": "cust", "table-id": 9}]}),
            (
                IF,
                {
                    "interface": [
                        port(P2),
                        loop("lo1", **addrs("10.1.1.1/32")),
                        subif(P2, 50, **addrs("10.50.0.1/24")),
                    ]
                },
            ),
        ],
        [
            (
                IF,
                {
                    "interface": [
                        port(P2, **{"bng-interfaces:mtu": 8000}),
                        # the lender in its borrower's VRF: VPP 26.06 refuses unnumbered across tables
                        loop("lo2", **{"bng-vrf:vrf": "cust"}, **addrs("10.2.2.2/32")),
                        subif(
                            P2,
                            60,
                            **{"bng-vrf:vrf": "cust"},
                            **{"ietf-ip:ipv4": {"bng-interfaces:unnumbered": {"use-interface": "lo2"}}},
                        ),
                    ]
                },
            )
        ],
        [f"{IF}/interface[name='lo1']", f"{IF}/interface[name='{P2}.50']"],
    ),
    "bonds": (
        [(IF, {"interface": [bond("BondEthernet1"), member(P1, "BondEthernet1")]})],
        [(IF, {"interface": [bond("BondEthernet0", mode="xor"), member(P0, "BondEthernet0")]})],
        [f"{IF}/interface[name='BondEthernet1']", f"{IF}/interface[name='{P1}']/bng-interfaces:bond-member"],
    ),
    "vrfs": (
        [(VRFS, {"vrf": [{"name": "a", "table-id": 1}]})],
        [(VRFS, {"vrf": [{"name": "b", "table-id": 2, "ipv6": False}]})],
        [f"{VRFS}/vrf[name='a']"],
    ),
    "proxyarp": (
        [
            (VRFS, {"vrf": [{"name": "cust", "table-id": 9}]}),
            (
                IF,
                {
                    "interface": [
                        port(P2),
                        loop("lo1", **addrs("10.1.0.1/24")),
                        subif(
                            P2,
                            50,
                            **{
                                "ietf-ip:ipv4": {
                                    "bng-interfaces:unnumbered": {"use-interface": "lo1"},
                                    "bng-interfaces:proxy-arp": True,
                                }
                            },
                        ),
                    ]
                },
            ),
        ],
        [
            (
                IF,
                {
                    "interface": [
                        subif(
                            P2,
                            60,
                            **{"bng-vrf:vrf": "cust"},
                            **{
                                "ietf-ip:ipv4": {
                                    "address": [{"ip": "10.60.0.1", "prefix-length": 24}],
                                    "bng-interfaces:proxy-arp": True,
                                }
                            },
                        ),
                    ]
                },
            ),
            (
                "/bng-interfaces:neighbor-limits",
                {"ipv4": {"max-entries": 1000, "max-age": 600, "recycle": True}},
            ),
        ],
        [f"{IF}/interface[name='{P2}.50']/ietf-ip:ipv4/bng-interfaces:proxy-arp"],
    ),
    "routes": (
        [
            (IF, {"interface": [port(P2, **addrs("192.0.2.1/24"))]}),
            (GLOBAL, {"static-routes": {"ipv4-route": [route("198.51.100.0/24", ("192.0.2.9", 1, 0))]}}),
        ],
        [(GLOBAL, {"static-routes": {"ipv4-route": [route("203.0.113.0/24", ("192.0.2.7", 1, 0))]}})],
        [f"{GLOBAL}/static-routes/ipv4-route[prefix='198.51.100.0/24']"],
    ),
    "natlog": (
        [
            (VRFS, {"vrf": [{"name": "mgmt", "table-id": 9}]}),
            (
                "/bng-telemetry:telemetry",
                {
                    "collector": [{"name": "c1", "address": "192.0.2.10", "source-address": "192.0.2.1"}],
                    "nat-logging": {
                        "collector": ["c1"],
                        "event": ["session-create"],
                        "relay": {"port": 47390},
                    },
                },
            ),
        ],
        [
            (
                "/bng-telemetry:telemetry/nat-logging",
                {"domain-id": 5, "relay": {"path-mtu": 512, "vrf": "mgmt", "vpp-source-address": "10.9.0.2"}},
            )
        ],
        [],
    ),
    "dhcp4": (
        [
            (VRFS, {"vrf": [{"name": "cust", "table-id": 9}]}),
            (
                IF,
                {
                    "interface": [
                        port(P2, **addrs("10.1.0.1/24")),
                        subif(P2, 60, **{"bng-vrf:vrf": "cust"}, **addrs("10.60.0.1/24")),
                    ]
                },
            ),
            (
                SUBS,
                {
                    "session-templates": {"template": [{"name": "t"}]},
                    "dhcpv4-relay": {"server-group": [{"name": "g", "server": ["192.0.2.50"]}]},
                    "access-interfaces": {"access-interface": [relaying(P2)]},
                },
            ),
        ],
        # an access interface in VRF cust: the receive entry in table 9; the one in table 0 goes
        [(SUBS, {"access-interfaces": {"access-interface": [relaying(f"{P2}.60")]}})],
        [f"{SUBS}/access-interfaces/access-interface[interface='{P2}']"],
    ),
    # only claims the bng-subscribers root (sessions are programmed at run time, not by commits)
    "subscribers": ([], [], []),
    "qos": (
        [
            (QOS, {"profile": [profile("gold")]}),
            (IF, {"interface": [policed(P2, input="gold"), policed(P1, output="gold")]}),
        ],
        [
            (QOS, {"profile": [profile("gold", cir="200000"), profile("silver", type="2r3c", pir="300000")]}),
            (IF, {"interface": [policed(P0, input="silver", output="silver")]}),
        ],
        [f"{IF}/interface[name='{P1}']/bng-qos:qos"],
    ),
}


def access(*names: str, policy: dict[str, Any]) -> dict[str, Any]:
    """IPoE access interfaces whose template has RA policy ``p``."""
    return {
        "access-interfaces": {
            "access-interface": [{"interface": n, "session-template": "t", "ipoe": {}} for n in names]
        },
        "session-templates": {"template": [{"name": "t", "ra-policy": "p"}]},
        "ra-policies": {"ra-policy": [{"name": "p", **policy}]},
    }


SCENARIOS["ra"] = (
    [
        (IF, {"interface": [port(P2), subif(P2, 50, **addrs(v6="2001:db8:50::1/64"))]}),
        (SUBS, access(f"{P2}.50", policy={"address-mode": "slaac"})),
    ],
    [
        (IF, {"interface": [subif(P2, 60, **addrs(v6="2001:db8:60::1/64"))]}),
        (
            SUBS,
            access(f"{P2}.50", f"{P2}.60", policy={"address-mode": "dhcpv6-stateful", "max-interval": 300}),
        ),
    ],
    [],
)


ACLS = "/ietf-access-control-list:acls"


def ace(name: str, action: str = "accept", **matches: Any) -> dict[str, Any]:
    return {"name": name, "matches": matches, "actions": {"forwarding": f"ietf-access-control-list:{action}"}}


def acl(name: str, *aces: dict[str, Any], kind: str = "ipv4") -> dict[str, Any]:
    return {"name": name, "type": f"ietf-access-control-list:{kind}-acl-type", "aces": {"ace": list(aces)}}


def acl_sets(*names: str) -> dict[str, Any]:
    return {"acl-sets": {"acl-set": [{"name": n} for n in names]}}


SCENARIOS["acl"] = (
    [
        (IF, {"interface": [port(P2), subif(P2, 50), subif(P2, 51)]}),
        (
            ACLS,
            {
                "acl": [
                    acl("a", ace("web", ipv4={"destination-ipv4-network": "192.0.2.0/24"})),
                    acl("b", ace("all", "drop")),
                    acl("m", ace("cpe", eth={"source-mac-address": "02:00:00:00:00:01"}), kind="eth"),
                    acl("mm", ace("any", "drop"), kind="eth"),
                ],
                "attachment-points": {
                    "interface": [{"interface-id": f"{P2}.50", "ingress": acl_sets("a", "m")}],
                },
            },
        ),
    ],
    [
        (
            f"{ACLS}/acl[name='a']/aces/ace[name='web']/matches/ipv4/destination-ipv4-network",
            "198.51.100.0/24",
        ),
        (f"{ACLS}/acl[name='m']/aces/ace[name='cpe']/matches/eth/source-mac-address", "02:00:00:00:00:02"),
        (
            f"{ACLS}/acl[name='c']",
            acl("c", ace("dns", udp={"destination-port": {"operator": "eq", "port": 53}})),
        ),
        (f"{ACLS}/acl[name='n']", acl("n", ace("any"), kind="eth")),
        (f"{ACLS}/attachment-points/interface[interface-id='{P2}.50']/egress", acl_sets("c")),
        (
            f"{ACLS}/attachment-points/interface[interface-id='{P2}.51']",
            {"interface-id": f"{P2}.51", "ingress": acl_sets("n")},
        ),
    ],
    [f"{ACLS}/acl[name='b']", f"{ACLS}/acl[name='mm']"],
)

NAT = "/ietf-nat:nat"


def nat_instance(iid: int, pool: str, **extra: Any) -> dict[str, Any]:
    policy = {"id": 1, "external-ip-address-pool": [{"pool-id": 1, "external-ip-pool": pool}]}
    return {"id": iid, "policy": [policy], **extra}


def static_map(index: int, local: str, external: str, **extra: Any) -> dict[str, Any]:
    return {"index": index, "internal-src-address": local, "external-src-address": external, **extra}


SCENARIOS["nat"] = (
    [
        (IF, {"interface": [port(P0), port(P1), port(P2), loop("lo9")]}),
        (
            NAT,
            {
                "instances": {
                    "instance": [
                        nat_instance(
                            1,
                            "198.51.100.0/30",
                            **{"bng-nat:inside-interface": [P0], "bng-nat:outside-interface": [P1]},
                            **{
                                "mapping-table": {
                                    "mapping-entry": [static_map(1, "10.0.0.1/32", "198.51.100.20/32")]
                                }
                            },
                        )
                    ]
                }
            },
        ),
    ],
    [
        (
            NAT,
            {
                "bng-nat:nat44-ed": {"sessions-per-thread": 20000},
                "instances": {
                    "instance": [
                        {
                            **nat_instance(1, "198.51.100.8/30", **{"bng-nat:inside-interface": [P2]}),
                            "bng-nat:session-limit": 500,
                            "policy": [
                                {
                                    "id": 1,
                                    "external-ip-address-pool": [
                                        {"pool-id": 2, "external-ip-pool": "198.51.100.8/30"}
                                    ],
                                    "timers": {"udp-timeout": 120},
                                }
                            ],
                            "mapping-table": {
                                "mapping-entry": [
                                    static_map(
                                        2,
                                        "10.0.0.2/32",
                                        "198.51.100.21/32",
                                        **{"transport-protocol": 6},
                                        **{"internal-src-port": {"start-port-number": 8080}},
                                        **{"external-src-port": {"start-port-number": 80}},
                                    )
                                ]
                            },
                        },
                        {
                            **nat_instance(2, "192.0.2.0/28", **{"bng-nat:mode": "deterministic"}),
                            "bng-nat:inside-interface": ["lo9"],
                            "policy": [
                                {
                                    "id": 1,
                                    "subscriber-match": [{"match-id": 1, "subnet": "100.64.0.0/24"}],
                                    "external-ip-address-pool": [
                                        {"pool-id": 1, "external-ip-pool": "192.0.2.0/28"}
                                    ],
                                }
                            ],
                        },
                    ]
                },
            },
        )
    ],
    [f"{NAT}/instances/instance[id='1']/mapping-table/mapping-entry[index='1']"],
)


def relaying(*names: str) -> dict[str, Any]:
    """IPoE access interfaces relaying DHCPv6 to group g6."""
    return {
        "access-interfaces": {
            "access-interface": [
                {"interface": n, "session-template": "t", "ipoe": {"dhcpv6-relay": "g6"}} for n in names
            ]
        },
        "session-templates": {"template": [{"name": "t"}]},
        "dhcpv6-relay": {"server-group": [{"name": "g6", "server": ["2001:db8::547"]}]},
    }


SCENARIOS["dhcp6"] = (
    [
        (VRFS, {"vrf": [{"name": "cust", "table-id": 9}]}),
        (IF, {"interface": [port(P2), subif(P2, 50)]}),
        (SUBS, relaying(f"{P2}.50")),
    ],
    [(IF, {"interface": [subif(P2, 60, **{"bng-vrf:vrf": "cust"})]}), (SUBS, relaying(f"{P2}.60"))],
    [f"{SUBS}/access-interfaces/access-interface[interface='{P2}.50']"],
)

# the errno VPP would give (any non-zero retval fails a call)
RETVAL = -7


def test_every_feature_has_a_fault_scenario() -> None:
    assert set(SCENARIOS) == {f.name for f in registry.FEATURES}


@pytest.mark.parametrize("feature", registry.FEATURES, ids=lambda f: f.name)
async def test_each_message_of_a_feature_refused_once(
    feature: Any, vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    base, updates, deletes = SCENARIOS[feature.name]
    sim = vppsim_factory(ports=3)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    try:
        await st.commit(updates=base)
        before = await vpp_snapshot(sim.api_socket)
        running_before = st.ds.running.json()
        names_before = st.sb.names.as_dict()
        # the change really sends every message of the feature (a dry run of the same commit); a message
        # sent only to undo (a delete of something the change creates) would never fail the commit
        st.ds.edit_gnmi("candidate", deletes=deletes, replaces=[], updates=updates, session=SESSION)
        plan = await st.txn.dry_run(SESSION)
        await st.discard()
        sent = {step.detail.partition("(")[0] for step in plan.steps}
        assert set(feature.writes) <= sent, set(feature.writes) - sent
        for message in feature.writes:
            sim.ctl("fail", message=message, count=1, retval=RETVAL)
            with pytest.raises(AgentError) as info:
                await st.commit(updates=updates, deletes=deletes)
            err = info.value
            assert err.tag == "operation-failed", (message, str(err))
            assert err.details[0].info["vpp-message"] == message, (message, str(err))
            assert err.details[0].info["vpp-retval"] == str(RETVAL)
            assert message in str(err) and err.path, str(err)  # names the item and the message
            assert await vpp_snapshot(sim.api_socket) == before, f"VPP changed after {message} failed"
            assert st.ds.running.json() == running_before
            assert st.sb.names.as_dict() == names_before
            sim.ctl("clear_faults")
            await st.discard()
        # nothing was left half-applied, and the change goes through afterwards
        assert (await st.sb.reconcile()).write_calls == 0
        await st.commit(updates=updates, deletes=deletes)
        assert (await st.sb.reconcile()).write_calls == 0
    finally:
        await st.stop()
