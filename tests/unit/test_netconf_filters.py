"""XPath filter prefixes rewritten from XML namespaces to libyang module names."""

from __future__ import annotations

import pytest

from agent.netconf.filters import xpath_to_libyang
from agent.netconf.replies import RpcError

IF = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
MODS = {IF: "ietf-interfaces"}


def test_prefixes_become_module_names_but_quoted_text_is_kept() -> None:
    out = xpath_to_libyang("/x:interfaces/x:interface[x:name='a:b']", {"x": IF}, MODS)
    assert out == "/ietf-interfaces:interfaces/ietf-interfaces:interface[ietf-interfaces:name='a:b']"


def test_axes_are_not_prefixes() -> None:
    out = xpath_to_libyang("/x:interfaces/child::x:interface", {"x": IF}, MODS)
    assert out == "/ietf-interfaces:interfaces/child::ietf-interfaces:interface"


def test_unbound_prefix_is_an_error() -> None:
    with pytest.raises(RpcError):
        xpath_to_libyang("/y:interfaces", {"x": IF}, MODS)
