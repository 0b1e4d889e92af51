"""Does a changed data path concern a subscription?

A subscription's XPath (from :func:`agent.model.paths.gnmi_to_xpath`: ``/m:a/b[k='v']/*``, ``//`` for
``...``) is compared element by element with the path of a committed or operational change. The answer
is one of: the change is at or below a node the subscription selects (``INSIDE``: everything the change
touched is wanted), above such a node (``CONTAINS``: the wanted nodes are somewhere in the changed
subtree), or unrelated (``None``). Module prefixes are compared only when both sides carry one: libyang
paths qualify an element only where the module changes.
"""

from __future__ import annotations

from functools import lru_cache

from agent.gnmi.datapath import Elem, split_data_path

INSIDE = "inside"
CONTAINS = "contains"
_DESC = ("//", ())


@lru_cache(maxsize=4096)
def split_pattern(xpath: str) -> tuple[Elem, ...]:
    """Split a subscription XPath; ``//`` becomes a descendants marker element."""
    if xpath in ("/*", "/"):
        return (_DESC,)
    out: list[Elem] = []
    for i, part in enumerate(xpath.split("//")):
        if i:
            out.append(_DESC)
        part = part.rstrip("/")
        if (part and part != "*") or (part == "*" and i == 0):
            out.extend(split_data_path(part if part.startswith("/") else "/" + part))
    return tuple(out)


def _local(name: str) -> tuple[str | None, str]:
    mod, _, local = name.rpartition(":")
    return (mod or None), local


def _elem_matches(pat: Elem, got: Elem) -> bool:
    pname, pkeys = pat
    gname, gkeys = got
    pmod, plocal = _local(pname)
    gmod, glocal = _local(gname)
    if plocal != "*" and plocal != glocal:
        return False
    if pmod and gmod and pmod != gmod:
        return False
    if pkeys:
        have = dict(gkeys)
        return all(have.get(k) == v for k, v in pkeys)
    return True


def relation(change_path: str, pattern: tuple[Elem, ...]) -> str | None:
    """INSIDE, CONTAINS or None for the data path ``change_path`` against a split subscription XPath."""
    path = split_data_path(change_path)
    return _rel(path, 0, pattern, 0)


def _rel(path: tuple[Elem, ...], i: int, pat: tuple[Elem, ...], j: int) -> str | None:
    while True:
        if j == len(pat):
            return INSIDE
        if pat[j] == _DESC:
            if j + 1 == len(pat):
                return INSIDE
            # "//" matches zero or more elements: try every split point
            best: str | None = None
            for k in range(i, len(path) + 1):
                r = _rel(path, k, pat, j + 1)
                if r == INSIDE:
                    return INSIDE
                best = best or r
            return best or CONTAINS
        if i == len(path):
            return CONTAINS
        if not _elem_matches(pat[j], path[i]):
            return None
        i += 1
        j += 1
