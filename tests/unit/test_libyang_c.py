"""agent/model/libyang_c.py: the same library, error records and paths on libyang 2 (Debian 12) and 3 (13).

Each test runs on whichever libyang this machine has and asserts what the agent relies on there; the
libyang 2 location text parser is pure and checked on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import libyang
import pytest
from _libyang import ffi, lib

from agent.datastore import _ly
from agent.model import libyang_c
from agent.model.libyang_c import _from_v2_path

MODULE_A = """
module a {
  yang-version 1.1; namespace "urn:test:a"; prefix a;
  container c { list l { key k; leaf k { type string; } leaf v { type uint8; } } }
}
"""
MODULE_B = """
module b {
  yang-version 1.1; namespace "urn:test:b"; prefix b;
  import a { prefix a; }
  augment /a:c/a:l { when "a:k"; leaf m { type string; mandatory true; } }
}
"""


@pytest.fixture
def ctx() -> Iterator[libyang.Context]:
    c = libyang.Context()
    c.parse_module_str(MODULE_A)
    c.parse_module_str(MODULE_B)
    libyang_c.record_error_paths()
    yield c
    c.destroy()


def parse_errors(ctx: libyang.Context, text: str) -> list[libyang_c.LyError]:
    out = ffi.new("struct lyd_node **")
    opts = lib.LYD_VALIDATE_PRESENT  # libyang 2 implements ietf-yang-library, whose data is not here
    ret = lib.lyd_parse_data_mem(ctx.cdata, text.encode(), lib.LYD_JSON, lib.LYD_PARSE_STRICT, opts, out)
    try:
        assert ret != lib.LY_SUCCESS
        return libyang_c.errors(ctx.cdata)
    finally:
        lib.ly_err_clean(ctx.cdata, ffi.NULL)
        if out[0] != ffi.NULL:
            lib.lyd_free_all(out[0])


def test_the_loaded_library_is_the_one_the_binding_was_built_for() -> None:
    assert Path(libyang_c.LIBRARY).is_file()
    assert Path(libyang_c.LIBRARY).name.startswith(f"libyang.so.{libyang_c.MAJOR}.")
    # binding 2.x compiles only against libyang 2, 3.x only against libyang 3
    assert int(version("libyang").split(".")[0]) == libyang_c.MAJOR


def test_a_bad_value_names_the_instance_with_its_keys_and_the_line(ctx: libyang.Context) -> None:
    (err,) = parse_errors(ctx, '{"a:c": {"l": [{"k": "x",\n "v": 300, "b:m": "y"}]}}')
    assert err.data_path == "/a:c/l[k='x']/v"
    assert err.path == err.data_path and err.line == 2
    assert "300" in err.message


def test_a_missing_mandatory_leaf_from_another_module_is_named_with_its_prefix(
    ctx: libyang.Context,
) -> None:
    (err,) = parse_errors(ctx, '{"a:c": {"l": [{"k": "x"}]}}')
    assert err.message.startswith('Mandatory node "m"')
    if libyang_c.MAJOR == 2:
        assert err.path == "/a:c/l/b:m"  # libyang 2 names the schema node only
    else:
        assert err.path == "/a:c/l[k='x']/b:m"  # libyang 3: the parent instance, completed here


def test_libyang_2_location_texts() -> None:
    assert _from_v2_path('Schema location "/a:c/l/b:m".') == (None, "/a:c/l/b:m", None)
    assert _from_v2_path("Data location \"/a:c/l[k='x']/v\", line number 2.") == ("/a:c/l[k='x']/v", None, 2)
    assert _from_v2_path('Schema location "/a:c/l/v", data location "/a:c/l[k=\'x\']/v", line number 7.') == (
        "/a:c/l[k='x']/v",
        "/a:c/l/v",
        7,
    )
    # a key value holding a double quote keeps the whole path
    assert _from_v2_path('Data location "/a:c/l[k=\'a"b\']/v".') == ("/a:c/l[k='a\"b']/v", None, None)
    assert _from_v2_path("Line number 3.") == (None, None, 3)
    assert _from_v2_path(None) == (None, None, None)


def test_functions_bound_by_abi_act_on_the_bindings_trees(ctx: libyang.Context) -> None:
    """lyd_new_list2 and lyd_value_validate (not declared by binding 3.x) through agent.datastore._ly."""
    top = ffi.new("struct lyd_node **")
    assert lib.lyd_new_inner(ffi.NULL, ctx.get_module("a").cdata, b"c", 0, top) == lib.LY_SUCCESS
    try:
        snode = lib.lys_find_path(ctx.cdata, ffi.NULL, b"/a:c/l", 0)
        ret, entry = _ly.new_list2(top[0], snode.module, b"l", b"[k='x']")
        assert ret == lib.LY_SUCCESS and entry != ffi.NULL
        assert libyang.DNode.new(ctx, entry).path() == "/a:c/l[k='x']"
        leaf = ffi.new("struct lyd_node **")
        assert lib.lyd_new_term(entry, snode.module, b"v", b"7", 0, leaf) == lib.LY_SUCCESS
        assert _ly.value_valid(ctx.cdata, leaf[0], b"255")
        assert not _ly.value_valid(ctx.cdata, leaf[0], b"256")
    finally:
        lib.lyd_free_all(top[0])
        lib.ly_err_clean(ctx.cdata, ffi.NULL)
