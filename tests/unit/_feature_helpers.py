"""Building items from configuration without a southbound or VPP, for the feature unit tests."""

from __future__ import annotations

from typing import Any, TypeVar

from agent.features import registry
from agent.vpp.config import ConfigIndex
from agent.vpp.items import Item, Value

V = TypeVar("V", bound=Value)

P0 = "GigabitEthernet0/8/0"
P1 = "GigabitEthernet0/9/0"


def items_of(doc: dict[str, Any]) -> dict[str, Item[Value]]:
    """Every item a whole configuration flattens to, by key (what a reconcile would intend)."""
    cfg = ConfigIndex.from_json(doc, registry.ROOTS)
    out: dict[str, Item[Value]] = {}
    for root in cfg.roots():
        for it in registry.root_items(root, cfg.get(root), cfg):
            if it.key in out and registry.DESCRIPTORS[it.kind].shared:
                assert out[it.key] == it, f"two roots yield shared item {it.key} differently"
            assert it.key not in out or registry.DESCRIPTORS[it.kind].shared, f"two items with key {it.key}"
            out[it.key] = it
    return out


def value(item: Item[Value], kind: type[V]) -> V:
    """The item's value as its type (fails if the item is of another kind)."""
    assert isinstance(item.value, kind), item
    return item.value


def calls(item: Item[Value]) -> tuple[str | None, str | None]:
    """The create and delete calls of an item, rendered as a dry run prints them."""
    desc = registry.DESCRIPTORS[item.kind]
    c, d = desc.create(item), desc.delete(item)
    return (c.render() if c else None, d.render() if d else None)


def interfaces(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"ietf-interfaces:interfaces": {"interface": list(entries)}}


def port(name: str = P0, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "iana-if-type:ethernetCsmacd", **extra}


def sub(sub_id: int, enc: dict[str, Any] | None = None, parent: str = P0, **extra: Any) -> dict[str, Any]:
    return {
        "name": f"{parent}.{sub_id}",
        "type": "iana-if-type:l2vlan",
        "bng-interfaces:sub-interface": {
            "parent-interface": parent,
            "sub-id": sub_id,
            "encapsulation": enc if enc is not None else {"single-tagged": {"vlan-id": sub_id}},
        },
        **extra,
    }
