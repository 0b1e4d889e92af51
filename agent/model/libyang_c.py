"""The libyang C library under the Python binding, and the calls that differ between libyang 2 and 3.

Debian 12 ships libyang 2.1.30 (binding ``libyang`` 2.7.x), Debian 13 libyang 3.12 (binding 3.3.x);
docs/operations.md says how the Makefile picks the pair. The binding's own Python API and constants
(``lib.LYD_*``, ``lib.LYS_*``) follow the library they were compiled against, so code using them needs no
care. Three things do differ and are handled here, once:

* the shared object: :data:`LIBRARY` is the very file the binding's extension loaded (read from the
  process's memory map), so functions bound separately through cffi's ABI mode
  (:mod:`agent.datastore._ly`) act on the same library and the same C structures;
* ``ly_set_log_clb``: libyang 2 takes a flag asking it to record each error's data path, libyang 3
  always records it and takes the callback alone;
* ``struct ly_err_item``: libyang 2 has one ``path`` text ('Schema location "...", data location "...",
  line number N.'), libyang 3 separate ``data_path``, ``schema_path`` and ``line`` members.
  :func:`errors` returns both as :class:`LyError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _libyang import ffi, lib


def _loaded_library() -> str:
    """Path of the ``libyang.so.N`` mapped into this process by the binding's extension module."""
    with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
        for line in maps:
            name = line.rsplit(None, 1)[-1]
            if "/libyang.so." in name:
                return name
    raise ImportError("the libyang binding is imported but no libyang.so is mapped into the process")


LIBRARY: str = _loaded_library()
#: Major version of the loaded library's soname (libyang.so.2.x.y -> 2, libyang.so.3.x.y -> 3).
MAJOR: int = int(Path(LIBRARY).name.split(".so.", 1)[1].split(".", 1)[0])
if MAJOR not in (2, 3):
    raise ImportError(
        f"{LIBRARY}: libyang {MAJOR}.x is not supported (2.x and 3.x are; see docs/operations.md)"
    )


def record_error_paths() -> None:
    """No log callback (errors are stored in the context, as the binding configures) and, on libyang 2,
    the flag that makes it record each error's data path. libyang 3 always records it."""
    if MAJOR == 2:
        lib.ly_set_log_clb(ffi.NULL, True)
    else:
        lib.ly_set_log_clb(ffi.NULL)


@dataclass(frozen=True)
class LyError:
    """One stored libyang error record, the same on libyang 2 and 3."""

    message: str
    data_path: str | None  # instance path of the offending node, when libyang has one
    schema_path: str | None  # schema node, e.g. of a missing mandatory leaf
    line: int | None  # input line, when the error came from a parser
    apptag: str | None
    vecode: int

    @property
    def path(self) -> str | None:
        """The instance path, else the schema path."""
        return self.data_path or self.schema_path


# A path ends at the quote followed by ", " (the next item) or the final "." (a key value may hold quotes).
_DATA_LOC = re.compile(r'[Dd]ata location "(?P<path>.*?)"(?=, |\.?$)')
_SCHEMA_LOC = re.compile(r'[Ss]chema location "(?P<path>.*?)"(?=, |\.?$)')
_LINE = re.compile(r"[Ll]ine number (?P<line>\d+)")


def _text(c: Any) -> str | None:
    return ffi.string(c).decode("utf-8", "replace") if c != ffi.NULL else None


def _from_v2_path(text: str | None) -> tuple[str | None, str | None, int | None]:
    """(data path, schema path, line) out of libyang 2's location text."""
    if not text:
        return None, None, None
    data = _DATA_LOC.search(text)
    schema = _SCHEMA_LOC.search(text)
    line = _LINE.search(text)
    if data is None and schema is None and text.startswith("/"):
        return text, None, None
    return (
        data.group("path") if data else None,
        schema.group("path") if schema else None,
        int(line.group("line")) if line else None,
    )


_MANDATORY = re.compile(r'^Mandatory node "(?P<name>[^"]+)" instance does not exist')
_PREDICATES = re.compile(r"\[(?:[^\]'\"]|'[^']*'|\"[^\"]*\")*\]")


def _missing_child_path(ctx: Any, parent_path: str, name: str) -> str:
    """libyang 3 reports a missing mandatory node at its parent instance; name the node itself, with its
    module prefix when it comes from another module (an augment), as libyang 2's schema path did."""
    prefix = ""
    parent = lib.lys_find_path(ctx, ffi.NULL, _PREDICATES.sub("", parent_path).encode(), 0)
    if parent != ffi.NULL:
        child = lib.lys_getnext(ffi.NULL, parent, ffi.NULL, 0)
        while child != ffi.NULL:
            if ffi.string(child.name).decode() == name:
                if child.module != parent.module:
                    prefix = ffi.string(child.module.name).decode() + ":"
                break
            child = lib.lys_getnext(child, parent, ffi.NULL, 0)
    return f"{parent_path}/{prefix}{name}"


def errors(ctx: Any) -> list[LyError]:
    """The error records stored in context ``ctx`` (a ``struct ly_ctx *``), oldest first; not cleared."""
    out: list[LyError] = []
    err = lib.ly_err_first(ctx)
    while err != ffi.NULL:
        if MAJOR == 2:
            data_path, schema_path, line = _from_v2_path(_text(err.path))
        else:
            data_path, schema_path = _text(err.data_path), _text(err.schema_path)
            line = int(err.line) or None
            missing = _MANDATORY.match(_text(err.msg) or "")
            if missing and data_path and not data_path.endswith("/" + missing.group("name")):
                data_path = _missing_child_path(ctx, data_path, missing.group("name"))
        out.append(
            LyError(
                message=_text(err.msg) or "libyang error",
                data_path=data_path or None,
                schema_path=schema_path or None,
                line=line,
                apptag=_text(err.apptag),
                vecode=int(err.vecode),
            )
        )
        err = err.next
    return out
