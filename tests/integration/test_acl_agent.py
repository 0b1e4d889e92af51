"""ACLs through the agent process (``bng-agent run --sim`` with the demo node): configured with NETCONF
(ncclient) and changed with gNMI (pygnmi); packets through vppsim's ACL plugin (its control channel's
``acl_packet``) hit the expected ACEs, whose counters appear in ``<get-data>`` of the operational
datastore and in ``/metrics``; a reflexive ACE lets the return traffic of a flow through while
unsolicited traffic is dropped; an ACE VPP cannot express is refused with an rpc-error naming it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree
from ncclient import manager
from ncclient.operations import RPCError
from pygnmi.client import gNMIclient  # type: ignore[import-untyped]
from test_telemetry_gnmi import PASSWORD, node, scrape  # noqa: F401  (node is a fixture)

from vppsim.control import send_command

SUB = "GigabitEthernet0/a/0.100"  # a subscriber VLAN of the demo configuration
ACL_NS = "urn:ietf:params:xml:ns:yang:ietf-access-control-list"
NMDA_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
CONFIG = f"""
<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
 <acls xmlns="{ACL_NS}" xmlns:acl="{ACL_NS}">
  <acl>
   <name>web-in</name>
   <type>acl:ipv4-acl-type</type>
   <aces>
    <ace><name>http</name>
     <matches><ipv4><destination-ipv4-network>198.51.100.0/24</destination-ipv4-network></ipv4>
      <tcp><destination-port><operator>eq</operator><port>80</port></destination-port></tcp></matches>
     <actions><forwarding>acl:accept</forwarding></actions></ace>
    <ace><name>dns-out</name>
     <matches><ipv4><source-ipv4-network>100.64.0.0/10</source-ipv4-network></ipv4>
      <udp><destination-port><operator>eq</operator><port>53</port></destination-port></udp></matches>
     <actions><forwarding xmlns:bng-acl="urn:bng-agent:yang:bng-acl">bng-acl:accept-reflexive</forwarding>
     </actions></ace>
    <ace><name>rest</name><actions><forwarding>acl:drop</forwarding></actions></ace>
   </aces>
  </acl>
  <acl>
   <name>deny-in-out</name>
   <aces><ace><name>all</name><actions><forwarding>acl:drop</forwarding></actions></ace></aces>
  </acl>
  <attachment-points>
   <interface>
    <interface-id>{SUB}</interface-id>
    <ingress><acl-sets><acl-set><name>web-in</name></acl-set></acl-sets></ingress>
    <egress><acl-sets><acl-set><name>deny-in-out</name></acl-set></acl-sets></egress>
   </interface>
  </attachment-points>
 </acls>
</config>"""
GET_ACLS = f"""
<get-data xmlns="{NMDA_NS}" xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores">
  <datastore>ds:operational</datastore>
  <xpath-filter xmlns:acl="{ACL_NS}">/acl:acls/acl:acl[acl:name='web-in']</xpath-filter>
