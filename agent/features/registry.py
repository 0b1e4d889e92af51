"""The feature registry: every VPP feature the agent programs, in the order their retrieval runs.

Adding a feature is one package under ``agent/features/`` and one line in :data:`FEATURES`. Everything
the southbound engine knows about kinds of configuration comes from here: the YANG top-level nodes that
are roots (:data:`ROOTS`), the descriptor of each item kind (:data:`DESCRIPTORS`), the items a root's
entry yields (:func:`root_items`), which roots read which (:meth:`~agent.vpp.config.Roots.references`)
and what VPP holds (:func:`retrieve`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from agent.features import (
    acl,
    bonds,
    dhcp4,
    dhcp6,
    interfaces,
    nat,
    natlog,
    proxyarp,
    qos,
    ra,
    routes,
    subscribers,
    vrfs,
)
from agent.features.base import Feature, FlattenContext, InterfaceType, Lookup, RetrieveContext
from agent.vpp.config import Entry, RootId, Roots
from agent.vpp.descriptor import Descriptor
from agent.vpp.items import Item, Value
from agent.vpp.naming import NameMap

#: Retrieval runs in this order: interfaces first (they build the name map), routes last (they need the
#: VRF tables, addresses and bindings found before them).
FEATURES: tuple[Feature, ...] = (
    interfaces.FEATURE,
    bonds.FEATURE,
    vrfs.FEATURE,
    routes.FEATURE,
    subscribers.FEATURE,
    proxyarp.FEATURE,
    ra.FEATURE,
    acl.FEATURE,
    qos.FEATURE,
    nat.FEATURE,
    dhcp6.FEATURE,
    natlog.FEATURE,
    dhcp4.FEATURE,
)


def _descriptors() -> dict[str, Descriptor[Any]]:
    out: dict[str, Descriptor[Any]] = {}
    for f in FEATURES:
        for d in f.descriptors:
            if d.kind in out:
                raise ValueError(f"two descriptors for kind {d.kind!r}")
            out[d.kind] = d
    return out


def _interface_types() -> dict[str, InterfaceType]:
    return {t: fn for f in FEATURES for t, fn in f.interface_types.items()}


def _references(root: RootId, entry: Entry) -> Iterable[RootId]:
    for f in FEATURES:
        yield from f.references(root, entry)


#: item kind -> its descriptor (the planner, executor and reconciler look descriptors up here only)
DESCRIPTORS: Mapping[str, Descriptor[Any]] = _descriptors()
#: the YANG top-level nodes the features own, as configuration roots
ROOTS = Roots([spec for f in FEATURES for spec in f.roots], _references)
INTERFACE_TYPES: Mapping[str, InterfaceType] = _interface_types()


def root_items(root: RootId, entry: Entry | None, config: Lookup) -> list[Item[Value]]:
    """Every item one configuration root yields, from every feature (none when the root is absent)."""
    if entry is None:
        return []
    ctx = FlattenContext(config, INTERFACE_TYPES)
    items: list[Item[Value]] = []
    for f in FEATURES:
        items += f.items(root, entry, ctx)
    return items


async def retrieve(ctx: RetrieveContext) -> None:
    """Every feature adds what VPP holds of its kinds to ``ctx.out``."""
    for f in FEATURES:
        await f.retrieve(ctx)


def missing_interfaces(config: Lookup, vpp: NameMap) -> list[str]:
    """Configured interfaces VPP must have on its own (ports) but does not, sorted."""
    return sorted({n for f in FEATURES for n in f.missing_interfaces(config, vpp)})


def programmed_roots() -> dict[str, str]:
    """YANG top-level nodes (JSON-IETF member names, ``module:node``) whose data some feature programs
    into VPP, each with the feature that owns it. Data under any other top-level node is accepted by the
    datastore but not applied to VPP.

    Mind that a programmed root may hold subtrees nothing programs yet (the features read only the
    leaves they know); :func:`programmed_kinds` lists what each feature turns into VPP objects.
    """
    return {spec.top: f.name for f in FEATURES for spec in f.roots}


def programmed_kinds() -> dict[str, list[str]]:
    """Per feature, the item kinds (VPP objects) it programs."""
    return {f.name: [d.kind for d in f.descriptors] for f in FEATURES}
