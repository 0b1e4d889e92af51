"""``bng-vppsim``: run the emulator, or send it a control command.

bng-vppsim --api-socket /run/vpp/api.sock --stats-socket /run/vpp/stats.sock [--ports N]
           [--control-socket PATH] [--stats-size-mb 64] [--no-interface-symlinks]
           [--stats-update-interval 10] [--parent-pid PID] [--punt-socket PATH]
bng-vppsim ctl --control-socket PATH <command> [key=value ...]     e.g. link sw_if_index=1 up=false
bng-vppsim ctl --control-socket PATH cli show interface            VPP's CLI, as vppctl
bng-vppsim ctl --help                                              every command
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
import sys
import time
from typing import Any

TICK_SECONDS = 0.1


def _run_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bng-vppsim", description="VPP 26.06 emulator (binary API + stats segment)"
    )
    p.add_argument("--api-socket", required=True)
    p.add_argument("--stats-socket", required=True)
    p.add_argument("--control-socket")
    p.add_argument("--ports", type=int, default=2, help="physical ports at start (default 2)")
    p.add_argument("--stats-size-mb", type=int, default=64, help="stats segment size (VPP: statseg size)")
    p.add_argument(
        "--no-interface-symlinks",
        action="store_true",
        help="skip /interfaces/<name>/* entries (VPP creates them; they cost ~2.5 KB per interface)",
    )
    p.add_argument(
        "--stats-update-interval",
        type=float,
        default=10.0,
        help="seconds between stats collector runs (/sys/heartbeat ...); VPP's statseg default is 10",
    )
    p.add_argument(
        "--parent-pid",
        type=int,
        help="exit when this process (the agent that started the emulator) dies, even by SIGKILL",
    )
    p.add_argument(
        "--punt-socket",
        help="VPP punt socket path (startup.conf `punt { socket PATH }`); without it registrations fail",
    )
    p.add_argument("--log-level", default="WARNING")
    return p


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_POLL_SECONDS = 0.5


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to send SIGTERM when the parent dies (prctl(PR_SET_PDEATHSIG), via ctypes: no
    preexec_fn in the parent, which is unsafe once it has threads). The signal comes when the parent
    *thread* that forked exits; the agent forks from its event-loop thread, which lives as long as it
    does. If the parent is already gone (it died before the prctl), exit now. Elsewhere the poll in
    :func:`_watch_parent` alone does the job."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
            logging.getLogger("vppsim").warning("prctl(PR_SET_PDEATHSIG) failed errno=%d", ctypes.get_errno())
    if os.getppid() != parent_pid:
        sys.exit(0)


async def _watch_parent(parent_pid: int, stop: asyncio.Event) -> None:
    """Re-parenting (to init or a subreaper) means the parent died: stop as on SIGTERM."""
    while os.getppid() == parent_pid:
        await asyncio.sleep(PARENT_POLL_SECONDS)
    logging.getLogger("vppsim").warning("parent pid=%d is gone; stopping", parent_pid)
    stop.set()


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _ctl_parser() -> argparse.ArgumentParser:
    from vppsim.control import COMMANDS
    from vppsim.vppcli import help_lines

    width = max(len(k) for k in COMMANDS)
    lines = ["commands (key=value arguments; values are parsed as JSON when they can be):"]
    for name, (args, does) in COMMANDS.items():
        lines.append(f"  {name:<{width}}  {args}")
        lines.append(f"  {'':<{width}}    {does}")
    lines.append("")
    lines.append("VPP CLI commands (bng-vppsim ctl --control-socket PATH cli show interface):")
    lines += [f"  {c}" for c in help_lines()]
    p = argparse.ArgumentParser(
        prog="bng-vppsim ctl",
        description="send a command to a running vppsim",
        epilog="\n".join(lines),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--control-socket", help="the socket vppsim was started with (required but for help)")
    p.add_argument("command", help="one of the commands below")
    p.add_argument("args", nargs="*", help="key=value ... (for cli: the CLI command's words)")
    return p


def _ctl(argv: list[str]) -> int:
    from vppsim.control import COMMANDS, ControlError, send_command

    p = _ctl_parser()
    ns = p.parse_args(argv)
    if ns.command == "help" and not ns.control_socket:
        p.print_help()
        return 0
    if not ns.control_socket:
        p.error("--control-socket is required")
    kwargs: dict[str, Any] = {}
    if ns.command == "cli":
        # as vppctl: `cli show interface`; `cli cmd="show interface"` (cli_inband's field name) also works
        words = list(ns.args)
        if len(words) == 1 and words[0].partition("=")[0] in ("cmd", "command"):
            words = [words[0].partition("=")[2]]
        kwargs["command"] = " ".join(words)
    else:
        for a in ns.args:
            key, sep, val = a.partition("=")
            if not sep:
                p.error(f"argument {a!r} is not key=value")
            kwargs[key] = _value(val)
    try:
        reply = send_command(ns.control_socket, ns.command, **kwargs)
    except (ControlError, OSError) as e:
        hint = "" if ns.command in COMMANDS else " (bng-vppsim ctl --help lists the commands)"
        print(json.dumps({"ok": False, "error": f"{e}{hint}"}))
        return 1
    if ns.command == "cli":
        print(reply.get("reply", ""), end="")  # VPP's text as vppctl prints it
        return 0
    print(json.dumps(reply))
    return 0


def _unlink(path: str | None) -> None:
    if path:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


async def _serve(ns: argparse.Namespace) -> None:
    from agent.vpp.api import api_json_files
    from vppsim.codec import ApiDefinitions
    from vppsim.control import ControlServer
    from vppsim.emulator import Emulator
    from vppsim.features.punt.state import PuntServer
    from vppsim.handlers import load_all
    from vppsim.ports import Dataplane
    from vppsim.server import ApiServer
    from vppsim.stats import StatsSegment

    defs = ApiDefinitions(api_json_files())
    stats = StatsSegment(ns.stats_size_mb * 1024 * 1024, interface_symlinks=not ns.no_interface_symlinks)
    emu = Emulator(defs, stats, ports=ns.ports)
    for path in (ns.api_socket, ns.stats_socket, ns.control_socket):
        _unlink(path)
    emu.dataplane = Dataplane(emu)
    if ns.punt_socket:
        emu.punt = PuntServer(ns.punt_socket)
        emu.punt.start(emu.dataplane.transmit)
    api = ApiServer(emu, load_all())
    await api.start(ns.api_socket)
    await stats.serve(ns.stats_socket)
    control = ControlServer(emu)
    if ns.control_socket:
        await control.start(ns.control_socket)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def traffic() -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            emu.flush_stats()
            # an interface the segment had no room for has no counters to move (see flush_stats)
            rows = [
                r
                for r in emu.traffic.rows(time.monotonic())
                if r[0] in emu.interfaces and stats.is_published(r[0])
            ]
            if rows:
                stats.add_traffic_bulk(rows)

    tasks = [
        asyncio.create_task(traffic()),
        asyncio.create_task(stats.run_collector(ns.stats_update_interval)),
    ]
    if ns.parent_pid is not None:
        tasks.append(asyncio.create_task(_watch_parent(ns.parent_pid, stop)))
    try:
        await stop.wait()
    finally:
        for t in tasks:
            t.cancel()
        await api.close()
        await control.close()
        emu.dataplane.close()
        if emu.punt is not None:
            emu.punt.close()
        stats.close()
        for path in (ns.api_socket, ns.stats_socket, ns.control_socket):
            _unlink(path)
        if ns.parent_pid is not None:
            # the agent's private socket directory (agent/app/sim.py): gone with the sockets, if empty
            with contextlib.suppress(OSError):
                os.rmdir(os.path.dirname(os.path.abspath(ns.api_socket)))


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "ctl":
        try:
            rc = _ctl(args[1:])
            sys.stdout.flush()  # here, so a closed pipe is caught below and not at interpreter exit
            return rc
        except BrokenPipeError:  # `ctl ... | head`: the reader left; not an error worth a traceback
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    ns = _run_parser().parse_args(args)
    if ns.parent_pid is not None:
        _die_with_parent(ns.parent_pid)
    logging.basicConfig(level=ns.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # The emulator keeps hundreds of thousands of long-lived objects (interfaces, index entries) and
    # allocates a few per API call; with CPython's default thresholds the cyclic collector rescans them
    # so often that it costs about a quarter of a create_subif. Nothing here relies on cycles being
    # reclaimed promptly, so collect far less often.
    gc.set_threshold(50_000, 50, 100)
    asyncio.run(_serve(ns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
