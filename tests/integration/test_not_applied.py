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
# the per-protocol MTU (ietf-ip ipv4/mtu) has no plan to be applied: a stable example of unapplied data
IF_PATH = "/ietf-interfaces:interfaces/interface[name='na-mtu']"
MTU = """<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>na-mtu</name>
    <type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:ethernetCsmacd</type>
    <ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip"><mtu>1400</mtu></ipv4>
  </interface></interfaces>
</config>"""
GET_DATA = """<get-data xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
    xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores">
  <datastore>ds:operational</datastore>
  <xpath-filter xmlns:if="urn:ietf:params:xml:ns:yang:ietf-interfaces"
    xmlns:ip="urn:ietf:params:xml:ns:yang:ietf-ip" xmlns:a="urn:bng-agent:yang:bng-agent"
    >/if:interfaces/if:interface/ip:ipv4/ip:mtu | /a:agent-state/a:not-applied</xpath-filter>
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
        m.edit_config(target="candidate", config=MTU)
        reply = m.commit()
        errors = _warnings(reply.xml)
        assert len(errors) == 1 and reply.ok is False  # RFC 6241 4.4: no <ok/> when a warning occurred
        err = errors[0]
        assert err.findtext(f"{{{NC}}}error-severity") == "warning"
        assert err.findtext(f"{{{NC}}}error-tag") == "operation-not-supported"
        assert err.findtext(f"{{{NC}}}error-app-tag") == "not-applied"
        assert err.findtext(f"{{{NC}}}error-path") == f"{IF_PATH}/ietf-ip:ipv4/mtu"
        assert "per-protocol (IPv4) MTU" in (err.findtext(f"{{{NC}}}error-message") or "")
        assert "<mtu>1400</mtu>" in m.get_config("running").data_xml  # committed all the same
        # not in <operational> (RFC 8342 5.3), but listed as not applied there
        data = m.dispatch(etree.fromstring(GET_DATA)).xml
        assert "1400" not in data
        assert "<path>/ietf-interfaces:interfaces/interface/ietf-ip:ipv4/mtu</path>" in data
        assert "<instances>1</instances>" in data
        # <get> still shows running's configuration with the state
        assert "<mtu>1400</mtu>" in m.get().data_xml


def test_a_client_that_raises_on_every_rpc_error_sees_the_warning(fx: NetconfFixture) -> None:
    with fx.connect() as m:  # ncclient's default RaiseMode.ALL
        m.edit_config(target="candidate", config=MTU.replace("1400", "1300"))
        with pytest.raises(RPCError) as info:
            m.commit()
        assert info.value.severity == "warning"
        assert "<mtu>1300</mtu>" in m.get_config("running").data_xml


def test_commit_of_applied_data_answers_ok_and_deleting_unapplied_data_is_silent(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.raise_mode = RaiseMode.ERRORS
        m.edit_config(target="candidate", config=interface_config("na-plain", "applied"))
        assert m.commit().ok
        m.edit_config(
            target="candidate",
            config='<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" '
            'xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">'
            '<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>na-mtu</name>'
            '<ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip"><mtu nc:operation="delete"/></ipv4>'
            "</interface></interfaces></config>",
        )
        assert m.commit().ok
        data = m.dispatch(etree.fromstring(GET_DATA)).xml
        assert "ietf-ip:ipv4/mtu</path>" not in data


def test_edit_config_on_running_warns_too(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.raise_mode = RaiseMode.ERRORS
        reply = m.edit_config(target="running", config=MTU)
        assert [e.findtext(f"{{{NC}}}error-severity") for e in _warnings(reply.xml)] == ["warning"]
