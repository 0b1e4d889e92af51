"""Path conversions: libyang XPath <-> gNMI path, gNMI path strings, instance-identifiers.

Every converted XPath is also evaluated by libyang against real data, so the tests check that the
paths select what a gNMI client asked for, not just that a string came out.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import libyang
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from agent.errors import PathError
from agent.model.context import load_model_set
from agent.model.paths import (
    GnmiPath,
    PathElem,
    canonical_xpath,
    gnmi_to_xpath,
    parse_gnmi_string,
    parse_instance_identifier,
    xpath_literal,
    xpath_to_gnmi,
)

IF = "/ietf-interfaces:interfaces"
NASTY_NAMES = [
    "eth0.100",
    "GigabitEthernet0/8/0.100",
    "a b",
    "br[0]",
    "x]y",
    "it's",
    'say "hi"',
    "both ' and \" quotes",
    "'\"]/[",
]


@pytest.fixture(scope="module")
def ctx() -> libyang.Context:
    return load_model_set().ctx


@pytest.fixture(scope="module")
def tree(ctx: libyang.Context) -> Iterator[libyang.DNode]:
    interfaces = [
        {
            "name": name,
            "type": "iana-if-type:ethernetCsmacd",
            "ietf-ip:ipv4": {"address": [{"ip": f"10.0.{i}.1", "prefix-length": 24}]},
        }
        for i, name in enumerate(NASTY_NAMES)
    ]
    data = json.dumps({"ietf-interfaces:interfaces": {"interface": interfaces}})
    node = ctx.parse_data_mem(data, "json", strict=True, no_state=True)
    assert node is not None
    yield node
    node.free()


def elems(*items: str | tuple[str, dict[str, str]]) -> list[PathElem]:
    return [PathElem(i) if isinstance(i, str) else PathElem(i[0], i[1]) for i in items]


def selected(tree: libyang.DNode, xpath: str) -> list[str]:
    return sorted(n.path() for n in tree.find_all(xpath))


# ---------------------------------------------------------------------------------------- xpath -> gNMI


def test_xpath_to_gnmi_qualifies_first_elem_and_module_changes_only() -> None:
    path = xpath_to_gnmi(f"{IF}/interface[name='eth0.100']/ietf-ip:ipv4/address[ip='10.0.0.1']/prefix-length")
    assert path == GnmiPath(
        "",
        elems(
            "ietf-interfaces:interfaces",
            ("interface", {"name": "eth0.100"}),
            "ietf-ip:ipv4",
            ("address", {"ip": "10.0.0.1"}),
            "prefix-length",
        ),
    )


def test_xpath_to_gnmi_keeps_requested_origin() -> None:
    assert xpath_to_gnmi(f"{IF}/interface", origin="rfc7951").origin == "rfc7951"


def test_redundant_prefix_in_xpath_is_dropped_in_gnmi() -> None:
    path = xpath_to_gnmi(f"{IF}/ietf-interfaces:interface[ietf-interfaces:name='e']/ietf-interfaces:enabled")
    assert [e.name for e in path.elems] == ["ietf-interfaces:interfaces", "interface", "enabled"]
    assert path.elems[1].keys == {"name": "e"}


@pytest.mark.parametrize("name", NASTY_NAMES)
def test_key_values_with_quotes_slashes_brackets_round_trip(
    name: str, tree: libyang.DNode, ctx: libyang.Context
) -> None:
    gnmi = GnmiPath("", elems("ietf-interfaces:interfaces", ("interface", {"name": name}), "type"))
    xpath = gnmi_to_xpath(gnmi)
    # libyang finds exactly that interface with the generated XPath ...
    hits = list(tree.find_all(xpath))
    assert len(hits) == 1
    assert hits[0].parent().find_one("name").value() == name  # type: ignore[union-attr]
    # ... and the path converts back to the same gNMI path.
    assert xpath_to_gnmi(xpath) == gnmi


@pytest.mark.parametrize("name", NASTY_NAMES)
def test_paths_printed_by_libyang_convert_to_gnmi(name: str, tree: libyang.DNode) -> None:
    node = tree.find_one(f"{IF}/interface[name={xpath_literal(name)}]/ietf-ip:ipv4/address")
    assert node is not None
    # libyang prints a value holding both quote kinds unescaped ("a'b"c"); it must still parse.
    path = xpath_to_gnmi(node.path())
    assert path.elems[1].keys == {"name": name}
    assert path.elems[3].keys == {"ip": node.find_one("ip").value()}  # type: ignore[union-attr]


def test_xpath_literal_picks_quotes_and_concat() -> None:
    assert xpath_literal("plain") == "'plain'"
    assert xpath_literal("it's") == '"it\'s"'
    assert xpath_literal('say "hi"') == "'say \"hi\"'"
    assert xpath_literal("a'b\"c") == "concat('a', \"'\", 'b\"c')"


def test_descendant_and_wildcard_xpath_round_trip() -> None:
    path = xpath_to_gnmi(f"{IF}//ietf-ip:ip")
    assert [e.name for e in path.elems] == ["ietf-interfaces:interfaces", "...", "ietf-ip:ip"]
    assert gnmi_to_xpath(path) == f"{IF}//ietf-ip:ip"
    path = xpath_to_gnmi(f"{IF}/*")
    assert [e.name for e in path.elems] == ["ietf-interfaces:interfaces", "*"]


@pytest.mark.parametrize(
    ("xpath", "fragment"),
    [
        ("interfaces/interface", "must start with '/'"),
        (f"{IF}/interface[name='x'", "expected ']'"),
        (f"{IF}/interface[name='x]", "unterminated"),
        (f"{IF}/interface[name=x]", "quoted value"),
        (f"{IF}/interface[nam='x']", "not a key of list 'interface'"),
        (f"{IF}/interface[name='a'][name='b']", "given twice"),
        (f"{IF}/enabled", "no schema node 'enabled'"),
        ("/nosuchmodule:interfaces", "unknown module 'nosuchmodule'"),
        ("/ietf-interfaces:nope", "no schema node 'nope' under the root"),
        (f"{IF}/interface[name='e']/enabled[name='x']", "is a leaf"),
        (f"{IF}/interface[1]", "keyless list or a leaf-list"),
        (f"{IF}/interface[name='e']/type[.='x']", "needs a leaf-list"),
        (f"{IF}//", "expected a node name"),
        (f"{IF}/interface]", "unexpected ']'"),
        (f"{IF}/interface[name=concat('a' 'b')]", "concat()"),
    ],
)
def test_bad_xpaths_raise_path_error_naming_the_path(xpath: str, fragment: str) -> None:
    with pytest.raises(PathError) as err:
        xpath_to_gnmi(xpath)
    assert fragment in str(err.value)
    assert err.value.path == xpath
    assert err.value.grpc_code == "INVALID_ARGUMENT"


def test_leaf_list_value_predicate_has_no_gnmi_form(ctx: libyang.Context) -> None:
    # ietf-interfaces has leaf-list higher-layer-if (config false) under interfaces-state / interface.
    xpath = f"{IF}/interface[name='e']/higher-layer-if[.='x']"
    assert canonical_xpath(xpath) == xpath
    with pytest.raises(PathError, match="leaf-list value"):
        xpath_to_gnmi(xpath)


def test_canonical_xpath_orders_and_requotes() -> None:
    assert (
        canonical_xpath(
            f'{IF}/ietf-interfaces:interface[name="e"]/ietf-ip:ipv4/ietf-ip:address[ ip = "1.2.3.4" ]'
        )
        == f"{IF}/interface[name='e']/ietf-ip:ipv4/address[ip='1.2.3.4']"
    )


# ---------------------------------------------------------------------------------------- gNMI -> xpath


def test_gnmi_unqualified_first_elem_resolved_when_unambiguous() -> None:
    path = GnmiPath("", elems("interfaces", ("interface", {"name": "e"}), "ipv4", "enabled"))
    assert gnmi_to_xpath(path) == f"{IF}/interface[name='e']/ietf-ip:ipv4/enabled"


def test_gnmi_origin_module_name_qualifies_first_elem() -> None:
    path = GnmiPath("ietf-interfaces", elems("interfaces", "interface"))
    assert gnmi_to_xpath(path) == f"{IF}/interface"


def test_gnmi_rfc7951_origin_accepted() -> None:
    path = GnmiPath("rfc7951", elems("ietf-interfaces:interfaces"))
    assert gnmi_to_xpath(path) == IF


def test_gnmi_openconfig_origin_is_unsupported() -> None:
    with pytest.raises(PathError, match="not supported") as err:
        gnmi_to_xpath(GnmiPath("openconfig", elems("interfaces")))
    assert err.value.grpc_code == "UNIMPLEMENTED"


def test_gnmi_unknown_origin_rejected() -> None:
    with pytest.raises(PathError, match="unknown origin"):
        gnmi_to_xpath(GnmiPath("vendor-x", elems("interfaces")))


def test_gnmi_keys_emitted_in_schema_order_and_star_key_is_wildcard(tree: libyang.DNode) -> None:
    path = GnmiPath("", elems("ietf-interfaces:interfaces", ("interface", {"name": "*"}), "name"))
    xpath = gnmi_to_xpath(path)
    assert xpath == f"{IF}/interface/name"
    assert len(selected(tree, xpath)) == len(NASTY_NAMES)


def test_gnmi_wildcards_select_what_gnmi_means(tree: libyang.DNode) -> None:
    star = gnmi_to_xpath(GnmiPath("", elems("ietf-interfaces:interfaces", "interface", "*")))
    assert star == f"{IF}/interface/*"
    names = {n.name() for n in tree.find_all(star)}
    assert {"name", "type", "enabled", "ipv4"} <= names

    deep = gnmi_to_xpath(GnmiPath("", elems("ietf-interfaces:interfaces", "...", "ietf-ip:ip")))
    assert len(selected(tree, deep)) == len(NASTY_NAMES)
    everything = gnmi_to_xpath(GnmiPath("", elems("ietf-interfaces:interfaces", "...")))
    assert everything == f"{IF}//*"
    assert len(selected(tree, everything)) > 4 * len(NASTY_NAMES)
    assert gnmi_to_xpath(GnmiPath("", [])) == "/*"


def test_gnmi_unqualified_elem_after_descendants_searches_all_modules(tree: libyang.DNode) -> None:
    xpath = gnmi_to_xpath(GnmiPath("", elems("ietf-interfaces:interfaces", "...", "prefix-length")))
    assert xpath == f"{IF}//ietf-ip:prefix-length"
    assert len(selected(tree, xpath)) == len(NASTY_NAMES)


def test_gnmi_require_all_keys_for_set() -> None:
    path = GnmiPath("", elems("ietf-interfaces:interfaces", "interface", "enabled"))
    assert gnmi_to_xpath(path) == f"{IF}/interface/enabled"
    with pytest.raises(PathError, match="needs key") as err:
        gnmi_to_xpath(path, require_all_keys=True)
    assert err.value.tag == "missing-element"


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        (GnmiPath("", elems("ietf-interfaces:interfaces", ("interface", {"id": "1"}))), "not a key"),
        (
            GnmiPath("", elems("ietf-interfaces:interfaces", ("interface", {"name": "e"}), "no-such-leaf")),
            "no schema node",
        ),
        (GnmiPath("", elems(":interfaces")), "bad element name"),
        (GnmiPath("", elems("nomodule:interfaces")), "unknown module"),
        (GnmiPath("", elems("if:interfaces")), "YANG prefix of ietf-interfaces"),
        (GnmiPath("", elems("ietf-ip:interfaces")), "no schema node 'interfaces'"),
        (GnmiPath("", elems("ietf-interfaces:interfaces", ("*", {"name": "e"}))), "cannot carry keys"),
        (
            GnmiPath("", elems("ietf-interfaces:interfaces", "ietf-interfaces:...")),
            "cannot be module-qualified",
        ),
        (GnmiPath("", elems(("ietf-interfaces:interfaces", {"name": "e"}))), "is a container"),
    ],
)
def test_bad_gnmi_paths(path: GnmiPath, fragment: str) -> None:
    with pytest.raises(PathError, match=fragment) as err:
        gnmi_to_xpath(path)
    assert err.value.path == str(path)


def test_gnmi_wildcards_can_be_forbidden() -> None:
    with pytest.raises(PathError, match="not allowed"):
        gnmi_to_xpath(GnmiPath("", elems("ietf-interfaces:interfaces", "*")), allow_wildcards=False)


def test_ambiguous_unqualified_name_needs_qualification() -> None:
    ctx = libyang.Context()
    for mod in ("alpha", "beta"):
        ctx.parse_module_str(
            f"module {mod} {{ yang-version 1.1; namespace 'urn:t:{mod}'; prefix {mod[0]};"
            " container top { leaf x { type string; } } }"
        )
    try:
        with pytest.raises(PathError, match="ambiguous"):
            gnmi_to_xpath(GnmiPath("", elems("top")), ctx)
        assert gnmi_to_xpath(GnmiPath("", elems("beta:top", "x")), ctx) == "/beta:top/x"
        assert xpath_to_gnmi("/alpha:top/x", ctx).elems[0].name == "alpha:top"
        # Below a qualified anchor, '...' only reaches that subtree, so 'x' is not ambiguous there.
        assert gnmi_to_xpath(GnmiPath("", elems("alpha:top", "...", "x")), ctx) == "/alpha:top//alpha:x"
        with pytest.raises(PathError, match="ambiguous"):
            gnmi_to_xpath(GnmiPath("", elems("...", "x")), ctx)
    finally:
        ctx.destroy()


def test_join_prefix_and_path() -> None:
    prefix = GnmiPath("rfc7951", elems("ietf-interfaces:interfaces"))
    full = prefix.join(GnmiPath("", elems(("interface", {"name": "e"}), "enabled")))
    assert gnmi_to_xpath(full) == f"{IF}/interface[name='e']/enabled"
    with pytest.raises(PathError):
        prefix.join(GnmiPath("openconfig", []))


# ---------------------------------------------------------------------------------------- path strings


@pytest.mark.parametrize("name", NASTY_NAMES)
def test_gnmi_path_string_round_trip(name: str) -> None:
    path = GnmiPath("rfc7951", elems("ietf-interfaces:interfaces", ("interface", {"name": name}), "type"))
    assert parse_gnmi_string(str(path)) == path


def test_gnmi_path_string_without_origin() -> None:
    path = parse_gnmi_string("/ietf-interfaces:interfaces/interface[name=eth0]/enabled")
    assert path.origin == ""
    assert path.elems[1] == PathElem("interface", {"name": "eth0"})
    assert parse_gnmi_string("/") == GnmiPath("", [])


def test_bad_gnmi_path_strings() -> None:
    for text in ("/a[b]", "/a[b=c", "/a//b"):
        with pytest.raises(PathError):
            parse_gnmi_string(text)


# ---------------------------------------------------------------------------------------- instance-identifier


def test_instance_identifier_json_encoding() -> None:
    iid = parse_instance_identifier(f"{IF}/interface[name='eth0']/ietf-ip:ipv4/address[ip='10.0.0.1']/ip")
    assert [(s.module, s.name) for s in iid.steps][-2:] == [("ietf-ip", "address"), ("ietf-ip", "ip")]
    assert iid.xpath() == f"{IF}/interface[name='eth0']/ietf-ip:ipv4/address[ip='10.0.0.1']/ip"
    assert iid.gnmi().elems[1] == PathElem("interface", {"name": "eth0"})


def test_instance_identifier_xml_encoding_uses_namespaces() -> None:
    nsmap = {
        "if": "urn:ietf:params:xml:ns:yang:ietf-interfaces",
        "ip": "urn:ietf:params:xml:ns:yang:ietf-ip",
    }
    iid = parse_instance_identifier(
        '/if:interfaces/if:interface[if:name="a/b"]/ip:ipv4/ip:address[ ip:ip = "10.0.0.1" ]',
        namespaces=nsmap,
    )
    assert iid.xpath() == f"{IF}/interface[name='a/b']/ietf-ip:ipv4/address[ip='10.0.0.1']"
    text, decls = iid.xml({"ietf-interfaces": "if", "ietf-ip": "ip"})
    assert text == "/if:interfaces/if:interface[if:name='a/b']/ip:ipv4/ip:address[ip:ip='10.0.0.1']"
    assert decls == nsmap
    assert parse_instance_identifier(text, namespaces=decls) == iid


def test_instance_identifier_leaf_list_entry() -> None:
    iid = parse_instance_identifier(f"{IF}/interface[name='e']/higher-layer-if[.='x']")
    assert iid.steps[-1].leaf_list_value == "x"


@pytest.mark.parametrize(
    ("text", "namespaces", "fragment"),
    [
        ("/interfaces/interface[name='e']", None, "must be module-qualified"),
        (f"{IF}/interface", None, "needs key"),
        (f"{IF}/interface[name='e']/*", None, "not allowed"),
        (f"{IF}//name", None, "'//' is not allowed"),
        (f"{IF}/interface[name=concat('a','b')]", None, "concat() is not allowed"),
        ("/if:interfaces", {"x": "urn:x"}, "prefix 'if' is not bound"),
        ("/if:interfaces", {"if": "urn:nobody"}, "no module has namespace"),
        (
            "/if:interfaces/interface",
            {"if": "urn:ietf:params:xml:ns:yang:ietf-interfaces"},
            "no namespace prefix",
        ),
        ("", None, "must start with '/'"),
    ],
)
def test_bad_instance_identifiers(text: str, namespaces: dict[str | None, str] | None, fragment: str) -> None:
    with pytest.raises(PathError) as err:
        parse_instance_identifier(text, namespaces=namespaces)
    assert fragment in str(err.value)


def test_conversion_is_fast() -> None:
    """Conversion runs for every gNMI update: well under a millisecond each (measured ~20-45 us)."""
    import time

    xpath = f"{IF}/interface[name='eth0.100']/ietf-ip:ipv4/address[ip='10.0.0.1']/prefix-length"
    path = xpath_to_gnmi(xpath)
    start = time.perf_counter()
    for _ in range(2000):
        assert gnmi_to_xpath(path) == xpath
        xpath_to_gnmi(xpath)
    per_pair = (time.perf_counter() - start) / 2000
    assert per_pair < 1e-3


# ---------------------------------------------------------------------------------------- property


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FF), min_size=1, max_size=24))
def test_any_key_value_round_trips_and_selects_its_entry(name: str, ctx: libyang.Context) -> None:
    # a key value of exactly "*" is gNMI's key wildcard (gNMI path conventions), so it cannot name one entry
    assume(name != "*")
    data = json.dumps(
        {
            "ietf-interfaces:interfaces": {
                "interface": [
                    {"name": name, "type": "iana-if-type:ethernetCsmacd"},
                    {"name": name + "x", "type": "iana-if-type:ethernetCsmacd"},
                ]
            }
        }
    )
    tree = ctx.parse_data_mem(data, "json", strict=True, no_state=True, parse_only=True)
    assert tree is not None
    try:
        gnmi = GnmiPath("", elems("ietf-interfaces:interfaces", ("interface", {"name": name}), "type"))
        xpath = gnmi_to_xpath(gnmi)
        hits = list(tree.find_all(xpath))
        assert [h.parent().find_one("name").value() for h in hits] == [name]  # type: ignore[union-attr]
        assert xpath_to_gnmi(xpath) == gnmi
        assert parse_gnmi_string(str(gnmi)) == gnmi
    finally:
        tree.free()


_PATHISH = st.text(alphabet="/[]='\"*.:abcdefinrt-_ ()0,\\", max_size=40)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(_PATHISH, st.builds(lambda s: IF + s, _PATHISH)))
def test_garbage_paths_raise_path_error_only(text: str) -> None:
    """Whatever a client sends, the converters answer with a PathError (a gNMI INVALID_ARGUMENT), or a
    result -- never another exception."""
    for convert in (xpath_to_gnmi, parse_instance_identifier, canonical_xpath):
        with contextlib.suppress(PathError):
            convert(text)
    with contextlib.suppress(PathError):
        gnmi_to_xpath(parse_gnmi_string(text))
