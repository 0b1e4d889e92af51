"""Check the YANG model set and the examples with two independent tools: ``python -m agent.model.lint``.

Why two tools: pyang's ``--lint`` enforces the RFC 8407 authoring rules (descriptions, canonical
statement order, prefixes, revisions) that libyang does not care about, and yanglint (libyang's own
command-line tool, the engine netopeer2 and sysrepo use) compiles the whole set with the agent's
features exactly as the agent does, then validates every file in ``examples/`` against it. The agent's
own loader is exercised by the unit tests; this is the cross-check ``make yang-check`` runs in CI.

Any output from either tool counts as a problem: a warning today is an interoperability bug tomorrow.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from agent.errors import ModelError
from agent.model.context import PROJECT_YANG_DIR, pyang_module_dirs
from agent.model.modules import PROJECT_MODULES, STANDARD_MODULES
from agent.model.xmlsafe import XmlSyntaxError, parse_xml

EXAMPLES_DIR = PROJECT_YANG_DIR.parent / "examples"
NETCONF_BASE_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
# Each tool run is bounded; the whole set compiles in well under a second.
TOOL_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Finding:
    """One problem a tool reported, and which check it came from."""

    check: str
    text: str

    def __str__(self) -> str:
        return f"{self.check}: {self.text}"


def module_file(name: str, dirs: Sequence[Path]) -> Path:
    """The file defining module ``name`` in ``dirs`` (``name.yang`` or ``name@revision.yang``)."""
    for d in dirs:
        exact = d / f"{name}.yang"
        if exact.is_file():
            return exact
        revisions = sorted(d.glob(f"{name}@*.yang"))
        if revisions:
            return revisions[-1]
    raise ModelError(f"YANG module {name} not found in {', '.join(map(str, dirs))}")


def _tool(name: str) -> str:
    """A tool installed next to the interpreter (the venv's pyang), else the one on PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else name


def _run(check: str, argv: list[str]) -> list[Finding]:
    """Run ``argv``; every non-empty output line, or a non-zero exit, is a finding."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False)
    except FileNotFoundError:
        return [Finding(check, f"{argv[0]} is not installed")]
    except subprocess.TimeoutExpired:
        return [Finding(check, f"{argv[0]} did not finish in {TOOL_TIMEOUT_S:.0f} s")]
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    findings = [Finding(check, ln) for ln in lines]
    if proc.returncode != 0 and not findings:
        findings.append(Finding(check, f"{argv[0]} exited with status {proc.returncode}"))
    return findings


def project_files() -> list[Path]:
    """The project modules, in load order."""
    return [module_file(name, [PROJECT_YANG_DIR]) for name in PROJECT_MODULES]


def pyang_lint() -> list[Finding]:
    """``pyang --lint`` on the project modules, with pyang's standard modules on the path."""
    path = ":".join(str(d) for d in [*pyang_module_dirs(), PROJECT_YANG_DIR])
    argv = [_tool("pyang"), "--lint", "-p", path, *map(str, project_files())]
    return _run("pyang --lint", argv)


def _yanglint_base() -> list[str]:
    """yanglint with the agent's search path, implemented modules and features."""
    dirs = [PROJECT_YANG_DIR, *pyang_module_dirs()]
    argv = [_tool("yanglint")]
    for d in dirs:
        argv += ["-p", str(d)]
    for name, features in STANDARD_MODULES.items():
        if features:
            argv += ["-F", f"{name}:{','.join(features)}"]
    argv += [str(module_file(name, dirs)) for name in STANDARD_MODULES]
    argv += [str(p) for p in project_files()]
    return argv


def unwrap_netconf_config(raw: bytes) -> bytes:
    """The children of a NETCONF ``<config>``/``<data>`` element as one XML fragment for yanglint.

    yanglint reads bare data trees; the examples are NETCONF ``<config>`` elements so that they can
    be pasted into ``<edit-config>``. Parsed with the agent's safe parser (no entities, no DTD).
    """
    root = parse_xml(raw)
    if etree.QName(root).namespace != NETCONF_BASE_NS or etree.QName(root).localname not in (
        "config",
        "data",
    ):
        return raw
    return b"".join(etree.tostring(child) for child in root if isinstance(child.tag, str))


def yanglint_schema() -> list[Finding]:
    """Compile the whole model set with the agent's features."""
    return _run("yanglint (model set)", _yanglint_base())


def yanglint_example(path: Path) -> list[Finding]:
    """Validate one example (JSON-IETF, or XML in a NETCONF ``<config>``) as a configuration datastore."""
    check = f"yanglint {path.name}"
    if path.suffix == ".xml":
        try:
            payload = unwrap_netconf_config(path.read_bytes())
        except XmlSyntaxError as exc:
            return [Finding(check, f"not well-formed XML: {exc}")]
        with tempfile.NamedTemporaryFile("wb", suffix=".xml", delete=True) as tmp:
            tmp.write(payload)
            tmp.flush()
            return _run(check, [*_yanglint_base(), "-t", "config", tmp.name])
    return _run(check, [*_yanglint_base(), "-t", "config", str(path)])


def example_files() -> list[Path]:
    """Every example configuration."""
    return sorted(p for p in EXAMPLES_DIR.iterdir() if p.suffix in (".xml", ".json"))


def run_all() -> list[Finding]:
    """Every check; the empty list means the set and the examples are clean."""
    findings = pyang_lint() + yanglint_schema()
    for example in example_files():
        findings += yanglint_example(example)
    return findings


def main(argv: Sequence[str] | None = None) -> int:
    """Print each finding; exit 1 when there is any."""
    del argv
    findings = run_all()
    for finding in findings:
        print(finding, file=sys.stderr)
    if findings:
        print(f"yang-check: {len(findings)} problem(s)", file=sys.stderr)
        return 1
    names = ", ".join(p.name for p in example_files())
    print(f"yang-check: {len(PROJECT_MODULES)} project modules lint-clean; model set and {names} valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
