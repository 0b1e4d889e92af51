"""VPP's API socket (``src/vlibmemory/socket_api.c``) for many clients at once.

Each connection is an ``asyncio.Protocol``: every complete frame in a read is decoded, handled and
answered in arrival order, and all replies (plus any interface events the calls caused) go out in one
write per read, so a client with hundreds of requests in flight is served without a round trip each.
A dump is answered with its ``*_details`` messages; the client's following ``control_ping`` (same
context) marks the end, as with VPP.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from typing import Any

from vppsim.codec import FRAME_HEADER, MSG_ID_CONTEXT
from vppsim.emulator import Emulator
from vppsim.handlers import Call, Registry

log = logging.getLogger("vppsim.api")

_client_ids = itertools.count(1)

#: Largest message accepted from a client; a bigger length field closes the connection (every byte from
#: a client is untrusted, and the biggest legitimate request here is a few kilobytes).
MAX_MESSAGE_BYTES = 1 << 20


class ApiSession(asyncio.Protocol):
    """One API client connection."""

    def __init__(self, emu: Emulator, registry: Registry) -> None:
        self.emu = emu
        self.registry = registry
        self.client_index = next(_client_ids)
        self.name = ""
        self.close_after_reply = False
        self.transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._queue: deque[bytes] = deque()
        self._call = Call(emu, self)

    # asyncio.Protocol -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.emu.sessions.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.emu.event_clients.pop(self, None)
        self.emu.sessions.discard(self)
        self.transport = None

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        hdr_size = FRAME_HEADER.size
        pos = 0
        n = len(buf)
        while n - pos >= hdr_size:
            _, length, _ = FRAME_HEADER.unpack_from(buf, pos)
            if length > MAX_MESSAGE_BYTES:
                log.warning("client %s sent a %d-byte message; closing", self.client_index, length)
                buf.clear()
                self._queue.clear()
                if self.transport is not None:
                    self.transport.abort()
                return
            end = pos + hdr_size + length
            if end > n:
                break
            self._queue.append(bytes(buf[pos + hdr_size : end]))
            pos = end
        if pos:
            del buf[:pos]
        self._run()

    # processing -------------------------------------------------------------------------------

    def _run(self) -> None:
        if self.emu.stalled:
            return
        out: list[bytes] = []
        while self._queue and not self.emu.stalled:
            body = self._queue.popleft()
            self._handle(body, out)
        self._flush(out)

    def _flush(self, out: list[bytes]) -> None:
        emu = self.emu
        schedule_stats_flush(emu)
        for session, frame in emu.drain_events():
            if session is self:
                out.append(frame)
            elif session.transport is not None:
                session.transport.write(frame)
        if out and self.transport is not None:
            self.transport.write(b"".join(out))
        if self.close_after_reply and self.transport is not None:
            self.transport.close()

    def _handle(self, body: bytes, out: list[bytes], delayed: bool = False) -> None:
        emu = self.emu
        try:
            name, msg = emu.defs.decode(body)
        except Exception:
            log.warning("undecodable message from client %s (%d bytes)", self.client_index, len(body))
            return
        fault = None if name in ("sockclnt_create", "control_ping") else emu.faults.take(name)
        if fault is not None and fault.kind == "delay" and not delayed:
            # VPP runs API handlers on its main thread: a slow call holds up every client.
            self.emu.stalled = True
            loop = asyncio.get_running_loop()
            loop.call_later(fault.seconds, self._resume, body)
            return
        service, handler = self.registry.dispatch(name, emu.defs.services)
        context = getattr(msg, "context", 0)
        if fault is not None and fault.kind == "fail":
            result: Any = [] if service and service.get("stream") else {"retval": fault.retval}
        elif handler is None:
            if service is None or service.get("reply") in (None, "null"):
                return
            result = [] if service.get("stream") else {"retval": -9}  # VNET_API_ERROR_UNIMPLEMENTED
        else:
            try:
                result = handler(self._call, msg)
            except Exception:
                log.exception("handler for %s failed", name)
                result = [] if service and service.get("stream") else {"retval": -1}
        if result is None or service is None:
            return
        reply_name = service["reply"]
        encode = emu.defs.encode
        if isinstance(result, list):
            for details in result:
                details["context"] = context
                out.append(encode(reply_name, details))
        else:
            result["context"] = context
            out.append(encode(reply_name, result))

    def _resume(self, body: bytes) -> None:
        self.emu.stalled = False
        if self.transport is not None:
            out: list[bytes] = []
            self._handle(body, out, delayed=True)
            self._flush(out)
            self._run()
        for session in list(self.emu.sessions):
            if session is not self and not self.emu.stalled:
                session._run()


STATS_FLUSH_SECONDS = 0.005
STATS_FLUSH_BATCH = 1024


def schedule_stats_flush(emu: Emulator) -> None:
    """Publish new interfaces in the stats segment within ``STATS_FLUSH_SECONDS`` of the reply, many per
    update; withdraw deleted ones before the reply goes out.

    Every stats update takes the segment lock, re-validates the ``/if/*`` vectors and moves the epoch
    (which makes every reader re-read the directory), so doing it per created interface would cost more
    than the API call itself when a client creates thousands of sub-interfaces. Deletions are applied
    in the same batch before the replies are written: a reader never finds a deleted interface's name
    after the delete's reply (VPP withdraws it inside the call, ``src/vnet/interface/stats.c``), and a
    reused index is withdrawn and published again in one update.
    """
    if emu.stats_removals_pending or emu.stats_pending >= STATS_FLUSH_BATCH:
        emu.flush_stats()
    elif emu.stats_pending and not emu.stats_flush_scheduled:
        emu.stats_flush_scheduled = True

        def flush() -> None:
            emu.stats_flush_scheduled = False
            emu.flush_stats()

        asyncio.get_running_loop().call_later(STATS_FLUSH_SECONDS, flush)


def flush_events(emu: Emulator) -> None:
    """Send queued interface events caused outside an API call (control channel link changes)."""
    emu.flush_stats()
    for session, frame in emu.drain_events():
        if session.transport is not None:
            session.transport.write(frame)


class ApiServer:
    """The listening API socket."""

    def __init__(self, emu: Emulator, registry: Registry) -> None:
        self.emu = emu
        self.registry = registry
        self.server: asyncio.AbstractServer | None = None

    async def start(self, path: str) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_unix_server(lambda: ApiSession(self.emu, self.registry), path)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


__all__ = ["MSG_ID_CONTEXT", "ApiServer", "ApiSession", "flush_events"]
