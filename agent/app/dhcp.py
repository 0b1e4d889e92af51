"""The DHCPv4 relay in ``bng-agent run``: the packet path (punt socket) and the relay service, started
when running configuration first has an access interface that relays DHCPv4, and reconfigured after
every commit.

Nothing registers with VPP before that: a node without DHCP relaying leaves UDP port 67 to VPP. The
agent's end of the punt socket is ``punt-socket`` (default ``/run/bng-agent/punt.sock``; with vppsim, in
the emulator's directory). Leases become sessions when a subscriber manager is given
(:class:`agent.dhcp4.sessions.SessionSink`); without one the relay only relays.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

from agent.dhcp4.config import RelayConfig, relay_config
from agent.dhcp4.leases import LeaseSink
from agent.dhcp4.service import Dhcp4Service
from agent.packetio import DHCPV4_SERVER, PacketIO

log = logging.getLogger("agent.app.dhcp")

DEFAULT_PUNT_SOCKET = "/run/bng-agent/punt.sock"


class Dhcp4Runtime:
    """Owns the packet path and the relay for one agent; a consumer of the subscriber service
    (:class:`agent.sessions.service.Consumer`: ``name``, ``start``, ``stop``)."""

    name = "dhcp4"

    def __init__(
        self,
        running_json: Callable[[], str],
        connection: Callable[[], Any],
        name_of: Callable[[int], str | None],
        punt_socket: str,
        sink: LeaseSink | None = None,
        txn: Any = None,
    ) -> None:
        self.txn = txn
        self.running_json = running_json
        self.connection = connection
        self.name_of = name_of
        self.punt_socket = punt_socket
        self.sink = sink
        self.pio: PacketIO | None = None
        self.service: Dhcp4Service | None = None
        self._follow: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.hostname = socket.gethostname()

    def _config(self) -> RelayConfig:
        text = self.running_json()
        return relay_config(json.loads(text) if text else {}, self.hostname)

    async def apply(self) -> None:
        """Bring the relay in line with running configuration (start it on first use)."""
        async with self._lock:
            config = self._config()
            if self.service is None:
                if not config.access:
                    return
                conn = self.connection()
                if conn is None:
                    log.warning(
                        "dhcp4 relay configured but VPP is not connected yet; retried after the next commit"
                    )
                    return
                os.makedirs(os.path.dirname(self.punt_socket) or ".", exist_ok=True)
                pio = PacketIO()
                await pio.refresh(conn, self.name_of)
                await pio.open_punt(conn, self.punt_socket, (DHCPV4_SERVER,))
                self.pio = pio
                self.service = Dhcp4Service(pio, sink=self.sink)
                await self.service.start()
                log.info("dhcp4 relay started punt_socket=%s", self.punt_socket)
            else:
                assert self.pio is not None
                with contextlib.suppress(Exception):  # a failed refresh is retried on an unknown index
                    await self.pio.refresh()
            self.service.configure(config)

    async def start(self) -> None:
        """Start the relay if configuration asks for it, and follow every commit from now on."""
        try:
            await self.apply()
        except Exception:
            log.exception("dhcp4 relay did not start; retried after the next commit")
        if self.txn is not None:
            self.follow(self.txn)

    def follow(self, txn: Any) -> None:
        """Re-apply after every commit (the transaction manager's change stream)."""
        self._follow = txn.follow_commits(lambda _event: self.apply(), name="dhcp4-config")

    def samples(self) -> list[tuple[str, tuple[str, ...], float]]:
        return self.service.samples() if self.service is not None else []

    async def stop(self) -> None:
        if self._follow is not None:
            self._follow.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follow
            self._follow = None
        if self.service is not None:
            await self.service.stop()
            self.service = None
        if self.pio is not None:
            await self.pio.close()
            self.pio = None
