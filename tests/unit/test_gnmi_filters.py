"""use_models and Depth filters (agent/gnmi/filters.py) on JSON-IETF values and data paths."""

from __future__ import annotations

from agent.gnmi.filters import ModelFilter, limit_depth, within_depth

BASKET = {
    "name": "b",
    "contents": ["fruits", "vegetables"],
    "fruits": [
        {"name": "apples", "colors": ["red", "yellow"], "size": "XL", "origin": {"country": "NL"}},
        {"name": "orange", "size": "M"},
    ],
    "description": {"fabric": "cotton"},
}


def test_depth_follows_the_specification_examples() -> None:
    # gnmi-depth.md 4.1-4.3: level 1 = leaves and leaf-lists only; level 2 adds one level of children
    assert limit_depth(BASKET, 1) == {"name": "b", "contents": ["fruits", "vegetables"]}
    two = limit_depth(BASKET, 2)
    assert two["fruits"] == [
        {"name": "apples", "colors": ["red", "yellow"], "size": "XL"},
        {"name": "orange", "size": "M"},
    ]
    assert two["description"] == {"fabric": "cotton"}
    assert limit_depth(BASKET, 0) == BASKET and limit_depth(BASKET, 3) == BASKET
    assert limit_depth("scalar", 1) == "scalar"


def test_depth_of_leaves_by_path() -> None:
    entry = "/m:basket/fruits[name='apples']"
    assert within_depth(entry, 2, 1)  # a leaf of the addressed entry
    assert not within_depth(f"{entry}/origin", 2, 1)
    assert within_depth(f"{entry}/origin", 2, 2)
    assert within_depth("/m:basket", 0, 2) and not within_depth("/m:basket", 0, 1)  # from the root


def test_model_filter_drops_other_modules_members_and_paths() -> None:
    f = ModelFilter(frozenset({"ietf-interfaces"}))
    value = {"name": "e0", "ietf-ip:ipv4": {"mtu": 1500}, "bng-interfaces:sub-interface": {"sub-id": 1}}
    assert f.prune(value) == {"name": "e0"}
    assert f.prune([value]) == [{"name": "e0"}]
    base = "/ietf-interfaces:interfaces/interface[name='e0']"
    assert f.path_ok(base) and not f.path_ok(f"{base}/ietf-ip:ipv4")
    assert f.leaf_ok(base, "description") and not f.leaf_ok(base, "ietf-ip:mtu")
    assert not f.leaf_ok(f"{base}/ietf-ip:ipv4", "mtu")
    both = ModelFilter(frozenset({"ietf-interfaces", "ietf-ip"}))
    assert both.leaf_ok(f"{base}/ietf-ip:ipv4", "mtu")
    assert both.prune(value) == {"name": "e0", "ietf-ip:ipv4": {"mtu": 1500}}
