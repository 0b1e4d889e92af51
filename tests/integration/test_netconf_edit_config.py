"""<edit-config> on candidate and running: operations, options and the rpc-errors a client sees."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _netconf_helpers import IF_NS, NC_NS, NetconfFixture, interface_config, running_server
from ncclient.operations.rpc import RPCError


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetconfFixture]:
    with running_server(tmp_path_factory.mktemp("nc-edit")) as server:
        yield server


def _names(xml: str) -> list[str]:
    from lxml import etree

    root = etree.fromstring(xml.encode())
    return [e.text or "" for e in root.iter(f"{{{IF_NS}}}name")]


def test_merge_into_candidate_is_invisible_in_running_until_commit(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.edit_config(target="candidate", config=interface_config("eth-a", "A"))
        assert "eth-a" in _names(m.get_config("candidate").data_xml)
        assert "eth-a" not in _names(m.get_config("running").data_xml)
        m.commit()
        assert "eth-a" in _names(m.get_config("running").data_xml)


def test_create_of_existing_node_is_data_exists_with_path(fx: NetconfFixture) -> None:
    cfg = interface_config("eth-b").replace(
        "<interface>", f'<interface xmlns:nc="{NC_NS}" nc:operation="create">'
    )
    with fx.connect() as m:
        m.edit_config(target="candidate", config=cfg)
        m.commit()
        with pytest.raises(RPCError) as err:
            m.edit_config(target="candidate", config=cfg)
        assert err.value.tag == "data-exists"
        assert err.value.type == "application"
        assert err.value.severity == "error"
        assert "eth-b" in (err.value.path or "")


def test_delete_of_missing_node_is_data_missing(fx: NetconfFixture) -> None:
    cfg = interface_config("nope").replace(
        "<interface>", f'<interface xmlns:nc="{NC_NS}" nc:operation="delete">'
    )
    with fx.connect() as m, pytest.raises(RPCError) as err:
        m.edit_config(target="candidate", config=cfg)
    assert err.value.tag == "data-missing"


def test_unknown_element_is_reported(fx: NetconfFixture) -> None:
    cfg = f'<config xmlns="{NC_NS}"><interfaces xmlns="{IF_NS}"><bogus>1</bogus></interfaces></config>'
    with fx.connect() as m, pytest.raises(RPCError) as err:
        m.edit_config(target="candidate", config=cfg)
    assert err.value.tag in ("unknown-element", "invalid-value")


def test_unknown_namespace_is_reported(fx: NetconfFixture) -> None:
    cfg = f'<config xmlns="{NC_NS}"><thing xmlns="urn:example:nothing"/></config>'
    with fx.connect() as m, pytest.raises(RPCError) as err:
        m.edit_config(target="candidate", config=cfg)
    assert err.value.tag in ("unknown-namespace", "unknown-element")


def test_test_only_changes_nothing(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.edit_config(target="candidate", config=interface_config("eth-t"), test_option="test-only")
        assert "eth-t" not in _names(m.get_config("candidate").data_xml)


def test_invalid_value_is_rejected_and_candidate_unchanged(fx: NetconfFixture) -> None:
    bad = interface_config("eth-v", enabled=True).replace(
        "<enabled>true</enabled>", "<enabled>maybe</enabled>"
    )
    with fx.connect() as m:
        with pytest.raises(RPCError) as err:
            m.edit_config(target="candidate", config=bad)
        assert err.value.tag == "invalid-value"
        assert "eth-v" not in _names(m.get_config("candidate").data_xml)


def test_writable_running_edit_is_committed_to_the_data_plane(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.edit_config(target="running", config=interface_config("eth-r", "direct"))
        assert "eth-r" in _names(m.get_config("running").data_xml)
    assert "eth-r" in fx.run_sync(fx.southbound.json)


def test_discard_changes_restores_running(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.edit_config(target="candidate", config=interface_config("eth-d"))
        m.discard_changes()
        assert "eth-d" not in _names(m.get_config("candidate").data_xml)


def test_replace_default_operation(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.edit_config(target="candidate", config=interface_config("eth-x", "one"))
        m.commit()
        m.edit_config(target="candidate", config=interface_config("eth-only"), default_operation="replace")
        names = _names(m.get_config("candidate").data_xml)
        assert names == ["eth-only"]
        m.discard_changes()


def test_error_path_prefixes_are_bound_to_their_module_namespaces(fx: NetconfFixture) -> None:
    """RFC 6241 Appendix A: error-path is an XPath evaluated with the namespace declarations in scope,
    so the module-name prefixes it uses are declared (on the error-path element)."""
    cfg = interface_config("eth-p").replace(
        "<interface>", f'<interface xmlns:nc="{NC_NS}" nc:operation="create">'
    )
    with fx.connect() as m:
        m.edit_config(target="candidate", config=cfg)
        with pytest.raises(RPCError) as err:
            m.edit_config(target="candidate", config=cfg)
        m.discard_changes()
    assert err.value.xml is not None
    path_el = err.value.xml.find(f"{{{NC_NS}}}error-path")
    assert path_el is not None and path_el.text == "/ietf-interfaces:interfaces/interface[name='eth-p']"
    assert path_el.nsmap.get("ietf-interfaces") == IF_NS


WD_ATTR = 'xmlns:wd="urn:ietf:params:xml:ns:netconf:default:1.0" wd:default="true"'
WD_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults"


def test_default_attribute_in_edits_sets_a_leaf_back_to_its_default(fx: NetconfFixture) -> None:
    """RFC 6243 4.5.3 (report-all-tagged is supported): wd:default="true" on a leaf with its default
    value makes it default again (explicit mode no longer reports it); any other value is
    invalid-value; a report-all-tagged reply can be copied back as it is."""
    from lxml import etree

    explicit = f'<with-defaults xmlns="{WD_NS}">explicit</with-defaults>'
    tagged = f'<with-defaults xmlns="{WD_NS}">report-all-tagged</with-defaults>'

    def enabled_in(xml: str) -> bool:
        return "<enabled" in xml

    with fx.connect() as m:
        m.edit_config(target="candidate", config=interface_config("eth-wd", enabled=True))
        get_explicit = f'<get-config xmlns="{NC_NS}"><source><candidate/></source>{explicit}</get-config>'
        assert enabled_in(m.dispatch(etree.fromstring(get_explicit)).xml)
        back = interface_config("eth-wd").replace(
            "</interface>", f"<enabled {WD_ATTR}>true</enabled></interface>"
        )
        m.edit_config(target="candidate", config=back)
        assert not enabled_in(m.dispatch(etree.fromstring(get_explicit)).xml)
        wrong = interface_config("eth-wd").replace(
            "</interface>", f"<enabled {WD_ATTR}>false</enabled></interface>"
        )
        with pytest.raises(RPCError) as err:
            m.edit_config(target="candidate", config=wrong)
        assert err.value.tag == "invalid-value"
        # round trip: what report-all-tagged returns is accepted by copy-config
        reply = m.dispatch(
            etree.fromstring(
                f'<get-config xmlns="{NC_NS}"><source><candidate/></source>{tagged}</get-config>'
            )
        )
        data = etree.fromstring(reply.xml.encode()).find(f"{{{NC_NS}}}data")
        assert data is not None and 'default="true"' in etree.tostring(data).decode()
        data.tag = f"{{{NC_NS}}}config"
        copy = etree.fromstring(
            f'<copy-config xmlns="{NC_NS}"><target><candidate/></target><source/></copy-config>'
        )
        copy[1].append(data)
        m.dispatch(copy)
        assert not enabled_in(m.dispatch(etree.fromstring(get_explicit)).xml)
        assert "eth-wd" in _names(m.get_config("candidate").data_xml)
        m.discard_changes()
