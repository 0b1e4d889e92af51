"""The descriptor contract: pure functions from items of one kind to VPP calls.

Learnt from Ligato vpp-agent's KVScheduler descriptors and Honeycomb's customizers. A descriptor never
talks to VPP: it returns :class:`~agent.vpp.items.VppCall` records the executor sends, which keeps
planning pure (a dry run prints exactly the calls a commit would make). Ordering comes from each item's
``deps`` (set where the item is built, in the feature's ``items.py``), not from the descriptor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from agent.vpp.items import Item, Value, VppCall
from agent.vpp.naming import NameMap

#: The value type a descriptor programs.
V = TypeVar("V", bound=Value)


@dataclass(frozen=True, slots=True)
class Ownership:
    """What a retrieval found to be the agent's: interfaces it created (tagged, or created by a failed
    commit whose undo failed) and interfaces it manages (those plus configured ports found by name)."""

    owned: frozenset[str]
    managed: frozenset[str]


class Descriptor(Generic[V]):
    """How one kind of item maps onto VPP.

    ``create``/``delete`` return the single call that does it (``None``: nothing to send).
    ``update`` returns the call that changes ``old`` into ``new`` in place, or ``None`` when VPP cannot
    (the planner then deletes and re-creates the item, and everything that depends on it).
    ``equivalent`` says two values mean the same to VPP, so defaults never cause spurious calls.
    ``claims`` says whether a retrieved item nobody configured is the agent's to remove (reconcile).
    ``check`` finds a reason an item cannot be created before any call is sent.

    Flags:
    ``implied_by_owner_delete``: VPP removes the item itself when its owner interface is deleted.
    ``retrieve_unconfigured``: a retrieved item with no configured counterpart is removed by reconcile
    (False for properties every interface has, like the MTU: left as VPP has them unless configured).
    ``retrievable``: the reconciler can read the item back from VPP; when False, it is assumed to still
    be present as long as its owner interface survived (same sw_if_index, same tag).
    ``guards_dependants``: VPP refuses to create, delete or change the item while its dependants exist,
    so any change of it removes them first and adds them back afterwards.
    ``creates_interface``: the item is an interface the agent creates (and tags); its key is
    ``interface/<name>``.
    ``discovered``: the item only asserts that something VPP has on its own exists (a physical port);
    configuration that needs a missing one waits for it (pre-provisioning).
    ``shared``: several roots may yield the same item (one VPP object that several interfaces need, such
    as a proxy-ARP range of a subnet many access interfaces borrow); it is created when the first root
    yields it and deleted when the last one stops.
    """

    kind: str = ""
    implied_by_owner_delete: bool = False
    retrieve_unconfigured: bool = True
    retrievable: bool = True
    guards_dependants: bool = False
    creates_interface: bool = False
    discovered: bool = False
    delete_refused_while_used: bool = False
    shared: bool = False

    def create(self, item: Item[V]) -> VppCall | None:
        raise NotImplementedError

    def delete(self, item: Item[V]) -> VppCall | None:
        raise NotImplementedError

    def update(self, old: Item[V], new: Item[V]) -> VppCall | None:
        return None

    def equivalent(self, old: Item[V], new: Item[V]) -> bool:
        return old.value == new.value

    def check(self, item: Item[V], names: NameMap) -> str | None:
        """A reason the item cannot be created in VPP as it is now, found before any call is sent."""
        return None

    def claims(self, item: Item[V], ours: Ownership) -> bool:
        """Whether reconcile may remove this retrieved, unconfigured item: by default a property of an
        interface the agent manages (an address, a binding ...), if the kind is removed when unconfigured."""
        return item.owner is not None and item.owner in ours.managed and self.retrieve_unconfigured
