"""ietf-access-control-list through the commit path into (emulated) VPP's ACL plugin.

What a user sees: the ACLs and interface lists VPP dumps equal what was configured; a change to one ACE
is one ``acl_add_replace`` of that ACL with the same index (attachments untouched, other ACLs not
re-sent); an ACL changed behind the agent's back is put back by reconcile; bad input is refused with a
specific error and VPP is left as it was.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from _southbound_helpers import IF, AgentStack, addrs, port, subif
from vpp_papi import VPPApiClient

from agent.errors import AgentError
from agent.vpp.api import api_json_files

P0 = "GigabitEthernet0/8/0"
SUB = f"{P0}.100"
ACLS = "/ietf-access-control-list:acls"
ACCEPT = "ietf-access-control-list:accept"
DROP = "ietf-access-control-list:drop"
REFLECT = "bng-acl:accept-reflexive"
ALL = 0xFFFFFFFF


def ace(name: str, action: str = ACCEPT, **matches: Any) -> dict[str, Any]:
    return {"name": name, "matches": matches, "actions": {"forwarding": action}}


def web_acl(port_no: int = 80) -> dict[str, Any]:
    return {
        "name": "web-in",
        "type": "ietf-access-control-list:ipv4-acl-type",
        "aces": {
            "ace": [
                ace(
                    "http",
                    ipv4={"destination-ipv4-network": "192.0.2.0/24"},
                    tcp={"destination-port": {"operator": "eq", "port": port_no}},
                ),
                ace(
                    "ssh-range",
                    ipv4={"source-ipv4-network": "10.0.0.0/8"},
                    tcp={"destination-port": {"lower-port": 22, "upper-port": 23}},
                ),
                ace("rest", DROP),
            ]
        },
    }


def attach(ifname: str, ingress: list[str], egress: list[str] = []) -> dict[str, Any]:  # noqa: B006
    entry: dict[str, Any] = {"interface-id": ifname}
    if ingress:
        entry["ingress"] = {"acl-sets": {"acl-set": [{"name": n} for n in ingress]}}
    if egress:
        entry["egress"] = {"acl-sets": {"acl-set": [{"name": n} for n in egress]}}
    return entry


BASE_IF = (IF, {"interface": [port(P0), subif(P0, 100, **addrs("100.64.1.1/24"))]})


def dns_acl() -> dict[str, Any]:
    return {
        "name": "dns",
        "type": "ietf-access-control-list:ipv6-acl-type",
        "aces": {
            "ace": [
                ace(
                    "dns",
                    ipv6={"destination-ipv6-network": "2001:db8::53/128"},
                    udp={"destination-port": {"operator": "eq", "port": 53}},
                )
            ]
        },
    }


def acl_state(api_socket: str) -> dict[str, Any]:
    """What VPP's ACL plugin holds, read with vpp-papi's own client: ACLs by tag, lists by interface."""
    c = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=api_socket)
    c.connect("acl-test")
    try:
        names = {i.sw_if_index: str(i.interface_name) for i in c.api.sw_interface_dump(sw_if_index=ALL)}
        acls = {}
        tag_of = {}
        for d in c.api.acl_dump(acl_index=ALL):
            tag_of[d.acl_index] = str(d.tag)
            acls[str(d.tag)] = {
                "index": int(d.acl_index),
                "rules": [
                    (
                        int(r.is_permit),
                        str(r.src_prefix),
                        str(r.dst_prefix),
                        int(r.proto),
                        (int(r.srcport_or_icmptype_first), int(r.srcport_or_icmptype_last)),
                        (int(r.dstport_or_icmpcode_first), int(r.dstport_or_icmpcode_last)),
                    )
                    for r in d.r
                ],
            }
        lists = {}
        for d in c.api.acl_interface_list_dump(sw_if_index=ALL):
            if d.count:
                idx = [tag_of[a] for a in d.acls[: d.count]]
                lists[names[d.sw_if_index]] = (idx[: d.n_input], idx[d.n_input :])
        macips = {
            str(d.tag): [
                (int(r.is_permit), str(r.src_mac), str(r.src_mac_mask), str(r.src_prefix)) for r in d.r
            ]
            for d in c.api.macip_acl_dump(acl_index=ALL)
        }
        macip_tag = {int(d.acl_index): str(d.tag) for d in c.api.macip_acl_dump(acl_index=ALL)}
        macip_on = {
            names[d.sw_if_index]: macip_tag[d.acls[0]]
            for d in c.api.macip_acl_interface_list_dump(sw_if_index=ALL)
        }
        return {"acls": acls, "lists": lists, "macips": macips, "macip_on": macip_on}
    finally:
        c.disconnect()


@pytest.fixture
async def stack(vppsim_factory: Callable[..., Any], tmp_path: Path) -> AsyncIterator[tuple[AgentStack, Any]]:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    await st.commit(updates=[BASE_IF])
    yield st, sim
    await st.stop()


async def test_configured_acls_and_attachments_are_what_vpp_dumps(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    await st.commit(
        updates=[
            (
                ACLS,
                {
                    "acl": [web_acl(), dns_acl()],
                    "attachment-points": {"interface": [attach(SUB, ["web-in", "dns"], ["dns"])]},
                },
            )
        ]
    )
    got = acl_state(sim.api_socket)
    assert got["acls"]["bng-agent:web-in"]["rules"] == [
        (1, "0.0.0.0/0", "192.0.2.0/24", 6, (0, 65535), (80, 80)),
        (1, "10.0.0.0/8", "0.0.0.0/0", 6, (0, 65535), (22, 23)),
        (0, "0.0.0.0/0", "0.0.0.0/0", 0, (0, 65535), (0, 65535)),
        (0, "::/0", "::/0", 0, (0, 65535), (0, 65535)),
    ]
    assert got["acls"]["bng-agent:dns"]["rules"] == [
        (1, "::/0", "2001:db8::53/128", 17, (0, 65535), (53, 53))
    ]
    assert got["lists"] == {SUB: (["bng-agent:web-in", "bng-agent:dns"], ["bng-agent:dns"])}


async def test_one_ace_change_is_one_replace_in_place(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    await st.commit(
        updates=[
            (
                ACLS,
                {
                    "acl": [web_acl(), dns_acl()],
                    "attachment-points": {"interface": [attach(SUB, ["web-in", "dns"])]},
                },
            )
        ]
    )
    before = acl_state(sim.api_socket)
    calls: list[str] = []
    conn = st.sb.conn
    assert conn is not None
    conn.on_call = lambda msg, *rest: calls.append(msg)
    path = f"{ACLS}/acl[name='web-in']/aces/ace[name='http']/matches/tcp/destination-port/port"
    await st.commit(updates=[(path, 8080)])
    conn.on_call = None
    assert calls == ["acl_add_replace"]
    after = acl_state(sim.api_socket)
    assert after["acls"]["bng-agent:web-in"]["index"] == before["acls"]["bng-agent:web-in"]["index"]
    assert after["acls"]["bng-agent:web-in"]["rules"][0][5] == (8080, 8080)
    assert after["lists"] == before["lists"]
    assert after["acls"]["bng-agent:dns"] == before["acls"]["bng-agent:dns"]


async def test_ace_inserted_first_is_first_in_vpp(stack: tuple[AgentStack, Any]) -> None:
    """ACEs are ordered by the user: a new ACE placed first is VPP's first rule, not appended."""
    st, sim = stack
    await st.commit(updates=[(ACLS, {"acl": [web_acl()]})])
    acl = web_acl()
    acl["aces"]["ace"].insert(0, ace("block", DROP, ipv4={"source-ipv4-network": "203.0.113.0/24"}))
    await st.commit(replaces=[(f"{ACLS}/acl[name='web-in']", acl)])
    rules = acl_state(sim.api_socket)["acls"]["bng-agent:web-in"]["rules"]
    assert rules[0] == (0, "203.0.113.0/24", "0.0.0.0/0", 0, (0, 65535), (0, 65535))
    assert len(rules) == 5


