"""Regenerate ``bindings/``: pyangbind classes for the model set and Python modules for ``proto/``.

``python -m agent.model.bindgen [OUTDIR]`` (``make bindings``) writes:

* ``OUTDIR/bng_yang.py``: pyangbind classes for every configuration module of the model set (project
  modules and the standard modules they use), generated in *one* pyang run so that augmentations
  (``ietf-ip`` into ``ietf-interfaces``, ``bng-*`` into both) land in the classes they augment. Features
  and deviations are the ones the agent's libyang context has, so the SDK offers exactly what the agent
  accepts.
* ``OUTDIR/proto/*_pb2.py``, ``*_pb2_grpc.py``: from every ``proto/*.proto`` (``grpc_tools.protoc``),
  with imports rewritten to be package-relative.

The bindings are a typed SDK for orchestrators, not the agent's datastore (pyangbind needs ~35 ms per
``ietf-interfaces`` list entry; libyang holds the data). Output is deterministic: inputs are sorted, and
the header names the module revisions and tool versions instead of a date or a path, so a test can
regenerate into a temporary folder and demand an identical tree.

Modules left out, and why (the agent still implements them; they are protocol plumbing, not
configuration an orchestrator builds): the NETCONF/NMDA protocol modules and ``ietf-yang-library``;
``ietf-netconf-acm`` because pyangbind cannot map its ``instance-identifier`` type.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import libyang

from agent.errors import ModelError
from agent.model.context import PROJECT_YANG_DIR, load_model_set, pyang_module_dirs
from agent.model.yanglib import module_entries

REPO_ROOT = PROJECT_YANG_DIR.parent
PROTO_DIR = REPO_ROOT / "proto"
YANG_BINDINGS_FILE = "bng_yang.py"

# Implemented modules that get no bindings (see the module docstring).
EXCLUDED_MODULES: dict[str, str] = {
    "ietf-yang-library": "protocol: read-only library data",
    "ietf-datastores": "protocol: identities only",
    "ietf-origin": "protocol: identities only",
    "ietf-netconf": "protocol: RPCs only",
    "ietf-netconf-with-defaults": "protocol: RPC parameters",
    "ietf-netconf-nmda": "protocol: RPCs only",
    "ietf-netconf-monitoring": "protocol: state data",
    "ietf-netconf-notifications": "protocol: notifications only",
    "ietf-netconf-acm": "pyangbind cannot map type instance-identifier",
    "ietf-yang-schema-mount": "libyang internal",
    "yang": "libyang internal",
}

_INIT_TEXT = '''"""Generated bindings for bng-agent (``make bindings``; do not edit).

