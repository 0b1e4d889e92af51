"""One NETCONF session over one SSH channel: hello exchange, framing, RPC loop, notifications.

RPCs of a session are handled one after another (RFC 6241 says replies come in request order, and a
client may pipeline requests); sessions run concurrently, so a slow commit on one never blocks reads on
another. Notifications are written between replies (interleave capability) under the same write lock.

A session ends on ``<close-session>``, ``<kill-session>`` from another session, EOF, an idle timeout,
or input the server cannot trust any more (bad framing, a message over the size limit, a bad hello).
Ending releases its locks (and discards a candidate it had locked), tells the transaction manager
(a confirmed commit without ``persist`` is rolled back), and publishes ``netconf-session-end``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from lxml import etree

from agent.datastore.session import Session
from agent.errors import AgentError
from agent.model.xmlsafe import parse_xml
from agent.netconf import framing, notify, replies
from agent.netconf.capabilities import BASE_10, BASE_11, hello
from agent.netconf.context import OpContext
from agent.netconf.dispatch import check_parameters, handler_for, operation_of
from agent.netconf.replies import NC_NS, RpcError

if TYPE_CHECKING:
    from agent.netconf.server import NetconfServer

log = logging.getLogger("agent.netconf")

READ_SIZE = 1 << 16


class SessionEnd(Exception):
    """Raised inside the loop to end the session with an RFC 6470 termination reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NetconfSession:
    """State of one client session; created by :class:`~agent.netconf.server.NetconfServer`."""

    def __init__(self, server: NetconfServer, process: Any, user: str, peer_host: str | None) -> None:
        self.server = server
        self.process = process
        self.session = Session.create(user, "netconf")
        self.peer_host = peer_host
        self.login_time = time.time()
        self.decoder = framing.Decoder(server.max_message_size)
        self.chunked = False
        self.close_after_reply = False
        self.subscribed = False
        self.started = False  # the hello exchange completed (session-start was published)
        self.notification_filter: set[str] | None = None
        self.stats = {"in-rpcs": 0, "in-bad-rpcs": 0, "out-rpc-errors": 0, "out-notifications": 0}
        self._write_lock = asyncio.Lock()
        self._ended = False
        self._task: asyncio.Task[None] | None = None
        self._end_reason = "dropped"
        self._killed_by: int | None = None

    @property
    def id(self) -> int:
        return self.session.id

    def changed_by(self) -> notify.ChangedBy:
        return notify.ChangedBy(self.session.user, self.session.id, self.peer_host)

    # ---------------------------------------------------------------------------------------- I/O

    async def send(self, message: bytes) -> None:
        async with self._write_lock:
            if self._ended:
                return
            self.process.stdout.write(framing.encode(message, self.chunked))
            await self.process.stdout.drain()

    async def _read_message(self, timeout: float | None) -> bytes:
        """The next framed message; SessionEnd on EOF, idle timeout or a framing error."""
        while True:
            msg = self.decoder.next_message()
            if msg is not None:
                return msg
            try:
                data = await asyncio.wait_for(self.process.stdin.read(READ_SIZE), timeout)
            except TimeoutError as exc:
                raise SessionEnd("timeout") from exc
            if not data:
                raise SessionEnd("dropped")
            self.decoder.feed(data)

    # -------------------------------------------------------------------------------------- loop

    async def run(self) -> None:
        self._task = asyncio.current_task()
        try:
            await self.send(hello(self.id, self.server.content_id))
            await self._hello()
            self.started = True
            self.server.session_started(self)
            while True:
                idle = None if self.subscribed else self.server.idle_timeout
                try:
                    msg = await self._read_message(idle)
                except framing.MessageTooBig as exc:
                    await self._send_error({}, exc)
                    raise SessionEnd("other") from exc
                await self._handle(msg)
                if self.close_after_reply:
                    self._end_reason = "closed"
                    return
        except SessionEnd as end:
            self._end_reason = end.reason
        except framing.FramingError as exc:
            log.info("netconf session=%d event=framing-error reason=%s", self.id, exc.message)
            self._end_reason = "other"
        except asyncio.CancelledError:
            pass  # killed or server stopping; reason already set
        except (ConnectionError, BrokenPipeError) as exc:
            log.info("netconf session=%d event=connection-lost error=%s", self.id, exc)
        finally:
            await self._finish()

    async def _hello(self) -> None:
        try:
            raw = await self._read_message(self.server.hello_timeout)
            root = parse_xml(raw)
        except (AgentError, SessionEnd) as exc:
            self.server.stats["in-bad-hellos"] += 1
            raise SessionEnd("bad-hello") from exc
        if etree.QName(root).namespace != NC_NS or etree.QName(root).localname != "hello":
            self.server.stats["in-bad-hellos"] += 1
            raise SessionEnd("bad-hello")
        if root.find(f"{{{NC_NS}}}session-id") is not None:  # RFC 6241 8.1: a client must not send one
            self.server.stats["in-bad-hellos"] += 1
            raise SessionEnd("bad-hello")
        caps = {
            (c.text or "").strip() for c in root.iterfind(f"{{{NC_NS}}}capabilities/{{{NC_NS}}}capability")
        }
        if BASE_11 in caps:
            self.chunked = True
            self.decoder.switch_to_chunked()
        elif BASE_10 not in caps:
            self.server.stats["in-bad-hellos"] += 1
            raise SessionEnd("bad-hello")

    async def _handle(self, raw: bytes) -> None:
        """Answer one message. RFC 6022 counts it in ``in-rpcs`` when it is a correct ``<rpc>`` (well
        formed, ``<rpc>`` with a message-id and one operation), else in ``in-bad-rpcs``; every
        rpc-error reply counts in ``out-rpc-errors``."""
        attrs: dict[str, str] = {}
        envelope_ok = False
        try:
            rpc = parse_xml(raw)
            qn = etree.QName(rpc)
            if qn.namespace != NC_NS or qn.localname != "rpc":
                raise RpcError(
                    f"expected <rpc>, got <{qn.localname}>",
                    tag="unknown-element" if qn.namespace == NC_NS else "unknown-namespace",
                    error_type="rpc",
                    info={"bad-element": qn.localname},
                )
            attrs = {str(k): str(v) for k, v in rpc.attrib.items()}
            if "message-id" not in attrs:
                raise RpcError(
                    "<rpc> has no message-id",
                    tag="missing-attribute",
                    error_type="rpc",
                    info={"bad-attribute": "message-id", "bad-element": "rpc"},
                )
            op = operation_of(rpc)
            envelope_ok = True
            self.stats["in-rpcs"] += 1
            self.server.stats["in-rpcs"] += 1
            module, name, handler = handler_for(op, self.server.ns_modules)
            acl = self.server.access_control(self.session.user)
            if not acl.may_exec(module, name):
                raise RpcError(f"access denied: {name}", tag="access-denied", error_type="protocol")
            check_parameters(op, self.server.model.ctx, self.server.ns_modules)
            ctx = OpContext(self.server, self, self.session, acl)
            body = await handler(ctx, op)
        except AgentError as exc:
            if not envelope_ok:
                self.stats["in-bad-rpcs"] += 1
                self.server.stats["in-bad-rpcs"] += 1
            await self._send_error(attrs, exc)
            return
        except Exception as exc:  # a bug must not end the session or leak a traceback to the client
            log.exception("netconf session=%d event=internal-error", self.id)
            await self._send_error(attrs, AgentError(f"internal error: {type(exc).__name__}"))
            return
        await self.send(replies.ok_reply(attrs) if body is None else replies.raw_reply(attrs, body))

    async def _send_error(self, attrs: dict[str, str], exc: AgentError) -> None:
        self.stats["out-rpc-errors"] += 1
        self.server.stats["out-rpc-errors"] += 1
        await self.send(replies.error_reply(attrs, exc, self.server.module_ns))

    # ----------------------------------------------------------------------------- notifications

    def subscribe(self, names: set[str] | None) -> None:
        self.subscribed = True
        self.notification_filter = names

    def wants(self, name: str) -> bool:
        return self.subscribed and (self.notification_filter is None or name in self.notification_filter)

    async def notify(self, message: bytes) -> None:
        self.stats["out-notifications"] += 1
        self.server.stats["out-notifications"] += 1
        with contextlib.suppress(Exception):
            await self.send(message)

    # ------------------------------------------------------------------------------------ ending

    async def terminate(self, reason: str, killed_by: int | None = None) -> None:
        """End this session from outside (kill-session, server stop)."""
        self._end_reason = reason
        self._killed_by = killed_by
        if self._task is not None and not self._task.done() and self._task is not asyncio.current_task():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        else:
            await self._finish()

    async def _finish(self) -> None:
        if self._ended:
            return
        self._ended = True
        self.server.session_finished(self, self._end_reason, self._killed_by)
        with contextlib.suppress(Exception):
            self.process.exit(0)
