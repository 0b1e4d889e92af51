"""The second source of items: objects decided at run time (subscriber sessions and their policers, ACLs,
NAT mappings), programmed through the same descriptors, planner and executor as configuration but never
through a commit, the datastore or :class:`~agent.vpp.config.ConfigIndex`.

Each run-time item carries its origin (``session``) and a state, as Ligato's KVScheduler does with
values from the southbound side and its PENDING state:

* ``applied``: VPP holds it;
* ``pending``: it depends on an item nobody has programmed (a session on a sub-interface that is not
  configured yet, or whose port is missing); it is programmed as soon as the dependency appears, and it
  goes back to pending (removed from VPP first) when configuration removes the dependency;
* ``failed``: VPP refused it when it was programmed after its dependency appeared (a direct
  :meth:`~agent.vpp.southbound.VppSouthbound.submit` that VPP refuses raises instead and changes nothing).

This module is pure: it decides what to program; :class:`~agent.vpp.southbound.VppSouthbound` runs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from agent.vpp.items import Item, ItemState, Value


class RuntimeItemError(ValueError):
    """A run-time source asked for something it may not (a configuration item's key, a config origin)."""


@dataclass(slots=True)
class RuntimeEntry:
    item: Item[Value]
    state: ItemState
    error: str | None = None


@dataclass
class RuntimeChange:
    """What a submission, or a change of configuration underneath, does to the run-time items.

    ``old``/``new``: the run-time items whose VPP state changes (for ``plan_items(old, new, outside)``);
    ``wanted``: every run-time item after the change, ``states`` its state once VPP accepted the plan.
    A ``partial`` change (from :meth:`RuntimeItems.submit`) holds in ``wanted``/``states`` only the items
    it re-evaluated, and in ``removed`` the keys it drops; every other item stays as it is."""

    wanted: dict[str, Item[Value]]
    old: dict[str, Item[Value]] = field(default_factory=dict)
    new: dict[str, Item[Value]] = field(default_factory=dict)
    states: dict[str, ItemState] = field(default_factory=dict)
    partial: bool = False
    removed: set[str] = field(default_factory=set)


class RuntimeItems:
    """The run-time items by key, with their states.

    A submission re-evaluates only the items it changes and, through an index of who depends on whom,
    the run-time items that depend on them (10,000 sessions hold 70,000 items; a DHCP burst submits a few
    hundred at a time). A change of configuration underneath (:meth:`rebase`) re-evaluates them all.
    """

    def __init__(self) -> None:
        self.entries: dict[str, RuntimeEntry] = {}
        self._dependants: dict[str, set[str]] = {}  # key -> run-time items whose deps name it

    def _index(self, it: Item[Value]) -> None:
        for d in it.deps:
            self._dependants.setdefault(d, set()).add(it.key)

    def _unindex(self, it: Item[Value]) -> None:
        for d in it.deps:
            users = self._dependants.get(d)
            if users is not None:
                users.discard(it.key)
                if not users:
                    del self._dependants[d]

    def applied(self) -> dict[str, Item[Value]]:
        return {k: e.item for k, e in self.entries.items() if e.state == "applied"}

    def outside(self, config: Mapping[str, Item[Value]], exclude: Mapping[str, object]) -> OutsideView:
        """What a plan of ``exclude``'s items sees around it: ``config`` plus the applied run-time items not
        in ``exclude``, as a view (O(1) to make; a lookup costs one dict access)."""
        return OutsideView(config, self.entries, exclude)

    def states(self) -> dict[str, ItemState]:
        return {k: e.state for k, e in self.entries.items()}

    def preload(self, items: Iterable[Item[Value]]) -> None:
        """Register run-time items restored after an agent restart as ``pending``, without programming
        them: the next reconcile compares VPP with them (VPP may still hold them) and sends only the
        difference."""
        for it in items:
            if it.origin == "config":
                raise RuntimeItemError(f"{it.key}: a run-time item cannot have origin 'config'")
            old = self.entries.get(it.key)
            if old is not None:
                self._unindex(old.item)
            self.entries[it.key] = RuntimeEntry(it, "pending")
            self._index(it)

    def submit(
        self, put: Iterable[Item[Value]], remove: Iterable[str], config: Mapping[str, Item[Value]]
    ) -> RuntimeChange:
        """Plan adding/replacing ``put`` and removing ``remove`` on top of the applied ``config`` items."""
        changes: dict[str, Item[Value] | None] = dict.fromkeys(remove)
        for it in put:
            if it.origin == "config":
                raise RuntimeItemError(f"{it.key}: a run-time item cannot have origin 'config'")
            if it.key in config:
                raise RuntimeItemError(f"{it.key} is configured; a run-time source cannot replace it")
            changes[it.key] = it
        # the changed keys and, transitively, the run-time items that depend on them
        seen = set(changes)
        todo = list(changes)
        while todo:
            for d in self._dependants.get(todo.pop(), ()):
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        wanted: dict[str, Item[Value]] = {}
        for k in seen:
            if k in changes:
                if (new := changes[k]) is not None:
                    wanted[k] = new
            elif (e := self.entries.get(k)) is not None:
                wanted[k] = e.item

        def present(d: str) -> bool:
            if d in config:
                return True
            e = self.entries.get(d)
            return d not in seen and e is not None and e.state == "applied"

        ready: dict[str, Item[Value]] = {}
        pending = dict(wanted)
        progress = True
        while pending and progress:
            progress = False
            for k, it in list(pending.items()):
                if all(d in ready or present(d) for d in it.deps):
                    ready[k] = it
                    del pending[k]
                    progress = True
        change = RuntimeChange(wanted, partial=True, removed={k for k in seen if k not in wanted})
        for k in seen:
            e = self.entries.get(k)
            o = e.item if e is not None and e.state == "applied" else None
            n = ready.get(k)
            if o is not None and n is not None and o == n:
                continue
            if o is not None:
                change.old[k] = o
            if n is not None:
                change.new[k] = n
        change.states = {k: "applied" if k in ready else "pending" for k in wanted}
        return change

    def rebase(self, config: Mapping[str, Item[Value]]) -> RuntimeChange:
        """Re-evaluate every item against ``config`` (after a commit or a reconcile): pending ones whose
        dependencies appeared are programmed, applied ones whose dependencies went away are removed from
        VPP and wait again."""
        return self._change({k: e.item for k, e in self.entries.items()}, config)

    def _change(self, wanted: dict[str, Item[Value]], config: Mapping[str, Item[Value]]) -> RuntimeChange:
        ready = _ready(wanted, config)
        applied = self.applied()
        change = RuntimeChange(wanted)
        for k in applied.keys() | ready.keys():
            o, n = applied.get(k), ready.get(k)
            if o is not None and n is not None and o == n:
                continue
            if o is not None:
                change.old[k] = o
            if n is not None:
                change.new[k] = n
        change.states = {k: "applied" if k in ready else "pending" for k in wanted}
        return change

    def commit(self, change: RuntimeChange) -> None:
        """VPP accepted ``change``: record the new items and states."""
        if not change.partial:
            self.entries = {k: RuntimeEntry(it, change.states[k]) for k, it in change.wanted.items()}
            self._dependants = {}
            for e in self.entries.values():
                self._index(e.item)
            return
        for k in change.removed:
            gone = self.entries.pop(k, None)
            if gone is not None:
                self._unindex(gone.item)
        for k, it in change.wanted.items():
            old = self.entries.get(k)
            if old is not None:
                self._unindex(old.item)
            self.entries[k] = RuntimeEntry(it, change.states[k])
            self._index(it)

    def fail(self, change: RuntimeChange, error: str) -> None:
        """VPP refused programming ``change`` (and the executor reverted it): the items it would have
        added are marked failed; what was applied before stays applied."""
        for k in change.new:
            e = self.entries.get(k)
            if e is not None:
                e.state, e.error = "failed", error


class OutsideView(Mapping[str, Item[Value]]):
    """``{**config, **{k: applied run-time item for k not in exclude}}`` without building it.

    Why: a submission of a few hundred sessions' items needs the items around it only when the planner
    cascades a re-creation (rare), yet building that dict per submission copied all 70,000 run-time
    items of 10,000 sessions twice: 4.5 % of the agent's CPU in the 10,000-session bench, growing with
    the table (docs/performance.md, "Profile (third round)"). Run-time keys are never configuration keys
    (:meth:`RuntimeItems.submit` refuses them), so the two parts do not overlap."""

    __slots__ = ("_config", "_entries", "_exclude")

    def __init__(
        self,
        config: Mapping[str, Item[Value]],
        entries: Mapping[str, RuntimeEntry],
        exclude: Mapping[str, object],
    ) -> None:
        self._config, self._entries, self._exclude = config, entries, exclude

    def __getitem__(self, key: str) -> Item[Value]:
        e = self._entries.get(key)
        if e is not None and e.state == "applied" and key not in self._exclude:
            return e.item
        return self._config[key]

    def __iter__(self) -> Iterator[str]:
        yield from self._config
        for k, e in self._entries.items():
            if e.state == "applied" and k not in self._exclude and k not in self._config:
                yield k

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _ready(wanted: Mapping[str, Item[Value]], config: Mapping[str, Item[Value]]) -> dict[str, Item[Value]]:
    """The wanted items whose dependencies all exist, in configuration or among ready run-time items."""
    ready: dict[str, Item[Value]] = {}
    todo = dict(wanted)
    progress = True
    while todo and progress:
        progress = False
        for k, it in list(todo.items()):
            if all(d in config or d in ready for d in it.deps):
                ready[k] = it
                del todo[k]
                progress = True
    return ready
