"""Which leaves can change without re-validating the whole datastore.

A commit normally runs libyang's full validation, whose cost grows with the datastore (and with the
model's ``when`` / ``must`` / leafref load: ~30-115 µs per interface with the project modules). Yet
most single-leaf changes (a description, an MTU nobody constrains) cannot break any constraint: the
new value was already type-checked when the edit set it, and if no ``must``, ``when``, leafref path
or ``unique`` anywhere in the schema mentions the leaf, nothing else can depend on it.

:class:`SchemaDeps` computes, once per libyang context, the set of schema nodes that any XPath of the
model mentions (libyang's own ``lys_find_expr_atoms`` lists the nodes an expression can touch, deref
targets included) plus the leaves of every ``unique``. A leaf is *free* when it is a plain config leaf
(not a key, not mandatory, not a leafref / instance-identifier / union, not under a choice, no
``must`` or ``when`` of its own) that no expression mentions. The datastore skips full validation
for commits whose changes are only modifications or creations of free leaves (the same idea as
sysrepo validating only the modules a change can affect, at leaf granularity). If anything in the
analysis fails, no leaf is free and every commit is fully validated.

For leaves that are not free, the analysis also records *which* ``must`` expressions mention each
schema node (:meth:`SchemaDeps.dependent_musts`) and whether any ``when``, leafref path or ``unique``
does; :mod:`agent.datastore.targeted` uses that to re-check only the affected ``must`` instances of a
value-only change instead of validating the whole datastore (docs/architecture.md, "Targeted
validation").

One refinement of libyang's atoms keeps the analysis sound for expressions that take the string value
of a container or list entry (``string(../sub-interface)`` reads every leaf below it, yet libyang lists
only the container): an inner node that an expression mentions without mentioning anything below it
*covers* its whole subtree, i.e. every leaf below it counts as mentioned by that expression.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import libyang
from _libyang import ffi, lib

from agent.datastore import _ly
from agent.datastore.changes import Change
from agent.datastore.tree import NULL, Cdata, DataTree, node_path

log = logging.getLogger(__name__)


_UNSAFE_TYPES = (lib.LY_TYPE_LEAFREF, lib.LY_TYPE_INST, lib.LY_TYPE_UNION)
_INNER = lib.LYS_CONTAINER | lib.LYS_LIST
_SCHEMA_ONLY = lib.LYS_CHOICE | lib.LYS_CASE
_LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")


def _addr(ptr: Any) -> int:
    return int(ffi.cast("uintptr_t", ptr))


def _schema_path(snode: Cdata) -> str:
    c = lib.lysc_path(snode, lib.LYSC_PATH_DATA, NULL, 0)
    try:
        return ffi.string(c).decode()  # type: ignore[no-any-return]
    finally:
        lib.free(c)


@dataclass(frozen=True)
class DerefRead:
    """A ``deref(X)/post`` inside a must: X a leafref in the must's own list entry, whose target is
    the key of another list's entry, and ``post`` stays inside that entry."""

    x_abs_path: str  # data path of every instance of the leafref X
    target_entry: Cdata  # the list whose key X refers to
    target_key: str  # the key's "module:name", relative to an entry of that list


@dataclass(frozen=True, eq=False)
class MustRef:
    """One ``must`` of the model: where it sits, its text, and which instances a change can affect.

    ``entry`` (when not None) is the list whose entry bounds what the expression reads from its context
    node: no absolute path, no axis, at most as many ``..`` as there are levels up to that entry (and,
    without ``deref``, every atom inside the list's subtree). Each ``derefs`` item reads, in addition,
    inside the entry of another (or the same) list that a leafref of the context's entry names.
    A change inside entry E can then affect only the instances in E (found with ``rel_path``) and, per
    deref, the instances in the entries whose leafref names E. With ``entry`` None, every instance
    (``abs_path``) is re-evaluated.
    """

    snode: Cdata
    index: int
    expr: bytes
    prefixes: Cdata
    abs_path: str
    entry: Cdata | None
    rel_path: str | None
    derefs: tuple[DerefRead, ...] = ()


