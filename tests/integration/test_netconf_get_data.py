"""RFC 8526 NMDA operations: <get-data> on each datastore and <edit-data>."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _netconf_helpers import IANAIFT, IF_NS, NetconfFixture, interface_config, running_server
from lxml import etree
from ncclient.operations.rpc import RPCError

NMDA = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
DS = "urn:ietf:params:xml:ns:yang:ietf-datastores"
ORIGIN = "urn:ietf:params:xml:ns:yang:ietf-origin"


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetconfFixture]:
    with running_server(tmp_path_factory.mktemp("nc-nmda")) as server:
        with server.connect() as m:
            m.edit_config(target="candidate", config=interface_config("gd0", "committed"))
            m.commit()
        yield server


def _get_data(m: object, ds: str, extra: str = "") -> etree._Element:
    rpc = f'<get-data xmlns="{NMDA}" xmlns:ds="{DS}"><datastore>ds:{ds}</datastore>{extra}</get-data>'
    reply = m.dispatch(etree.fromstring(rpc))  # type: ignore[attr-defined]
    return etree.fromstring(reply.xml.encode())


def test_get_data_per_datastore(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.edit_config(target="candidate", config=interface_config("gd-cand"))
        running = etree.tostring(_get_data(m, "running")).decode()
        candidate = etree.tostring(_get_data(m, "candidate")).decode()
        operational = _get_data(m, "operational")
        m.discard_changes()
    assert "gd0" in running and "gd-cand" not in running
    assert "gd-cand" in candidate
    assert operational.find("{*}data") is not None
    assert operational.find(f"{{{NMDA}}}data") is not None
    assert "gd0" in etree.tostring(operational).decode()


def test_get_data_with_xpath_filter_and_origin(fx: NetconfFixture) -> None:
    xpath = "/if:interfaces/if:interface[if:name='gd0']"
    extra = f'<xpath-filter xmlns:if="{IF_NS}">{xpath}</xpath-filter><with-origin/>'
    with fx.connect() as m:
        root = _get_data(m, "operational", extra)
    ifs = root.find(f".//{{{IF_NS}}}interfaces")
    assert ifs is not None
    assert ifs.get(f"{{{ORIGIN}}}origin", "").endswith("intended")
    assert [e.text for e in root.iter(f"{{{IF_NS}}}name")] == ["gd0"]


def test_get_data_unknown_datastore_is_invalid_value(fx: NetconfFixture) -> None:
    with fx.connect() as m, pytest.raises(RPCError) as err:
        _get_data(m, "nowhere")
    assert err.value.tag == "invalid-value"


def test_edit_data_on_candidate_then_commit(fx: NetconfFixture) -> None:
    rpc = (
        f'<edit-data xmlns="{NMDA}" xmlns:ds="{DS}"><datastore>ds:candidate</datastore>'
        f'<config><interfaces xmlns="{IF_NS}"><interface><name>ed0</name>'
        f'<type xmlns:ianaift="{IANAIFT}">ianaift:ethernetCsmacd</type></interface></interfaces></config>'
        "</edit-data>"
    )
    with fx.connect() as m:
        m.dispatch(etree.fromstring(rpc))
        assert "ed0" in etree.tostring(_get_data(m, "candidate")).decode()
        m.commit()
        assert "ed0" in etree.tostring(_get_data(m, "running")).decode()
