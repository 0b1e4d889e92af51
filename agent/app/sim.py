"""Start the bundled VPP emulator as a child process (``bng-agent run --sim``).

The emulator gets its own temporary directory for its sockets (unix socket paths are limited to 108
bytes, a data directory may be deeper), six demo ports named as VPP names PCI NICs
(GigabitEthernet0/8/0 .. GigabitEthernet0/d/0) and is stopped with SIGTERM when the agent stops. It
also stops by itself when the agent dies without stopping it (``--parent-pid``: Linux's parent-death
signal plus a poll of its parent pid), so ``kill -9`` of the agent leaves no emulator behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass


class SimStartError(RuntimeError):
    pass


@dataclass
class SimProcess:
    proc: asyncio.subprocess.Process
    workdir: str
    api_socket: str
    stats_socket: str
    control_socket: str

    @property
    def punt_socket(self) -> str:
        """The emulator's ``punt { socket }`` (docs/packet-path.md)."""
        return os.path.join(self.workdir, "punt.sock")

    async def stop(self, timeout: float = 5.0) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


async def start_sim(*, ports: int = 4, timeout: float = 30.0, extra: list[str] | None = None) -> SimProcess:
    """Start vppsim and wait until its API and stats sockets exist."""
    workdir = tempfile.mkdtemp(prefix="bng-vppsim-")
    api = os.path.join(workdir, "api.sock")
    stats = os.path.join(workdir, "stats.sock")
    ctl = os.path.join(workdir, "control.sock")
    argv = [
        "-m",
        "vppsim.cli",
        "--api-socket",
        api,
        "--stats-socket",
        stats,
        "--control-socket",
        ctl,
        "--ports",
        str(ports),
        # the emulator belongs to this agent: it exits when the agent dies, even by SIGKILL, so a
        # restarted agent never finds an orphaned emulator (with the old state) or starts a second one
        "--parent-pid",
        str(os.getpid()),
        # VPP's startup.conf has `punt { socket }`: the DHCP relay registers UDP port 67 there
        "--punt-socket",
        os.path.join(workdir, "punt.sock"),
        *(extra or []),
    ]
    proc = await asyncio.create_subprocess_exec(sys.executable, *argv)
    deadline = time.monotonic() + timeout
    while not (os.path.exists(api) and os.path.exists(stats) and os.path.exists(ctl)):
        if proc.returncode is not None or time.monotonic() > deadline:
            sim = SimProcess(proc, workdir, api, stats, ctl)
            await sim.stop()
            raise SimStartError(f"vppsim did not start (exit status {proc.returncode})")
        await asyncio.sleep(0.05)
    return SimProcess(proc, workdir, api, stats, ctl)
