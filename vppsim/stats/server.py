"""The stats socket: hand the segment's memfd to whoever connects, exactly as VPP does.

VPP (``src/vlib/stats/init.c``: ``stats_segment_socket_init`` / ``stats_socket_accept_ready``) listens on
a ``SOCK_SEQPACKET`` unix socket, and for every connection sends one message carrying no data and the
memfd as ``SCM_RIGHTS`` ancillary data, then closes the connection. ``vpp_stats.VPPStats.connect`` does
``recvmsg(0, CMSG_SPACE(4))``, ``fstat`` for the size and maps it read-only.

asyncio's unix servers only take stream sockets, so this drives a non-blocking listening socket with
``loop.add_reader`` and presents it as an :class:`asyncio.AbstractServer` so callers manage it the
usual way (``close``/``wait_closed``, ``async with``).
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import logging
import os
import socket
import stat

log = logging.getLogger(__name__)

_BACKLOG = 128


class StatsSocketServer(asyncio.AbstractServer):
    """One listening stats socket; every accepted connection receives ``fd`` and is closed."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket, path: str, fd: int) -> None:
        self._loop = loop
        self._sock: socket.socket | None = sock
        self._path = path
        self._fd_msg = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]).tobytes())]
        self._closed = asyncio.Event()
        self.connections_served = 0

    @classmethod
    async def start(cls, path: str, fd: int) -> StatsSocketServer:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISSOCK(os.lstat(path).st_mode):
                os.unlink(path)  # a stale socket from a previous run, as clib_socket_init removes it
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            sock.setblocking(False)
            sock.bind(path)
            sock.listen(_BACKLOG)
        except OSError:
            sock.close()
            raise
        server = cls(loop, sock, path, fd)
        loop.add_reader(sock.fileno(), server._accept_ready)
        return server

    @property
    def path(self) -> str:
        return self._path

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return (self._sock,) if self._sock is not None else ()

    def _accept_ready(self) -> None:
        sock = self._sock
        if sock is None:
            return
        for _ in range(_BACKLOG):  # bounded: drain what is queued now, the loop calls again for more
            try:
                conn, _addr = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.warning("stats socket accept failed path=%s error=%s", self._path, exc)
                return
            try:
                conn.sendmsg([], self._fd_msg)
                self.connections_served += 1
            except OSError as exc:
                # The reader went away before we answered; VPP reports and carries on.
                log.info("stats socket send failed path=%s error=%s", self._path, exc)
            finally:
                conn.close()

    def close(self) -> None:
        sock = self._sock
        if sock is None:
            return
        self._sock = None
        with contextlib.suppress(Exception):
            self._loop.remove_reader(sock.fileno())
        sock.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path)  # stats_segment_socket_exit unlinks the socket name
        self._closed.set()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    def is_serving(self) -> bool:
        return self._sock is not None

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    async def start_serving(self) -> None:
        """Serving starts in :meth:`start`; present for the AbstractServer interface."""

    async def serve_forever(self) -> None:
        await self._closed.wait()

    def close_clients(self) -> None:
        """Connections are closed as soon as the fd is sent; there are no clients to close."""

    def abort_clients(self) -> None:
        """See :meth:`close_clients`."""
