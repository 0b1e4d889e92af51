"""Splitting libyang data paths into gNMI-style elements, without a schema lookup or protobuf.

libyang names a node ``/ietf-interfaces:interfaces/interface[name='eth0']/ietf-ip:ipv4``: module-qualified
exactly where the module changes (the RFC 7951 rule gNMI JSON-IETF clients expect), keys in predicates
quoted with ``'`` or ``"``. Splits are cached because SAMPLE subscriptions name the same nodes every
interval. Kept free of the generated protobuf modules so that pure logic can be tested anywhere.
"""

from __future__ import annotations

from functools import lru_cache

Elem = tuple[str, tuple[tuple[str, str], ...]]


@lru_cache(maxsize=200_000)
def split_data_path(path: str) -> tuple[Elem, ...]:
    """``/m:a/b[k='v'][j="w"]`` -> ``(("m:a", ()), ("b", (("k", "v"), ("j", "w"))))``."""
    out: list[Elem] = []
    i, n = 0, len(path)
    while i < n:
        if path[i] != "/":
            raise ValueError(f"bad data path {path!r} at {i}")
        i += 1
        start = i
        while i < n and path[i] not in "/[":
            i += 1
        name = path[start:i]
        keys: list[tuple[str, str]] = []
        while i < n and path[i] == "[":
            eq = path.index("=", i)
            key = path[i + 1 : eq].strip()
            key = key.split(":", 1)[1] if ":" in key else key
            quote = path[eq + 1]
            end = path.index(quote, eq + 2)
            keys.append((key, path[eq + 2 : end]))
            i = path.index("]", end) + 1
        out.append((name, tuple(keys)))
    return tuple(out)


def split_last(path: str) -> tuple[str, str]:
    """(parent path, last segment) of a data path; a ``/`` inside a key predicate does not count."""
    depth = 0
    quote = ""
    cut = -1
    for i, ch in enumerate(path):
        if quote:
            if ch == quote:
                quote = ""
        elif depth:
            if ch in "'\"":
                quote = ch
            elif ch == "]":
                depth -= 1
        elif ch == "[":
            depth += 1
        elif ch == "/":
            cut = i
    return path[:cut] if cut > 0 else "", path[cut + 1 :]
