"""The operational datastore's plug-in point (NMDA, RFC 8342 section 5.3).

Operational state is not stored here: later layers (telemetry, subscriber manager) register a provider
per subtree, and a read of ``operational`` merges intended configuration with what the providers whose
subtree the read asks for return at that moment. Providers are plain callables so that they stay
decoupled from the datastore: each returns a fresh libyang tree (which the datastore then owns and
frees), a JSON-IETF text, or a JSON-IETF object.

A provider registered with :meth:`OperationalRegistry.register_scoped` also receives the paths the read
asks for (XPath / gNMI-style data paths, only those that overlap its subtree; None for the whole subtree),
so that a read of one list entry builds that entry and not 10,000 of them. Providers are free to return
more than was asked for: the read's own filter still selects the result.

Large documents: a provider may return a :class:`JsonParts` (a JSON-IETF text that also carries the same
document cut into parts of a few hundred list entries). The registry parses the parts in parallel worker
threads (libyang's parser runs without the GIL), keeps the parsed trees of the last such object each
provider returned, and merges copies of them while the provider keeps returning that same object (a
telemetry snapshot's document, built once per poll): the parse is paid once per snapshot, not per read.
Merging part by part also keeps libyang 2.1's merge linear: ``lyd_merge_siblings`` looks each matched
list entry up in a per-sibling-set array of earlier matches, which is quadratic in the number of entries
both trees share (0.4 s for 5,000 configured interfaces among 10,000, 10 ms in parts of 250).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import libyang
from _libyang import ffi, lib

from agent.datastore.tree import DataTree


class JsonParts(str):
    """A JSON-IETF document (the ``str`` value, for consumers that read the text) that also carries the
    same document as ``parts``: complete JSON-IETF texts, each a slice of the document's list entries, whose
    merge in order is the document. See the module doc for what the registry does with it.

    The parts must list every node's children in schema order (as libyang prints them): they are parsed
    with ``LYD_PARSE_ORDERED``, which skips the parser's search for each node's place (a fifth of the
    parse's instructions)."""

    parts: tuple[str, ...]

    def __new__(cls, parts: Sequence[str], whole: str | None = None) -> JsonParts:
        self = super().__new__(cls, whole if whole is not None else "")
        self.parts = tuple(parts)
        return self


#: worker threads parsing the parts of one :class:`JsonParts` (the CI machine has 2 cores)
PARSE_THREADS = 2

ProviderResult = libyang.DNode | DataTree | str | dict[str, Any] | None
Provider = Callable[[], ProviderResult]
#: ``provider(paths)``: ``paths`` are the requested data paths under its subtree, or None for all of it.
ScopedProvider = Callable[[list[str] | None], ProviderResult]


@dataclass(frozen=True)
class Registration:
    id: int
    path_prefix: str
    provider: Provider  # the whole subtree (also for scoped providers: called with None)
    scoped: ScopedProvider | None = None

    def fetch(self, paths: list[str] | None) -> ProviderResult:
        """The provider's data for a read of ``paths`` (None = everything)."""
        if self.scoped is None:
            return self.provider()
        if paths is not None:
            paths = [p for p in paths if _overlaps(self.path_prefix, p)]
        return self.scoped(paths or None)


class OperationalRegistry:
    """Providers of operational data keyed by the data path prefix they cover."""

    def __init__(self, ctx: libyang.Context) -> None:
        self._ctx = ctx
        self._ids = itertools.count(1)
        self._regs: dict[int, Registration] = {}
        # per registration: the last JsonParts it returned and that document's parsed parts (never
        # modified: reads merge copies, so concurrent readers may share them)
        self._parsed: dict[int, tuple[JsonParts, list[DataTree]]] = {}
        self._parse_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def register(self, path_prefix: str, provider: Provider) -> int:
        """Add a provider for the subtree at ``path_prefix`` (e.g. ``/ietf-interfaces:interfaces``).

        Returns a handle for :meth:`unregister`.
        """
        reg = Registration(next(self._ids), path_prefix.rstrip("/") or "/", provider)
        self._regs[reg.id] = reg
        return reg.id

    def register_scoped(self, path_prefix: str, provider: ScopedProvider) -> int:
        """Like :meth:`register`, for a provider that takes the requested paths (see the module doc)."""
        reg = Registration(
            next(self._ids), path_prefix.rstrip("/") or "/", lambda: provider(None), scoped=provider
        )
        self._regs[reg.id] = reg
        return reg.id

    def unregister(self, handle: int) -> None:
        self._regs.pop(handle, None)
        self._parsed.pop(handle, None)

    def providers_for(self, paths: list[str] | None) -> list[Registration]:
        """Providers whose subtree overlaps any of ``paths`` (all of them when ``paths`` is None)."""
        if paths is None:
            return list(self._regs.values())
        out = []
        for reg in self._regs.values():
            if any(_overlaps(reg.path_prefix, p) for p in paths):
                out.append(reg)
        return out

    def merge_into(self, tree: DataTree, paths: list[str] | None) -> None:
        """Merge the data of the relevant providers into ``tree`` (a private copy the caller owns)."""
        for reg in self.providers_for(paths):
            data = reg.fetch(paths)
            if isinstance(data, JsonParts):
                for part in self._parts_trees(reg.id, data):
                    if not part.empty:
                        self._merge(tree, part, destruct=False)
                continue
            src = self._as_tree(data)
            if src is not None and not src.empty:
                self._merge(tree, src, destruct=True)

    def _merge(self, tree: DataTree, src: DataTree, *, destruct: bool) -> None:
        box = ffi.new("struct lyd_node **", tree.root)
        ret = lib.lyd_merge_siblings(box, src.root, lib.LYD_MERGE_DESTRUCT if destruct else 0)
        if destruct and ret == lib.LY_SUCCESS:
            src.release()
        tree.root = box[0]
        lib.ly_err_clean(self._ctx.cdata, ffi.NULL)

    def _parts_trees(self, reg_id: int, doc: JsonParts) -> list[DataTree]:
        """The parsed parts of ``doc``: cached while the provider returns this same object."""
        with self._parse_lock:
            cached = self._parsed.get(reg_id)
            if cached is not None and cached[0] is doc:
                return cached[1]
            trees = self.parse_parts(doc.parts)
            if reg_id in self._regs:
                self._parsed[reg_id] = (doc, trees)
            if cached is not None and self._pool is not None:
                # the previous snapshot's trees are freed by a worker (50 ms at 10,000 interfaces), or
                # by the last reader still merging from them
                old = cached[1]
                del cached
                self._pool.submit(old.clear)
            return trees

    def parse_parts(self, parts: Sequence[str]) -> list[DataTree]:
        """All parts parsed, or none when libyang rejects any (as a one-text document would be)."""
        if len(parts) < 2:
            trees = [self._parse_text(p, ordered=True) for p in parts]
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(PARSE_THREADS, thread_name_prefix="oper-parse")
            trees = list(self._pool.map(self._parse_ordered, parts))
        if any(t is None for t in trees):
            for t in trees:
                if t is not None:
                    t.close()
            return []
        return [t for t in trees if t is not None]

    def _parse_ordered(self, text: str) -> DataTree | None:
        return self._parse_text(text, ordered=True)

    def _parse_text(self, text: str, *, ordered: bool = False) -> DataTree | None:
        """JSON-IETF text as a tree (parse only: operational data need not be valid); None if libyang
        rejects it. Runs in worker threads: cffi releases the GIL for the parse. ``ordered``: the text is
        known to be in schema order (see :class:`JsonParts`)."""
        out = ffi.new("struct lyd_node **")
        opts = lib.LYD_PARSE_ONLY | lib.LYD_PARSE_STRICT | (lib.LYD_PARSE_ORDERED if ordered else 0)
        if (
            lib.lyd_parse_data_mem(self._ctx.cdata, text.encode(), lib.LYD_JSON, opts, 0, out)
            != lib.LY_SUCCESS
        ):
            if out[0] != ffi.NULL:
                lib.lyd_free_all(out[0])
            lib.ly_err_clean(self._ctx.cdata, ffi.NULL)
            return None
        return DataTree(self._ctx, out[0])

    def _as_tree(self, data: ProviderResult) -> DataTree | None:
        if data is None:
            return None
        if isinstance(data, DataTree):
            return data
        if isinstance(data, libyang.DNode):
            return DataTree.adopt(self._ctx, data)
        return self._parse_text(data if isinstance(data, str) else json.dumps(data))


def _first_segment(path: str) -> str:
    seg = path.lstrip("/").split("/", 1)[0]
    return seg.split("[", 1)[0]


def xpath_union_members(path: str) -> list[str]:
    """Split an XPath at its top-level ``|`` (not inside quotes or predicates), members stripped."""
    out: list[str] = []
    depth, quote, start = 0, "", 0
    for i, ch in enumerate(path):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(path[start:i].strip())
            start = i + 1
    out.append(path[start:].strip())
    return out


def _overlaps(prefix: str, path: str) -> bool:
    """Can ``path`` (an XPath, maybe a union) select data under ``prefix``? Unsure means yes."""
    return any(_member_overlaps(prefix, member) for member in xpath_union_members(path))


def _member_overlaps(prefix: str, path: str) -> bool:
    if prefix == "/" or path in ("", "/") or path.startswith("//") or not path.startswith("/"):
        return True
    a, b = _first_segment(prefix), _first_segment(path)
    if b.split(":")[-1] == "*":
        return True
    if ":" not in b or ":" not in a:
        return a.split(":")[-1] == b.split(":")[-1]
    return a == b
