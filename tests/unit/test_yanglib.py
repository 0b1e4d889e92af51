"""The YANG library a controller reads: what it lists, and when its content-id changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import libyang
import pytest
from lxml import etree

from agent.errors import ModelError
from agent.model.context import load_model_set, pyang_module_dirs
from agent.model.modules import PROJECT_MODULES, STANDARD_MODULES
from agent.model.yanglib import content_id, module_entries, yang_library

YL_NS = "urn:ietf:params:xml:ns:yang:ietf-yang-library"


def fresh_context(*modules: str, features: dict[str, list[str]] | None = None) -> libyang.Context:
    """A context with only ``modules`` (from pyang's standard module directories), plus the YANG library
    and the datastore identities it names: implemented from the start by libyang 2, loaded only on
    request by libyang 3 (the agent's own context lists both in STANDARD_MODULES)."""
    ctx = libyang.Context(":".join(str(d) for d in pyang_module_dirs()))
    for name in ("ietf-yang-library", "ietf-datastores", *modules):
        mod = ctx.load_module(name)
        for feature in (features or {}).get(name, []):
            mod.feature_enable(feature)
    return ctx


@pytest.fixture
def small() -> Iterator[libyang.Context]:
    ctx = fresh_context("ietf-interfaces")
    yield ctx
    ctx.destroy()


def library_json() -> dict[str, object]:
    return json.loads(yang_library(load_model_set().ctx).print("json"))  # type: ignore[no-any-return]


def test_library_lists_every_module_the_agent_implements_with_features() -> None:
    data = library_json()
    modules = data["ietf-yang-library:yang-library"]["module-set"][0]["module"]  # type: ignore[index]
    by_name = {m["name"]: m for m in modules}
    for name in [*STANDARD_MODULES, *PROJECT_MODULES]:
        assert name in by_name, name
        assert by_name[name]["revision"]
        assert by_name[name]["namespace"].startswith("urn:")
    assert sorted(by_name["ietf-netconf"].get("feature", [])) == sorted(STANDARD_MODULES["ietf-netconf"])
    assert "feature" not in by_name["ietf-interfaces"]  # no features enabled there


def test_library_lists_the_nmda_datastores_with_the_schema() -> None:
    data = library_json()["ietf-yang-library:yang-library"]
    datastores = {d["name"]: d["schema"] for d in data["datastore"]}  # type: ignore[index]
    schemas = {s["name"] for s in data["schema"]}  # type: ignore[index]
    assert set(datastores) == {
        f"ietf-datastores:{n}" for n in ("running", "candidate", "startup", "operational")
    }
    assert set(datastores.values()) <= schemas


def test_library_has_no_local_file_locations() -> None:
    text = yang_library(load_model_set().ctx).print("json")
    assert "file://" not in text
    assert str(Path.cwd()) not in text


def test_content_id_is_in_both_views_and_stable() -> None:
    ctx = load_model_set().ctx
    data = library_json()
    cid = content_id(ctx)
    assert data["ietf-yang-library:yang-library"]["content-id"] == cid  # type: ignore[index]
    assert data["ietf-yang-library:modules-state"]["module-set-id"] == cid  # type: ignore[index]
    assert content_id(ctx) == cid
    # The id does not depend on the process: a fresh context with the same modules gives the same id.
    a = fresh_context("ietf-interfaces", "ietf-ip")
    b = fresh_context("ietf-ip", "ietf-interfaces")
    try:
        assert content_id(a) == content_id(b)
    finally:
        a.destroy()
        b.destroy()


def test_content_id_changes_when_a_module_is_added(small: libyang.Context) -> None:
    before = content_id(small)
    small.load_module("ietf-ip")
    assert content_id(small) != before


def test_content_id_changes_when_a_feature_is_enabled(small: libyang.Context) -> None:
    before = content_id(small)
    small.get_module("ietf-interfaces").feature_enable("arbitrary-names")
    after = content_id(small)
    assert after != before
    entry = next(e for e in module_entries(small) if e.name == "ietf-interfaces")
    assert entry.features == ("arbitrary-names",)


def test_content_id_changes_with_a_deviation(small: libyang.Context) -> None:
    before = content_id(small)
    small.parse_module_str(
        """
        module test-dev {
          yang-version 1.1; namespace "urn:test:dev"; prefix td;
          import ietf-interfaces { prefix if; }
          deviation /if:interfaces/if:interface/if:link-up-down-trap-enable { deviate not-supported; }
        }
        """
    )
    assert content_id(small) != before
    entry = next(e for e in module_entries(small) if e.name == "ietf-interfaces")
    assert entry.deviations == ("test-dev",)
    lib = yang_library(small)
    ifs = next(
        m
        for m in json.loads(lib.print("json"))["ietf-yang-library:yang-library"]["module-set"][0]["module"]
        if m["name"] == "ietf-interfaces"
    )
    assert ifs["deviation"] == ["test-dev"]


def test_import_only_modules_are_listed_as_such() -> None:
    entries = {e.name: e for e in module_entries(load_model_set().ctx)}
    assert entries["ietf-yang-types"].implemented is False
    text = yang_library(load_model_set().ctx).print("xml")
    root = etree.fromstring(f"<data>{text}</data>".encode())
    import_only = root.findall(
        f"{{{YL_NS}}}yang-library/{{{YL_NS}}}module-set/{{{YL_NS}}}import-only-module/{{{YL_NS}}}name"
    )
    assert "ietf-yang-types" in {n.text for n in import_only}


def test_library_data_fully_validates_against_ietf_yang_library() -> None:
    """Strict parse plus full validation (leafrefs between datastore, schema and module-set)
    in a context holding only ietf-yang-library, so no other module's mandatory state interferes."""
    text = yang_library(load_model_set().ctx).print("xml")
    ctx = fresh_context("ietf-yang-library")
    try:
        tree = ctx.parse_data_mem(text, "xml", strict=True)
        assert tree is not None
        tree.free()
    finally:
        ctx.destroy()


def test_schema_text_for_get_schema() -> None:
    lib = yang_library(load_model_set().ctx)
    assert lib.schema_text("ietf-interfaces").lstrip().startswith("module ietf-interfaces")
    with pytest.raises(ModelError, match="no module"):
        lib.schema_text("no-such-module")
    with pytest.raises(ModelError):
        lib.schema_text("ietf-interfaces", "1999-01-01")
