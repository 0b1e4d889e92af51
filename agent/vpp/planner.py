"""Order the difference between two item sets into waves of VPP calls.

Deletes come first, dependants before what they depend on (addresses before the table binding before
the sub-interface; a bond's members before the bond); then creates and updates, dependencies first (VRF
table, interface, binding, address; a parent's MTU before its children's). Items in one wave do not
depend on each other, so the executor sends a whole wave with many calls in flight.

An item VPP cannot change in place is re-created, and so is everything that depends on it (a
sub-interface whose tags changed gets its addresses, binding, flags back). A delete of an item VPP drops
on its own when its owner interface is deleted in the same plan sends no call, but still records how to
restore it, so a revert puts everything back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from agent.features.registry import DESCRIPTORS
from agent.vpp import keys
from agent.vpp.items import Item, Value, VppCall

#: What a step does to its item.
Op = Literal["create", "update", "delete"]


@dataclass(slots=True)
class Step:
    """One planned change of one item: the call to send (``None``: nothing to send) and its undo."""

    op: Op
    key: str
    kind: str
    call: VppCall | None
    wave: int
    item: Item[Value]  # the item as it is after the step (the old one for a delete)
    implied_by: str | None = None  # the interface delete that removes this item inside VPP
    old: Item[Value] | None = None  # for an update: the value before

    def undo(self) -> VppCall | None:
        """The call that reverses this step (computed only when a revert needs it)."""
        desc = DESCRIPTORS[self.kind]
        if self.op == "create":
            return desc.delete(self.item)
        if self.op == "delete":
            return desc.create(self.item)
        assert self.old is not None
        return desc.update(self.item, self.old)

    def describe(self) -> str:
        return self.call.render() if self.call is not None else "(no call: implied or discovered)"


def plan_items(
    old: dict[str, Item[Value]], new: dict[str, Item[Value]], outside: Mapping[str, Item[Value]] | None = None
) -> list[Step]:
    """Steps turning ``old`` into ``new``; ``outside`` holds existing items beyond this scope (they are
    only touched when they depend on something re-created here)."""
    if outside is None:  # not ``or``: a view's truth value would count it
        outside = {}
    deletes: dict[str, Item[Value]] = {}
    creates: dict[str, Item[Value]] = {}
    updates: dict[str, tuple[Item[Value], Item[Value], VppCall]] = {}
    recreated: set[str] = set()
    for k in old.keys() | new.keys():
        o, n = old.get(k), new.get(k)
        if n is None:
            assert o is not None
            deletes[k] = o
        elif o is None:
            creates[k] = n
        elif o.kind != n.kind:
            deletes[k], creates[k] = o, n
            recreated.add(k)
        else:
            desc = DESCRIPTORS[n.kind]
            if desc.equivalent(o, n):
                continue
            call = desc.update(o, n)
            if call is None:
                deletes[k], creates[k] = o, n
                recreated.add(k)
            else:
                updates[k] = (o, n, call)
    # An item whose descriptor ``guards_dependants`` (a table binding: VPP refuses it while the
    # interface has addresses of that family) cannot be created, deleted or changed under its
    # dependants: they are removed before it and added back after it, even when they did not change.
    # (Only for an interface that stays: a new or deleted one brings or takes its dependants anyway.)
    guarded = set()
    for k in deletes.keys() | creates.keys():
        it = creates.get(k) or deletes[k]
        if DESCRIPTORS[it.kind].guards_dependants:
            owner = keys.interface(str(it.owner))
            if owner not in creates and owner not in deletes:
                guarded.add(k)
    if recreated or guarded:
        _cascade(recreated | guarded, old, new, outside, deletes, creates, updates)
    late = _late_deletes(deletes, updates)
    steps = _delete_steps({k: it for k, it in deletes.items() if k not in late})
    first = 1 + max((s.wave for s in steps), default=-1)
    steps += _forward_steps(creates, updates, first)
    if late:
        # after the updates that stop using them (an ACL taken off an interface's list, then deleted)
        last = 1 + max((s.wave for s in steps), default=-1)
        steps += [
            Step("delete", k, it.kind, DESCRIPTORS[it.kind].delete(it), last, it) for k, it in late.items()
        ]
    # Within a wave: by the items' order hint, then by key. Interface addresses carry (family, table),
    # so all IPv4 adds of one table go out together: on real VPP the 20,000 address adds of the
    # 10,000-sub-interface bench took 34-44 s alternating between two VRFs and 8 s grouped
    # (docs/southbound.md, "Call order within a wave").
    steps.sort(key=lambda s: (s.wave, s.item.order, s.key))
    return steps


def _late_deletes(
    deletes: dict[str, Item[Value]], updates: dict[str, tuple[Item[Value], Item[Value], VppCall]]
) -> dict[str, Item[Value]]:
    """Deletes VPP refuses while used, of items an updated item used before the update (and that
    depend on nothing deleted in this plan, whose order they would otherwise break)."""
    used = {d for o, _, _ in updates.values() for d in o.deps}
    return {
        k: it
        for k, it in deletes.items()
        if k in used
        and DESCRIPTORS[it.kind].delete_refused_while_used
        and not any(d in deletes for d in it.deps)
    }


def _cascade(
    recreated: set[str],
    old: dict[str, Item[Value]],
    new: dict[str, Item[Value]],
    outside: Mapping[str, Item[Value]],
    deletes: dict[str, Item[Value]],
    creates: dict[str, Item[Value]],
    updates: dict[str, tuple[Item[Value], Item[Value], VppCall]],
) -> None:
    """Re-create every existing item that depends (transitively) on a re-created one, by its
    dependencies before or after the change (an address that gains or loses its table binding)."""
    before = {**outside, **old}
    after = {**{k: v for k, v in outside.items() if k not in old}, **new}
    dependants: dict[str, set[str]] = {}
    for it in before.values():
        for d in it.deps:
            dependants.setdefault(d, set()).add(it.key)
    for it in new.values():
        for d in it.deps:
            if d in recreated:
                dependants.setdefault(d, set()).add(it.key)
    todo = list(recreated)
    while todo:
        k = todo.pop()
        for d in sorted(dependants.get(k, ())):
            if d in deletes:
                continue
            o, n = before.get(d), after.get(d)
            if o is None or n is None:
                continue
            updates.pop(d, None)
            deletes[d], creates[d] = o, n
            todo.append(d)


def _depths(items: dict[str, Item[Value]]) -> dict[str, int]:
    """Longest chain of dependencies inside ``items`` below each item (0: depends on nothing here)."""
    depth: dict[str, int] = {}

    def visit(k: str, stack: int) -> int:
        got = depth.get(k)
        if got is not None:
            return got
        if stack > len(items):
            raise ValueError(f"dependency cycle through {k}")
        d = 0
        for dep in items[k].deps:
            if dep in items:
                d = max(d, 1 + visit(dep, stack + 1))
        depth[k] = d
        return d

    for k in items:
        visit(k, 0)
    return depth


def _delete_steps(deletes: dict[str, Item[Value]]) -> list[Step]:
    depth = _depths(deletes)
    top = max(depth.values(), default=0)
    # An interface that is really deleted in VPP takes its addresses, flags, tag, binding with it.
    dying = {
        keys.rest(k)
        for k, it in deletes.items()
        if keys.is_interface(k) and DESCRIPTORS[it.kind].delete(it) is not None
    }
    steps = []
    for k, it in deletes.items():
        desc = DESCRIPTORS[it.kind]
        implied = desc.implied_by_owner_delete and it.owner is not None and it.owner in dying
        call = None if implied else desc.delete(it)
        owner = keys.interface(it.owner) if implied and it.owner is not None else None
        steps.append(Step("delete", k, it.kind, call, top - depth[k], it, owner))
    return steps


def _forward_steps(
    creates: dict[str, Item[Value]], updates: dict[str, tuple[Item[Value], Item[Value], VppCall]], first: int
) -> list[Step]:
    scope = {**creates, **{k: n for k, (_, n, _) in updates.items()}}
    depth = _depths(scope)
    steps = []
    for k, it in creates.items():
        desc = DESCRIPTORS[it.kind]
        steps.append(Step("create", k, it.kind, desc.create(it), first + depth[k], it))
    for k, (o, n, call) in updates.items():
        steps.append(Step("update", k, n.kind, call, first + depth[k], n, old=o))
    return steps
