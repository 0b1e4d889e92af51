"""Shared fixtures for integration tests: a real ``bng-vppsim`` process on unix sockets in a temp dir.

``vppsim`` yields a :class:`VppSim` with the three socket paths, ``ctl(cmd, **args)`` for the control
channel, ``client()`` for a connected synchronous vpp-papi client, and ``restart()`` / ``crash()``.
``vppsim_factory(ports=N)`` starts more (or differently sized) emulators in one test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from vpp_papi import VPPApiClient

from agent.vpp.api import api_json_files
from vppsim.control import send_command

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0


class VppSim:
    """A running emulator process and the paths to reach it."""

    def __init__(self, directory: str, ports: int = 2, extra_args: tuple[str, ...] = ()) -> None:
        self.directory = directory
        self.ports = ports
        self.extra_args = extra_args
        self.api_socket = os.path.join(directory, "api.sock")
        self.stats_socket = os.path.join(directory, "stats.sock")
        self.control_socket = os.path.join(directory, "ctl.sock")
        self.proc: subprocess.Popen[bytes] | None = None
        self._clients: list[VPPApiClient] = []
        self.start()

    def start(self) -> None:
        for p in (self.api_socket, self.stats_socket, self.control_socket):
            if os.path.exists(p):
                os.unlink(p)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "vppsim.cli",
                "--api-socket",
                self.api_socket,
                "--stats-socket",
                self.stats_socket,
                "--control-socket",
                self.control_socket,
                "--ports",
                str(self.ports),
                *self.extra_args,
            ],
            cwd=ROOT,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"vppsim exited at start with status {self.proc.returncode}")
            if all(os.path.exists(p) for p in (self.api_socket, self.stats_socket, self.control_socket)):
                try:
                    self.ctl("ping")
                    return
                except OSError:
                    pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("vppsim did not start in time")
            time.sleep(0.05)

    def ctl(self, cmd: str, **args: Any) -> dict[str, Any]:
        return send_command(self.control_socket, cmd, **args)

    def client(self, name: str = "test") -> VPPApiClient:
        """A connected synchronous vpp-papi client loading the project's API files."""
        c = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=self.api_socket)
        c.connect(name)
        self._clients.append(c)
        return c

    def crash(self) -> int:
        """Make the emulator exit as if VPP crashed; returns its exit status."""
        assert self.proc is not None
        self.ctl("crash")
        return self.proc.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        for c in self._clients:
            try:
                if c.transport.connected:
                    c.disconnect()
            except Exception:  # the emulator may already be gone
                pass
        self._clients.clear()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def vppsim_factory() -> Iterator[Callable[..., VppSim]]:
    """Start emulators on demand (``vppsim_factory(ports=4)``); all are stopped after the test."""
    started: list[tuple[VppSim, str]] = []

    def make(ports: int = 2, extra_args: tuple[str, ...] = ()) -> VppSim:
        # Short paths: unix socket names are limited to 107 bytes.
        directory = tempfile.mkdtemp(prefix="vs-", dir="/tmp")
        sim = VppSim(directory, ports=ports, extra_args=extra_args)
        started.append((sim, directory))
        return sim

    yield make
    for sim, directory in started:
        sim.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def vppsim(vppsim_factory: Callable[..., VppSim]) -> VppSim:
    """One emulator with local0 and two physical ports."""
    return vppsim_factory()
