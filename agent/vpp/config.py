"""The part of running config the southbound programs, indexed by root, and change replay onto it.

The southbound keeps its own JSON-IETF copy of the configuration it has applied, indexed by *root*: one
entry of a top-level list (one interface, one VRF) or one top-level container (global routing). Which
YANG top-level nodes are roots, and which feature owns each, comes from the feature registry
(:mod:`agent.features.registry`) as :class:`RootSpec` records; nothing here names a YANG node.

A commit's :class:`~agent.datastore.changes.Change` list names the roots it touches; the planner replays
the changes onto copies of just those roots, so planning costs the size of the change, not of the
configuration. The index also keeps, per root, the roots whose items are built from it (an interface
bound to a VRF reads the VRF's table id; a bond member reads its bond's LACP rate), so a change of one
root re-flattens exactly the roots that read it.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from agent.datastore.changes import Change
from agent.datastore.diff import split_path

#: A configuration entry in JSON-IETF (one list entry or one container), as libyang prints it.
Entry = dict[str, Any]


class RootId(NamedTuple):
    """One root: ``kind`` names the :class:`RootSpec`, ``name`` the list entry's key ("" for a container)."""

    kind: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class RootSpec:
    """A YANG top-level node whose entries are roots.

    ``top`` is the JSON-IETF member name (``ietf-interfaces:interfaces``); ``list_name`` the list under
    it whose entries (keyed by ``key``, ``name`` by default) are one root each, or ``None`` when the whole
    container is one root. The list may sit below containers (``attachment-points/interface``), and
    one top-level node may hold several such lists (``ietf-access-control-list:acls`` has ACLs and
    their interface attachments). ``kind`` is the short id used in :class:`RootId` and ``order`` sorts
    roots for a full flatten.
    """

    kind: str
    top: str
    list_name: str | None = None
    order: int = 0
    key: str = "name"

    @property
    def list_path(self) -> tuple[str, ...]:
        return tuple(self.list_name.split("/")) if self.list_name else ()


#: For a root and its entry: the other roots its items are built from.
References = Callable[[RootId, Entry], Iterable[RootId]]


class Roots:
    """The root specs of all features, by ``kind`` and by YANG top-level node."""

    def __init__(self, specs: Sequence[RootSpec], references: References | None = None) -> None:
        self.specs = sorted(specs, key=lambda s: s.order)
        self.by_kind = {s.kind: s for s in self.specs}
        self.by_top: dict[str, list[RootSpec]] = {}
        for s in self.specs:
            self.by_top.setdefault(s.top, []).append(s)
        places = {(s.top, s.list_name) for s in self.specs}
        whole = [
            t for t, specs in self.by_top.items() if len(specs) > 1 and any(not x.list_name for x in specs)
        ]
        if len(self.by_kind) != len(self.specs) or len(places) != len(self.specs) or whole:
            raise ValueError("two features claim the same root")
        self.references: References = references or (lambda root, entry: ())


_PRED = re.compile(r"\[([^=\]]+)=(?:'([^']*)'|\"([^\"]*)\")\]")


def parse_segment(seg: str) -> tuple[str, list[tuple[str, str]]]:
    """``interface[name='x']`` -> (``interface``, [(``name``, ``x``)])."""
    cut = seg.find("[")
    if cut < 0:
        return seg, []
    preds = [
        (m.group(1).strip(), m.group(2) if m.group(2) is not None else m.group(3))
        for m in _PRED.finditer(seg)
    ]
    return seg[:cut], preds


def _local(name: str) -> str:
    return name.rpartition(":")[2]


