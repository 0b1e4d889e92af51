"""Reads: XPath and RFC 6241 subtree filters, RFC 6243 with-defaults modes, operational providers."""

from __future__ import annotations

import json

import pytest
from _ds_helpers import IF, IFP, NC, addr, iface, interfaces
from lxml import etree

from agent.datastore.session import Session
from agent.datastore.store import Datastores
from agent.model import load_model_set
from agent.model.xmlsafe import parse_xml

WD = "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults"


@pytest.fixture
def ds() -> Datastores:
    d = Datastores(load_model_set())
    s = Session.create("a", "netconf")
    body = (
        iface("e1", "<description>uplink</description>" + addr("10.0.0.1"))
        + iface("e2", "<enabled>false</enabled>")
        + iface("e3", "<enabled>true</enabled>")
    )
    d.edit_config("candidate", interfaces(body), session=s)
    d.install(d.prepare_commit(s))
    return d


def filt(body: str) -> etree._Element:
    return parse_xml(f'<filter xmlns="{NC}" type="subtree">{body}</filter>'.encode())


def xml_names(text: str) -> list[str]:
    root = parse_xml(f"<r>{text}</r>".encode())
    return [e.text or "" for e in root.iter(f"{{{IF}}}name")]


def test_xpath_filter_returns_node_with_ancestors_and_keys(ds: Datastores) -> None:
    out = json.loads(ds.read("running", xpath=f"{IFP}/interface[name='e1']/description", fmt="json"))
    assert out == {"ietf-interfaces:interfaces": {"interface": [{"name": "e1", "description": "uplink"}]}}


def test_xpath_predicate_on_non_key(ds: Datastores) -> None:
    out = ds.read("running", xpath=f"{IFP}/interface[enabled='false']", fmt="xml")
    assert xml_names(out) == ["e2"]


def test_subtree_content_match_selects_entry(ds: Datastores) -> None:
    out = ds.read(
        "running",
        subtree=filt(f'<interfaces xmlns="{IF}"><interface><name>e2</name></interface></interfaces>'),
    )
    root = parse_xml(f"<r>{out}</r>".encode())
    assert xml_names(out) == ["e2"]
    assert root.find(f".//{{{IF}}}type") is not None  # only a content match: the whole entry is returned


def test_subtree_selection_nodes_limit_fields(ds: Datastores) -> None:
    f = filt(f'<interfaces xmlns="{IF}"><interface><name/><description/></interface></interfaces>')
    out = json.loads(ds.read("running", subtree=f, fmt="json"))
    assert out["ietf-interfaces:interfaces"]["interface"] == [
        {"name": "e1", "description": "uplink"},
        {"name": "e2"},
        {"name": "e3"},
    ]


def test_subtree_containment_with_content_match_and_selection(ds: Datastores) -> None:
    f = filt(
        f'<interfaces xmlns="{IF}"><interface><name>e1</name>'
        '<ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip"/></interface></interfaces>'
    )
    out = json.loads(ds.read("running", subtree=f, fmt="json"))
    (entry,) = out["ietf-interfaces:interfaces"]["interface"]
    assert entry["name"] == "e1" and entry["ietf-ip:ipv4"]["address"][0]["ip"] == "10.0.0.1"
    assert "type" not in entry


def test_subtree_non_matching_content_returns_nothing(ds: Datastores) -> None:
    f = filt(f'<interfaces xmlns="{IF}"><interface><name>zz</name></interface></interfaces>')
    assert ds.read("running", subtree=f) == ""


def test_subtree_wrong_namespace_returns_nothing(ds: Datastores) -> None:
    assert ds.read("running", subtree=filt('<interfaces xmlns="urn:other"/>')) == ""


def test_with_defaults_modes(ds: Datastores) -> None:
    def enabled(mode: str | None, name: str) -> str | None:
        f = filt(
            f'<interfaces xmlns="{IF}"><interface><name>{name}</name><enabled/></interface></interfaces>'
        )
        root = parse_xml(f"<r>{ds.read('running', subtree=f, with_defaults=mode)}</r>".encode())  # type: ignore[arg-type]
        el = root.find(f".//{{{IF}}}enabled")
        if el is None:
            return None
        tagged = el.get(f"{{{WD}}}default")
        return f"{el.text}{'*' if tagged == 'true' else ''}"

    # e1: default (implicit true), e2: explicit false, e3: explicit true (= the default)
    assert [enabled("report-all", n) for n in ("e1", "e2", "e3")] == ["true", "false", "true"]
    assert [enabled("explicit", n) for n in ("e1", "e2", "e3")] == [None, "false", "true"]
    assert [enabled("trim", n) for n in ("e1", "e2", "e3")] == [None, "false", None]
    assert [enabled("report-all-tagged", n) for n in ("e1", "e2", "e3")] == ["true*", "false", "true*"]


def test_operational_merges_providers_only_when_state_is_asked_for(ds: Datastores) -> None:
    calls: list[int] = []

    def provider() -> dict:
        calls.append(1)
        return {"ietf-interfaces:interfaces": {"interface": [{"name": "e1", "oper-status": "up"}]}}

    ds.operational.register(IFP, provider)
    with_state = json.loads(
        ds.read("operational", xpath=f"{IFP}/interface[name='e1']", config_only=False, fmt="json")
    )
    entry = with_state["ietf-interfaces:interfaces"]["interface"][0]
    assert entry["oper-status"] == "up" and entry["description"] == "uplink"
    config_only = json.loads(ds.read("operational", xpath=f"{IFP}/interface[name='e1']", fmt="json"))
    assert "oper-status" not in config_only["ietf-interfaces:interfaces"]["interface"][0]
    assert len(calls) == 1
    assert "oper-status" not in ds.read("running", fmt="xml")


def test_candidate_read_shows_uncommitted_edit(ds: Datastores) -> None:
    s = Session.create("b", "netconf")
    ds.edit_config("candidate", interfaces(iface("e9")), session=s)
    assert "e9" in xml_names(ds.read("candidate"))
    assert "e9" not in xml_names(ds.read("running"))


def test_subtree_content_match_on_identityref_uses_namespaces(ds: Datastores) -> None:
    body = (
        f'<interfaces xmlns="{IF}" xmlns:x="urn:ietf:params:xml:ns:yang:iana-if-type">'
        "<interface><type>x:ethernetCsmacd</type><name/></interface></interfaces>"
    )
    assert xml_names(ds.read("running", subtree=filt(body))) == ["e1", "e2", "e3"]
    assert ds.read("running", subtree=filt(body.replace("ethernetCsmacd", "l2vlan"))) == ""
