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


def test_get_data_subtree_filter(fx: NetconfFixture) -> None:
    subtree = (
        f"<subtree-filter><interfaces xmlns='{IF_NS}'><interface><name>gd0</name></interface>"
        "</interfaces></subtree-filter>"
    )
    with fx.connect() as m:
        for ds in ("running", "operational"):
            root = _get_data(m, ds, subtree)
            assert [e.text for e in root.iter(f"{{{IF_NS}}}name")] == ["gd0"], ds
            assert root.find(".//{*}nacm") is None, ds


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


# --------------------------------------------------------------------------- RFC 8526 parameters

OR_DECL = f'xmlns:or="{ORIGIN}"'
NC_WD = "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults"


@pytest.fixture(scope="module")
def ofx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetconfFixture]:
    """A server whose operational datastore has a provider: state for the configured ``gd0`` and a
    port ``sys0`` that exists in the system without being configured."""
    with running_server(tmp_path_factory.mktemp("nc-nmda-origin")) as server:
        with server.connect() as m:
            m.edit_config(target="candidate", config=interface_config("gd0", "committed"))
            m.commit()

        def provider() -> dict[str, object]:
            return {
                "ietf-interfaces:interfaces": {
                    "interface": [
                        {"name": "gd0", "oper-status": "up", "statistics": {"in-octets": "7"}},
                        {"name": "sys0", "oper-status": "down"},
                    ]
                }
            }

        assert server.datastores is not None
        ds = server.datastores
        server.run_sync(lambda: ds.operational.register("/ietf-interfaces:interfaces", provider))
        yield server


def _interfaces(root: etree._Element) -> dict[str, etree._Element]:
    return {e.findtext(f"{{{IF_NS}}}name") or "": e for e in root.iter(f"{{{IF_NS}}}interface")}


def _children(e: etree._Element) -> list[str]:
    """Names of the child elements, sorted (libyang prints in schema order)."""
    return sorted(etree.QName(c).localname for c in e)


def test_config_filter_false_returns_state_with_ancestors_and_keys(ofx: NetconfFixture) -> None:
    with ofx.connect() as m:
        root = _get_data(m, "operational", "<config-filter>false</config-filter>")
    ifs = _interfaces(root)
    assert set(ifs) == {"gd0", "sys0"}
    assert _children(ifs["gd0"]) == ["name", "oper-status", "statistics"]
    assert _children(ifs["sys0"]) == ["name", "oper-status"]
    # no configuration beyond the keys: no description, type, enabled, and no other top-level config
    assert root.find(f".//{{{IF_NS}}}description") is None
    assert root.find(f".//{{{IF_NS}}}type") is None


def test_config_filter_true_on_operational_includes_system_configuration(ofx: NetconfFixture) -> None:
    with ofx.connect() as m:
        root = _get_data(m, "operational", "<config-filter>true</config-filter>")
    ifs = _interfaces(root)
    assert set(ifs) == {"gd0", "sys0"}
    assert _children(ifs["gd0"]) == ["description", "name", "type"]
    assert _children(ifs["sys0"]) == ["name"]  # the system's port: its list entry is configuration


def test_config_filter_false_on_a_configuration_datastore_is_empty(ofx: NetconfFixture) -> None:
    with ofx.connect() as m:
        for ds in ("running", "candidate", "startup", "intended"):
            root = _get_data(m, ds, "<config-filter>false</config-filter>")
            data = root.find(f"{{{NMDA}}}data")
            assert data is not None and len(data) == 0, ds
        running = _get_data(m, "running", "<config-filter>true</config-filter>")
    assert set(_interfaces(running)) == {"gd0"}