</get-data>"""


def netconf(node: dict[str, Any]) -> Any:  # noqa: F811
    return manager.connect(
        host="127.0.0.1",
        port=node["netconf"],
        username="admin",
        password=PASSWORD,
        hostkey_verify=False,
        look_for_keys=False,
        allow_agent=False,
        timeout=30,
    )


def packet(node: dict[str, Any], **args: Any) -> dict[str, Any]:  # noqa: F811
    reply = send_command(node["control"], "acl_packet", name=SUB, **args)
    assert reply["ok"], reply
    return reply


def ace_counters(m: Any) -> dict[str, tuple[int, int]]:
    reply = m.dispatch(etree.fromstring(GET_ACLS))
    out = {}
    for ace in etree.fromstring(reply.xml.encode()).iter(f"{{{ACL_NS}}}ace"):
        name = ace.findtext(f"{{{ACL_NS}}}name")
        stats = ace.find(f"{{{ACL_NS}}}statistics")
        if stats is not None:
            out[str(name)] = (
                int(stats.findtext(f"{{{ACL_NS}}}matched-packets") or 0),
                int(stats.findtext(f"{{{ACL_NS}}}matched-octets") or 0),
            )
    return out


def eventually(check: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"{what}: {last!r}")


def test_acls_by_netconf_and_gnmi_count_hits_and_reflect(node: dict[str, Any]) -> None:  # noqa: F811
    with netconf(node) as m:
        m.edit_config(target="candidate", config=CONFIG)
        m.commit()

        http = {"src": "100.64.1.2", "dst": "198.51.100.7", "proto": 6, "sport": 40000, "dport": 80}
        assert packet(node, count=3, bytes=100, **http)["action"] == "permit"
        assert packet(node, src="100.64.1.2", dst="198.51.100.7", proto=6, dport=22)["action"] == "deny"
        counters = eventually(
            lambda: (c := ace_counters(m)).get("http") == (3, 300) and c, "http ACE counters in <get-data>"
        )
        assert counters["rest"] == (1, 64) and counters["dns-out"] == (0, 0)
        series = eventually(
            lambda: (
                (s := scrape(node["metrics"])).get(
                    ("bng_acl_ace_matched_packets_total", (("ace", "http"), ("acl", "web-in")))
                )
                == 3.0
                and s
            ),
            "per-ACE metric",
        )
        assert series[("bng_acl_matches_total", (("acl", "web-in"), ("action", "deny")))] == 1.0

        # reflexive: a DNS query from the subscriber opens the way for its answer, nothing else comes in
        query = {"src": "100.64.1.2", "dst": "192.0.2.53", "proto": 17, "sport": 5353, "dport": 53}
        assert packet(node, **query)["action"] == "permit"
        answer = {"src": "192.0.2.53", "dst": "100.64.1.2", "proto": 17, "sport": 53, "dport": 5353}
        assert packet(node, is_input=False, **answer)["action"] == "session"
        unsolicited = {**answer, "sport": 54}
        assert packet(node, is_input=False, **unsolicited)["action"] == "deny"
        eventually(
            lambda: scrape(node["metrics"]).get(("bng_acl_sessions", (("interface", SUB),))) == 1.0,
            "reflexive session gauge",
        )

    # gNMI: one ACE changed; the ACL is replaced in place and the new port matches
    with gNMIclient(
        target=("127.0.0.1", node["gnmi"]), username="admin", password=PASSWORD, path_cert=str(node["cert"])
    ) as client:
        ace = "/ietf-access-control-list:acls/acl[name=web-in]/aces/ace[name=http]"
        path = f"{ace}/matches/tcp/destination-port/port"
        client.set(update=[(path, 8080)], encoding="json_ietf")
    assert packet(node, **{**http, "dport": 8080})["action"] == "permit"
    assert packet(node, **http)["action"] == "deny"


@pytest.mark.parametrize(
    ("ace", "message"),
    [
        (
            "<ace><name>bad</name><actions><forwarding>acl:reject</forwarding></actions></ace>",
            "cannot reject",
        ),
        (
            "<ace><name>bad</name><matches><ipv4><protocol>17</protocol></ipv4><tcp><source-port>"
            "<operator>eq</operator><port>1</port></source-port></tcp></matches>"
            "<actions><forwarding>acl:accept</forwarding></actions></ace>",
            "A TCP match needs protocol 6",
        ),
        (
            "<ace><name>bad</name><matches><tcp><destination-port><lower-port>90</lower-port>"
            "<upper-port>80</upper-port></destination-port></tcp></matches>"
            "<actions><forwarding>acl:accept</forwarding></actions></ace>",
            "lower-port must be less than or equal to",
        ),
    ],
)
def test_validate_names_what_vpp_cannot_do(node: dict[str, Any], ace: str, message: str) -> None:  # noqa: F811
    config = (
        '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
        f'<acls xmlns="{ACL_NS}" xmlns:acl="{ACL_NS}">'
        f"<acl><name>bad</name><type>acl:ipv4-acl-type</type><aces>{ace}</aces></acl></acls></config>"
    )
    with netconf(node) as m:
        m.edit_config(target="candidate", config=config)
        with pytest.raises(RPCError) as err:
            m.validate(source="candidate")
        m.discard_changes()
    assert message in (err.value.message or ""), err.value.xml
    assert "acl[name='bad']/aces/ace[name='bad']" in (err.value.path or ""), err.value.xml