_NAME = r"[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?"
_STEP = rf"(?:\.\.|\.|{_NAME})"
_REL_PATH = re.compile(rf"\s*{_STEP}(?:\s*/\s*{_STEP})*\s*")
_POST = re.compile(rf"\s*/\s*{_STEP}(?:\s*/\s*{_STEP})*")
_TOKEN = re.compile(rf"\.\.|\.|//|/|::|!=|<=|>=|[()\[\],|=<>+*@$-]|{_NAME}|\d+(?:\.\d+)?|\s+|.")
_NOT_A_STEP_END = {"(", "[", ",", "|", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "@", "$", "::"}
_OPERATOR_NAMES = {"and", "or", "div", "mod"}


def _has_absolute_path(text: str) -> bool:
    """True if ``text`` (literals removed) may contain a location path starting at the root."""
    prev: str | None = None
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok.isspace():
            continue
        if tok in ("/", "//") and (
            prev is None or prev in _NOT_A_STEP_END or prev in _OPERATOR_NAMES or prev[0].isdigit()
        ):
            return True
        prev = tok
    return False


def _path_ends(text: str) -> tuple[set[str], bool, bool]:
    """Where location paths in ``text`` (literals removed) may end: the step names (prefix dropped),
    whether one ends at ``.`` and whether one ends at ``..`` (over-approximated: any name not
    followed by ``/`` or ``(``, any ``.`` / ``..`` not followed by ``/``)."""
    toks = [t.group() for t in _TOKEN.finditer(text) if not t.group().isspace()]
    names: set[str] = set()
    dot = dotdot = False
    open_names: list[str | None] = []  # the step name before each open "["
    for i, tok in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if tok == "[":
            prev = toks[i - 1] if i > 0 else None
            open_names.append(prev if prev is not None and _is_name(prev) else None)
            continue
        if tok == "]":
            name = open_names.pop() if open_names else None
            if name is not None and nxt not in ("/", "//", "["):
                names.add(name.split(":")[-1])
            continue
        if nxt in ("/", "//", "[", "(", "::"):
            continue
        if tok == ".":
            dot = True
        elif tok == "..":
            dotdot = True
        elif _is_name(tok):
            names.add(tok.split(":")[-1])
    return names, dot, dotdot


def _is_name(tok: str) -> bool:
    return bool(re.fullmatch(_NAME, tok))


def _data_parent(node: Cdata) -> Cdata:
    p = node.parent
    while p != NULL and p.nodetype & _SCHEMA_ONLY:
        p = p.parent
    return p


def _walk(start: Cdata, path: str) -> Cdata:
    """The schema node a simple relative path (``..``, ``.``, names) leads to from ``start``, or NULL.

    Names are matched without their prefix and must be unambiguous among the children.
    """
    cur = start
    for raw in path.split("/"):
        step = raw.strip()
        if step == ".":
            continue
        if step == "..":
            cur = _data_parent(cur)
        else:
            name = step.split(":")[-1]
            found = NULL
            c = lib.lys_getnext(NULL, cur, NULL, 0)
            while c != NULL:
                if ffi.string(c.name).decode() == name:
                    if found != NULL:
                        return NULL
                    found = c
                c = lib.lys_getnext(c, cur, NULL, 0)
            cur = found
        if cur == NULL:
            return NULL
    return cur


def _may_point_anywhere(t: Cdata, depth: int = 0) -> bool:
    """True for an instance-identifier, or a union with one (or with a leafref) among its types."""
    if t.basetype == lib.LY_TYPE_INST:
        return True
    if t.basetype != lib.LY_TYPE_UNION:
        return False
    if depth > 8:
        return True
    u = ffi.cast("struct lysc_type_union *", t)
    return any(
        u.types[i].basetype == lib.LY_TYPE_LEAFREF or _may_point_anywhere(u.types[i], depth + 1)
        for i in range(_count(u.types))
    )


