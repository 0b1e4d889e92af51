"""The descriptor contract (DESIGN.md "Core ideas" 2): pure functions from items to VPP calls."""

from __future__ import annotations

from agent.vpp.items import Item, VppCall
from agent.vpp.naming import NameMap


class Descriptor:
    """How one kind of item maps onto VPP.

    ``create``/``delete`` return the single call that does it (``None``: nothing to send).
    ``update`` returns the call that changes ``old`` into ``new`` in place, or ``None`` when VPP cannot
    (the planner then deletes and re-creates the item, and everything that depends on it).
    ``equivalent`` says two values mean the same to VPP, so defaults never cause spurious calls.
    ``implied_by_owner_delete``: VPP removes the item itself when its owner interface is deleted.
    ``retrieve_unconfigured``: a retrieved item with no configured counterpart is removed by reconcile
    (False for properties every interface has, like the MTU: left as VPP has them unless configured).
    ``retrievable``: the reconciler can read the item back from VPP; when False, it is assumed to still
    be present as long as its owner interface survived (same sw_if_index, same tag).
    ``guards_dependants``: VPP refuses to create, delete or change the item while its dependants exist,
    so any change of it removes them first and adds them back afterwards.
    """

    kind: str = ""
    implied_by_owner_delete: bool = False
    retrieve_unconfigured: bool = True
    retrievable: bool = True
    guards_dependants: bool = False

    def create(self, item: Item) -> VppCall | None:
        raise NotImplementedError

    def delete(self, item: Item) -> VppCall | None:
        raise NotImplementedError

    def update(self, old: Item, new: Item) -> VppCall | None:
        return None

    def equivalent(self, old: Item, new: Item) -> bool:
        return old.value == new.value

    def check(self, item: Item, names: NameMap) -> str | None:
        """A reason the item cannot be created in VPP as it is now, found before any call is sent."""
        return None
