"""Conversions between the three ways a client names a data node.

* libyang data paths / XPath with module-name prefixes (RFC 7951 style), as the datastore uses them:
  ``/ietf-interfaces:interfaces/interface[name='eth0.100']/ietf-ip:ipv4``.
* gNMI paths, held neutrally as :class:`GnmiPath` so this layer does not depend on the generated
  protobuf classes: the first element is module-qualified (``ietf-interfaces:interfaces``) as gNMI
  JSON-IETF clients send it, later elements only where the module changes.
* YANG ``instance-identifier`` values (RFC 7950 section 9.13, RFC 7951 section 6.11).

Every conversion is schema-aware: names are resolved against the loaded libyang context (so a misspelt
element or a wrong key is rejected here, with the path in the message, rather than silently matching
nothing), an unqualified first gNMI element is accepted when exactly one module defines it, and keys are
emitted in the list's key order. Schema lookups are cached per context because conversion runs for every
gNMI update.

Why the quoting rules matter: key values such as interface names may hold ``/``, ``[``, ``]``, spaces
and quotes. XPath 1.0 literals have no escape character, so a value with one kind of quote is wrapped in
the other, and a value with both is written as ``concat('a', "'", 'b')`` (valid for libyang ``find_all``
/ XPath evaluation; libyang's simple path parser used by ``lyd_new_path`` does not accept ``concat``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import libyang
from _libyang import ffi, lib

from agent.errors import PathError

# gNMI origins (gNMI specification 2.2.2.1 and the "mixed schema" proposal).
ORIGIN_NONE = ""
ORIGIN_RFC7951 = "rfc7951"
_UNSUPPORTED_ORIGINS = frozenset({"openconfig", "cli"})

WILDCARD = "*"
DESCENDANTS = "..."


# --------------------------------------------------------------------------------------------------------
# neutral gNMI path


@dataclass(slots=True)
class PathElem:
    """One gNMI ``PathElem``: a (possibly module-qualified) node name and its list keys."""

    name: str
    keys: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class GnmiPath:
    """A gNMI ``Path`` without the protobuf: origin plus elements (``target`` is the server's business)."""

    origin: str = ""
    elems: list[PathElem] = field(default_factory=list)

    def join(self, other: GnmiPath) -> GnmiPath:
        """``prefix.join(path)``: the full path of ``path`` sent under this prefix (gNMI 2.4.1)."""
        if other.origin and self.origin and other.origin != self.origin:
            raise PathError(f"origin {other.origin!r} of the path differs from the prefix's {self.origin!r}")
        return GnmiPath(
            origin=self.origin or other.origin,
            elems=[PathElem(e.name, dict(e.keys)) for e in (*self.elems, *other.elems)],
        )

    def __str__(self) -> str:
        """The gNMI path-string form (``/a/b[k=v]``, ``]`` and ``\\`` escaped in values) for logs/CLIs."""
        parts = []
        for e in self.elems:
            name = e.name.replace("\\", "\\\\").replace("/", "\\/").replace("[", "\\[")
            keys = "".join(
                f"[{k}={v.replace(chr(92), chr(92) * 2).replace(']', chr(92) + ']')}]"
                for k, v in e.keys.items()
            )
            parts.append(name + keys)
        text = "/" + "/".join(parts)
        return f"{self.origin}:{text}" if self.origin else text


def parse_gnmi_string(text: str) -> GnmiPath:
    """Parse the gNMI path-string form produced by ``str(GnmiPath)`` (and by gnmic/pygnmi users)."""
    origin = ""
    slash = text.find("/")
    if slash > 0 and text[slash - 1] == ":" and "[" not in text[:slash]:
        origin, text = text[: slash - 1], text[slash:]
    if not text.startswith("/"):
        text = "/" + text
    elems: list[PathElem] = []
    i, n = 1, len(text)
    if text == "/":
        return GnmiPath(origin, elems)
    while i <= n:
        name_chars: list[str] = []
        keys: dict[str, str] = {}
        while i < n and text[i] not in "/[":
            if text[i] == "\\" and i + 1 < n:
                i += 1
            name_chars.append(text[i])
            i += 1
        while i < n and text[i] == "[":
            eq = text.find("=", i)
            if eq < 0:
                raise PathError(f"gNMI path {text!r}: key without '=' at offset {i}", path=text)
            key = text[i + 1 : eq]
            i = eq + 1
            value_chars: list[str] = []
            while i < n and text[i] != "]":
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                value_chars.append(text[i])
                i += 1
            if i >= n:
                raise PathError(f"gNMI path {text!r}: unterminated key predicate", path=text)
            keys[key] = "".join(value_chars)
            i += 1
        name = "".join(name_chars)
        if not name:
            raise PathError(f"gNMI path {text!r}: empty element at offset {i}", path=text)
        elems.append(PathElem(name, keys))
        if i < n and text[i] != "/":
            raise PathError(f"gNMI path {text!r}: unexpected {text[i]!r} at offset {i}", path=text)
        i += 1
    return GnmiPath(origin, elems)


# --------------------------------------------------------------------------------------------------------
# schema index


_KIND = {
    lib.LYS_CONTAINER: "container",
    lib.LYS_LIST: "list",
    lib.LYS_LEAF: "leaf",
    lib.LYS_LEAFLIST: "leaf-list",
    lib.LYS_ANYXML: "anyxml",
    lib.LYS_ANYDATA: "anydata",
    lib.LYS_RPC: "rpc",
    lib.LYS_ACTION: "action",
    lib.LYS_NOTIF: "notification",
    lib.LYS_INPUT: "input",
    lib.LYS_OUTPUT: "output",
}


class _SNode:
    """A schema node as path conversion needs it; children are looked up once and cached."""

    __slots__ = ("_children", "cdata", "keys", "kind", "module", "name")

    def __init__(self, name: str, module: str, kind: str, cdata: Any) -> None:
        self.name = name
        self.module = module
        self.kind = kind
        self.cdata = cdata
        self.keys: tuple[str, ...] = ()
        self._children: dict[str, list[_SNode]] | None = None

    def children(self) -> dict[str, list[_SNode]]:
        if self._children is None:
            self._children = {}
            for child in _iter_schema_children(self.cdata, None):
                self._children.setdefault(child.name, []).append(child)
            if self.kind == "list":
                self.keys = tuple(
                    c.name for lst in self._children.values() for c in lst if c.kind == "leaf" and c.is_key()
                )
        return self._children

    def is_key(self) -> bool:
        return bool(self.cdata.flags & lib.LYS_KEY)

    def all_children(self) -> Iterator[_SNode]:
        for lst in self.children().values():
            yield from lst


def _iter_schema_children(parent: Any, module: Any) -> Iterator[_SNode]:
    """Data children of ``parent`` (or top-level nodes of ``module``), looking through choice/case."""
    parent_c = parent if parent is not None else ffi.NULL
    module_c = module if module is not None else ffi.NULL
    child = lib.lys_getnext(ffi.NULL, parent_c, module_c, 0)
    while child != ffi.NULL:
        kind = _KIND.get(child.nodetype)
        if kind is not None:
            yield _SNode(ffi.string(child.name).decode(), ffi.string(child.module.name).decode(), kind, child)
        child = lib.lys_getnext(child, parent_c, module_c, 0)


class SchemaIndex:
    """Name lookups in one libyang context, cached; shared by all conversions on that context."""

    def __init__(self, ctx: libyang.Context) -> None:
        self.ctx = ctx
        self.root = _SNode("", "", "root", None)
        self.root._children = {}
        self.namespaces: dict[str, str] = {}
        self.modules: set[str] = set()
        self.prefixes: dict[str, str] = {}
        for module in ctx:
            name = module.name()
            self.modules.add(name)
            self.namespaces[ffi.string(module.cdata.ns).decode()] = name
            self.prefixes.setdefault(module.prefix(), name)
            if not module.implemented():
                continue
            for node in _iter_schema_children(None, module.cdata.compiled):
                self.root._children.setdefault(node.name, []).append(node)
        self._descendants: dict[int, dict[str, list[_SNode]]] = {}

    def descendants(self, anchor: _SNode, name: str) -> list[_SNode]:
        """Schema nodes called ``name`` anywhere below ``anchor`` (what ``anchor/.../name`` can reach).

        Built once per anchor (a walk of its subtree) and cached: Subscribe paths with ``...`` repeat.
        """
        index = self._descendants.get(id(anchor))
        if index is None:
            index = {}
            stack = list(anchor.all_children())
            seen = 0
            while stack and seen < 1_000_000:
                node = stack.pop()
                seen += 1
                index.setdefault(node.name, []).append(node)
                if node.kind in _INNER_KINDS:
                    stack.extend(node.all_children())
            self._descendants[id(anchor)] = index
        return index.get(name, [])


_INNER_KINDS = frozenset({"container", "list", "rpc", "action", "notification", "input", "output"})
_INDEXES: dict[int, SchemaIndex] = {}
_DEFAULT_INDEX: SchemaIndex | None = None


def schema_index(ctx: libyang.Context | None = None) -> SchemaIndex:
    """The cached :class:`SchemaIndex` for ``ctx`` (default: the process-wide model set)."""
    global _DEFAULT_INDEX
    if ctx is None:
        if _DEFAULT_INDEX is None:
            from agent.model.context import load_model_set

            _DEFAULT_INDEX = schema_index(load_model_set().ctx)
        return _DEFAULT_INDEX
    key = int(ffi.cast("uintptr_t", ctx.cdata))
    index = _INDEXES.get(key)
    if index is None or index.ctx is not ctx:
        index = _INDEXES[key] = SchemaIndex(ctx)
    return index


# --------------------------------------------------------------------------------------------------------
# resolution shared by all conversions


@dataclass(slots=True)
class _Step:
    """One parsed step before schema resolution."""

    module: str | None  # explicit module qualification, if any
    name: str  # node name, "*" or "..."
    keys: dict[str, str] = field(default_factory=dict)
    leaf_list_value: str | None = None
    position: int | None = None


@dataclass(slots=True)
class _Resolved:
    name: str
    module: str | None  # None for wildcards and after "..." when unknown
    qualify: bool
    keys: list[tuple[str, str]]
    node: _SNode | None
    leaf_list_value: str | None = None
    position: int | None = None


def _fail(src: object, msg: str, pos: int | None = None, tag: str | None = None) -> PathError:
    """A :class:`PathError` naming the path; built only on failure (``str(GnmiPath)`` is not free)."""
    text = str(src)
    where = f"element {pos + 1} of {text!r}" if pos is not None else repr(text)
    return PathError(f"{where}: {msg}", path=text, tag=tag)


def _resolve(
    index: SchemaIndex,
    steps: list[_Step],
    src: object,
    *,
    require_all_keys: bool = False,
    allow_wildcards: bool = True,
) -> list[_Resolved]:
    """Resolve ``steps`` against the schema; raise :class:`PathError` naming ``src`` on any mismatch."""
    out: list[_Resolved] = []
    current: list[_SNode] = [index.root]
    loose = False  # after "...": the parent is unknown, look names up below the anchors
    anchors: list[_SNode] = []
    prev_module: str | None = None
    modules = index.modules
    for pos, step in enumerate(steps):
        name = step.name
        if name in (DESCENDANTS, WILDCARD):
            if not allow_wildcards:
                raise _fail(src, f"wildcard {name!r} is not allowed here", pos)
            if step.keys:
                raise _fail(src, f"a {name!r} element cannot carry keys", pos)
            if step.module is not None and step.module not in modules:
                raise _fail(src, _unknown_module(index, step.module), pos, "unknown-namespace")
            if name == DESCENDANTS:
                if not out or out[-1].name != DESCENDANTS:
                    out.append(_Resolved(DESCENDANTS, None, False, [], None))
                if not loose:
                    anchors = current
                loose, current = True, []
            else:
                out.append(_Resolved(WILDCARD, step.module, step.module is not None, [], None))
                if not loose:
                    current = [c for p in current for c in p.all_children()]
                    if step.module is not None:
                        current = [c for c in current if c.module == step.module]
            prev_module = None
            continue
        if step.module is not None and step.module not in modules:
            raise _fail(src, _unknown_module(index, step.module), pos, "unknown-namespace")
        if loose:
            candidates = list({id(c): c for a in anchors for c in index.descendants(a, name)}.values())
        elif len(current) == 1:
            candidates = current[0].children().get(name, [])
        else:
            candidates = [c for p in current for c in p.children().get(name, ())]
        if step.module is not None:
            if len(candidates) != 1 or candidates[0].module != step.module:
                candidates = [c for c in candidates if c.module == step.module]
        elif len(candidates) > 1 and len({c.module for c in candidates}) > 1:
            inherited = [c for c in candidates if c.module == prev_module]
            if not inherited:
                mods = ", ".join(sorted({c.module for c in candidates}))
                raise _fail(src, f"{name!r} is ambiguous (modules {mods}); qualify it as module:name", pos)
            candidates = inherited
        if not candidates:
            raise _fail(src, f"no schema node {name!r} under {_describe(out)}", pos, "unknown-element")
        node = candidates[0]
        module = node.module
        keys = _check_keys(node, step, src, pos, require_all_keys) if step.keys or require_all_keys else []
        if step.leaf_list_value is not None and node.kind != "leaf-list":
            raise _fail(src, f"a [.=value] predicate needs a leaf-list, {node.kind} {name!r} found", pos)
        if step.position is not None and not (
            node.kind == "leaf-list" or (node.kind == "list" and not _list_keys(node))
        ):
            raise _fail(src, "a position predicate needs a keyless list or a leaf-list", pos)
        # Qualify where the module changes; after a wildcard the inherited module is unknown.
        out.append(
            _Resolved(name, module, module != prev_module, keys, node, step.leaf_list_value, step.position)
        )
        prev_module = module
        current = candidates if len(candidates) == 1 else [c for c in candidates if c.module == module]
        loose = False
    return out


def _unknown_module(index: SchemaIndex, name: str) -> str:
    hint = index.prefixes.get(name)
    if hint:
        return f"unknown module {name!r} (that is the YANG prefix of {hint}; paths use module names)"
    return f"unknown module {name!r}"


def _describe(out: list[_Resolved]) -> str:
    if not out:
        return "the root"
    last = out[-1]
    return f"{last.module}:{last.name}" if last.module else repr(last.name)


def _list_keys(node: _SNode) -> tuple[str, ...]:
    node.children()  # fills in the keys of a list
    return node.keys


def _check_keys(node: _SNode, step: _Step, src: object, pos: int, require_all: bool) -> list[tuple[str, str]]:
    if node.kind != "list":
        if step.keys:
            raise _fail(src, f"keys given but {node.module}:{node.name} is a {node.kind}", pos)
        return []
    list_keys = _list_keys(node)
    given: dict[str, str] = {}
    for raw_name, value in step.keys.items():
        name = raw_name.rpartition(":")[2]
        if name not in list_keys:
            expected = ", ".join(list_keys) or "none (keyless list)"
            raise _fail(src, f"{raw_name!r} is not a key of list {node.name!r} (keys: {expected})", pos)
        given[name] = value
    if require_all:
        missing = [k for k in list_keys if given.get(k, WILDCARD) == WILDCARD]
        if missing:
            raise _fail(src, f"list {node.name!r} needs key(s) {', '.join(missing)}", pos, "missing-element")
    if len(given) == 1:
        return list(given.items())
    return [(k, given[k]) for k in list_keys if k in given]


# --------------------------------------------------------------------------------------------------------
# XPath literals and the XPath / instance-identifier parser


def xpath_literal(value: str) -> str:
    """``value`` as an XPath 1.0 literal: '...' or "..." or, with both quote kinds, concat(...)."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    parts = value.split("'")
    pieces: list[str] = []
    for i, part in enumerate(parts):
        if i:
            pieces.append('"\'"')
        if part:
            pieces.append(f"'{part}'")
    return "concat(" + ", ".join(pieces) + ")"


# A YANG identifier, optionally prefixed (RFC 7950 section 14), or a "*" name test.
_QNAME = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_.-]*:)?(?:[A-Za-z_][A-Za-z0-9_.-]*|\*)")
_KEYNAME = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_.-]*:)?[A-Za-z_][A-Za-z0-9_.-]*")


class _Parser:
    """A small scanner for XPath location paths of the shape libyang prints and instance-identifiers."""

    __slots__ = ("i", "n", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.n = len(text)

    def fail(self, what: str) -> PathError:
        return PathError(f"malformed path {self.text!r}: {what} at offset {self.i}", path=self.text)

    def skip_ws(self) -> None:
        while self.i < self.n and self.text[self.i] in " \t\n\r":
            self.i += 1

    def name(self, pattern: re.Pattern[str] = _QNAME) -> str:
        m = pattern.match(self.text, self.i)
        if m is None:
            raise self.fail("expected a node name")
        self.i = m.end()
        return m.group()

    def _closes_predicate(self, at: int, after_bracket: bool = False) -> bool:
        """Whether position ``at`` (just after a quote, or after ``quote]``) can end a predicate value."""
        t = self.text
        if not after_bracket:
            while at < self.n and t[at] in " \t":
                at += 1
            if at >= self.n or t[at] != "]":
                return False
            at += 1
        if at >= self.n or t[at] == "[":
            return True
        return t[at] == "/" and _QNAME.match(t, at + 1 + (t.startswith("//", at))) is not None

    def literal(self, allow_concat: bool, in_predicate: bool = True) -> str:
        t = self.text
        if t.startswith("concat(", self.i):
            if not allow_concat:
                raise self.fail("concat() is not allowed here")
            self.i += len("concat(")
            parts = []
            while True:
                self.skip_ws()
                parts.append(self.literal(False, in_predicate=False))
                self.skip_ws()
                if self.i < self.n and t[self.i] == ",":
                    self.i += 1
                    continue
                if self.i < self.n and t[self.i] == ")":
                    self.i += 1
                    return "".join(parts)
                raise self.fail("expected ',' or ')' in concat()")
        if self.i >= self.n or t[self.i] not in "'\"":
            raise self.fail("expected a quoted value")
        quote = t[self.i]
        end = t.find(quote, self.i + 1)
        if end < 0:
            raise self.fail("unterminated quoted value")
        if in_predicate and not self._closes_predicate(end + 1):
            # libyang prints a value holding both quote kinds as "a'b"c" (no valid XPath 1.0 form
            # without concat); accept it by taking the first quote that closes the predicate and is
            # followed by the end, another predicate or a next step. (A value that itself holds
            # both quote kinds *and* '"]/name' cannot be told apart in that output.)
            probe = t.find(quote + "]", end)
            while probe > 0 and not self._closes_predicate(probe + 2, after_bracket=True):
                probe = t.find(quote + "]", probe + 1)
            if probe > 0:
                end = probe
        value = t[self.i + 1 : end]
        self.i = end + 1
        return value

    def predicate(self, step: _Step, allow_concat: bool) -> None:
        self.i += 1  # '['
        self.skip_ws()
        t = self.text
        if self.i < self.n and t[self.i].isdigit():
            start = self.i
            while self.i < self.n and t[self.i].isdigit():
                self.i += 1
            step.position = int(t[start : self.i])
            if step.position < 1:
                raise self.fail("positions start at 1")
        elif t.startswith(".", self.i) and not t.startswith("..", self.i):
            self.i += 1
            self.skip_ws()
            self.expect("=")
            self.skip_ws()
            step.leaf_list_value = self.literal(allow_concat)
        else:
            key = self.name(_KEYNAME)
            self.skip_ws()
            self.expect("=")
            self.skip_ws()
            if key in step.keys:
                raise self.fail(f"key {key!r} given twice")
            step.keys[key] = self.literal(allow_concat)
        self.skip_ws()
        self.expect("]")

    def expect(self, char: str) -> None:
        if self.i >= self.n or self.text[self.i] != char:
            raise self.fail(f"expected {char!r}")
        self.i += 1

    def steps(self, allow_concat: bool, allow_descendants: bool) -> list[_Step]:
        t = self.text
        if not t.startswith("/"):
            raise self.fail("an absolute path must start with '/'")
        out: list[_Step] = []
        if t == "/":
            return out
        while self.i < self.n:
            self.expect("/")
            if self.i < self.n and t[self.i] == "/":
                if not allow_descendants:
                    raise self.fail("'//' is not allowed here")
                self.i += 1
                out.append(_Step(None, DESCENDANTS))
            module, _, local = self.name().rpartition(":")
            step = _Step(module or None, local)
            while self.i < self.n and t[self.i] == "[":
                self.predicate(step, allow_concat)
            out.append(step)
            if self.i < self.n and t[self.i] != "/":
                raise self.fail(f"unexpected {t[self.i]!r}")
        return out


# --------------------------------------------------------------------------------------------------------
# public conversions


def _check_origin(origin: str, index: SchemaIndex, src: object) -> str | None:
    """Return the module an origin implies (if any); reject origins this agent does not serve."""
    if origin in (ORIGIN_NONE, ORIGIN_RFC7951):
        return None
    if origin in _UNSUPPORTED_ORIGINS:
        raise PathError(
            f"origin {origin!r} is not supported: this agent serves the IETF/bng YANG modules "
            f"(use origin '' or 'rfc7951' with module-qualified names)",
            path=str(src),
            tag="operation-not-supported",
        )
    if origin in index.modules:
        return origin
    raise PathError(f"unknown origin {origin!r}", path=str(src))


def gnmi_to_xpath(
    path: GnmiPath,
    ctx: libyang.Context | None = None,
    *,
    require_all_keys: bool = False,
    allow_wildcards: bool = True,
) -> str:
    """An XPath for libyang (``find_all``/``find_xpath``) that selects what the gNMI ``path`` names.

    ``*`` (name or key value) and ``...`` become XPath wildcards and ``//``; a missing key means "every
    entry", as in gNMI. With ``require_all_keys`` (gNMI ``Set``) every list needs every key. The empty
    path (the whole tree) becomes ``/*``; with a module-name origin and wildcards allowed (reads),
    ``/module:*``: that module's top-level data.
    """
    index = schema_index(ctx)
    default_module = _check_origin(path.origin, index, path) if path.origin else None
    steps: list[_Step] = []
    for pos, elem in enumerate(path.elems):
        module, sep, local = elem.name.rpartition(":")
        if sep and (not module or not local):
            raise _fail(path, f"bad element name {elem.name!r}", pos)
        if module and local == DESCENDANTS:
            raise _fail(path, "'...' cannot be module-qualified", pos)
        steps.append(_Step(module or None, local, elem.keys))
    if default_module is not None and steps and steps[0].module is None and steps[0].name != DESCENDANTS:
        steps[0].module = default_module
    if not steps:
        # an origin naming a module with no elements reads that module's top-level data (gnmic/pygnmi
        # "module:" strings); an edit of the empty path stays the whole tree (its value names modules)
        return f"/{default_module}:*" if default_module is not None and allow_wildcards else "/*"
    resolved = _resolve(
        index,
        steps,
        path,
        require_all_keys=require_all_keys,
        allow_wildcards=allow_wildcards,
    )
    return _emit_xpath(resolved)


def _emit_xpath(resolved: list[_Resolved]) -> str:
    parts: list[str] = []
    for r in resolved:
        if r.name == DESCENDANTS:
            parts.append("/")
            continue
        seg = ["/"]
        if r.qualify and r.module:
            seg.append(r.module)
            seg.append(":")
        seg.append(r.name)
        for k, v in r.keys:
            if v != WILDCARD:
                seg.append(f"[{k}={xpath_literal(v)}]")
        if r.leaf_list_value is not None:
            seg.append(f"[.={xpath_literal(r.leaf_list_value)}]")
        if r.position is not None:
            seg.append(f"[{r.position}]")
        parts.append("".join(seg))
    if resolved[-1].name == DESCENDANTS:
        parts.append("/*")
    return "".join(parts)


def xpath_to_gnmi(xpath: str, ctx: libyang.Context | None = None, *, origin: str = ORIGIN_NONE) -> GnmiPath:
    """The gNMI path for a libyang data path / simple XPath (``/mod:a/b[k='v']``, ``*``, ``//``).

    The first element is module-qualified, later ones only where the module changes. Leaf-list value
    and position predicates have no gNMI form and are rejected.
    """
    index = schema_index(ctx)
    _check_origin(origin, index, xpath)
    steps = _Parser(xpath).steps(allow_concat=True, allow_descendants=True)
    resolved = _resolve(index, steps, xpath)
    elems: list[PathElem] = []
    for r in resolved:
        if r.leaf_list_value is not None or r.position is not None:
            raise PathError(f"{xpath!r}: gNMI paths cannot select a leaf-list value or position", path=xpath)
        name = f"{r.module}:{r.name}" if r.qualify and r.module else r.name
        elems.append(PathElem(name, dict(r.keys)))
    return GnmiPath(origin, elems)


def canonical_xpath(xpath: str, ctx: libyang.Context | None = None) -> str:
    """``xpath`` checked against the schema and rewritten in canonical form (keys in schema order,
    prefixes only where the module changes, canonical quoting)."""
    index = schema_index(ctx)
    steps = _Parser(xpath).steps(allow_concat=True, allow_descendants=True)
    if not steps:
        return "/*"
    return _emit_xpath(_resolve(index, steps, xpath))


# --------------------------------------------------------------------------------------------------------
# instance-identifier (RFC 7950 section 9.13)


@dataclass(frozen=True, slots=True)
class IidStep:
    """One node of an instance-identifier, fully resolved against the schema."""

    module: str
    name: str
    keys: tuple[tuple[str, str], ...] = ()
    leaf_list_value: str | None = None
    position: int | None = None


@dataclass(frozen=True, slots=True)
class InstanceIdentifier:
    """A parsed, schema-checked ``instance-identifier`` value."""

    steps: tuple[IidStep, ...]

    def xpath(self) -> str:
        """The libyang data path (module names as prefixes where the module changes)."""
        parts = []
        prev = None
        for s in self.steps:
            seg = f"/{s.module}:{s.name}" if s.module != prev else f"/{s.name}"
            seg += "".join(f"[{k}={xpath_literal(v)}]" for k, v in s.keys)
            if s.leaf_list_value is not None:
                seg += f"[.={xpath_literal(s.leaf_list_value)}]"
            if s.position is not None:
                seg += f"[{s.position}]"
            parts.append(seg)
            prev = s.module
        return "".join(parts)

    def json(self) -> str:
        """The RFC 7951 (JSON) encoding; identical to :meth:`xpath` (the same prefix rules apply)."""
        return self.xpath()

    def xml(
        self, prefixes: Mapping[str, str] | None = None, ctx: libyang.Context | None = None
    ) -> tuple[str, dict[str, str]]:
        """The XML encoding (RFC 7950 9.13.2): every node and key name prefixed.

        ``prefixes`` maps module name -> XML prefix (default: the module name). Returns the text and the
        ``prefix -> namespace`` declarations the element holding it must carry.
        """
        ns_of = {mod: ns for ns, mod in schema_index(ctx).namespaces.items()}
        decls: dict[str, str] = {}
        parts = []
        for s in self.steps:
            pfx = (prefixes or {}).get(s.module, s.module)
            decls[pfx] = ns_of[s.module]
            seg = f"/{pfx}:{s.name}"
            seg += "".join(f"[{pfx}:{k}={xpath_literal(v)}]" for k, v in s.keys)
            if s.leaf_list_value is not None:
                seg += f"[.={xpath_literal(s.leaf_list_value)}]"
            if s.position is not None:
                seg += f"[{s.position}]"
            parts.append(seg)
        return "".join(parts), decls

    def gnmi(self, origin: str = ORIGIN_NONE) -> GnmiPath:
        if any(s.leaf_list_value is not None or s.position is not None for s in self.steps):
            raise PathError("gNMI paths cannot select a leaf-list value or position", path=self.xpath())
        elems = []
        prev = None
        for s in self.steps:
            elems.append(PathElem(f"{s.module}:{s.name}" if s.module != prev else s.name, dict(s.keys)))
            prev = s.module
        return GnmiPath(origin, elems)


def parse_instance_identifier(
    text: str,
    ctx: libyang.Context | None = None,
    *,
    namespaces: Mapping[str | None, str] | None = None,
) -> InstanceIdentifier:
    """Parse an ``instance-identifier`` value and check it against the schema.

    Without ``namespaces`` the value is in the JSON encoding (RFC 7951 6.11): prefixes are module names,
    the first node must be qualified and unqualified nodes inherit their parent's module. With
    ``namespaces`` (the XML element's ``nsmap``: prefix -> namespace URI) it is in the XML encoding
    (RFC 7950 9.13.2) and every node name must carry a prefix bound there. Every list step needs all
    its keys (a key predicate each), as RFC 7950 9.13 requires.
    """
    index = schema_index(ctx)
    steps = _Parser(text).steps(allow_concat=False, allow_descendants=False)
    if not steps:
        raise PathError("empty instance-identifier", path=text)
    if namespaces is not None:
        for step in steps:
            if step.module is None:
                raise PathError(
                    f"instance-identifier {text!r}: {step.name!r} has no namespace prefix", path=text
                )
            step.module = _module_for_prefix(index, namespaces, step.module, text)
            step.keys = {(k.split(":", 1)[1] if ":" in k else k): v for k, v in step.keys.items()}
    elif steps[0].module is None:
        raise PathError(f"instance-identifier {text!r}: the first node must be module-qualified", path=text)
    for step in steps:
        if step.name == WILDCARD:
            raise PathError(f"instance-identifier {text!r}: wildcards are not allowed", path=text)
    resolved = _resolve(index, steps, text, require_all_keys=True, allow_wildcards=False)
    out = []
    for r in resolved:
        assert r.module is not None and r.node is not None
        if r.node.kind == "leaf-list" and r.leaf_list_value is None and r is not resolved[-1]:
            raise PathError(f"instance-identifier {text!r}: leaf-list {r.name!r} needs [.=value]", path=text)
        out.append(IidStep(r.module, r.name, tuple(r.keys), r.leaf_list_value, r.position))
    return InstanceIdentifier(tuple(out))


def _module_for_prefix(
    index: SchemaIndex, namespaces: Mapping[str | None, str], prefix: str, text: str
) -> str:
    ns = namespaces.get(prefix)
    if ns is None:
        raise PathError(f"instance-identifier {text!r}: prefix {prefix!r} is not bound", path=text)
    module = index.namespaces.get(ns)
    if module is None:
        raise PathError(f"instance-identifier {text!r}: no module has namespace {ns!r}", path=text)
    return module


def iter_elems(path: GnmiPath) -> Iterable[tuple[str | None, str, dict[str, str]]]:
    """``(module or None, name, keys)`` for each element; a helper for code walking gNMI paths."""
    for e in path.elems:
        module, _, local = e.name.rpartition(":")
        yield (module or None), local, e.keys


__all__ = [
    "DESCENDANTS",
    "ORIGIN_NONE",
    "ORIGIN_RFC7951",
    "WILDCARD",
    "GnmiPath",
    "IidStep",
    "InstanceIdentifier",
    "PathElem",
    "SchemaIndex",
    "canonical_xpath",
    "gnmi_to_xpath",
    "iter_elems",
    "parse_gnmi_string",
    "parse_instance_identifier",
    "schema_index",
    "xpath_literal",
    "xpath_to_gnmi",
]
