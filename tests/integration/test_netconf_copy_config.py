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


NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


def test_copy_between_every_pair_and_from_inline_config(fx: NetconfFixture) -> None:
    """RFC 6241 7.3: each conventional datastore to each other one, inline <config> to startup; the
    same datastore as source and target is invalid-value; a url target is not supported."""
    with fx.connect() as m:
        m.copy_config(source="running", target="startup")
        m.copy_config(source="startup", target="candidate")
        assert "cp0" in m.get_config("candidate").data_xml
        m.edit_config(target="candidate", config=interface_config("cp-pair"))
        m.copy_config(source="candidate", target="startup")
        assert "cp-pair" in m.get_config("startup").data_xml
        assert "cp-pair" not in m.get_config("running").data_xml
        m.discard_changes()
        inline = f'<source xmlns="{NC}">{interface_config("cp-st")}</source>'
        m.copy_config(source=etree.fromstring(inline), target="startup")
        startup = m.get_config("startup").data_xml
        assert "cp-st" in startup and "cp0" not in startup
        for same in ("running", "candidate", "startup"):
            with pytest.raises(RPCError) as err:
                m.copy_config(source=same, target=same)
            assert err.value.tag == "invalid-value", same
        bad = (
            f'<copy-config xmlns="{NC}"><target><url>file:///tmp/x</url></target>'
            "<source><running/></source></copy-config>"
        )
        with pytest.raises(RPCError) as err:
            m.dispatch(etree.fromstring(bad))
        assert err.value.tag == "invalid-value"
        m.copy_config(source="running", target="startup")


def test_delete_config_targets_startup_only_and_respects_its_lock(fx: NetconfFixture) -> None:
    with fx.connect() as a, fx.connect() as b:
        with pytest.raises(RPCError) as err:
            a.delete_config("candidate")  # not a delete-config target in ietf-netconf
        assert err.value.tag == "invalid-value"
        a.lock("startup")
        with pytest.raises(RPCError) as err:
            b.delete_config("startup")
        assert err.value.tag in ("in-use", "lock-denied")
        a.delete_config("startup")  # the holder may
        a.unlock("startup")
        assert "cp0" not in b.get_config("startup").data_xml
        b.copy_config(source="running", target="startup")


def test_validate_names_an_nmda_datastore(fx: NetconfFixture) -> None:
    nmda = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
    ds = "urn:ietf:params:xml:ns:yang:ietf-datastores"

    def validate(name: str) -> None:
        rpc = (
            f'<validate xmlns="{NC}"><source><datastore xmlns="{nmda}" xmlns:ds="{ds}">ds:{name}</datastore>'
            "</source></validate>"
        )
        fx_reply = m.dispatch(etree.fromstring(rpc))
        assert fx_reply.ok

    with fx.connect() as m:
        validate("running")
        validate("candidate")
        with pytest.raises(RPCError) as err:
            validate("operational")
        assert err.value.tag == "invalid-value"
