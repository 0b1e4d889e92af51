"""Load the model set into one libyang context, once per process.

Why libyang: measured here on 10,000 interfaces it parses and validates in 0.08 s where yangson
(pure Python) needs 2.5 s and pyangbind minutes. The context is created once and shared: libyang
contexts are expensive to build and every data tree the datastore holds is bound to one.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import libyang
from _libyang import ffi, lib

from agent.errors import ModelError
from agent.model.modules import PROJECT_MODULES, STANDARD_MODULES

PROJECT_YANG_DIR = Path(__file__).resolve().parents[2] / "yang"


def pyang_module_dirs() -> list[Path]:
    """The directories holding the standard IETF/IANA modules that ship with pyang.

    pyang installs them as data files under ``<prefix>/share/yang/modules/{ietf,iana}``; the prefix is
    the virtual environment's (or the interpreter's) one. Found at run time, never copied into the repo.
    """
    candidates: list[Path] = []
    import pyang

    for prefix in {sys.prefix, sys.base_prefix, str(Path(pyang.__file__).resolve().parents[4])}:
        base = Path(prefix) / "share" / "yang" / "modules"
        if base.is_dir():
            candidates.extend(sorted(p for p in base.iterdir() if p.is_dir()))
    if not candidates:
        raise ModelError("cannot find pyang's YANG module directory (is pyang installed?)")
    return candidates


def search_path() -> str:
    """libyang search path: the project's modules first, then pyang's standard modules."""
    dirs = [PROJECT_YANG_DIR, *pyang_module_dirs()]
    return ":".join(str(d) for d in dirs)


def _load_with_features(ctx: libyang.Context, name: str, features: list[str]) -> libyang.Module:
    """Load and implement ``name`` with ``features`` enabled from the first compilation.

    Loading first and enabling features afterwards fails for modules such as ietf-nat, whose
    enumerations have no value left when every feature is off.
    """
    names = [ffi.new("char[]", f.encode()) for f in features]
    arr = ffi.new("char *[]", [*names, ffi.NULL]) if features else ffi.NULL
    cdata = lib.ly_ctx_load_module(ctx.cdata, name.encode(), ffi.NULL, arr)
    if cdata == ffi.NULL:
        raise ModelError(f"cannot load YANG module {name}: {ctx.error('cannot load module')}")
    return libyang.Module(ctx, cdata)


@dataclass
class ModelSet:
    """The loaded model set: the libyang context and the modules the agent implements."""

    ctx: libyang.Context
    implemented: list[str]

    def module(self, name: str) -> libyang.Module:
        return self.ctx.get_module(name)


def _build() -> ModelSet:
    os.environ.pop("YANGPATH", None)
    os.environ.pop("YANG_MODPATH", None)
    ctx = libyang.Context(search_path(), disable_searchdir_cwd=True)
    implemented: list[str] = []
    wanted: list[tuple[str, list[str]]] = list(STANDARD_MODULES.items())
    wanted += [(name, ["*"]) for name in PROJECT_MODULES]
    for name, features in wanted:
        _load_with_features(ctx, name, features)
        implemented.append(name)
    return ModelSet(ctx=ctx, implemented=implemented)


_MODEL_SET: ModelSet | None = None


def load_model_set() -> ModelSet:
    """Return the process-wide model set, loading it on first use."""
    global _MODEL_SET
    if _MODEL_SET is None:
        _MODEL_SET = _build()
    return _MODEL_SET
