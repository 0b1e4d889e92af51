"""``bng-agent``: the command an operator runs on the node.

Subcommands:

* ``bng-agent validate FILE...`` checks configuration files (NETCONF XML or JSON-IETF) against the full
  model set, offline, exactly as the agent would; exit status 0 only when every file is valid.
* ``bng-agent nat-collector`` receives IPFIX / NetFlow v9 (NAT events) and writes JSON lines
  (:mod:`agent.natlog.collector`).
* ``bng-agent run`` starts the agent: it hands the parsed arguments to ``agent.run.run(args) -> int``.
  In a build without that module it performs the start-up checks only (:func:`preflight`: load the
  model set, validate the bundled examples and the ``--startup`` file, report, exit).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import libyang

from agent.errors import AgentError
from agent.model.validate import Problem, check_file

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
_DATA_SUFFIXES = (".xml", ".json")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bng-agent",
        description="Model-driven NETCONF/gNMI management agent for an FD.io VPP broadband network gateway.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    val = sub.add_parser(
        "validate",
        help="validate configuration files (NETCONF XML or JSON-IETF) against the YANG model set",
        description="Validate each FILE with full YANG validation (strict, config data only). "
        "Exit status 0 only if every file is valid.",
    )
    val.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="XML (<config>, <data> or bare) or JSON-IETF; - reads standard input",
    )
    val.add_argument("-q", "--quiet", action="store_true", help="print errors only, not 'valid' lines")
    val.add_argument(
        "-p",
        "--yang-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="extra directory to search for YANG modules (with --module)",
    )
    val.add_argument(
        "-m",
        "--module",
        action="append",
        default=[],
        metavar="NAME",
        help="also implement this module (e.g. a controller's own augmentations) when validating",
    )
    val.set_defaults(func=cmd_validate)

    run = sub.add_parser("run", help="run the agent", description="Run the management agent.")
    run.add_argument("--sim", action="store_true", help="start and use the bundled VPP emulator (vppsim)")
    run.add_argument("--data-dir", metavar="DIR", help="where datastores and history are kept")
    run.add_argument(
        "--startup", metavar="FILE", help="configuration to load when no startup datastore exists"
    )
    run.add_argument("--config", metavar="FILE", help="agent settings file")
    run.add_argument("--netconf-port", type=int, metavar="PORT", help="NETCONF over SSH listening port")
    run.add_argument("--gnmi-port", type=int, metavar="PORT", help="gNMI listening port")
    run.add_argument("--metrics-port", type=int, metavar="PORT", help="Prometheus /metrics port")
    run.add_argument("--vpp-api-socket", metavar="PATH", help="VPP binary API socket")
    run.add_argument("--vpp-stats-socket", metavar="PATH", help="VPP stats segment socket")
    run.add_argument(
        "--gnmi-insecure", action="store_true", help="serve gNMI without TLS (plaintext; lab use only)"
    )
    run.add_argument("--gnmi-tls-cert", metavar="FILE", help="gNMI server certificate (PEM)")
    run.add_argument("--gnmi-tls-key", metavar="FILE", help="gNMI server private key (PEM)")
    run.add_argument(
        "--gnmi-client-ca", metavar="FILE", help="CA bundle (PEM): gNMI clients must present a certificate"
    )
    run.add_argument(
        "--admin-password-file",
        metavar="FILE",
        help="first-start password of the bootstrap 'admin' user (NETCONF and gNMI)",
    )
    run.add_argument(
        "--drift-audit-interval",
        type=float,
        metavar="SECONDS",
        help="how often VPP is audited for changes made behind the agent's back (default 60; 0: only "
        "VPP's interface events)",
    )
    run.add_argument(
        "--no-drift-repair",
        action="store_true",
        help="report drift (log, in-sync false, notification) instead of repairing it",
    )
    run.set_defaults(func=cmd_run)

    from agent.natlog import collector

    collector.add_parser(sub)
    return parser


def _format_problem(source: str, problem: Problem) -> str:
    """``file:line: path: reason`` (compiler style, so editors and CI logs link to the line)."""
    head = f"{source}:{problem.line}" if problem.line is not None else source
    where = f" {problem.path}:" if problem.path else ""
    return f"{head}:{where} {problem.message}"


def _validation_context(args: argparse.Namespace) -> libyang.Context | None:
    if not args.module and not args.yang_dir:
        return None
    from agent.model.validate import extended_context

    return extended_context([Path(d) for d in args.yang_dir], list(args.module))


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        ctx = _validation_context(args)
    except AgentError as exc:
        print(f"bng-agent: {exc.message}", file=sys.stderr)
        return 2
    invalid = 0
    for name in args.files:
        try:
            problems = check_file(name, ctx)
        except Exception as exc:  # a bug here must not hide the other files' results
            problems = [
                Problem(f"internal error while validating (please report): {exc!r}", tag="operation-failed")
            ]
        if problems:
            invalid += 1
            for problem in problems:
                print(_format_problem(name, problem))
        elif not args.quiet:
            print(f"{name}: valid")
    if len(args.files) > 1 and not args.quiet:
        print(f"{len(args.files) - invalid} of {len(args.files)} files valid")
    return 1 if invalid else 0


def _example_files() -> list[Path]:
    if not EXAMPLES_DIR.is_dir():
        return []
    return sorted(p for p in EXAMPLES_DIR.rglob("*") if p.suffix in _DATA_SUFFIXES and p.is_file())


def preflight(args: argparse.Namespace) -> int:
    """Start-up checks: load the model set, validate the examples and the startup file."""
    from agent.model.context import load_model_set

    start = time.perf_counter()
    try:
        model = load_model_set()
    except AgentError as exc:
        print(f"bng-agent: cannot load the YANG model set: {exc.message}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - start
    print(f"model set loaded: {len(model.implemented)} modules implemented in {elapsed * 1000:.0f} ms")

    files = _example_files()
    failed = 0
    for path in files:
        problems = check_file(path)
        if problems:
            failed += 1
            for problem in problems:
                print(_format_problem(str(path), problem))
    if files:
        print(f"examples: {len(files) - failed} of {len(files)} valid ({EXAMPLES_DIR})")
    else:
        print(f"examples: none found in {EXAMPLES_DIR}")

    if args.startup:
        problems = check_file(args.startup)
        if problems:
            failed += 1
            for problem in problems:
                print(_format_problem(args.startup, problem))
        else:
            print(f"startup configuration {args.startup}: valid")
    if failed:
        print("bng-agent: configuration errors above; not starting", file=sys.stderr)
        return 1
    print("start-up checks passed")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the agent: ``agent.run.run(args)`` once it exists, the start-up checks until then."""
    if importlib.util.find_spec("agent.run") is not None:
        runner = importlib.import_module("agent.run")
        return int(runner.run(args))
    return preflight(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