async def test_reconcile_puts_back_an_acl_changed_behind_the_agents_back(
    stack: tuple[AgentStack, Any],
) -> None:
    st, sim = stack
    await st.commit(
        updates=[(ACLS, {"acl": [web_acl()], "attachment-points": {"interface": [attach(SUB, ["web-in"])]}})]
    )
    want = acl_state(sim.api_socket)
    index = want["acls"]["bng-agent:web-in"]["index"]
    c = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=sim.api_socket)
    c.connect("intruder")
    try:
        rule = {
            "is_permit": 1,
            "src_prefix": "0.0.0.0/0",
            "dst_prefix": "0.0.0.0/0",
            "proto": 0,
            "srcport_or_icmptype_first": 0,
            "srcport_or_icmptype_last": 65535,
            "dstport_or_icmpcode_first": 0,
            "dstport_or_icmpcode_last": 65535,
            "tcp_flags_mask": 0,
            "tcp_flags_value": 0,
        }
        assert c.api.acl_add_replace(acl_index=index, tag="bng-agent:web-in", count=1, r=[rule]).retval == 0
        foreign = c.api.acl_add_replace(acl_index=ALL, tag="operator-debug", count=1, r=[rule])
        assert foreign.retval == 0
    finally:
        c.disconnect()
    report = await st.sb.reconcile()
    assert report.repairs == 1 and report.write_calls == 1
    got = acl_state(sim.api_socket)
    assert got["acls"]["bng-agent:web-in"] == want["acls"]["bng-agent:web-in"]
    assert "operator-debug" in got["acls"]  # not the agent's: left alone and reported
    assert {
        "kind": "acl",
        "acl_index": foreign.acl_index,
        "tag": "operator-debug",
        "rules": 1,
    } in report.unmanaged
    again = await st.sb.reconcile()
    assert again.repairs == 0 and again.write_calls == 0


