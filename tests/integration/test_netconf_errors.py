"""The rpc-error of each RFC 6241 operation's error cases, checked against RFC 6241 Appendix A: the
error-type, the error-tag, and the error-info elements the tag requires (bad-element, bad-attribute,
bad-namespace, session-id). Sent with ncclient as raw operations; replies parsed as a client would."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _netconf_helpers import NC_NS, NetconfFixture, interface_config, running_server
from lxml import etree
from ncclient.operations.rpc import RPCError

MON = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"
WD = "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults"
NMDA = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
DS = "urn:ietf:params:xml:ns:yang:ietf-datastores"

# (operation XML in the base namespace unless it says otherwise, error-type, error-tag, error-info names)
CASES: list[tuple[str, str, str, set[str]]] = [
    ("<get-config/>", "protocol", "missing-element", {"bad-element"}),
    ("<get-config><source><nowhere/></source></get-config>", "protocol", "invalid-value", {"bad-element"}),
    (
        "<get-config><source><running/></source><extra/></get-config>",
        "protocol",
        "unknown-element",
        {"bad-element"},
    ),
    ("<get><filter type='regex'/></get>", "protocol", "bad-attribute", {"bad-attribute", "bad-element"}),
    ("<get><filter type='xpath'/></get>", "protocol", "missing-attribute", {"bad-attribute", "bad-element"}),
    (
        f"<get><with-defaults xmlns='{WD}'>sometimes</with-defaults></get>",
        "protocol",
        "invalid-value",
        {"bad-element"},
    ),
    (
        "<edit-config><target><candidate/></target></edit-config>",
        "protocol",
        "missing-element",
        {"bad-element"},
    ),
    (
        "<edit-config><target><startup/></target><config/></edit-config>",
        "protocol",
        "invalid-value",
        {"bad-element"},
    ),
    (
        "<edit-config><target><candidate/></target><default-operation>all</default-operation><config/></edit-config>",
        "protocol",
        "invalid-value",
        set(),
    ),
    (
        "<edit-config><target><candidate/></target><test-option>maybe</test-option><config/></edit-config>",
        "protocol",
        "invalid-value",
        set(),
    ),
    (
        "<edit-config><target><candidate/></target>"
        "<config><x xmlns='urn:example:none'/></config></edit-config>",
        "protocol",
        "unknown-namespace",
        {"bad-element", "bad-namespace"},
    ),
    (
        "<copy-config><source><running/></source></copy-config>",
        "protocol",
        "missing-element",
        {"bad-element"},
    ),
    (
        "<copy-config><target><startup/></target><source><startup/></source></copy-config>",
        "protocol",
        "invalid-value",
        set(),
    ),
    ("<delete-config><target><running/></target></delete-config>", "protocol", "operation-failed", set()),
    (
        "<delete-config><target><candidate/></target></delete-config>",
        "protocol",
        "invalid-value",
        {"bad-element"},
    ),
    ("<lock/>", "protocol", "missing-element", {"bad-element"}),
    ("<unlock><target><startup/></target></unlock>", "protocol", "operation-failed", set()),
    ("<validate/>", "protocol", "missing-element", {"bad-element"}),
    ("<kill-session/>", "protocol", "missing-element", {"bad-element"}),
    ("<kill-session><session-id>x</session-id></kill-session>", "protocol", "invalid-value", {"bad-element"}),
    (
        "<kill-session><session-id>4000000</session-id></kill-session>",
        "protocol",
        "invalid-value",
        {"session-id"},
    ),
    ("<cancel-commit/>", "protocol", "operation-failed", set()),
    ("<commit><persist-id>nope</persist-id></commit>", "protocol", "invalid-value", set()),
    (
        "<commit><confirmed/><confirm-timeout>0</confirm-timeout></commit>",
        "protocol",
        "invalid-value",
        {"bad-element"},
    ),
    ("<frobnicate/>", "protocol", "operation-not-supported", {"bad-element"}),
    (
        "<frobnicate xmlns='urn:example:none'/>",
        "protocol",
        "unknown-namespace",
        {"bad-element", "bad-namespace"},
    ),
    (f"<get-schema xmlns='{MON}'/>", "protocol", "missing-element", {"bad-element"}),
    (
        f"<get-schema xmlns='{MON}'><identifier>no-such</identifier></get-schema>",
        "application",
        "invalid-value",
        set(),
    ),
    (
        f"<get-data xmlns='{NMDA}' xmlns:ds='{DS}'><datastore>ds:running</datastore>"
        "<with-origin/></get-data>",
        "protocol",
        "invalid-value",
        {"bad-element"},
    ),
]


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetconfFixture]:
    with running_server(tmp_path_factory.mktemp("nc-errors")) as server:
        yield server


def _operation(xml: str) -> etree._Element:
    """The operation element, in the base namespace unless it declares its own."""
    return etree.fromstring(f'<wrap xmlns="{NC_NS}">{xml}</wrap>')[0]


@pytest.mark.parametrize(("op", "error_type", "tag", "info"), CASES, ids=[c[0][:48] for c in CASES])
def test_rpc_error_fields(fx: NetconfFixture, op: str, error_type: str, tag: str, info: set[str]) -> None:
    with fx.connect() as m, pytest.raises(RPCError) as err:
        m.dispatch(_operation(op))
    error = err.value.xml
    assert error is not None
    assert error.findtext(f"{{{NC_NS}}}error-type") == error_type
    assert error.findtext(f"{{{NC_NS}}}error-tag") == tag
    assert error.findtext(f"{{{NC_NS}}}error-severity") == "error"
    assert (error.findtext(f"{{{NC_NS}}}error-message") or "").strip()
    present = {etree.QName(e).localname for e in error.iterfind(f"{{{NC_NS}}}error-info/*")}
    assert info <= present, present


def test_lock_denied_and_in_use_name_the_holder(fx: NetconfFixture) -> None:
    """lock-denied carries the holder's session-id (Appendix A); so does in-use here, for a client that
    wants to kill-session the holder."""
    with fx.connect() as a, fx.connect() as b:
        a.lock("candidate")
        try:
            for call, tag in (
                (lambda: b.lock("candidate"), "lock-denied"),
                (lambda: b.edit_config(target="candidate", config=interface_config("err-x")), "in-use"),
                (lambda: b.discard_changes(), "in-use"),
                (lambda: b.commit(), "in-use"),
            ):
                with pytest.raises(RPCError) as err:
                    call()
                assert err.value.tag == tag
                assert err.value.type == "protocol"
                assert str(a.session_id) in (err.value.info or "")
        finally:
            a.unlock("candidate")


IF = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
BNGIF = "urn:bng-agent:yang:bng-interfaces"


def _refused(fx: NetconfFixture, config: str) -> etree._Element:
    with fx.connect() as m:
        try:
            with pytest.raises(RPCError) as info:
                m.edit_config(target="candidate", config=config)
        finally:
            m.discard_changes()
    path = info.value.xml.find(f"{{{NC_NS}}}error-path")
    assert path is not None, etree.tostring(info.value.xml)
    return path


@pytest.mark.parametrize("existing", [False, True])
def test_range_and_type_errors_name_the_instance_with_its_keys(fx: NetconfFixture, existing: bool) -> None:
    """A value refused by its type (range, bounds) names the instance: list keys in predicates, no
    choice/case names (the schema path ``.../encapsulation/tagging/single-tagged/single-tagged/vlan-id``
    is not an instance identifier), every prefix declared on <error-path> so it evaluates."""
    sub = (
        f'<config xmlns="{NC_NS}"><interfaces xmlns="{IF}" xmlns:ianaift="urn:ietf:params:xml:ns:yang:'
        'iana-if-type"><interface><name>GigabitEthernet0/8/0.{vid}</name><type>ianaift:l2vlan</type>'
        f'<sub-interface xmlns="{BNGIF}"><parent-interface>GigabitEthernet0/8/0</parent-interface>'
        "<sub-id>{vid}</sub-id><encapsulation><single-tagged><vlan-id>{vid}</vlan-id></single-tagged>"
        "</encapsulation></sub-interface></interface></interfaces></config>"
    )
    if existing:  # the leaf exists, its value is changed (libyang's change path, not a new node)
        with fx.connect() as m:
            m.edit_config(target="candidate", config=sub.format(vid=7))
            config = sub.format(vid=7).replace("<vlan-id>7</vlan-id>", "<vlan-id>4095</vlan-id>")
            with pytest.raises(RPCError) as info:
                m.edit_config(target="candidate", config=config)
            m.discard_changes()
        path = info.value.xml.find(f"{{{NC_NS}}}error-path")
        name = "GigabitEthernet0/8/0.7"
    else:
        path = _refused(fx, sub.format(vid=4095))
        name = "GigabitEthernet0/8/0.4095"
    assert path is not None
    assert (path.text or "").strip() == (
        f"/ietf-interfaces:interfaces/interface[name='{name}']"
        "/bng-interfaces:sub-interface/encapsulation/single-tagged/vlan-id"
    )
    assert path.nsmap["ietf-interfaces"] == IF and path.nsmap["bng-interfaces"] == BNGIF
    mtu = _refused(
        fx,
        f'<config xmlns="{NC_NS}"><interfaces xmlns="{IF}"><interface><name>e9</name>'
        f'<mtu xmlns="{BNGIF}">99999999</mtu></interface></interfaces></config>',
    )
    assert (mtu.text or "").strip() == "/ietf-interfaces:interfaces/interface[name='e9']/bng-interfaces:mtu"