class ConfigIndex:
    """Roots of the configuration the southbound cares about, as JSON-IETF dicts."""

    def __init__(self, roots: Roots) -> None:
        self.spec = roots
        self.tables: dict[str, dict[str, Entry]] = {s.kind: {} for s in roots.specs}
        # root -> roots whose items read it (see the module docstring)
        self.readers: dict[RootId, set[RootId]] = {}

    @classmethod
    def from_json(cls, doc: dict[str, Any] | str | None, roots: Roots) -> ConfigIndex:
        if isinstance(doc, str):
            doc = json.loads(doc) if doc.strip() else {}
        doc = doc or {}
        idx = cls(roots)
        for spec in roots.specs:
            top = doc.get(spec.top)
            table = idx.tables[spec.kind]
            if spec.list_name is None:
                if top:
                    table[""] = top
                continue
            for entry in _entries(top, spec.list_path):
                table[str(entry[spec.key])] = entry
        for root in idx.roots():
            idx._add_refs(root, idx.get(root))
        return idx

    def get(self, root: RootId) -> Entry | None:
        return self.tables[root.kind].get(root.name)

    def names(self, kind: str) -> Iterable[str]:
        """Entry names of one root kind (``"if"``: every configured interface)."""
        return self.tables[kind].keys()

    def entries(self, kind: str) -> dict[str, Entry]:
        return self.tables[kind]

    def put(self, root: RootId, entry: Entry | None) -> None:
        table = self.tables[root.kind]
        self._drop_refs(root, table.get(root.name))
        if entry is None:
            table.pop(root.name, None)
        else:
            table[root.name] = entry
            self._add_refs(root, entry)

    def roots(self) -> list[RootId]:
        return [RootId(s.kind, n) for s in self.spec.specs for n in self.tables[s.kind]]

    def readers_of(self, roots: Iterable[RootId]) -> set[RootId]:
        """Roots whose items read one of ``roots``, transitively (they must be flattened again)."""
        out: set[RootId] = set()
        todo = list(roots)
        while todo:
            for r in self.readers.get(todo.pop(), ()):
                if r not in out:
                    out.add(r)
                    todo.append(r)
        return out

    def _add_refs(self, root: RootId, entry: Entry | None) -> None:
        if entry is None:
            return
        for ref in self.spec.references(root, entry):
            if ref != root:
                self.readers.setdefault(ref, set()).add(root)

    def _drop_refs(self, root: RootId, entry: Entry | None) -> None:
        if entry is None:
            return
        for ref in self.spec.references(root, entry):
            readers = self.readers.get(ref)
            if readers is not None:
                readers.discard(root)
                if not readers:
                    del self.readers[ref]


class Overlay:
    """New versions of the roots a commit touches, on top of a :class:`ConfigIndex` (copy on write)."""

    def __init__(self, base: ConfigIndex) -> None:
        self.base = base
        self.roots: dict[RootId, Entry | None] = {}
        # roots holding a Change's value as is (not copied): copied before any in-place edit
        self._borrowed: set[RootId] = set()

    def get(self, root: RootId) -> Entry | None:
        if root in self.roots:
            return self.roots[root]
        return self.base.get(root)

    def _writable(self, root: RootId) -> Entry | None:
        if root not in self.roots:
            self.roots[root] = copy.deepcopy(self.base.get(root))
        elif root in self._borrowed:
            self._borrowed.discard(root)
            self.roots[root] = copy.deepcopy(self.roots[root])
        return self.roots[root]

    def names(self, kind: str) -> set[str]:
        """Entry names of one root kind after the changes replayed so far."""
        names = set(self.base.names(kind))
        for (k, name), entry in self.roots.items():
            if k == kind:
                if entry is None:
                    names.discard(name)
                else:
                    names.add(name)
        return names

    def commit(self) -> None:
        """Make the overlay the new base (after VPP accepted it). Borrowed values stay shared with the
        Change records, which nobody modifies; the base is only ever edited through copies."""
        for root, entry in self.roots.items():
            self.base.put(root, entry)
        self.roots = {}
        self._borrowed = set()

    # ---------------------------------------------------------------- change replay

    def apply(self, change: Change) -> list[RootId]:
        """Replay one change; returns the roots it touched (none: not something the southbound programs)."""
        segs = split_path(change.path)
        if not segs:
            return []
        touched: list[RootId] = []
        for spec in self.base.spec.by_top.get(segs[0], ()):
            if spec.list_name is None:
                return [self._apply_in_root(RootId(spec.kind), segs[1:], change)]
            path = spec.list_path
            inner = segs[1:]
            depth = min(len(inner), len(path))
            if any(parse_segment(inner[i])[0].rpartition(":")[2] != path[i] for i in range(depth)):
                continue
            if len(inner) < len(path):
                # the change creates or deletes a container above the list (the top-level node itself)
                touched += self._replace_above(spec, len(inner), change)
                continue
            key = dict(parse_segment(inner[len(path) - 1])[1]).get(spec.key)
            if key is not None:
                touched.append(self._apply_in_root(RootId(spec.kind, key), inner[len(path) :], change))
        return touched

    def _replace_above(self, spec: RootSpec, depth: int, change: Change) -> list[RootId]:
        """A create/delete of a container holding a root list (``/ietf-interfaces:interfaces``): every
        entry it had or has is touched. ``depth``: how many levels of the list's path the change's node
        is below the top-level node."""
        assert spec.list_name is not None
        rest = spec.list_path[depth:]
        names: set[str] = set()
        for doc in (change.old, change.new):
            if isinstance(doc, dict):
                for e in _entries(doc, rest):
                    names.add(str(e[spec.key]))
        if change.op == "delete":
            for n in list(self.names(spec.kind)):
                self.roots[RootId(spec.kind, n)] = None
                names.add(n)
        else:
            doc = change.new if isinstance(change.new, dict) else {}
            for e in _entries(doc, rest):
                self.roots[RootId(spec.kind, str(e[spec.key]))] = copy.deepcopy(e)
        return [RootId(spec.kind, n) for n in sorted(names)]

    def _apply_in_root(self, root: RootId, rest: list[str], change: Change) -> RootId:
        spec = self.base.spec.by_kind[root.kind]
        keyed = spec.list_name is not None
        if not rest:
            if change.op == "delete":
                self.roots[root] = None
            else:
                fresh: Entry = change.new if isinstance(change.new, dict) else {}
                if keyed and fresh.get(spec.key) != root.name:
                    fresh = {**fresh, spec.key: root.name}
                self.roots[root] = fresh
                self._borrowed.add(root)
            return root
        entry = self._writable(root)
        if entry is None:
            entry = {spec.key: root.name} if keyed else {}
            self.roots[root] = entry
        _apply_path(entry, rest, change)
        return root


