"""The part of running config the southbound programs, indexed by root, and change replay onto it.

The southbound keeps its own JSON-IETF copy of the configuration it has applied, indexed by *root*
(one interface entry, one VRF entry, the global routing container). A commit's
:class:`~agent.datastore.changes.Change` list names the roots it touches; the planner replays the changes
onto copies of just those roots, so planning costs the size of the change, not of the configuration.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

from agent.datastore.changes import Change
from agent.datastore.diff import split_path

IF_TOP = "ietf-interfaces:interfaces"
VRF_TOP = "bng-vrf:vrfs"
GLOBAL_TOP = "bng-vrf:global-routing"

RootId = tuple[str, str]  # ("if", name) | ("vrf", name) | ("global", "")
GLOBAL_ROOT: RootId = ("global", "")

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


@dataclass
class ConfigIndex:
    """Roots of the configuration the southbound cares about, as JSON-IETF dicts."""

    interfaces: dict[str, dict[str, Any]] = field(default_factory=dict)
    vrfs: dict[str, dict[str, Any]] = field(default_factory=dict)
    global_routing: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, doc: dict[str, Any] | str | None) -> ConfigIndex:
        if isinstance(doc, str):
            doc = json.loads(doc) if doc.strip() else {}
        doc = doc or {}
        idx = cls()
        for entry in (doc.get(IF_TOP) or {}).get("interface", []):
            idx.interfaces[str(entry["name"])] = entry
        for entry in (doc.get(VRF_TOP) or {}).get("vrf", []):
            idx.vrfs[str(entry["name"])] = entry
        g = doc.get(GLOBAL_TOP)
        idx.global_routing = g if g else None
        return idx

    def get(self, root: RootId) -> dict[str, Any] | None:
        kind, name = root
        if kind == "if":
            return self.interfaces.get(name)
        if kind == "vrf":
            return self.vrfs.get(name)
        return self.global_routing

    def put(self, root: RootId, entry: dict[str, Any] | None) -> None:
        kind, name = root
        if kind == "global":
            self.global_routing = entry
            return
        table = self.interfaces if kind == "if" else self.vrfs
        if entry is None:
            table.pop(name, None)
        else:
            table[name] = entry

    def roots(self) -> list[RootId]:
        out: list[RootId] = [("vrf", n) for n in self.vrfs]
        out += [("if", n) for n in self.interfaces]
        if self.global_routing is not None:
            out.append(GLOBAL_ROOT)
        return out


class Overlay:
    """New versions of the roots a commit touches, on top of a :class:`ConfigIndex` (copy on write)."""

    def __init__(self, base: ConfigIndex) -> None:
        self.base = base
        self.roots: dict[RootId, dict[str, Any] | None] = {}
        # roots holding a Change's value as is (not copied): copied before any in-place edit
        self._borrowed: set[RootId] = set()

    def get(self, root: RootId) -> dict[str, Any] | None:
        if root in self.roots:
            return self.roots[root]
        return self.base.get(root)

    def _writable(self, root: RootId) -> dict[str, Any] | None:
        if root not in self.roots:
            self.roots[root] = copy.deepcopy(self.base.get(root))
        elif root in self._borrowed:
            self._borrowed.discard(root)
            self.roots[root] = copy.deepcopy(self.roots[root])
        return self.roots[root]

    def interface_names(self) -> set[str]:
        names = set(self.base.interfaces)
        for (kind, name), entry in self.roots.items():
            if kind == "if":
                if entry is None:
                    names.discard(name)
                else:
                    names.add(name)
        return names

    def vrf_names(self) -> set[str]:
        names = set(self.base.vrfs)
        for (kind, name), entry in self.roots.items():
            if kind == "vrf":
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

    def apply(self, change: Change) -> RootId | None:
        """Replay one change; returns the root it touched (None: not something the southbound programs)."""
        segs = split_path(change.path)
        if not segs:
            return None
        top = segs[0]
        if top not in (IF_TOP, VRF_TOP, GLOBAL_TOP):
            return None
        if top == GLOBAL_TOP:
            return self._apply_in_root(GLOBAL_ROOT, segs[1:], change, top_container=True)
        if len(segs) == 1:
            self._replace_top(top, change)
            return None
        _, preds = parse_segment(segs[1])
        key = dict(preds).get("name")
        if key is None:
            return None
        root: RootId = ("if" if top == IF_TOP else "vrf", key)
        return self._apply_in_root(root, segs[2:], change)

    def touched_by_top(self, change: Change) -> list[RootId]:
        """Roots a create/delete of a whole top container (``/ietf-interfaces:interfaces``) touches."""
        segs = split_path(change.path)
        if len(segs) != 1 or segs[0] not in (IF_TOP, VRF_TOP):
            return []
        kind = "if" if segs[0] == IF_TOP else "vrf"
        names: set[str] = set()
        for doc in (change.old, change.new):
            if isinstance(doc, dict):
                for e in doc.get("interface" if kind == "if" else "vrf", []):
                    names.add(str(e["name"]))
        return [(kind, n) for n in sorted(names)]

    def _replace_top(self, top: str, change: Change) -> None:
        kind = "if" if top == IF_TOP else "vrf"
        list_name = "interface" if kind == "if" else "vrf"
        if change.op == "delete":
            for n in list(self.interface_names() if kind == "if" else self.vrf_names()):
                self.roots[(kind, n)] = None
            return
        doc = change.new if isinstance(change.new, dict) else {}
        for e in doc.get(list_name, []):
            self.roots[(kind, str(e["name"]))] = copy.deepcopy(e)

    def _apply_in_root(
        self, root: RootId, rest: list[str], change: Change, top_container: bool = False
    ) -> RootId:
        if not rest:
            if change.op == "delete":
                self.roots[root] = None
            else:
                fresh: dict[str, Any] = change.new if isinstance(change.new, dict) else {}
                if root[0] != "global" and fresh.get("name") != root[1]:
                    fresh = {**fresh, "name": root[1]}
                self.roots[root] = fresh
                self._borrowed.add(root)
            return root
        entry = self._writable(root)
        if entry is None:
            entry = {"name": root[1]} if root[0] != "global" else {}
            self.roots[root] = entry
        _apply_path(entry, rest, change)
        return root


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
