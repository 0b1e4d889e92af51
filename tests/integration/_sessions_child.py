"""``bng-agent run`` (the whole agent, in-process here, on vppsim) with a stdin channel to its subscriber
manager, for the session tests (not a test module).

Why a child process: pygnmi registers its own copy of ``gnmi.proto`` in protobuf's default pool, so the
gNMI client in the test and the agent's gNMI server cannot share one interpreter. Sessions would come
from DHCP exchanges on a real node; here the test asks the manager directly, through the API the
DHCP relay uses. Prints one JSON line with the ports when ready, then answers one JSON command per line:

* ``{"op": "open", "interface": ..., "mac": ..., "ipv4": ..., "outer": ..., "inner": ...}`` -> the session
  opened and bound (``id``, ``done``: UNIX time the call returned);
* ``{"op": "policy", "id": ..., "attr": ..., "value": ..., "origin": ...}``;
* ``{"op": "list"}`` -> ``sessions`` (id, ipv4); ``{"op": "quit"}``.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import sys
import time
from pathlib import Path
from typing import Any

from agent.app.main import Agent, Settings
from agent.sessions.api import PolicyAttr, PolicyOrigin, SessionKey


async def handle(agent: Agent, cmd: dict[str, Any]) -> dict[str, Any]:
    mgr = agent.subscribers.manager
    if cmd["op"] == "open":
        s = await mgr.open(SessionKey(cmd["interface"], cmd.get("outer"), cmd.get("inner"), cmd["mac"]))
        s = await mgr.bind_ipv4(s.id, ipaddress.IPv4Address(cmd["ipv4"]), 3600)
        return {"id": s.id, "done": time.time()}
    if cmd["op"] == "policy":
        s = await mgr.set_policy(
            cmd["id"], {PolicyAttr(cmd["attr"]): cmd["value"]}, PolicyOrigin(cmd["origin"])
        )
        return {"id": s.id, "done": time.time()}
    if cmd["op"] == "list":
        return {"sessions": [[s.id, str(s.ipv4.address) if s.ipv4 else None] for s in mgr.list()]}
    raise ValueError(f"unknown op {cmd['op']!r}")


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", required=True)
    p.add_argument("--startup", required=True)
    a = p.parse_args()
    settings = Settings(
        data_dir=Path(a.data_dir),
        startup=Path(a.startup),
        netconf_port=0,
        netconf_host="127.0.0.1",
        gnmi_port=0,
        metrics_port=0,
        vpp_api_socket="",
        vpp_stats_socket="",
        sim=True,
        sim_ports=6,
        log_level="INFO",
        gnmi_insecure=True,
    )
    agent = Agent(settings)
    await agent.start()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    ready = {"netconf": agent.netconf.port, "gnmi": agent.gnmi.bound_port, "vpp": agent.vpp_api_socket}
    print(json.dumps(ready), flush=True)
    try:
        while line := await reader.readline():
            cmd = json.loads(line)
            if cmd["op"] == "quit":
                break
            try:
                out = await handle(agent, cmd)
            except Exception as e:
                out = {"error": f"{type(e).__name__}: {e}"}
            print(json.dumps(out), flush=True)
    finally:
        await agent.stop()


if __name__ == "__main__":
    asyncio.run(main())
