"""The DHCPv6 relay in ``bng-agent run``: its packet path (a punt socket of its own, registered for UDP
547 over IPv6) and the relay service, started when running configuration first has an access interface
that relays DHCPv6, and reconfigured after every commit (the pattern of the DHCPv4 relay's runtime).

Nothing registers with VPP before that: a node without DHCPv6 relaying leaves UDP port 547 to VPP.
Bindings become session addresses and routed prefixes when a subscriber manager is given
(:class:`agent.dhcp6.sessions.SessionSink`); without one the relay only relays.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Callable
from typing import Any

from agent.dhcp6.config import RelayConfig, relay_config
from agent.dhcp6.service import Dhcp6Service
from agent.dhcp6.sessions import SessionSink
from agent.packetio import DHCPV6_SERVER, PacketIO

log = logging.getLogger("agent.app.dhcp6")

DEFAULT_PUNT_SOCKET = "/run/bng-agent/punt-dhcp6.sock"


class Dhcp6Runtime:
    """Owns the DHCPv6 packet path and relay for one agent."""

    def __init__(
        self,
        running_json: Callable[[], str],
        connection: Callable[[], Any],
        name_of: Callable[[int], str | None],
        punt_socket: str = DEFAULT_PUNT_SOCKET,
        sink: SessionSink | None = None,
    ) -> None:
        self.running_json = running_json
        self.connection = connection
        self.name_of = name_of
        self.punt_socket = punt_socket
        self.sink = sink
        self.pio: PacketIO | None = None
        self.service: Dhcp6Service | None = None
        self._follow: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def _config(self) -> RelayConfig:
        text = self.running_json()
        return relay_config(json.loads(text) if text else {})

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
                        "dhcp6 relay configured but VPP is not connected yet; retried after the next commit"
                    )
                    return
                os.makedirs(os.path.dirname(self.punt_socket) or ".", exist_ok=True)
                pio = PacketIO()
                await pio.refresh(conn, self.name_of)
                await pio.open_punt(conn, self.punt_socket, (DHCPV6_SERVER,))
                self.pio = pio
                self.service = Dhcp6Service(pio, self.sink)
                await self.service.start()
                log.info("dhcp6 relay started punt_socket=%s", self.punt_socket)
            else:
                assert self.pio is not None
                with contextlib.suppress(Exception):  # a failed refresh is retried on an unknown index
                    await self.pio.refresh()
            self.service.configure(config)

    def follow(self, txn: Any) -> None:
        """Re-apply after every commit (the transaction manager's change stream)."""
        self._follow = txn.follow_commits(lambda _event: self.apply(), name="dhcp6-config")

    def samples(self) -> list[tuple[str, tuple[str, ...], float]]:
        return self.service.samples() if self.service is not None else []

    async def stop(self) -> None:
        if self._follow is not None:
            self._follow.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follow
        if self.service is not None:
            await self.service.stop()
            self.service = None
        if self.pio is not None:
            await self.pio.close()
            self.pio = None
