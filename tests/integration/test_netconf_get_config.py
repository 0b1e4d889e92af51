"""<get-config> and <get>: subtree and XPath filters, with-defaults modes, state data in <get>."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _netconf_helpers import IF_NS, NetconfFixture, interface_config, running_server
from lxml import etree
from ncclient.operations.rpc import RPCError

MON = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
YL = "urn:ietf:params:xml:ns:yang:ietf-yang-library"


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetconfFixture]:
    with running_server(tmp_path_factory.mktemp("nc-get")) as server:
        with server.connect() as m:
            for n in ("g0", "g1", "g2"):
                m.edit_config(target="candidate", config=interface_config(n, f"desc-{n}"))
            m.commit()
        yield server


def _names(data: etree._Element) -> list[str]:
    return [e.text or "" for e in data.iter(f"{{{IF_NS}}}name")]


def test_subtree_filter_selects_one_entry(fx: NetconfFixture) -> None:
    flt = f'<interfaces xmlns="{IF_NS}"><interface><name>g1</name></interface></interfaces>'
    with fx.connect() as m:
        data = m.get_config("running", filter=("subtree", flt)).data
    assert _names(data) == ["g1"]
    assert data.find(f".//{{{IF_NS}}}description").text == "desc-g1"


def test_xpath_filter_with_prefixes(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        reply = m.get_config(
            "running",
            filter=("xpath", ({"if": IF_NS}, "/if:interfaces/if:interface[if:name='g2']/if:description")),
        )
    descs = [e.text for e in reply.data.iter(f"{{{IF_NS}}}description")]
    assert descs == ["desc-g2"]
    assert _names(reply.data) == ["g2"]  # the key comes along with the selected node


def test_empty_subtree_filter_selects_nothing(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        data = m.get_config(
            "running",
            filter=(
                "subtree",
                f'<interfaces xmlns="{IF_NS}"><interface><name>none</name></interface></interfaces>',
            ),
        ).data
    assert _names(data) == []


def test_with_defaults_report_all_shows_default_enabled(fx: NetconfFixture) -> None:
    rpc = (
        '<get-config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><source><running/></source>'
        f'<filter type="subtree"><interfaces xmlns="{IF_NS}"/></filter>'
        '<with-defaults xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults">{mode}</with-defaults>'
        "</get-config>"
    )
    with fx.connect() as m:
        explicit = m.dispatch(etree.fromstring(rpc.format(mode="explicit")))
        report_all = m.dispatch(etree.fromstring(rpc.format(mode="report-all")))
        tagged = m.dispatch(etree.fromstring(rpc.format(mode="report-all-tagged")))
        with pytest.raises(RPCError) as err:
            m.dispatch(etree.fromstring(rpc.format(mode="everything")))
        assert err.value.tag == "invalid-value"
    assert "<enabled>" not in explicit.xml
    assert len(etree.fromstring(report_all.xml.encode()).findall(f".//{{{IF_NS}}}enabled")) == 3
    assert "urn:ietf:params:xml:ns:netconf:default:1.0" in tagged.xml


def test_get_includes_monitoring_and_yang_library_state(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        data = m.get().data
        sessions = data.findall(f".//{{{MON}}}session/{{{MON}}}session-id")
        assert str(m.session_id) in [s.text for s in sessions]
    assert data.find(f".//{{{YL}}}content-id") is not None
    assert "g0" in _names(data)


def test_get_config_of_unknown_source_is_invalid_value(fx: NetconfFixture) -> None:
    rpc = '<get-config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><source><bogus/></source></get-config>'
    with fx.connect() as m, pytest.raises(RPCError) as err:
        m.dispatch(etree.fromstring(rpc))
    assert err.value.tag == "invalid-value"


def test_unknown_operation_is_operation_not_supported(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        with pytest.raises(RPCError) as err:
            m.dispatch(etree.fromstring('<frobnicate xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>'))
        assert err.value.tag == "operation-not-supported"
        with pytest.raises(RPCError) as err:
            m.dispatch(etree.fromstring('<frobnicate xmlns="urn:example:unknown"/>'))
        assert err.value.tag == "unknown-namespace"


def test_unknown_parameter_is_unknown_element_not_ignored(fx: NetconfFixture) -> None:
    """RFC 6241 Appendix A: a parameter the operation does not define is an error, not ignored."""
    cases = [
        (f'<get-config xmlns="{NC}"><source><running/></source><bogus/></get-config>', "unknown-element"),
        (f'<get xmlns="{NC}"><filter type="subtree"/><depth>2</depth></get>', "unknown-element"),
        (f'<lock xmlns="{NC}"><target><running/></target><timeout/></lock>', "unknown-element"),
        (
            f'<get-config xmlns="{NC}"><source><running/></source>'
            '<x xmlns="urn:example:nowhere"/></get-config>',
            "unknown-namespace",
        ),
        # with-defaults of get-config is ietf-netconf-with-defaults', not the NMDA module's
        (
            f'<get-config xmlns="{NC}"><source><running/></source>'
            '<with-defaults xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-nmda">trim</with-defaults>'
            "</get-config>",
            "unknown-element",
        ),
    ]
    with fx.connect() as m:
        for rpc, tag in cases:
            with pytest.raises(RPCError) as err:
                m.dispatch(etree.fromstring(rpc))
            assert err.value.tag == tag, rpc
            assert err.value.type == "protocol", rpc
            assert err.value.info is not None and "bad-element" in err.value.info, rpc
        # the session goes on, and the parameters the operation does define are accepted
        wd_ns = "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults"
        wd = f'<with-defaults xmlns="{wd_ns}">trim</with-defaults>'
        m.dispatch(etree.fromstring(f'<get-config xmlns="{NC}"><source><running/></source>{wd}</get-config>'))


def test_filter_given_as_text_without_namespace_is_applied(fx: NetconfFixture) -> None:
    """ncclient sends a filter given as text as <filter xmlns="">: taken as the operation's own
    parameter (applied, not ignored and not refused)."""
    flt = (
        f'<filter type="subtree"><interfaces xmlns="{IF_NS}"><interface><name>g1</name></interface>'
        "</interfaces></filter>"
    )
    with fx.connect() as m:
        data = etree.fromstring(m.get_config("running", filter=flt).data_xml.encode())
    assert _names(data) == ["g1"]


def test_with_defaults_modes_on_get_get_config_and_get_data(fx: NetconfFixture) -> None:
    """RFC 6243 section 3 on a leaf left at its default (g0's enabled) and one set explicitly to the
    default value (wd-x's enabled): explicit reports only the set one, trim neither, report-all both,
    report-all-tagged both with the default attribute in urn:ietf:params:xml:ns:netconf:default:1.0
    on every leaf that equals its default (set or not)."""
    wd_ns = "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults"
    tag = "{urn:ietf:params:xml:ns:netconf:default:1.0}default"
    nmda = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
    flt = f'<filter type="subtree"><interfaces xmlns="{IF_NS}"/></filter>'
    requests = {
        "get": f'<get xmlns="{NC}">{flt}<with-defaults xmlns="{wd_ns}">{{mode}}</with-defaults></get>',
        "get-config": (
            f'<get-config xmlns="{NC}"><source><running/></source>{flt}'
            f'<with-defaults xmlns="{wd_ns}">{{mode}}</with-defaults></get-config>'
        ),
        "get-data": (
            f'<get-data xmlns="{nmda}" xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores">'
            f"<datastore>ds:running</datastore><subtree-filter><interfaces xmlns='{IF_NS}'/></subtree-filter>"
            "<with-defaults>{mode}</with-defaults></get-data>"
        ),
    }
    with fx.connect() as m:
        m.edit_config(target="candidate", config=interface_config("wd-x", enabled=True))
        m.commit()
        for op, template in requests.items():
            seen: dict[str, dict[str, str | None]] = {}
            for mode in ("explicit", "trim", "report-all", "report-all-tagged"):
                reply = etree.fromstring(
                    m.dispatch(etree.fromstring(template.format(mode=mode))).xml.encode()
                )
                seen[mode] = {}
                for entry in reply.iter(f"{{{IF_NS}}}interface"):
                    enabled = entry.find(f"{{{IF_NS}}}enabled")
                    name = entry.findtext(f"{{{IF_NS}}}name") or ""
                    if name in ("g0", "wd-x") and enabled is not None:
                        seen[mode][name] = enabled.get(tag)
            assert seen["explicit"] == {"wd-x": None}, op
            assert seen["trim"] == {}, op
            assert seen["report-all"] == {"g0": None, "wd-x": None}, op
            assert seen["report-all-tagged"] == {"g0": "true", "wd-x": "true"}, op
