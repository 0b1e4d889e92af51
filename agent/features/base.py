"""What a feature package provides: the YANG roots it owns, items from configuration, descriptors and
retrieval for reconcile.

A feature is one VPP feature (interfaces, bonds, VRFs, routes, later NAT, ACLs, policers ...). The
southbound engine (:mod:`agent.vpp.southbound`) knows no feature by name: it asks the registry
(:mod:`agent.features.registry`) which YANG top-level nodes are roots, which items a root's entry yields,
which descriptor handles a kind, and lets every feature add what it reads from VPP to a reconcile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from agent.vpp.config import ConfigIndex, Entry, RootId, RootSpec
from agent.vpp.connection import VppConnection
from agent.vpp.descriptor import Descriptor
from agent.vpp.items import Item, Value
from agent.vpp.naming import NameMap


class Lookup(Protocol):
    """Configuration a feature may read while building items: any root's entry (an
    :class:`~agent.vpp.config.Overlay` during a commit, the :class:`ConfigIndex` for a full flatten)."""

    def get(self, root: RootId) -> Entry | None: ...

    def names(self, kind: str) -> Iterable[str]: ...


#: An interface type another feature adds to ``ietf-interfaces`` (a bond): for the interface's name and
#: entry, the value of its interface item (whose kind must be a descriptor that ``creates_interface``).
InterfaceType = Callable[[str, Entry], Value]


@dataclass(slots=True)
class FlattenContext:
    """What :meth:`Feature.items` gets besides the entry: other roots, and the registry's interface types."""

    config: Lookup
    interface_types: Mapping[str, InterfaceType]

    def get(self, root: RootId) -> Entry | None:
        return self.config.get(root)


@dataclass
class Retrieved:
    """What a reconcile read from VPP: the name map and items, and what belongs to the agent."""

    names: NameMap
    items: dict[str, Item[Value]] = field(default_factory=dict)
    owned_interfaces: set[str] = field(default_factory=set)
    managed_interfaces: set[str] = field(default_factory=set)
    unmanaged: list[dict[str, Any]] = field(default_factory=list)
    index_of: dict[str, int] = field(default_factory=dict)
    # items VPP has that are not provably the agent's (a static route in table 0): compared with the
    # intended configuration only when it configures the same key
    candidates: dict[str, Item[Value]] = field(default_factory=dict)


@dataclass
class RetrieveContext:
    """Shared by the features' ``retrieve`` during one reconcile (called in registry order)."""

    conn: VppConnection
    config: ConfigIndex
    applied: Mapping[str, Item[Value]]  # what the agent programmed before (its own objects)
    orphans: dict[str, int]  # interfaces a failed commit created and could not delete (name -> index)
    out: Retrieved
    # filled by the interfaces feature for those after it: sw_interface_dump details, the agent's name of
    # each sw_if_index it maps, and the details of managed interfaces
    interface_details: list[Any] = field(default_factory=list)
    agent_name: dict[int, str] = field(default_factory=dict)
    managed_details: list[Any] = field(default_factory=list)
    # the name map before this reconcile (interfaces and objects as the agent last knew them): what VPP
    # cannot dump (a policer's attachment to an interface) is assumed kept where both ends kept their index
    previous: NameMap | None = None


class Feature:
    """One VPP feature. Subclasses set what they have; every hook has a do-nothing default.

    ``roots``: the YANG top-level nodes this feature owns (their entries become roots).
    ``descriptors``: one per item kind the feature makes.
    ``interface_types``: ``ietf-interfaces`` types whose interface item this feature makes (by the
    local name of the iana-if-type identity).
    ``writes``/``reads``: the VPP messages its descriptors send and its retrieval sends (each must be in
    :data:`agent.vpp.api.MESSAGES_USED`, whose CRCs are checked at connect; the fault tests fail each
    write once).
    """

    name: str = ""
    roots: tuple[RootSpec, ...] = ()
    writes: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    descriptors: tuple[Descriptor[Any], ...] = ()
    interface_types: Mapping[str, InterfaceType] = {}

    def items(self, root: RootId, entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
        """Items this feature derives from one root's entry (its own roots, or another feature's it
        augments: a bond member's membership comes from an ``ietf-interfaces`` entry)."""
        return []

    def references(self, root: RootId, entry: Entry) -> Iterable[RootId]:
        """Other roots :meth:`items` reads for this entry: a change to one of them re-flattens it."""
        return ()

    async def retrieve(self, ctx: RetrieveContext) -> None:
        """Add what VPP holds of this feature's kinds to ``ctx.out`` (reconcile compares it)."""

    def missing_interfaces(self, config: Lookup, vpp: NameMap) -> list[str]:
        """Configured interfaces that VPP must have on its own but does not (ports)."""
        return []
