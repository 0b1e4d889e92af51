"""QoS profiles through ncclient and pygnmi: the worked examples of docs/qos.md are accepted, and bad
input is refused at validate time with a specific error naming the node, nothing half-applied
(CIR above PIR, a burst below one frame, a burst below one frame of the interface it is attached to, a
rate VPP cannot take, parameters the profile's type does not have)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from _gnmi_helpers import Agent, running_agent
from ncclient.operations.rpc import RPCError
from pygnmi.client import gNMIException

QOS_NS = "urn:bng-agent:yang:bng-qos"
IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
IANA = "urn:ietf:params:xml:ns:yang:iana-if-type"
BNG_IF_NS = "urn:bng-agent:yang:bng-interfaces"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    with running_agent(tmp_path_factory.mktemp("qos-protocols")) as a:
        yield a


def profile_xml(name: str, body: str) -> str:
    return f'<qos xmlns="{QOS_NS}"><profile><name>{name}</name>{body}</profile></qos>'


def interface_xml(name: str, extra: str = "") -> str:
    return (
        f'<interfaces xmlns="{IF_NS}"><interface><name>{name}</name>'
        f'<type xmlns:ianaift="{IANA}">ianaift:ethernetCsmacd</type>{extra}</interface></interfaces>'
    )


def config(*parts: str) -> str:
    return f'<config xmlns="{NC}">{"".join(parts)}</config>'


GOLD = profile_xml(
    "gold",
    "<type>2r3c</type><cir>50000</cir><cbs>625000</cbs><pir>100000</pir><pbs>1250000</pbs>"
    "<exceed><action>mark-and-transmit</action><dscp>10</dscp></exceed>",
)


def _refused(m: Any, cfg: str) -> RPCError:
    """The error for ``cfg``: at edit-config where the value's type already refuses it (a range), else
    at validate (and commit refuses it too)."""
    try:
        try:
            m.edit_config(target="candidate", config=cfg)
        except RPCError as early:
            return early
        with pytest.raises(RPCError) as info:
            m.validate(source="candidate")
        with pytest.raises(RPCError):
            m.commit()
    finally:
        m.discard_changes()
    return info.value


def test_the_worked_example_commits(agent: Agent) -> None:
    attach = f'<qos xmlns="{QOS_NS}"><input-profile>gold</input-profile></qos>'
    with agent.netconf() as m:
        m.edit_config(target="candidate", config=config(GOLD, interface_xml("qos-eth0", attach)))
        m.validate(source="candidate")
        m.commit()
        running = m.get_config("running").data_xml
    assert "<input-profile>gold</input-profile>" in running and "<pir>100000</pir>" in running


@pytest.mark.parametrize(
    ("body", "tag", "path", "text"),
    [
        (
            "<type>2r3c</type><cir>200000</cir><pir>100000</pir>",
            "operation-failed",
            "/bng-qos:qos/profile[name='bad']/pir",
            "PIR must not be less than CIR",
        ),
        ("<cir>1000</cir><cbs>1000</cbs>", "invalid-value", "/bng-qos:qos/profile[name='bad']/cbs", "range"),
        (
            "<type>1r3c</type><cir>1000</cir><pbs>1521</pbs>",
            "invalid-value",
            "/bng-qos:qos/profile[name='bad']/pbs",
            "range",
        ),
        ("<cir>5000000000</cir>", "invalid-value", "/bng-qos:qos/profile[name='bad']/cir", "range"),
        (
            "<type>1r2c</type><cir>1000</cir><pir>2000</pir>",
            "invalid-value",
            "/bng-qos:qos/profile[name='bad']/pir",
            "When condition",
        ),
    ],
    ids=["cir-above-pir", "cbs-below-a-frame", "ebs-below-a-frame", "rate-above-u32-kbps", "pir-on-1r2c"],
)
def test_bad_profiles_are_refused_at_validate_naming_the_node(
    agent: Agent, body: str, tag: str, path: str, text: str
) -> None:
    with agent.netconf() as m:
        err = _refused(m, config(profile_xml("bad", body)))
        assert "bad" not in m.get_config("running").data_xml
    assert err.tag == tag, err.xml
    assert err.path is not None and err.path.strip() == path, err.xml
    assert text in (err.message or ""), err.xml


def test_a_burst_below_one_frame_of_the_attached_interface_is_refused(agent: Agent) -> None:
    """cbs 5000 is more than the 1522-byte floor but less than a 9000-byte MTU's frame (9022 bytes):
    refused on the attachment, and the interface created in the same edit is not applied either."""
    small = profile_xml("small", "<cir>10000</cir><cbs>5000</cbs>")
    attach = (
        f'<mtu xmlns="{BNG_IF_NS}">9000</mtu><qos xmlns="{QOS_NS}"><input-profile>small</input-profile></qos>'
    )
    with agent.netconf() as m:
        err = _refused(m, config(small, interface_xml("qos-jumbo", attach)))
        running = m.get_config("running").data_xml
    assert "qos-jumbo" not in running and "small" not in running  # nothing half-applied
    assert err.tag == "operation-failed"
    assert err.path is not None and "qos-jumbo" in err.path and err.path.strip().endswith("input-profile")
    assert "smaller than one frame of this interface" in (err.message or "")


def test_gnmi_set_of_a_bad_profile_is_invalid_argument_and_changes_nothing(agent: Agent) -> None:
    before = json.dumps(agent.command("running"), sort_keys=True)
    bad = {"name": "gnmi-bad", "type": "2r3c", "cir": "300000", "pir": "100000"}
    good = {"name": "gnmi-ok", "cir": "1000"}
    with agent.client() as c, pytest.raises(gNMIException) as info:
        c.set(update=[("/bng-qos:qos", {"profile": [good, bad]})], encoding="json_ietf")
    status: Any = info.value.orig_exc
    assert status.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "PIR must not be less than CIR" in status.details()
    assert json.dumps(agent.command("running"), sort_keys=True) == before


def test_gnmi_set_of_the_worked_example(agent: Agent) -> None:
    profile = {
        "name": "silver",
        "type": "1r3c",
        "cir": "20000",
        "cbs": 250000,
        "pbs": 250000,
        "violate": {"action": "drop"},
    }
    with agent.client() as c:
        c.set(update=[("/bng-qos:qos", {"profile": [profile]})], encoding="json_ietf")
        got = c.get(path=["/bng-qos:qos/profile[name=silver]"], encoding="json_ietf")
    text = json.dumps(got)
    assert '"1r3c"' in text and "250000" in text
