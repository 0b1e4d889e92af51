"""Start :mod:`_gnmi_child` (a whole agent stack) and talk to it from the test process (not a test module)."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from ncclient import manager
from pygnmi.client import gNMIclient

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "admin-pw"
ALICE_PASSWORD = "alice-pw"
START_TIMEOUT = 60.0


class Agent:
    def __init__(self, data_dir: Path, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": f"{ROOT}:{Path(__file__).parent}"}
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).parent / "_gnmi_child.py"), str(data_dir), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=env,
            text=True,
        )
        ready = self._line(START_TIMEOUT)
        info = json.loads(ready)
        self.gnmi_port: int = info["gnmi"]
        self.netconf_port: int = info["netconf"]
        self.cert: str = info["cert"]
        self.insecure = "--insecure" in args

    def _line(self, timeout: float) -> str:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if r:
                line = self.proc.stdout.readline()
                if not line:
                    break
                return line
            if self.proc.poll() is not None:
                break
        raise RuntimeError(f"agent child did not answer (exit status {self.proc.poll()})")

    def command(self, cmd: str, **args: Any) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self._line(30.0))["reply"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            with suppress(RuntimeError, BrokenPipeError, ValueError):
                self.command("quit")
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def client(self, username: str = "admin", password: str = ADMIN_PASSWORD, **kw: Any) -> gNMIclient:
        target = ("127.0.0.1", self.gnmi_port)
        if self.insecure:
            return gNMIclient(target=target, username=username, password=password, insecure=True, **kw)
        return gNMIclient(target=target, username=username, password=password, path_cert=self.cert, **kw)

    def netconf(self) -> Any:
        return manager.connect(
            host="127.0.0.1",
            port=self.netconf_port,
            username="admin",
            password=ADMIN_PASSWORD,
            hostkey_verify=False,
            look_for_keys=False,
            allow_agent=False,
            timeout=30,
        )


@contextmanager
def running_agent(data_dir: Path, *args: str) -> Iterator[Agent]:
    agent = Agent(data_dir, *args)
    try:
        yield agent
    finally:
        agent.stop()


def interface(name: str, description: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "type": "iana-if-type:ethernetCsmacd"}
    if description is not None:
        entry["description"] = description
    return entry


def mirror_interfaces(agent: Agent) -> dict[str, Any]:
    doc = agent.command("mirror")
    return {e["name"]: e for e in doc.get("ietf-interfaces:interfaces", {}).get("interface", [])}
