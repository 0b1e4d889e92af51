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
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import libyang
from _libyang import ffi, lib

from agent.datastore.tree import DataTree

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
            src = self._as_tree(data)
            if src is None or src.empty:
                continue
            box = ffi.new("struct lyd_node **", tree.root)
            ret = lib.lyd_merge_siblings(box, src.root, lib.LYD_MERGE_DESTRUCT)
            if ret == lib.LY_SUCCESS:
                src.release()
            tree.root = box[0]
            lib.ly_err_clean(self._ctx.cdata, ffi.NULL)

    def _as_tree(self, data: ProviderResult) -> DataTree | None:
        if data is None:
            return None
        if isinstance(data, DataTree):
            return data
        if isinstance(data, libyang.DNode):
            return DataTree.adopt(self._ctx, data)
        text = data if isinstance(data, str) else json.dumps(data)
        out = ffi.new("struct lyd_node **")
        opts = lib.LYD_PARSE_ONLY | lib.LYD_PARSE_STRICT
        if (
            lib.lyd_parse_data_mem(self._ctx.cdata, text.encode(), lib.LYD_JSON, opts, 0, out)
            != lib.LY_SUCCESS
        ):
            lib.ly_err_clean(self._ctx.cdata, ffi.NULL)
            return None
        return DataTree(self._ctx, out[0])


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