async def test_deleting_acls_detaches_then_deletes(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    await st.commit(
        updates=[(ACLS, {"acl": [web_acl()], "attachment-points": {"interface": [attach(SUB, ["web-in"])]}})]
    )
    await st.commit(deletes=[ACLS])
    got = acl_state(sim.api_socket)
    assert got["acls"] == {} and got["lists"] == {}


async def test_macip_acl_for_an_ethernet_acl_type(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    mac_acl = {
        "name": "cpe-macs",
        "type": "ietf-access-control-list:mixed-eth-ipv4-acl-type",
        "aces": {
            "ace": [
                ace(
                    "cpe",
                    eth={"source-mac-address": "02:00:00:00:00:01"},
                    ipv4={"source-ipv4-network": "100.64.1.0/24"},
                ),
                ace("rest", DROP),
            ]
        },
    }
    await st.commit(
        updates=[(ACLS, {"acl": [mac_acl], "attachment-points": {"interface": [attach(SUB, ["cpe-macs"])]}})]
    )
    got = acl_state(sim.api_socket)
    assert got["macips"]["bng-agent:cpe-macs"] == [
        (1, "02:00:00:00:00:01", "ff:ff:ff:ff:ff:ff", "100.64.1.0/24"),
        (0, "00:00:00:00:00:00", "00:00:00:00:00:00", "0.0.0.0/0"),
        (0, "00:00:00:00:00:00", "00:00:00:00:00:00", "::/0"),
    ]
    assert got["macip_on"] == {SUB: "bng-agent:cpe-macs"}
    assert got["lists"] == {}


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (ace("x", "ietf-access-control-list:reject"), "cannot reject"),
        (ace("x", tcp={"destination-port": {"lower-port": 90, "upper-port": 80}}), "lower-port"),
        (
            ace("x", ipv4={"protocol": 17}, tcp={"destination-port": {"operator": "eq", "port": 80}}),
            "TCP match needs protocol 6",
        ),
        (ace("x", eth={"source-mac-address": "02:00:00:00:00:01"}), "eth-acl-type"),
        (ace("x", "bng-acl:accept-reflexive", ipv4={"source-ipv4-network": "10.0.0.0/8"}), None),
    ],
)
async def test_bad_aces_are_refused_and_nothing_is_applied(
    stack: tuple[AgentStack, Any], bad: dict[str, Any], words: str | None
) -> None:
    st, sim = stack
    good = web_acl()
    acl = {"name": "bad", "type": "ietf-access-control-list:ipv4-acl-type", "aces": {"ace": [bad]}}
    if words is None:  # the control case: the same commit with a good ACE goes through
        await st.commit(updates=[(ACLS, {"acl": [good, acl]})])
        assert set(acl_state(sim.api_socket)["acls"]) == {"bng-agent:web-in", "bng-agent:bad"}
        return
    with pytest.raises(AgentError) as err:
        await st.commit(updates=[(ACLS, {"acl": [good, acl]})])
    assert words in str(err.value)
    assert "acl[name='bad']/aces/ace[name='x']" in str(err.value)
    await st.discard()
    assert acl_state(sim.api_socket)["acls"] == {}


async def test_neq_port_is_two_rules(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    acl = {
        "name": "not-25",
        "type": "ietf-access-control-list:ipv4-acl-type",
        "aces": {
            "ace": [
                ace(
                    "x",
                    ipv4={"source-ipv4-network": "0.0.0.0/0"},
                    tcp={"destination-port": {"operator": "neq", "port": 25}},
                )
            ]
        },
    }
    await st.commit(updates=[(ACLS, {"acl": [acl]})])
    rules = acl_state(sim.api_socket)["acls"]["bng-agent:not-25"]["rules"]
    assert [r[5] for r in rules] == [(0, 24), (26, 65535)]
    assert all(str(ipaddress.ip_network(r[1])) == "0.0.0.0/0" for r in rules)


async def test_an_acl_removed_from_a_list_and_deleted_in_one_commit(stack: tuple[AgentStack, Any]) -> None:
    """VPP refuses to delete an ACL still on an interface: the list is set without it first."""
    st, sim = stack
    await st.commit(
        updates=[
            (
                ACLS,
                {
                    "acl": [web_acl(), dns_acl()],
                    "attachment-points": {"interface": [attach(SUB, ["web-in", "dns"])]},
                },
            )
        ]
    )
    await st.commit(
        deletes=[
            f"{ACLS}/acl[name='dns']",
            f"{ACLS}/attachment-points/interface[interface-id='{SUB}']/ingress/acl-sets/acl-set[name='dns']",
        ]
    )
    got = acl_state(sim.api_socket)
    assert set(got["acls"]) == {"bng-agent:web-in"}
    assert got["lists"] == {SUB: (["bng-agent:web-in"], [])}
