"""NAT44 through the agent process (``bng-agent run --sim`` with the demo node): ncclient configures
ietf-nat pools in two VRFs, static mappings of the same inside address in both, interfaces and a
deterministic instance; vppsim's nat44-ed and det44 dumps show them; the det44 RPCs answer as VPP's own
det44_forward / det44_reverse; ``<get-data>`` shows the deterministic mapping; bad input is refused with
a clear error and nothing reaches VPP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from ncclient.operations.rpc import RPCError
from test_drift_agent import Agent, operator
from test_telemetry_gnmi import scrape

NAT_NS = "urn:ietf:params:xml:ns:yang:ietf-nat"
BNG_NAT = "urn:bng-agent:yang:bng-nat"


def instance(
    iid: int,
    vrf: str | None,
    pools: list[str],
    *,
    inside: list[str],
    outside: list[str],
    statics: str = "",
    extra: str = "",
    subnet: str | None = None,
) -> str:
    pool_xml = "".join(
        f"<external-ip-address-pool><pool-id>{i + 1}</pool-id><external-ip-pool>{p}</external-ip-pool>"
        "</external-ip-address-pool>"
        for i, p in enumerate(pools)
    )
    match = (
        f"<subscriber-match><match-id>1</match-id><subnet>{subnet}</subnet></subscriber-match>"
        if subnet
        else ""
    )
    ifs = "".join(f'<inside-interface xmlns="{BNG_NAT}">{n}</inside-interface>' for n in inside)
    ifs += "".join(f'<outside-interface xmlns="{BNG_NAT}">{n}</outside-interface>' for n in outside)
    vrf_xml = f'<vrf xmlns="{BNG_NAT}">{vrf}</vrf>' if vrf else ""
    return (
        f"<instance><id>{iid}</id>{vrf_xml}{ifs}{extra}<policy><id>1</id>{pool_xml}{match}</policy>"
        f"{statics}</instance>"
    )  # fmt: skip


def static(index: int, local: str, external: str, ports: tuple[int, int, int] | None = None) -> str:
    body = f"<index>{index}</index><type>static</type>"
    if ports:
        body += f"<transport-protocol>{ports[0]}</transport-protocol>"
    body += f"<internal-src-address>{local}/32</internal-src-address>"
    if ports:
        body += f"<internal-src-port><start-port-number>{ports[1]}</start-port-number></internal-src-port>"
    body += f"<external-src-address>{external}/32</external-src-address>"
    if ports:
        body += f"<external-src-port><start-port-number>{ports[2]}</start-port-number></external-src-port>"
    return f"<mapping-table><mapping-entry>{body}</mapping-entry></mapping-table>"


def config(*instances: str) -> str:
    return f'<config><nat xmlns="{NAT_NS}"><instances>{"".join(instances)}</instances></nat></config>'


TENANTS = config(
    instance(
        2, "internet", ["198.51.100.64/28"],
        inside=["GigabitEthernet0/a/0.100"], outside=["BondEthernet0.10"],
        statics=static(1, "10.0.0.1", "198.51.100.70", (6, 8080, 80)),
        extra=f'<session-limit xmlns="{BNG_NAT}">5000</session-limit>',
    ),
    instance(
        3, "voip", ["198.51.100.80/28"], inside=["BondEthernet0.20"], outside=["BondEthernet0.10"],
        statics=static(1, "10.0.0.1", "198.51.100.81"),
    ),
    instance(
        4, None, ["192.0.2.0/28"], inside=["GigabitEthernet0/a/0.101"], outside=["GigabitEthernet0/b/0"],
        subnet="100.64.0.0/24", extra=f'<mode xmlns="{BNG_NAT}">deterministic</mode>',
    ),
)  # fmt: skip


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    a = Agent(tmp_path, "")
    try:
        yield a
    finally:
        a.stop()


def nat_state(api: Any) -> dict[str, Any]:
    names = {int(i.sw_if_index): str(i.interface_name) for i in api.sw_interface_dump(sw_if_index=0xFFFFFFFF)}
    return {
        "addresses": {(str(a.ip_address), int(a.vrf_id)) for a in api.nat44_address_dump()},
        "interfaces": {(names[int(i.sw_if_index)], int(i.flags)) for i in api.nat44_interface_dump()},
        "static": {
            (
                str(m.local_ip_address),
                int(m.local_port),
                str(m.external_ip_address),
                int(m.external_port),
                int(m.protocol),
                int(m.vrf_id),
                str(m.tag),
            )
            for m in api.nat44_static_mapping_dump()
        },
        "det44": {
            (str(m.in_addr), int(m.in_plen), str(m.out_addr), int(m.out_plen), int(m.ports_per_host))
            for m in api.det44_map_dump()
        },
        "det44_interfaces": {
            (names[int(i.sw_if_index)], bool(i.is_inside)) for i in api.det44_interface_dump()
        },
    }


def rpc(nc: Any, body: str) -> etree._Element:
    reply = nc.dispatch(etree.fromstring(body.encode()))
    return etree.fromstring(reply.xml.encode())


def text(reply: etree._Element, name: str) -> str:
    el = reply.find(f".//{{{BNG_NAT}}}{name}")
    assert el is not None, etree.tostring(reply)
    return str(el.text)


def test_ietf_nat_over_netconf_programs_vpp_in_two_vrfs_and_det44(agent: Agent) -> None:
    with agent.netconf() as nc:
        nc.edit_config(target="candidate", config=TENANTS)
        nc.commit()
        with operator(agent.api_socket) as api:
            st = nat_state(api)
            pools = {(f"198.51.100.{64 + i}", 10) for i in range(16)} | {
                (f"198.51.100.{80 + i}", 20) for i in range(16)
            }
            demo = {(f"203.0.113.{i}", 0) for i in range(64)}  # the demo's instance 1 (default VRF)
            assert st["addresses"] == pools | demo
            # the same inside address in two VRFs, mapped independently
            assert st["static"] == {
                ("10.0.0.1", 8080, "198.51.100.70", 80, 6, 10, "bng-agent:2/1"),
                ("10.0.0.1", 0, "198.51.100.81", 0, 0, 20, "bng-agent:3/1"),
                ("100.64.1.10", 8080, "203.0.113.62", 80, 6, 0, "bng-agent:1/1"),  # the demo's port forward
            }
            assert st["interfaces"] == {
                ("GigabitEthernet0/a/0.100", 0x20), ("BondEthernet0.20", 0x20), ("BondEthernet0.10", 0x10)
            }  # fmt: skip
            assert st["det44"] == {("100.64.0.0", 24, "192.0.2.0", 28, 4032)}
            assert st["det44_interfaces"] == {
                ("GigabitEthernet0/a/0.101", True),
                ("GigabitEthernet0/b/0", False),
            }
            vpp_fwd = api.det44_forward(in_addr="100.64.0.17")
            vpp_rev = api.det44_reverse(out_addr="192.0.2.1", out_port=9000)

        # the RPCs answer from configuration what VPP answers
        fwd = rpc(
            nc,
            f'<det44-forward xmlns="{BNG_NAT}"><inside-address>100.64.0.17</inside-address></det44-forward>',
        )
        assert (
            (text(fwd, "outside-address"), int(text(fwd, "port-low")), int(text(fwd, "port-high")))
            == (str(vpp_fwd.out_addr), int(vpp_fwd.out_port_lo), int(vpp_fwd.out_port_hi))
            == ("192.0.2.1", 5056, 9087)
        )
        assert text(fwd, "instance") == "4"
        rev = rpc(
            nc,
            f'<det44-reverse xmlns="{BNG_NAT}"><outside-address>192.0.2.1</outside-address><port>9000</port>'
            "</det44-reverse>",
        )
        assert text(rev, "inside-address") == str(vpp_rev.in_addr) == "100.64.0.17"
        with pytest.raises(RPCError) as info:
            rpc(
                nc,
                f'<det44-forward xmlns="{BNG_NAT}"><inside-address>10.9.9.9</inside-address></det44-forward>',
            )
        assert info.value.tag == "invalid-value" and "in no deterministic NAT mapping" in str(info.value)

        # the mapping in <operational>
        reply = nc.dispatch(etree.fromstring(
            b'<get-data xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-nmda" '
            b'xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores"><datastore>ds:operational</datastore>'
            b'<xpath-filter xmlns:n="urn:ietf:params:xml:ns:yang:ietf-nat" '
            b'xmlns:b="urn:bng-agent:yang:bng-nat">'
            b"/n:nat/n:instances/n:instance[n:id='4']/b:deterministic-mapping</xpath-filter></get-data>"
        ))  # fmt: skip
        mapping = etree.fromstring(reply.xml.encode()).find(f".//{{{BNG_NAT}}}mapping")
        assert mapping is not None, reply.xml
        assert {c.tag.split("}")[1]: c.text for c in mapping}.items() >= {
            "inside-prefix": "100.64.0.0/24", "outside-prefix": "192.0.2.0/28",
            "sharing-ratio": "16", "ports-per-host": "4032",
        }.items()  # fmt: skip
        metrics = scrape(agent.metrics)
        assert metrics[("bng_nat_session_limit", (("nat_instance", "2"),))] == 5000


def test_bad_nat_input_is_refused_and_nothing_reaches_vpp(agent: Agent) -> None:
    with agent.netconf() as nc, operator(agent.api_socket) as api:
        before = nat_state(api)
        # overlapping pools (in different VRFs: VPP's address table is global): refused at commit, before VPP
        nc.edit_config(target="candidate", config=config(
            instance(5, "internet", ["198.51.100.64/28"], inside=[], outside=[]),
            instance(6, "voip", ["198.51.100.72/29"], inside=[], outside=[]),
        ))  # fmt: skip
        with pytest.raises(RPCError) as info:
            nc.commit()
        err = info.value
        assert err.tag == "invalid-value"
        assert "198.51.100.72/29 overlaps 198.51.100.64/28" in err.message
        assert err.path is not None and "instance[id='6']" in err.path
        nc.discard_changes()
        assert nat_state(api) == before
        # a pool in a VRF that does not exist: refused at validate
        nc.edit_config(
            target="candidate",
            config=config(instance(7, "nowhere", ["198.51.100.96/28"], inside=[], outside=[])),
        )
        with pytest.raises(RPCError) as info:
            nc.validate(source="candidate")
        assert "instance-required" in str(info.value.to_dict()) or "nowhere" in str(info.value)
        nc.discard_changes()
        # det44: the outside prefix larger than the inside one (sharing ratio below 1)
        nc.edit_config(target="candidate", config=config(instance(
            8, None, ["192.0.2.0/24"], inside=[], outside=[], subnet="100.64.0.0/28",
            extra=f'<mode xmlns="{BNG_NAT}">deterministic</mode>',
        )))  # fmt: skip
        with pytest.raises(RPCError) as info:
            nc.validate(source="candidate")
        assert "det44 sharing ratio does not divide" in str(info.value)
        nc.discard_changes()
        assert nat_state(api) == before
