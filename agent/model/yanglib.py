"""The YANG library (RFC 8525, and the RFC 7895 ``modules-state`` view) of the loaded model set.

A controller reads the YANG library to learn exactly which modules, revisions, features and deviations
the agent implements, and caches its schema under the ``content-id``. So the content id must change
whenever any of those change and stay the same otherwise, across restarts and hosts: it is a hash of the
sorted module list, not libyang's in-process change counter.

libyang builds the library data itself (``ly_ctx_get_yanglib_data``). Two things are adjusted:
``location``/``schema`` leaves are removed because libyang fills them with ``file://`` paths of this
host's filesystem, which no remote client can fetch (clients use ``<get-schema>`` instead), and both
``content-id`` and ``module-set-id`` are set to the stable hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import libyang
from _libyang import ffi

from agent.errors import ModelError

YANG_LIBRARY_MODULE = "ietf-yang-library"

# Leaves libyang fills with local file URLs (RFC 8525 ``location``, RFC 7895 ``schema``).
_LOCAL_URL_LEAVES = (
    "/ietf-yang-library:yang-library/module-set/module/location",
    "/ietf-yang-library:yang-library/module-set/module/submodule/location",
    "/ietf-yang-library:yang-library/module-set/import-only-module/location",
    "/ietf-yang-library:yang-library/module-set/import-only-module/submodule/location",
    "/ietf-yang-library:modules-state/module/schema",
    "/ietf-yang-library:modules-state/module/submodule/schema",
)


@dataclass(frozen=True, order=True)
class ModuleEntry:
    """One module of the model set as the YANG library describes it."""

    name: str
    revision: str
    namespace: str
    implemented: bool
    features: tuple[str, ...]
    deviations: tuple[str, ...]
    submodules: tuple[str, ...]


def _c(value: object) -> str:
    return ffi.string(value).decode() if value != ffi.NULL else ""


def _count(array: object) -> int:
    """Length of a libyang sized array (its count is stored just before the first element)."""
    return 0 if array == ffi.NULL else int(ffi.cast("uint64_t *", array)[-1])


def _deviation_modules(module: libyang.Module) -> tuple[str, ...]:
    arr = module.cdata.deviated_by
    if arr == ffi.NULL:
        return ()
    return tuple(sorted(_c(arr[i].name) for i in range(_count(arr))))


def _submodules(module: libyang.Module) -> tuple[str, ...]:
    parsed = module.cdata.parsed
    if parsed == ffi.NULL or parsed.includes == ffi.NULL:
        return ()
    names = []
    for i in range(_count(parsed.includes)):
        inc = parsed.includes[i]
        rev = _c(inc.submodule.revs[0].date) if inc.submodule.revs != ffi.NULL else ""
        names.append(f"{_c(inc.name)}@{rev}")
    return tuple(sorted(names))


def module_entries(ctx: libyang.Context) -> list[ModuleEntry]:
    """Every module in ``ctx`` (implemented and import-only), sorted by name and revision."""
    entries = []
    for module in ctx:
        implemented = module.implemented()
        features = tuple(sorted(f.name() for f in module.features() if f.state())) if implemented else ()
        entries.append(
            ModuleEntry(
                name=module.name(),
                revision=_c(module.cdata.revision),
                namespace=_c(module.cdata.ns),
                implemented=implemented,
                features=features,
                deviations=_deviation_modules(module),
                submodules=_submodules(module),
            )
        )
    return sorted(entries)


def content_id(ctx: libyang.Context) -> str:
    """A stable id of the module set: it changes exactly when a module, revision, feature or deviation
    does."""
    digest = hashlib.sha256()
    for e in module_entries(ctx):
        line = "|".join(
            [
                e.name,
                e.revision,
                e.namespace,
                "implement" if e.implemented else "import",
                ",".join(e.features),
                ",".join(e.deviations),
                ",".join(e.submodules),
            ]
        )
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()[:32]


# NMDA datastores (RFC 8342) the agent serves, all with the one complete schema. RFC 8525 says the
# server MUST list each datastore it supports; libyang generates no ``datastore`` entries.
DATASTORES: tuple[str, ...] = ("running", "candidate", "startup", "operational")


def yang_library_tree(ctx: libyang.Context, datastores: tuple[str, ...] = DATASTORES) -> libyang.DNode:
    """A new data tree with ``/yang-library`` and ``/modules-state``; the caller owns (and frees) it."""
    cid = content_id(ctx)
    try:
        tree: libyang.DNode = ctx.get_yanglib_data(cid)  # type: ignore[no-untyped-call]
    except libyang.LibyangError as exc:
        raise ModelError(f"cannot build the YANG library: {exc}") from exc
    for xpath in _LOCAL_URL_LEAVES:
        for node in list(tree.find_all(xpath)):
            node.free(with_siblings=False)  # lyd_free_tree unlinks the node first
    schema = tree.find_one("/ietf-yang-library:yang-library/schema/name")
    schema_name = str(schema.value()) if isinstance(schema, libyang.DLeaf) else "complete"
    for name in datastores:
        ctx.create_data_path(
            f"/ietf-yang-library:yang-library/datastore[name='ietf-datastores:{name}']/schema",
            parent=tree,
            value=schema_name,
        )
    return tree


def _print(tree: libyang.DNode, fmt: str, pretty: bool) -> str:
    text = tree.print_mem(fmt, with_siblings=True, pretty=pretty, keep_empty_containers=False)
    return str(text)


class YangLibrary:
    """The YANG library of one context, built once and printed on demand (it never changes at run time)."""

    def __init__(self, ctx: libyang.Context, datastores: tuple[str, ...] = DATASTORES) -> None:
        self.ctx = ctx
        self.datastores = datastores
        self.content_id = content_id(ctx)
        self.modules = module_entries(ctx)
        self._printed: dict[tuple[str, bool], str] = {}

    def implemented(self) -> list[ModuleEntry]:
        return [m for m in self.modules if m.implemented]

    def print(self, fmt: str = "json", pretty: bool = False) -> str:
        """The library data as ``json`` (RFC 7951) or ``xml``, both ``yang-library`` and ``modules-state``."""
        key = (fmt, pretty)
        if key not in self._printed:
            tree = yang_library_tree(self.ctx, self.datastores)
            try:
                self._printed[key] = _print(tree, fmt, pretty)
            finally:
                tree.free()
        return self._printed[key]

    def schema_text(self, name: str, revision: str | None = None) -> str:
        """The YANG source of a module in the set (for NETCONF ``<get-schema>``, RFC 6022)."""
        for entry in self.modules:
            if entry.name == name and (not revision or entry.revision == revision):
                module = self.ctx.get_module(name)
                path = module.filepath()
                if path:
                    with open(path, encoding="utf-8") as fh:
                        return fh.read()
                return str(module.print_mem("yang"))
        raise ModelError(
            f"no module {name}{'@' + revision if revision else ''} in the model set", tag="invalid-value"
        )


_LIBRARIES: dict[int, YangLibrary] = {}


def yang_library(ctx: libyang.Context) -> YangLibrary:
    """The (cached) :class:`YangLibrary` of ``ctx``."""
    key = int(ffi.cast("uintptr_t", ctx.cdata))
    lib_ = _LIBRARIES.get(key)
    if lib_ is None or lib_.ctx is not ctx:
        lib_ = _LIBRARIES[key] = YangLibrary(ctx)
    return lib_


__all__ = [
    "DATASTORES",
    "YANG_LIBRARY_MODULE",
    "ModuleEntry",
    "YangLibrary",
    "content_id",
    "module_entries",
    "yang_library",
    "yang_library_tree",
]