def test_with_origin_marks_intended_system_and_default_only_where_it_changes(ofx: NetconfFixture) -> None:
    wd = f'<with-defaults xmlns="{NC_WD}">report-all</with-defaults>'
    with ofx.connect() as m:
        root = _get_data(m, "operational", f"<with-origin/>{wd}")
    attr = f"{{{ORIGIN}}}origin"
    top = root.find(f".//{{{IF_NS}}}interfaces")
    assert top is not None
    ifs = _interfaces(root)

    def origin(e: etree._Element | None) -> str | None:
        assert e is not None
        value = e.get(attr)
        if value is None:
            return None
        prefix, name = value.split(":")
        assert e.nsmap[prefix] == ORIGIN  # an identityref in the ietf-origin namespace
        return name

    assert origin(top) == "intended"
    assert origin(ifs["gd0"]) is None  # inherited from interfaces
    assert origin(ifs["gd0"].find(f"{{{IF_NS}}}description")) is None
    assert origin(ifs["gd0"].find(f"{{{IF_NS}}}enabled")) == "default"
    assert origin(ifs["gd0"].find(f"{{{IF_NS}}}oper-status")) is None  # state: no origin
    assert origin(ifs["sys0"]) == "system"
    assert origin(ifs["sys0"].find(f"{{{IF_NS}}}name")) is None  # inherited from its entry
    # every top-level configuration node carries an origin; state-only trees none
    data = root.find(f"{{{NMDA}}}data")
    assert data is not None
    for el in data:
        if etree.QName(el).localname in ("interfaces", "nacm", "system"):
            assert el.get(attr) is not None, etree.QName(el).localname


def test_origin_filter_selects_by_origin_and_keeps_state(ofx: NetconfFixture) -> None:
    with ofx.connect() as m:
        system = _get_data(m, "operational", f"<origin-filter {OR_DECL}>or:system</origin-filter>")
        system_cfg = _get_data(
            m,
            "operational",
            f"<config-filter>true</config-filter><origin-filter {OR_DECL}>or:system</origin-filter>",
        )
        not_system = _get_data(
            m,
            "operational",
            f"<config-filter>true</config-filter><negated-origin-filter {OR_DECL}>or:system"
            "</negated-origin-filter>",
        )
        two = _get_data(
            m,
            "operational",
            f"<config-filter>true</config-filter><origin-filter {OR_DECL}>or:system</origin-filter>"
            f"<origin-filter {OR_DECL}>or:intended</origin-filter>",
        )
    ifs = _interfaces(system)
    # state is not subject to origin filters; gd0 stays as the ancestor of its state only
    assert _children(ifs["gd0"]) == ["name", "oper-status", "statistics"]
    assert _children(ifs["sys0"]) == ["name", "oper-status"]
    assert system.find(f".//{{{NMDA}}}data/{{*}}nacm") is None
    assert {k: _children(v) for k, v in _interfaces(system_cfg).items()} == {"sys0": ["name"]}
    assert {k: _children(v) for k, v in _interfaces(not_system).items()} == {
        "gd0": ["description", "name", "type"]
    }
    assert set(_interfaces(two)) == {"gd0", "sys0"}


def test_origin_parameters_are_refused_off_operational_and_when_invalid(ofx: NetconfFixture) -> None:
    bad = [
        ("running", "<with-origin/>"),
        ("running", f"<origin-filter {OR_DECL}>or:intended</origin-filter>"),
        ("candidate", f"<negated-origin-filter {OR_DECL}>or:intended</negated-origin-filter>"),
        ("operational", f"<origin-filter xmlns:ds='{DS}'>ds:running</origin-filter>"),
        ("operational", f"<origin-filter {OR_DECL}>or:no-such-origin</origin-filter>"),
        # origin-ref is an identityref with base or:origin: the base itself is not a value
        ("operational", f"<origin-filter {OR_DECL}>or:origin</origin-filter>"),
        ("operational", "<origin-filter xmlns:x='urn:nowhere'>x:intended</origin-filter>"),
        (
            "operational",
            f"<origin-filter {OR_DECL}>or:system</origin-filter>"
            f"<negated-origin-filter {OR_DECL}>or:intended</negated-origin-filter>",
        ),
        ("running", "<config-filter>maybe</config-filter>"),
        ("running", "<max-depth>0</max-depth>"),
        ("running", "<max-depth>65536</max-depth>"),
        ("running", "<max-depth>deep</max-depth>"),
    ]
    with ofx.connect() as m:
        for ds, extra in bad:
            with pytest.raises(RPCError) as err:
                _get_data(m, ds, extra)
            assert err.value.tag == "invalid-value", extra
            assert err.value.type == "protocol", extra