def _top_module(node: Cdata) -> Cdata:
    """The module of the top-level ancestor of ``node`` (whose data ``lyd_validate_module`` checks)."""
    top = node
    while top.parent != NULL:
        top = top.parent
    return top.module


def _entry_steps(node: Cdata) -> tuple[Cdata, list[str]]:
    """The nearest list ancestor-or-self of ``node`` and the data steps from it down to ``node``."""
    steps: list[str] = []
    entry = node
    while entry != NULL and entry.nodetype != lib.LYS_LIST:
        if not entry.nodetype & _SCHEMA_ONLY:
            steps.append(f"{ffi.string(entry.module.name).decode()}:{ffi.string(entry.name).decode()}")
        entry = entry.parent
    steps.reverse()
    return entry, steps


def _count(arr: Any) -> int:
    if arr == NULL:
        return 0
    return int(ffi.cast("uint64_t *", arr)[-1])


class _AnalysisError(Exception):
    pass


class SchemaDeps:
    """Per-context answer to "may this leaf change skip full validation?"."""

    def __init__(self, ctx: libyang.Context) -> None:
        self.ctx = ctx
        self._referenced: set[int] = set()
        self._covering: set[int] = set()  # inner nodes whose whole subtree counts as mentioned
        self._must_atoms: dict[int, list[MustRef]] = {}  # schema node -> musts mentioning it
        self._must_cover: dict[int, list[MustRef]] = {}  # inner node -> musts covering its subtree
        self._own_musts: dict[int, list[MustRef]] = {}  # schema node -> its own musts
        self._hard: set[int] = set()  # mentioned by a when, a leafref path or a unique
        self._hard_cover: set[int] = set()  # inner nodes such an expression covers
        self._dep_cache: dict[int, list[MustRef] | None] = {}
        # per-module validation: schema node -> top-level modules whose data holds an expression
        # reading it (any change), or a predicate-free leafref path through it (not for creations)
        self._homes: dict[int, set[int]] = {}
        self._homes_cover: dict[int, set[int]] = {}
        self._lref_homes: dict[int, set[int]] = {}
        self._lref_cover: dict[int, set[int]] = {}
        self._when_at: dict[int, list[Cdata]] = {}  # schema node -> nodes whose when reads it
        self._when_cover: dict[int, list[Cdata]] = {}
        self._modules: dict[int, Cdata] = {}  # module address -> module, in context order
        self._subtree_cache: dict[int, frozenset[int]] = {}
        self._always: set[int] = set()  # modules validated on any change (instance-identifiers)
        self.ok = False
        try:
            for mod in ctx:
                if mod.implemented():
                    self._modules[_addr(mod.cdata)] = mod.cdata
                    self._walk_siblings(lib.lys_getnext(NULL, NULL, mod.cdata.compiled, 0))
            self.ok = True
        except _AnalysisError as exc:
            log.warning("schema dependency analysis failed (%s); every commit is fully validated", exc)
            self._referenced.clear()
            self._must_atoms.clear()
            self._must_cover.clear()
            self._own_musts.clear()

    # -- analysis

    def _walk_siblings(self, first: Cdata) -> None:
        stack = []
        n = first
        while n != NULL:
            stack.append(n)
            n = n.next
        while stack:
            node = stack.pop()
            self._note_node(node)
            c = lib.lysc_node_child(node)
            while c != NULL:
                stack.append(c)
                c = c.next

    def _note_node(self, node: Cdata) -> None:
        home = _addr(_top_module(node))
        musts = lib.lysc_node_musts(node)
        for i in range(_count(musts)):
            atoms = self._atoms(node, musts[i].cond, musts[i].prefixes)
            ref = self._must_ref(node, i, musts[i], atoms)
            self._own_musts.setdefault(_addr(node), []).append(ref)
            covers = self._covers(atoms, musts[i].cond, node)
            for a in atoms:
                self._must_atoms.setdefault(a, []).append(ref)
            for a in covers:
                self._must_cover.setdefault(a, []).append(ref)
            self._add_home(self._homes, self._homes_cover, home, atoms, covers)
        whens = lib.lysc_node_when(node)
        for i in range(_count(whens)):
            w = whens[i]
            ctx_node = w.context if w.context != NULL else node
            atoms = self._atoms(ctx_node, w.cond, w.prefixes)
            covers = self._hard_atoms(atoms, w.cond, ctx_node)
            self._add_home(self._homes, self._homes_cover, home, atoms, covers)
            for a in atoms:
                self._when_at.setdefault(a, []).append(node)
            for a in covers:
                self._when_cover.setdefault(a, []).append(node)
        if node.nodetype & (lib.LYS_LEAF | lib.LYS_LEAFLIST):
            leaf = ffi.cast("struct lysc_node_leaf *", node)
            if leaf.type.basetype == lib.LY_TYPE_LEAFREF:
                lref = ffi.cast("struct lysc_type_leafref *", leaf.type)
                atoms = self._atoms(node, lref.path, lref.prefixes)
                covers = self._hard_atoms(atoms, lref.path)
                plain = "[" not in ffi.string(lib.lyxp_get_expr(lref.path)).decode()
                if plain:
                    self._add_home(self._lref_homes, self._lref_cover, home, atoms, covers)
                else:
                    self._add_home(self._homes, self._homes_cover, home, atoms, covers)
            elif node.flags & lib.LYS_CONFIG_W and _may_point_anywhere(leaf.type):
                # an instance-identifier (or a union that may hold one or a leafref) can name any node
                self._always.add(home)
        if node.nodetype == lib.LYS_LIST:
            lst = ffi.cast("struct lysc_node_list *", node)
            for i in range(_count(lst.uniques)):
                uniq = lst.uniques[i]
                for j in range(_count(uniq)):
                    self._referenced.add(_addr(uniq[j]))
                    self._hard.add(_addr(uniq[j]))
                    self._homes.setdefault(_addr(uniq[j]), set()).add(home)

    @staticmethod
    def _add_home(
        table: dict[int, set[int]],
        cover: dict[int, set[int]],
        home: int,
        atoms: dict[int, Cdata],
        covers: set[int],
    ) -> None:
        for a in atoms:
            table.setdefault(a, set()).add(home)
        for a in covers:
            cover.setdefault(a, set()).add(home)

    def _hard_atoms(self, atoms: dict[int, Cdata], cond: Cdata, ctx_node: Cdata | None = None) -> set[int]:
        self._hard.update(atoms)
        covers = self._covers(atoms, cond, ctx_node)
        self._hard_cover.update(covers)
        return covers

    def _covers(self, atoms: dict[int, Cdata], cond: Cdata, ctx_node: Cdata | None = None) -> set[int]:
        """The inner nodes among ``atoms`` with no other atom below them (see the module docstring).

        libyang 2.1.30 does not list what an axis step (``following-sibling::x``) or ``//`` reaches
        (measured: ``../following-sibling::item/a`` gives no ``a``), so for an expression with either,
        the top-level node above every atom covers its whole tree.
        """
        out: set[int] = set()
        text = _LITERAL.sub("''", ffi.string(lib.lyxp_get_expr(cond)).decode())
        if "::" in text or "//" in text:
            for n in atoms.values():
                top = n
                while top.parent != NULL:
                    top = top.parent
                if top.nodetype & _INNER:
                    out.add(_addr(top))
        inner = {a for a, n in atoms.items() if n.nodetype & _INNER}
        if inner:
            # a location path that ends at a container or list may use its string value
            names, dot, dotdot = _path_ends(text)
            for a in inner:
                n = atoms[a]
                if dotdot or ffi.string(n.name).decode() in names:
                    out.add(a)
            if dot and ctx_node is not None and ctx_node.nodetype & _INNER:
                out.add(_addr(ctx_node))
            below: set[int] = set()
            for n in atoms.values():
                p = n.parent
                while p != NULL:
                    below.add(_addr(p))
                    p = p.parent
            out |= inner - below
        self._covering.update(out)
        return out

    def _must_ref(self, node: Cdata, index: int, must: Cdata, atoms: dict[int, Cdata]) -> MustRef:
        expr = ffi.string(lib.lyxp_get_expr(must.cond))
        abs_path = _schema_path(node)
        scoped = self._scope(node, expr.decode(), atoms)
        if scoped is None:
            return MustRef(node, index, expr, must.prefixes, abs_path, None, None)
        entry, rel, derefs = scoped
        return MustRef(node, index, expr, must.prefixes, abs_path, entry, rel, derefs)

    def _scope(
        self, node: Cdata, expr: str, atoms: dict[int, Cdata]
    ) -> tuple[Cdata, str, tuple[DerefRead, ...]] | None:
        """Where the must at ``node`` reads (see :class:`MustRef`), or None when it cannot be bounded."""
        text = _LITERAL.sub("''", expr)
        if "::" in text or "//" in text:
            return None
        entry, steps = _entry_steps(node)
        if entry == NULL or entry.parent == NULL:  # no list, or a top-level one
            return None
        derefs: list[DerefRead] = []
        while "deref(" in text:
            i = text.index("deref(")
            if text[:i].count("[") != text[:i].count("]"):  # inside a predicate: another context node
                return None
            j = text.find(")", i)
            arg = text[i + 6 : j] if j > 0 else "("
            if "(" in arg or not _REL_PATH.fullmatch(arg) or arg.count("..") > len(steps):
                return None
            m = _POST.match(text, j + 1)
            post = m.group() if m else ""
            read = self._deref_read(node, arg, post)
            if read is None:
                return None
            derefs.append(read)
            text = text[:i] + " 0 " + text[j + 1 + len(post) :]
        if _has_absolute_path(text) or text.count("..") > len(steps):
            return None
        if not derefs:
            for n in atoms.values():
                p = n
                while p != NULL and p != entry:
                    p = p.parent
                if p == NULL:
                    return None
        return entry, "/".join(steps) or ".", tuple(derefs)

    def _deref_read(self, node: Cdata, arg: str, post: str) -> DerefRead | None:
        x = _walk(node, arg)
        if x == NULL or x.nodetype != lib.LYS_LEAF:
            return None
        leaf = ffi.cast("struct lysc_node_leaf *", x)
        if leaf.type.basetype != lib.LY_TYPE_LEAFREF:
            return None
        lref = ffi.cast("struct lysc_type_leafref *", leaf.type)
        if "[" in ffi.string(lib.lyxp_get_expr(lref.path)).decode():
            return None
        leaves = [n for n in self._atoms(x, lref.path, lref.prefixes).values() if n.nodetype & lib.LYS_LEAF]
        if len(leaves) != 1:
            return None
        target = leaves[0]
        tentry = target.parent
        if tentry == NULL or tentry.nodetype != lib.LYS_LIST or not target.flags & lib.LYS_KEY:
            return None
        if post.count("..") > 1:  # from the key up to its entry, no further
            return None
        key = f"{ffi.string(target.module.name).decode()}:{ffi.string(target.name).decode()}"
        return DerefRead(_schema_path(x), tentry, key)

    def _atoms(self, ctx_node: Cdata, expr: Cdata, prefixes: Cdata) -> dict[int, Cdata]:
        s = _ly.find_expr_atoms(ctx_node, expr, prefixes)
        if s is None:
            lib.ly_err_clean(self.ctx.cdata, NULL)
            raise _AnalysisError(f"lys_find_expr_atoms failed for {ffi.string(ctx_node.name).decode()}")
        found: dict[int, Cdata] = {}
        try:
            for i in range(s.count):
                found[_addr(s.snodes[i])] = s.snodes[i]
        finally:
            lib.ly_set_free(s, NULL)
        self._referenced.update(found)
        return found

    # -- queries

    def free_leaf(self, snode: Cdata) -> bool:
        """True if a value change of this leaf cannot violate any constraint elsewhere or its own."""
        if not self.ok or snode == NULL or snode.nodetype != lib.LYS_LEAF:
            return False
        if snode.flags & (lib.LYS_KEY | lib.LYS_MAND_TRUE | lib.LYS_CONFIG_R):
            return False
        if _addr(snode) in self._referenced or self._covered(snode):
            return False
        leaf = ffi.cast("struct lysc_node_leaf *", snode)
        if leaf.type.basetype in _UNSAFE_TYPES or leaf.musts != NULL or leaf.when != NULL:
            return False
        parent = snode.parent
        return not (parent != NULL and parent.nodetype & (lib.LYS_CASE | lib.LYS_CHOICE))

    def _covered(self, snode: Cdata, within: set[int] | None = None) -> bool:
        """True if an ancestor of ``snode`` is a covering atom (of ``within``, default: of any expression)."""
        cover = self._covering if within is None else within
        p = snode.parent
        while p != NULL:
            if _addr(p) in cover:
                return True
            p = p.parent
        return False

    def dependent_musts(self, snode: Cdata) -> list[MustRef] | None:
        """The musts a value change of leaf ``snode`` can affect (its own included).

        None when something other than a must depends on the leaf (a ``when``, a leafref path, a
        ``unique``), or the leaf is not a plain config non-key leaf: such changes need full validation.
        """
        if not self.ok or snode == NULL or snode.nodetype != lib.LYS_LEAF:
            return None
        key = _addr(snode)
        if key in self._dep_cache:
            return self._dep_cache[key]
        out: list[MustRef] | None = None
        plain = not snode.flags & (lib.LYS_KEY | lib.LYS_CONFIG_R) and snode.flags & lib.LYS_CONFIG_W
        if plain and key not in self._hard and not self._covered(snode, self._hard_cover):
            refs = list(self._own_musts.get(key, [])) + list(self._must_atoms.get(key, []))
            p = snode.parent
            while p != NULL:
                refs.extend(self._must_cover.get(_addr(p), []))
                p = p.parent
            out = list({id(r): r for r in refs}.values())
        self._dep_cache[key] = out
        return out

    @staticmethod
    def creatable_leaf(snode: Cdata) -> bool:
        """True if creating this leaf changes nothing but its own presence and value for validation.

        No default (a validated tree always holds a defaulted leaf, so setting it is a modify), no
        ``when`` of its own, not in a case (creating it could switch the choice's case).
        """
        if snode == NULL or snode.nodetype != lib.LYS_LEAF:
            return False
        leaf = ffi.cast("struct lysc_node_leaf *", snode)
        if leaf.dflt != NULL or leaf.when != NULL:
            return False
        parent = snode.parent
        return not (parent != NULL and parent.nodetype & _SCHEMA_ONLY)

    # -- per-module validation

    def _subtree(self, snode: Cdata) -> frozenset[int]:
        """``snode`` and every schema node below it (cached)."""
        key = _addr(snode)
        found = self._subtree_cache.get(key)
        if found is None:
            out: set[int] = set()
            stack = [snode]
            while stack:
                n = stack.pop()
                out.add(_addr(n))
                c = lib.lysc_node_child(n)
                while c != NULL:
                    stack.append(c)
                    c = c.next
            found = frozenset(out)
            self._subtree_cache[key] = found
        return found

    @staticmethod
    def _ancestors(snode: Cdata) -> list[int]:
        out = []
        p = snode.parent
        while p != NULL:
            out.append(_addr(p))
            p = p.parent
        return out

    def modules_to_validate(self, touched: set[str], base: DataTree, tree: DataTree) -> list[Cdata] | None:
        """The modules whose data can have become invalid, in context order; None: all of them.

        ``base`` is fully validated and ``tree`` differs from it only under the ``touched`` paths. A
        module must be validated if its data changed, or if an expression in its data (must, when,
        unique, leafref path; see the module docstring for covered subtrees) reads a schema node whose
        data changed. Leafref paths without predicates only matter when a node was deleted or
        changed: creating nodes cannot make a leafref dangle. Nodes whose ``when`` reads a changed
        node may appear or disappear during validation, so they count as changed too.
        """
        if not self.ok:
            return None
        changed_mods: set[int] = set()
        changed: set[int] = set()  # schema nodes whose data may differ (any way)
        created: set[int] = set()  # schema nodes whose data may only have been created
        tops: dict[int, Cdata] = {}  # the roots of the changed subtrees
        for p in touched:
            new = tree.find(p)
            old = base.find(p)
            node = new if new != NULL else old
            if node == NULL:
                continue
            if old == NULL:  # the created subtree starts at the topmost node base lacks
                par = node.parent
                while par != NULL and base.find(node_path(ffi.cast("struct lyd_node *", par))) == NULL:
                    node = ffi.cast("struct lyd_node *", par)
                    par = node.parent
            sn = node.schema
            changed_mods.add(_addr(_top_module(sn)))
            tops[_addr(sn)] = sn
            if new != NULL and old != NULL and sn.nodetype == lib.LYS_LEAF:
                changed.add(_addr(sn))
            elif old == NULL:
                created.update(self._subtree(sn))
            else:
                changed.update(self._subtree(sn))
        above: set[int] = set()  # strict ancestors of changed subtrees: only covering expressions apply
        frontier = list(tops.values())
        pending = changed | created
        while frontier or pending:
            for sn in frontier:
                above.update(self._ancestors(sn))
            frontier = []
            whens: list[Cdata] = []
            for a in pending:
                whens.extend(self._when_at.get(a, ()))
                whens.extend(self._when_cover.get(a, ()))
            for a in above:
                whens.extend(self._when_cover.get(a, ()))
            pending = set()
            for w in whens:
                sub = self._subtree(w)
                if not sub <= changed:
                    new_nodes = sub - changed
                    changed |= new_nodes
                    pending |= new_nodes
                    frontier.append(w)
            created -= changed
        homes = set(changed_mods) | self._always
        for a in changed:
            homes |= self._homes.get(a, set()) | self._lref_homes.get(a, set())
            homes |= self._homes_cover.get(a, set()) | self._lref_cover.get(a, set())
        for a in created:
            homes |= self._homes.get(a, set()) | self._homes_cover.get(a, set())
        for a in above:
            homes |= self._homes_cover.get(a, set()) | self._lref_cover.get(a, set())
        if len(homes) >= len(self._modules):
            return None
        return [m for addr, m in self._modules.items() if addr in homes]

    def all_leaves(self, paths: set[str], tree: DataTree) -> bool:
        """Cheap pre-check: every path names an existing leaf in ``tree``."""
        if not self.ok:
            return False
        for p in paths:
            node = tree.find(p)
            if node == NULL or node.schema.nodetype != lib.LYS_LEAF:
                return False
        return True

    def all_free_leaves(self, paths: set[str], tree: DataTree) -> bool:
        """Cheap pre-check: every path names an existing free leaf in ``tree``."""
        if not self.ok:
            return False
        for p in paths:
            node = tree.find(p)
            if node == NULL or not self.free_leaf(node.schema):
                return False
        return True

    def changes_need_validation(self, changes: list[Change], tree: DataTree) -> bool:
        """False only when every change modifies or creates a free leaf (scalar value)."""
        if not self.ok or not changes:
            return bool(changes) or not self.ok
        for ch in changes:
            if ch.op == "delete" or isinstance(ch.new, (dict, list)):
                return True
            node = tree.find(ch.path)
            if node == NULL or not self.free_leaf(node.schema):
                return True
        return False


_CACHE: dict[int, SchemaDeps] = {}


def schema_deps(ctx: libyang.Context) -> SchemaDeps:
    """The (cached) analysis for ``ctx``."""
    deps = _CACHE.get(id(ctx))
    if deps is None or deps.ctx is not ctx:
        deps = SchemaDeps(ctx)
        _CACHE[id(ctx)] = deps
    return deps
