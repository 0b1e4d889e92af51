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
    {"cmd": "cli", "command": "show interface"}   -> {"reply": "<what VPP's CLI prints>"}
    {"cmd": "vlans"}              -> sub-interfaces with parent, tags and exact-match (VPP has no
                                     ``show vlan``; these are ``sw_interface_dump``'s sub_* fields)
    {"cmd": "help"}               -> {"commands": [...], "cli": [...]}
    {"cmd": "back_port", "sw_if_index": N, "host_if": "veth0"}   (or "name": "..."): the port's frames
                                     come from and go to that Linux interface (vppsim/ports.py)
    {"cmd": "unback_port", "sw_if_index": N}
    {"cmd": "packet_status"}      -> backed ports (rx/tx/drops by reason), punt socket registrations and
                                     counters
    {"cmd": "acl_packet", "name": "...", "src": "10.0.0.1", "dst": "192.0.2.1", "proto": 6, "sport": 1024,
     "dport": 80, "is_input": true, "count": 1, "bytes": 64}  -> {"action": "permit", "acl": 0, "rule": 1}
    {"cmd": "policer_packet", "name": "...", "direction": "input", "count": 1000, "bytes": 1000, "pps": 1000}
                                  -> {"conform": N, "exceed": N, "violate": N, "passed": N}
    {"cmd": "nat_events", "sessions": [{"inside": "10.0.0.1", "inside_port": 40000, "outside": "198.51.100.1",
     "outside_port": 1024, "protocol": 6, "vrf_id": 0, "create": true}, ...]}
                                  -> {"records": N, "messages": M}: NAT44 sessions created (or deleted)
                                     as if traffic had passed, logged as VPP's NAT IPFIX logging does
                                     (vppsim/features/natlog/events.py); or "count": N synthetic ones
                                     (inside 10.0.0.0 + i, outside 198.51.100.0 + i % 256)
    {"cmd": "crash"}

``COMMANDS`` lists them with their arguments for ``bng-vppsim ctl --help`` and ``help``.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from typing import Any

from vppsim import vppcli
from vppsim.emulator import Emulator
from vppsim.faults import Fault
from vppsim.features.acl.traffic import acl_packet
from vppsim.features.interfaces.state import (
    SUB_IF_DOT1AD,
    SUB_IF_EXACT_MATCH,
    SUB_IF_TWO_TAGS,
    IfKind,
    Interface,
)
from vppsim.features.qos.traffic import policer_packet
from vppsim.server import flush_events

CRASH_EXIT_CODE = 70
MAX_LINE = 64 * 1024

#: Every command with its arguments and what it does (``bng-vppsim ctl --help`` and ``help``).
COMMANDS: dict[str, tuple[str, str]] = {
    "ping": ("", "is it alive; returns its pid"),
    "add_port": ("", "hot-plug the next GigabitEthernet0/<slot>/0"),
    "remove_port": ("name=NAME | sw_if_index=N", "unplug a NIC (its sub-interfaces go with it)"),
    "link": ("name=NAME up=true|false", "carrier up or down (a cable pulled)"),
    "traffic": (
        "name=NAME rx_pps=N rx_bps=N tx_pps=N tx_bps=N",
        "steady traffic that moves the stats counters (bps = bytes per second)",
    ),
    "fail": ("message=MSG retval=N [count=1]", "the next COUNT calls of MSG fail with RETVAL"),
    "delay": ("message=MSG seconds=S [count=1]", "the next COUNT calls of MSG stall every client"),
    "faults": ("", "injected failures and delays not used up yet"),
    "clear_faults": ("", "drop them"),
    "stats_status": ("", "the stats segment heap: capacity, used, free, published interfaces"),
    "cli": ("show interface | show interface address | show ip fib [table N] ...", "VPP's CLI (as vppctl)"),
    "vlans": ("", "sub-interfaces: parent, outer/inner VLAN, dot1q/dot1ad, exact-match"),
    "back_port": (
        "name=NAME host_if=IFNAME",
        "the port's frames come from and go to a Linux interface (a veth end): vppsim/ports.py",
    ),
    "unback_port": ("name=NAME", "stop that"),
    "packet_status": ("", "backed ports (rx, tx, drops by reason), punt and PPPoE control-plane state"),
    "nat_events": (
        "sessions=[{inside, inside_port, outside, outside_port, protocol, vrf_id, create}] | count=N",
        "NAT44 sessions as if traffic created them: VPP's NAT IPFIX records to exporter 0's collector",
    ),
    "help": ("", "this list"),
    "acl_packet": (
        "name=NAME src=IP dst=IP [proto=17 sport=0 dport=0 is_input=true count=1 bytes=64]",
        "packets through the interface's ACLs: verdict, hit counters, reflexive sessions",
    ),
    "policer_packet": (
        "name=NAME [direction=input count=1 bytes=1000 pps=1000]",
        "frames at a steady rate through the interface's policer: colours, counters, what passed",
    ),
    "crash": ("", "exit at once, as a VPP crash (the next vppsim starts empty)"),
}


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

    def _vlans(self) -> list[dict[str, Any]]:
        """Sub-interfaces as ``sw_interface_dump`` describes them (``sub_outer_vlan_id`` ...)."""
        out = []
        for i in sorted(self.emu.interfaces.all(), key=lambda x: x.sw_if_index):
            if i.kind is not IfKind.SUB:
                continue
            parent = self.emu.interfaces.get(i.sup_sw_if_index)
            d = self.emu.details(i)
            flags = int(d.get("sub_if_flags", 0))
            entry: dict[str, Any] = {
                "name": i.name,
                "sw_if_index": i.sw_if_index,
                "parent": parent.name if parent is not None else None,
                "sub_id": i.sub_id,
                "outer_vlan_id": int(d.get("sub_outer_vlan_id", 0)),
                "outer": "dot1ad" if flags & SUB_IF_DOT1AD else "dot1q",
                "exact_match": bool(flags & SUB_IF_EXACT_MATCH),
            }
            if flags & SUB_IF_TWO_TAGS:
                entry["inner_vlan_id"] = int(d.get("sub_inner_vlan_id", 0))
            out.append(entry)
        return out

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
            if emu.dataplane is not None:
                emu.dataplane.unback(intf.sw_if_index)
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
        elif cmd == "cli":
            result = {"reply": vppcli.run(emu, str(args.get("command", "")))}
        elif cmd == "vlans":
            result = {"vlans": self._vlans()}
        elif cmd == "help":
            result = {"commands": {k: {"args": a, "does": d} for k, (a, d) in COMMANDS.items()}}
            result["cli"] = vppcli.help_lines()
        elif cmd in ("back_port", "unback_port", "packet_status"):
            result = self._packet(cmd, args)
        elif cmd == "acl_packet":
            intf = self._interface(args)
            result = acl_packet(emu, intf.sw_if_index, args)
        elif cmd == "policer_packet":
            intf = self._interface(args)
            result = policer_packet(emu, intf.sw_if_index, args)
        elif cmd == "nat_events":
            result = _nat_events(emu, args)
        elif cmd == "crash":
            result = {"crash": True}
        else:
            raise ControlError(f"unknown command {cmd!r}")
        flush_events(emu)
        return result

    def _packet(self, cmd: str, args: dict[str, Any]) -> dict[str, Any]:
        dataplane = self.emu.dataplane
        if dataplane is None:
            raise ControlError("this emulator has no data plane")
        if cmd == "packet_status":
            punt = self.emu.punt
            return {
                "ports": dataplane.status(),
                "punt": punt.status() if punt is not None else None,
                "pppoe": dataplane.pppoe_status(),
            }
        intf = self._interface(args)
        if cmd == "unback_port":
            dataplane.unback(intf.sw_if_index)
            return {}
        try:
            dataplane.back(intf, str(args["host_if"]))
        except (ValueError, OSError) as e:
            raise ControlError(str(e)) from e
        return {}


def _nat_events(emu: Emulator, args: dict[str, Any]) -> dict[str, Any]:
    """Sessions as if traffic had created (or expired) them: into nat44-ed's session table
    (vppsim/features/nat/state.py) and logged as VPP logs them (vppsim/features/natlog/events.py)."""
    from vppsim.features.nat.state import Session, ip
    from vppsim.features.natlog.events import SessionEvent, log_sessions

    nat = emu.nat.nat44
    if not nat.enabled:
        raise ControlError("nat44-ed is not enabled: VPP creates no NAT sessions")
    try:
        if "count" in args:
            n = int(args["count"])
            if not 0 <= n <= 10_000_000:
                raise ControlError("count must be 0..10000000")
            events = [
                SessionEvent(f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}", 1024 + i % 60000,
                             f"198.51.100.{i & 255}", 1024 + (i * 7) % 64000, 6 if i & 1 else 17)
                for i in range(n)
            ]  # fmt: skip
        else:
            events = [
                SessionEvent(
                    str(s["inside"]), int(s["inside_port"]), str(s["outside"]), int(s["outside_port"]),
                    int(s.get("protocol", 6)), int(s.get("vrf_id", 0)), bool(s.get("create", True)),
                )
                for s in args.get("sessions", [])
            ]  # fmt: skip
    except (KeyError, TypeError, ValueError) as exc:
        raise ControlError(f"nat_events: {exc}") from exc
    logged = []
    for e in events:
        key = (e.vrf_id, ip(e.inside), e.inside_port, e.protocol)
        if e.create:
            s = Session(
                e.vrf_id, ip(e.inside), e.inside_port, ip(e.outside), e.outside_port, e.protocol, 0, 0
            )
            if not nat.add_session(s):
                continue  # over the VRF's session limit: nat44-ed drops the packet, no session, no record
        else:
            before = len(nat.sessions)
            nat.sessions = [
                o for o in nat.sessions if (o.vrf_id, o.inside, o.inside_port, o.protocol) != key
            ]  # fmt: skip
            if len(nat.sessions) == before:
                continue  # no such session: nothing expires, nothing is logged
        logged.append(e)
    records, messages = log_sessions(emu, logged)
    return {"sessions": len(logged), "records": records, "messages": messages}


def send_command(path: str, cmd: str, /, timeout: float = 10.0, **args: Any) -> dict[str, Any]:
    """Send one command and return the reply; raises :class:`ControlError` when it failed.

    ``cmd`` is positional-only and names the command; an argument called ``cmd`` (VPP's name for the
    CLI text in ``cli_inband``) is sent as ``command``."""
    if "cmd" in args:
        args["command"] = args.pop("cmd")
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