def test_max_depth_counts_from_top_level_nodes_and_keeps_keys(ofx: NetconfFixture) -> None:
    with ofx.connect() as m:
        one = _get_data(m, "running", "<max-depth>1</max-depth>")
        two = _get_data(m, "running", "<max-depth>2</max-depth>")
        three = _get_data(m, "operational", "<max-depth>3</max-depth><config-filter>false</config-filter>")
        unbounded = _get_data(m, "running", "<max-depth>unbounded</max-depth>")
    top = one.find(f".//{{{IF_NS}}}interfaces")
    assert top is not None and len(top) == 0
    assert {k: _children(v) for k, v in _interfaces(two).items()} == {"gd0": ["name"]}
    ifs = _interfaces(three)
    assert _children(ifs["gd0"]) == ["name", "oper-status", "statistics"]
    statistics = ifs["gd0"].find(f"{{{IF_NS}}}statistics")
    assert statistics is not None and len(statistics) == 0
    assert _children(_interfaces(unbounded)["gd0"]) == ["description", "name", "type"]


def test_max_depth_counts_from_the_nodes_a_filter_selects(ofx: NetconfFixture) -> None:
    xpath = f"<xpath-filter xmlns:if='{IF_NS}'>/if:interfaces/if:interface[if:name='gd0']</xpath-filter>"
    subtree = (
        f"<subtree-filter><interfaces xmlns='{IF_NS}'><interface><name>gd0</name></interface>"
        "</interfaces></subtree-filter>"
    )
    with ofx.connect() as m:
        by_xpath = _get_data(m, "operational", f"{xpath}<max-depth>1</max-depth>")
        by_subtree = _get_data(m, "operational", f"{subtree}<max-depth>2</max-depth>")
    assert {k: _children(v) for k, v in _interfaces(by_xpath).items()} == {"gd0": ["name"]}
    gd0 = _interfaces(by_subtree)["gd0"]
    assert _children(gd0) == ["description", "name", "oper-status", "statistics", "type"]
    statistics = gd0.find(f"{{{IF_NS}}}statistics")
    assert statistics is not None and len(statistics) == 0


def test_with_defaults_applies_to_operational(ofx: NetconfFixture) -> None:
    with ofx.connect() as m:
        caps = list(m.server_capabilities)
        explicit = _get_data(m, "operational")
        tagged = _get_data(
            m, "operational", f'<with-defaults xmlns="{NC_WD}">report-all-tagged</with-defaults>'
        )
        # in get-data, YANG puts with-defaults in the ietf-netconf-nmda namespace (the grouping's user)
        nmda_ns = _get_data(m, "operational", "<with-defaults>report-all</with-defaults>")
    assert any(
        c.startswith("urn:ietf:params:netconf:capability:with-operational-defaults:1.0?basic-mode=explicit")
        for c in caps
    )
    assert _interfaces(explicit)["gd0"].find(f"{{{IF_NS}}}enabled") is None
    enabled = _interfaces(tagged)["gd0"].find(f"{{{IF_NS}}}enabled")
    assert enabled is not None
    assert enabled.get("{urn:ietf:params:xml:ns:netconf:default:1.0}default") == "true"
    assert _interfaces(nmda_ns)["gd0"].find(f"{{{IF_NS}}}enabled") is not None


def test_parameters_on_candidate_and_startup(ofx: NetconfFixture) -> None:
    with ofx.connect() as m:
        m.edit_config(target="candidate", config=interface_config("gd-cand", "uncommitted"))
        m.copy_config(source="running", target="startup")
        try:
            cand = _get_data(m, "candidate", "<max-depth>2</max-depth>")
            startup = _get_data(m, "startup", "<config-filter>true</config-filter><max-depth>3</max-depth>")
        finally:
            m.discard_changes()
    assert {k: _children(v) for k, v in _interfaces(cand).items()} == {"gd0": ["name"], "gd-cand": ["name"]}
    assert {k: _children(v) for k, v in _interfaces(startup).items()} == {
        "gd0": ["description", "name", "type"]
    }
