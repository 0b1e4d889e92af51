"""rpc-reply encoding: attributes copied from <rpc>, rpc-error fields, escaping, error-info namespaces."""

from __future__ import annotations

from lxml import etree

from agent.errors import AgentError, ErrorDetail
from agent.netconf.replies import error_reply, ok_reply

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


def test_ok_reply_copies_rpc_attributes_escaped() -> None:
    root = etree.fromstring(ok_reply({"message-id": '7"<&'}))
    assert root.get("message-id") == '7"<&'
    assert root.find(f"{{{NC}}}ok") is not None


def test_error_reply_has_every_field_and_escapes_text() -> None:
    err = AgentError(
        "bad <value> & more",
        tag="invalid-value",
        path="/ietf-interfaces:interfaces/interface[name='a&b']",
        error_type="application",
        info={"session-id": "4", "vpp-retval": "-2", "not a name": "dropped"},
        app_tag="too-many",
    )
    root = etree.fromstring(error_reply({"message-id": "1"}, err))
    e = root.find(f"{{{NC}}}rpc-error")
    assert e is not None
    assert e.findtext(f"{{{NC}}}error-type") == "application"
    assert e.findtext(f"{{{NC}}}error-tag") == "invalid-value"
    assert e.findtext(f"{{{NC}}}error-severity") == "error"
    assert e.findtext(f"{{{NC}}}error-app-tag") == "too-many"
    assert e.findtext(f"{{{NC}}}error-path") == "/ietf-interfaces:interfaces/interface[name='a&b']"
    assert e.findtext(f"{{{NC}}}error-message") == "bad <value> & more"
    info = e.find(f"{{{NC}}}error-info")
    assert info is not None
    assert info.findtext(f"{{{NC}}}session-id") == "4"  # RFC 6241 names stay in the base namespace
    assert info.findtext("{urn:bng-agent:error-info}vpp-retval") == "-2"
    assert len(info) == 2  # a key that is not an XML name is left out rather than breaking the reply


def test_several_errors_in_one_reply() -> None:
    details = [ErrorDetail(tag="data-exists", message="a"), ErrorDetail(tag="data-missing", message="b")]
    root = etree.fromstring(error_reply({"message-id": "1"}, details))
    assert [e.findtext(f"{{{NC}}}error-tag") for e in root.iter(f"{{{NC}}}rpc-error")] == [
        "data-exists",
        "data-missing",
    ]


def test_namespaced_rpc_attributes_are_returned_rfc6241_4_2() -> None:
    rpc = etree.fromstring(
        '<rpc message-id="101" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" '
        'xmlns:ex="http://example.net/content/1.0" ex:user-id="fred"><get/></rpc>'
    )
    attrs = {str(k): str(v) for k, v in rpc.attrib.items()}
    root = etree.fromstring(ok_reply(attrs))
    assert root.get("message-id") == "101"
    assert root.get("{http://example.net/content/1.0}user-id") == "fred"
