"""The control channel: one JSON object per line over a unix socket, one JSON reply line per command.

It stands in for what happens to a real box outside the API: a NIC appears or goes away, a cable is
pulled, traffic flows (so stats counters move), VPP misbehaves (the next K calls of a message fail with a
chosen retval, or stall), or VPP crashes (the process exits; the next one starts empty, as after a VPP
restart). Commands::

    {"cmd": "ping"}
    {"cmd": "add_port"}                                      -> {"sw_if_index": N, "name": "..."}
    {"cmd": "remove_port", "sw_if_index": N}                 (or "name": "...")
    {"cmd": "link", "sw_if_index": N, "up": false}
    {"cmd": "traffic", "sw_if_index": N, "rx_pps": 1000, "rx_bps": 64000, "tx_pps": 0, "tx_bps": 0}
    {"cmd": "fail", "message": "create_subif", "count": 2, "retval": -56}
    {"cmd": "delay", "message": "create_subif", "count": 1, "seconds": 0.5}
    {"cmd": "faults"}                                        -> rules not used up yet, "stalled"
    {"cmd": "clear_faults"}
    {"cmd": "stats_status"}       -> the stats segment heap in bytes ("capacity", "used", "free",
                                     "quarantined", "largest_free", "high_water"), "published"
                                     interfaces, "pending" ones waiting for room, "full"
                                     (also spelt "stats-status")
    {"cmd": "crash"}
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from typing import Any

from vppsim.emulator import Emulator
from vppsim.faults import Fault
from vppsim.server import flush_events
from vppsim.state.interfaces import IfKind, Interface

CRASH_EXIT_CODE = 70
MAX_LINE = 64 * 1024


class ControlError(Exception):
    """A command the emulator cannot carry out; reported to the caller as ``{"ok": false, "error"}``."""


class ControlServer:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.server: asyncio.AbstractServer | None = None

    async def start(self, path: str) -> None:
        self.server = await asyncio.start_unix_server(self._client, path, limit=MAX_LINE)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    request = json.loads(line)
                    if not isinstance(request, dict):
                        raise ControlError("a command is a JSON object")
                    reply = {"ok": True, **self.execute(request)}
                except (ControlError, ValueError, KeyError, TypeError) as e:
                    reply = {"ok": False, "error": str(e)}
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
                if reply.get("crash"):
                    os._exit(CRASH_EXIT_CODE)
        except (ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()

    def _interface(self, args: dict[str, Any]) -> Interface:
        emu = self.emu
        if "sw_if_index" in args:
            intf = emu.interfaces.get(int(args["sw_if_index"]))
        elif "name" in args:
            intf = emu.interfaces.by_name(str(args["name"]))
        else:
            raise ControlError("give sw_if_index or name")
        if intf is None:
            raise ControlError("no such interface")
        return intf

    def execute(self, args: dict[str, Any]) -> dict[str, Any]:
        emu = self.emu
        cmd = args.get("cmd")
        result: dict[str, Any] = {}
        if cmd == "ping":
            result = {"pid": os.getpid()}
        elif cmd == "add_port":
            intf = emu.add_port()
            result = {"sw_if_index": intf.sw_if_index, "name": intf.name}
        elif cmd == "remove_port":
            intf = self._interface(args)
            if intf.kind is not IfKind.ETHERNET:
                raise ControlError(f"{intf.name} is not a physical port")
            emu.delete_interface(intf)
        elif cmd == "link":
            intf = self._interface(args)
            if intf.kind is not IfKind.ETHERNET:
                raise ControlError(f"{intf.name} is not a physical port")
            emu.set_link(intf, bool(args["up"]))
        elif cmd == "traffic":
            intf = self._interface(args)
            rates = tuple(float(args.get(k, 0)) for k in ("rx_pps", "rx_bps", "tx_pps", "tx_bps"))
            if any(r < 0 for r in rates):
                raise ControlError("rates cannot be negative")
            emu.traffic.set(intf.sw_if_index, (rates[0], rates[1], rates[2], rates[3]), time.monotonic())
        elif cmd == "fail":
            emu.faults.add(
                str(args["message"]), Fault("fail", int(args.get("count", 1)), retval=int(args["retval"]))
            )
        elif cmd == "delay":
            emu.faults.add(
                str(args["message"]),
                Fault("delay", int(args.get("count", 1)), seconds=float(args["seconds"])),
            )
        elif cmd == "faults":
            result = {"faults": emu.faults.pending(), "stalled": emu.stalled}
        elif cmd == "clear_faults":
            emu.faults.clear()
        elif cmd in ("stats_status", "stats-status"):
            result = emu.stats_status()
        elif cmd == "crash":
            result = {"crash": True}
        else:
            raise ControlError(f"unknown command {cmd!r}")
        flush_events(emu)
        return result


def send_command(path: str, cmd: str, timeout: float = 10.0, **args: Any) -> dict[str, Any]:
    """Send one command and return the reply; raises :class:`ControlError` when it failed."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(json.dumps({"cmd": cmd, **args}).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    if not data:
        if cmd == "crash":
            return {"ok": True, "crash": True}
        raise ControlError("no reply from the control socket")
    reply: dict[str, Any] = json.loads(data)
    if not reply.get("ok"):
        raise ControlError(str(reply.get("error")))
    return reply