``bindings.bng_yang``: pyangbind classes for the YANG model set, a typed Python SDK for orchestrators.
``bindings.proto``: protobuf/gRPC modules generated from ``proto/``.
"""
'''


def _pyangbind_plugin_dir() -> Path:
    import pyangbind

    return Path(pyangbind.__file__).resolve().parent / "plugin"


def _tool_versions(*dists: str) -> str:
    versions = []
    for dist in dists:
        try:
            versions.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return ", ".join(versions)


def binding_modules(ctx: libyang.Context) -> tuple[list[tuple[str, Path]], list[str], list[str]]:
    """(modules to bind with their files, pyang ``-F`` feature options, deviation module files)."""
    entries = module_entries(ctx)
    deviators = sorted({d for e in entries for d in e.deviations})
    chosen: list[tuple[str, Path]] = []
    features: list[str] = []
    deviation_files: list[str] = []
    for entry in entries:
        module = ctx.get_module(entry.name)
        path = module.filepath()
        features.append(f"--features={entry.name}:{','.join(entry.features)}")
        if entry.name in deviators and path:
            deviation_files.append(path)
            continue
        if not entry.implemented or entry.name in EXCLUDED_MODULES:
            continue
        if not path:
            raise ModelError(f"module {entry.name} has no source file to generate bindings from")
        chosen.append((entry.name, Path(path)))
    return chosen, features, deviation_files


def generate_yang(outdir: Path, ctx: libyang.Context | None = None) -> Path:
    """Write ``outdir/bng_yang.py`` with pyangbind; return its path."""
    ctx = ctx or load_model_set().ctx
    modules, features, deviations = binding_modules(ctx)
    if not modules:
        raise ModelError("no modules to generate bindings for")
    search = ":".join(str(d) for d in [PROJECT_YANG_DIR, *pyang_module_dirs()])
    target = outdir / YANG_BINDINGS_FILE
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / YANG_BINDINGS_FILE
        cmd = [
            sys.executable,
            "-m",
            "pyang",
            "--plugindir",
            str(_pyangbind_plugin_dir()),
            "-f",
            "pybind",
            "-p",
            search,
            "-o",
            str(raw),
            *features,
            *(f"--deviation-module={d}" for d in deviations),
            *(str(path) for _, path in modules),
        ]
        env = {k: v for k, v in os.environ.items() if k not in ("YANG_MODPATH", "PYANG_PLUGINPATH")}
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, timeout=1800)
        if proc.returncode != 0 or not raw.exists():
            reason = (proc.stderr or proc.stdout).strip().splitlines()[:5]
            raise ModelError("pyangbind failed: " + " | ".join(reason))
        body = raw.read_text()
    header = [
        "# Generated by `make bindings` (python -m agent.model.bindgen); do not edit.",
        f"# Tools: {_tool_versions('pyang', 'pyangbind')}.",
        "# Modules: " + ", ".join(f"{name}@{_revision(ctx, name)}" for name, _ in modules) + ".",
    ]
    if deviations:
        header.append("# Deviations: " + ", ".join(Path(d).stem for d in deviations) + ".")
    outdir.mkdir(parents=True, exist_ok=True)
    target.write_text(_strip_paths("\n".join(header) + "\n" + body))
    return target


def _revision(ctx: libyang.Context, name: str) -> str:
    return next((e.revision for e in module_entries(ctx) if e.name == name), "")


def _strip_paths(text: str) -> str:
    """Drop any absolute path of this machine that a generator put into the output."""
    for root in {str(REPO_ROOT), sys.prefix, tempfile.gettempdir()}:
        text = text.replace(root + "/", "")
    return text


_PB2_IMPORT = re.compile(r"^import (\w+_pb2) as (\w+)$", re.M)


def generate_protos(outdir: Path, proto_dir: Path = PROTO_DIR) -> list[Path]:
    """Compile every ``proto_dir/*.proto`` into ``outdir/proto``; return the files written."""
    protos = sorted(proto_dir.glob("*.proto")) if proto_dir.is_dir() else []
    target = outdir / "proto"
    if not protos:
        return []
    target.mkdir(parents=True, exist_ok=True)
    import grpc_tools  # type: ignore[import-untyped]
    from grpc_tools import protoc

    include = Path(grpc_tools.__file__).resolve().parent / "_proto"
    args = [
        "protoc",
        f"-I{proto_dir}",
        f"-I{include}",
        f"--python_out={target}",
        f"--pyi_out={target}",
        f"--grpc_python_out={target}",
        *(str(p) for p in protos),
    ]
    if protoc.main(args) != 0:
        raise ModelError(f"protoc failed on {', '.join(p.name for p in protos)}")
    written = [target / "__init__.py"]
    written[0].write_text('"""Protobuf/gRPC modules generated from proto/ (``make bindings``)."""\n')
    for path in sorted(target.glob("*_pb2*.py*")):
        text = _PB2_IMPORT.sub(r"from . import \1 as \2", path.read_text())
        path.write_text(_strip_paths(text))
        written.append(path)
    return written


def generate(outdir: Path) -> list[Path]:
    """Regenerate everything under ``outdir``."""
    outdir.mkdir(parents=True, exist_ok=True)
    init = outdir / "__init__.py"
    init.write_text(_INIT_TEXT)
    return [init, generate_yang(outdir), *generate_protos(outdir)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m agent.model.bindgen",
        description="Regenerate pyangbind classes and protobuf modules.",
    )
    parser.add_argument(
        "outdir", nargs="?", default="bindings", type=Path, help="output folder (default bindings/)"
    )
    args = parser.parse_args(argv)
    try:
        written = generate(args.outdir)
    except ModelError as exc:
        print(f"bindgen: {exc.message}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
