"""<copy-config>, <delete-config> and <validate> between running, candidate and startup."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _netconf_helpers import NetconfFixture, interface_config, running_server
from lxml import etree
from ncclient.operations.rpc import RPCError


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetconfFixture]:
    with running_server(tmp_path_factory.mktemp("nc-copy")) as server:
        with server.connect() as m:
            m.edit_config(target="candidate", config=interface_config("cp0"))
            m.commit()
        yield server


def test_copy_running_to_startup_and_delete_startup(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.copy_config(source="running", target="startup")
        assert "cp0" in m.get_config("startup").data_xml
        m.delete_config("startup")
        assert "cp0" not in m.get_config("startup").data_xml


def test_copy_inline_config_to_candidate_replaces_it(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        inline = interface_config("cp-inline")
        source = f'<source xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">{inline}</source>'
        m.copy_config(source=etree.fromstring(source), target="candidate")
        xml = m.get_config("candidate").data_xml
        assert "cp-inline" in xml and "cp0" not in xml
        m.discard_changes()


def test_copy_candidate_to_running_is_a_transaction(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.edit_config(target="candidate", config=interface_config("cp-run"))
        m.copy_config(source="candidate", target="running")
        assert "cp-run" in m.get_config("running").data_xml
    assert "cp-run" in fx.run_sync(fx.southbound.json)


def test_delete_running_is_refused(fx: NetconfFixture) -> None:
    with fx.connect() as m, pytest.raises(RPCError) as err:
        m.delete_config("running")
    assert err.value.tag == "operation-failed"


def test_validate_inline_config_and_datastores(fx: NetconfFixture) -> None:
    bad = (
        '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
        '<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>v</name>'
        "</interface></interfaces></config>"
    )
    with fx.connect() as m:
        assert m.validate("running").ok
        assert m.validate(etree.fromstring(interface_config("v-ok"))).ok
        with pytest.raises(RPCError) as err:
            m.validate(etree.fromstring(bad))
        assert err.value.severity == "error"