def _entries(doc: Any, path: tuple[str, ...]) -> list[Entry]:
    """The entries of the list at ``path`` (local names) below a JSON-IETF container."""
    for name in path[:-1]:
        doc = doc.get(_member(doc, name)) if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or not path:
        return []
    found = doc.get(_member(doc, path[-1]), [])
    return found if isinstance(found, list) else []


def _match(entry: Any, preds: list[tuple[str, str]]) -> bool:
    if not isinstance(entry, dict):
        return False
    for k, v in preds:
        have = entry.get(k)
        if have is None:
            have = next((x for kk, x in entry.items() if _local(kk) == k), None)
        text = str(have).lower() if isinstance(have, bool) else str(have)
        if text != v:
            return False
    return True


def _member(node: dict[str, Any], name: str) -> str:
    """The JSON member for a path segment name (a prefix appears when the module changes, in both)."""
    if name in node:
        return name
    local = _local(name)
    for k in node:
        if _local(k) == local:
            return k
    return name


def _apply_path(node: dict[str, Any], segs: list[str], change: Change) -> None:
    for i, seg in enumerate(segs):
        name, preds = parse_segment(seg)
        last = i == len(segs) - 1
        member = _member(node, name)
        if preds and preds[0][0] == ".":  # leaf-list entry
            values = node.setdefault(member, [])
            if change.op == "delete":
                node[member] = [x for x in values if str(x) != preds[0][1]]
            elif change.new not in values:
                values.append(change.new)
            return
        if preds:
            entries = node.setdefault(member, [])
            found = next((e for e in entries if _match(e, preds)), None)
            if last:
                if change.op == "delete":
                    node[member] = [e for e in entries if e is not found]
                    return
                new = copy.deepcopy(change.new) if isinstance(change.new, dict) else {}
                for k, v in preds:
                    new.setdefault(k, _typed(v, found, k))
                if found is not None:
                    entries[entries.index(found)] = new
                else:
                    entries.append(new)
                return
            if found is None:
                found = {k: v for k, v in preds}
                entries.append(found)
            node = found
            continue
        if last:
            if change.op == "delete":
                node.pop(member, None)
            else:
                node[member] = copy.deepcopy(change.new)
            return
        child = node.get(member)
        if not isinstance(child, dict):
            child = node[member] = {}
        node = child


def _typed(text: str, sample: dict[str, Any] | None, key: str) -> Any:
    if sample is not None and isinstance(sample.get(key), int):
        return int(text)
    return text
