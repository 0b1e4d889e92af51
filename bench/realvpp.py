"""What the benches need to run against a real VPP (``--vpp-api-socket``) instead of the vppsim they start.

A real VPP has no ports until someone creates them, and the agent's configurations name the ports the
way vppsim does (``GigabitEthernet0/8/0`` ...). :func:`ensure_ports` gives VPP each missing port as an
af_packet interface on a veth the bench creates (the peer end stays in the host), renamed to the
configured name with ``set interface name`` -- the same thing ``make vpp-run VPP_PORTS=...`` does
(scripts/vpp-run.sh). :func:`remove_ports` deletes what :func:`ensure_ports` made.

VPP is driven only through its binary API (``cli_inband`` for the two commands that have no message of
their own in the agent's set); the veths through ``ip link``. Needs root, like VPP's af_packet.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from dataclasses import dataclass, field

from vpp_papi.vpp_papi_async import VPPApiClient


@dataclass
class Ports:
    """Ports a bench created in VPP: ``(vpp name, veth)`` pairs, removed by :func:`remove_ports`."""

    api_socket: str
    created: list[tuple[str, str]] = field(default_factory=list)


async def _client(api_socket: str, name: str) -> VPPApiClient:
    client = VPPApiClient(server_address=api_socket, read_timeout=60)
    if await client.connect(name, asyncio.Queue()) != 0:
        raise RuntimeError(f"cannot connect to VPP at {api_socket}")
    return client


async def _cli(client: VPPApiClient, cmd: str) -> str:
    r = await client.api.cli_inband(cmd=cmd)
    if r.retval != 0:
        raise RuntimeError(f"VPP refused {cmd!r}: retval {r.retval} {r.reply}")
    return str(r.reply)


async def interface_names(api_socket: str) -> list[str]:
    client = await _client(api_socket, "bench-names")
    try:
        _, details = await client.api.sw_interface_dump()  # vpp_papi_async: (control_ping_reply, details)
        return [d.interface_name for d in details]
    finally:
        await client.disconnect()


async def ensure_ports(api_socket: str, names: list[str]) -> Ports:
    """Create each of ``names`` VPP lacks as an af_packet port on a new veth; return what was made."""
    ports = Ports(api_socket)
    have = set(await interface_names(api_socket))
    client = await _client(api_socket, "bench-ports")
    try:
        for i, name in enumerate(names):
            if name in have:
                continue
            veth = f"bb{os.getpid() % 100000:05d}{i}"  # at most 15 characters (IFNAMSIZ)
            subprocess.run(["ip", "link", "del", veth], capture_output=True, check=False)
            subprocess.run(
                ["ip", "link", "add", veth, "type", "veth", "peer", "name", veth + "p"], check=True
            )
            for dev in (veth, veth + "p"):
                subprocess.run(["ip", "link", "set", dev, "up"], check=True)
            await _cli(client, f"create host-interface name {veth}")
            await _cli(client, f"set interface name host-{veth} {name}")
            ports.created.append((name, veth))
    finally:
        await client.disconnect()
    return ports


async def remove_ports(ports: Ports) -> None:
    """Delete the af_packet ports and veths :func:`ensure_ports` created (VPP may be gone already)."""
    if not ports.created:
        return
    try:
        client = await _client(ports.api_socket, "bench-ports")
    except (OSError, RuntimeError):
        client = None
    try:
        for _name, veth in ports.created:
            if client is not None:
                await client.api.af_packet_delete(host_if_name=veth)
            subprocess.run(["ip", "link", "del", veth], capture_output=True, check=False)
    finally:
        if client is not None:
            await client.disconnect()
    ports.created = []


async def restart_vpp(command: str, api_socket: str, timeout: float = 60.0) -> None:
    """Run the shell ``command`` that restarts the VPP behind ``api_socket`` and wait until it answers."""
    proc = await asyncio.create_subprocess_shell(command, stdout=asyncio.subprocess.DEVNULL)
    if await proc.wait() != 0:
        raise RuntimeError(f"{command!r} failed with exit status {proc.returncode}")
    deadline = time.monotonic() + timeout
    while True:
        try:
            await interface_names(api_socket)
            return
        except (OSError, RuntimeError, asyncio.IncompleteReadError):
            if time.monotonic() > deadline:
                raise RuntimeError(f"VPP at {api_socket} did not answer within {timeout}s") from None
            await asyncio.sleep(0.2)
