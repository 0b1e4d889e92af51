"""Configuration the agent accepts ahead of its implementation: the commit succeeds, the reply warns
(NETCONF rpc-error severity warning, gNMI Set extension), running keeps it, and the operational datastore
leaves it out while agent-state/not-applied lists it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _netconf_helpers import NetconfFixture, interface_config, running_server
from lxml import etree
from ncclient.operations import RaiseMode
from ncclient.operations.rpc import RPCError

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
QOS = """<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <qos xmlns="urn:bng-agent:yang:bng-qos">
    <profile><name>gold</name><type>1r2c</type><cir>100000</cir><cbs>1250000</cbs></profile>
  </qos>
</config>"""
GET_DATA = """<get-data xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
    xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores">
  <datastore>ds:operational</datastore>
  <xpath-filter xmlns:q="urn:bng-agent:yang:bng-qos" xmlns:a="urn:bng-agent:yang:bng-agent"
    >/q:qos | /a:agent-state/a:not-applied</xpath-filter>
</get-data>"""


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetconfFixture]:
    with running_server(tmp_path_factory.mktemp("nc-not-applied")) as server:
        yield server


def _warnings(reply_xml: str) -> list[etree._Element]:
    root = etree.fromstring(reply_xml.encode())
    return root.findall(f"{{{NC}}}rpc-error")


def test_commit_of_unapplied_data_succeeds_with_a_warning_naming_path_and_feature(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.raise_mode = RaiseMode.ERRORS  # warnings are part of the reply, errors would raise
        m.edit_config(target="candidate", config=QOS)
        reply = m.commit()
        errors = _warnings(reply.xml)
        assert len(errors) == 1 and reply.ok is False  # RFC 6241 4.4: no <ok/> when a warning occurred
        err = errors[0]
        assert err.findtext(f"{{{NC}}}error-severity") == "warning"
        assert err.findtext(f"{{{NC}}}error-tag") == "operation-not-supported"
        assert err.findtext(f"{{{NC}}}error-app-tag") == "not-applied"
        assert err.findtext(f"{{{NC}}}error-path") == "/bng-qos:qos/profile[name='gold']"
        assert "QoS profiles" in (err.findtext(f"{{{NC}}}error-message") or "")
        assert "gold" in m.get_config("running").data_xml  # committed all the same
        # not in <operational> (RFC 8342 5.3), but listed as not applied there
        data = m.dispatch(etree.fromstring(GET_DATA)).xml
        assert "<profile>" not in data and "gold" not in data
        assert "<path>/bng-qos:qos</path>" in data and "<instances>1</instances>" in data
        # <get> still shows running's configuration with the state
        assert "gold" in m.get().data_xml


def test_a_client_that_raises_on_every_rpc_error_sees_the_warning(fx: NetconfFixture) -> None:
    with fx.connect() as m:  # ncclient's default RaiseMode.ALL
        m.edit_config(target="candidate", config=QOS.replace("100000", "200000"))
        with pytest.raises(RPCError) as info:
            m.commit()
        assert info.value.severity == "warning"
        assert "200000" in m.get_config("running").data_xml


def test_commit_of_applied_data_answers_ok_and_deleting_unapplied_data_is_silent(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.raise_mode = RaiseMode.ERRORS
        m.edit_config(target="candidate", config=interface_config("na-plain", "applied"))
        assert m.commit().ok
        m.edit_config(
            target="candidate",
            config='<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" '
            'xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">'
            '<qos xmlns="urn:bng-agent:yang:bng-qos" nc:operation="delete"/></config>',
        )
        assert m.commit().ok
        data = m.dispatch(etree.fromstring(GET_DATA)).xml
        assert "bng-qos:qos" not in data


def test_edit_config_on_running_warns_too(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.raise_mode = RaiseMode.ERRORS
        reply = m.edit_config(target="running", config=QOS)
        assert [e.findtext(f"{{{NC}}}error-severity") for e in _warnings(reply.xml)] == ["warning"]
