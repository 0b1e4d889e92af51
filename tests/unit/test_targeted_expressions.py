"""Targeted validation on musts written to defeat it (a test-only YANG module, its own libyang context).

The project's models exercise a few must shapes; this module has the shapes the analysis must not
mistake for local ones: absolute paths into the same list, ``..`` climbing out of the entry, axes,
the string value of a container and of another list entry, a top-level container's must, a deref.
Hypothesis changes one or two leaf values at a time; whenever :func:`check_value_changes` answers
True, libyang's full validation of the same tree must succeed. Some answers must also be True (the
check is not vacuous).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import libyang
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from agent.datastore import _ly
from agent.datastore.changes import Change
from agent.datastore.schema_deps import SchemaDeps
from agent.datastore.targeted import check_value_changes
from agent.datastore.tree import NULL, DataTree, node_value
from agent.errors import ValidationError

MODULE = """
module tv-test {
  yang-version 1.1;
  namespace "urn:tv-test";
  prefix t;

  container top {
    list item {
      key "name";
      leaf name { type string; }
      leaf a { type int32; }
      leaf b { type int32; must ". >= ../a"; }
      leaf c { type int32; must "not(/t:top/t:item[t:name != current()/../t:name]/t:a = .)"; }
      leaf d { type int32; must ". <= sum(../../t:item/t:a) + 5"; }
      leaf e { type int32; must "not(../following-sibling::t:item/t:a = .)"; }
      leaf ref { type leafref { path "../../t:item/t:name"; } }
      leaf f { type int32; must "not(deref(../t:ref)/../t:a > .)"; }
      container box {
        leaf x { type int32; }
        leaf y { type int32; }
      }
      leaf g { type int32; must "string(../t:box) != '12'"; }
      leaf h {
        type int32;
        must "not(contains(string(../../t:item[t:name = current()/../t:ref]), '99'))";
      }
    }
    leaf total { type int32; must ". >= sum(../t:item/t:b)"; }
  }
}
"""

N_ITEMS = 6
LEAVES = ["a", "b", "c", "d", "e", "f", "g", "x", "y"]


@cache
def context() -> libyang.Context:
    ctx = libyang.Context()
    ctx.parse_module_str(MODULE).feature_enable_all()
    return ctx


@cache
def deps() -> SchemaDeps:
    return SchemaDeps(context())


def item_path(i: int, leaf: str) -> str:
    box = "box/" if leaf in ("x", "y") else ""
    return f"/tv-test:top/item[name='i{i}']/{box}{leaf}"


def base_json() -> str:
    """A valid start: a=i, b=i, c=100+i, d=0, e=200+i, f=10 with ref to the next item, g=0, box 3/4."""
    items = []
    for i in range(N_ITEMS):
        items.append(
            f'{{"name":"i{i}","a":{i},"b":{i},"c":{100 + i},"d":0,"e":{200 + i},'
            f'"ref":"i{(i + 1) % N_ITEMS}","f":10,"g":0,"h":0,"box":{{"x":3,"y":4}}}}'
        )
    total = sum(range(N_ITEMS))
    return f'{{"tv-test:top":{{"item":[{",".join(items)}],"total":{total}}}}}'


def _set(tree: DataTree, path: str, value: str) -> None:
    node = tree.find(path)
    assert node != NULL
    _ly.change_term(node, value)
    assert node_value(node) == value


def _full_ok(tree: DataTree) -> bool:
    copy = tree.dup()
    try:
        copy.validate()
    except ValidationError:
        return False
    finally:
        copy.close()
    return True


edits = st.lists(
    st.one_of(
        st.tuples(
            st.integers(min_value=0, max_value=N_ITEMS - 1),
            st.sampled_from(LEAVES),
            st.integers(min_value=-2, max_value=210),
        ),
        st.tuples(st.just(-1), st.just("total"), st.integers(min_value=0, max_value=30)),
    ),
    min_size=1,
    max_size=2,
)


@pytest.fixture(scope="module")
def base() -> Iterator[DataTree]:
    tree = DataTree.parse(context(), base_json(), "json")
    yield tree
    tree.close()


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(edits)
def test_true_implies_full_validation_accepts(base: DataTree, changes: list[tuple[int, str, int]]) -> None:
    new = base.dup()
    recorded: list[Change] = []
    for i, leaf, value in changes:
        path = "/tv-test:top/total" if i < 0 else item_path(i, leaf)
        old = node_value(base.find(path))
        _set(new, path, str(value))
        recorded = [c for c in recorded if c.path != path]
        if str(value) != old:
            recorded.append(Change("modify", path, int(old), value))
    if not recorded:
        return
    proved = check_value_changes(deps(), base, new, recorded)
    full = _full_ok(new)
    event(f"proved={proved} full={full}")
    if proved:
        assert full, recorded
    new.close()


def test_classification_of_the_shapes() -> None:
    d = deps()
    ctx = context()

    def refs(leaf: str) -> dict[str, tuple[bool, int]]:
        snode = next(ctx.find_path(f"/tv-test:top/item/{leaf}")).cdata
        found = d.dependent_musts(snode)
        assert found is not None
        return {ref.abs_path.rsplit("/", 1)[-1]: (ref.entry is not None, len(ref.derefs)) for ref in found}

    # b's must is local to the item; c (absolute path), d (climbs out), e (axis) are not scoped
    assert refs("a")["b"] == (True, 0)
    assert refs("a")["c"] == (False, 0)
    assert refs("a")["d"] == (False, 0)
    assert refs("a")["e"] == (False, 0)
    # f reads the referenced item's a through deref: scoped, with one deref read
    assert refs("a")["f"] == (True, 1)
    # the string value of box covers x and y
    assert "g" in refs("box/x") and "g" in refs("box/y")
    # h reads the string value of another item (a path ending at the list): every leaf of it counts
    assert "h" in refs("b") and "h" in refs("box/y")
    # the top-level container's must reads every b: every instance (there is one)
    assert refs("b")["total"] == (False, 0)
