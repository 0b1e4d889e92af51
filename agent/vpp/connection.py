"""One connection to VPP's binary API socket, through vpp-papi's asyncio client.

Why a wrapper: vpp-papi's ``VPPApiClient`` (vpp_papi_async) learns VPP's definitions with
``get_api_json`` but never checks them against what the caller was written for, never fails pending
requests when the socket dies, has no call timeout and does not check ``retval``. This module adds exactly
that: a CRC check of every message the agent uses (:mod:`agent.vpp.api`) at connect, a watchdog that
fails every pending call when VPP stops answering or the socket closes, a count of write calls (so
"a no-op resync sends nothing" can be measured) and an event queue for unsolicited messages
(``sw_interface_event`` ...). Many requests may be in flight: callers get futures and VPP answers in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from vpp_papi.vpp_papi_async import VPPApiClient

from agent.vpp.api import MESSAGES_USED, load_definitions
from agent.vpp.errors import ApiMismatchError, VppConnectError
from agent.vpp.fastdecode import (
    decode_interface_details,
    decode_route_details,
    self_check,
    self_check_interface,
)

log = logging.getLogger(__name__)

#: Messages that only read state; every other message counts as a write in :attr:`VppConnection.writes`.
READ_ONLY_PREFIXES = (
    "sockclnt_",
    "control_ping",
    "get_api_json",
    "show_version",
    "want_",
    "nat44_show_running_config",
    "det44_forward",
    "det44_reverse",
)
READ_ONLY_SUFFIXES = ("_dump", "_dump_v2", "_get_table", "_config_get")
WRITE_BATCH = 256  # requests coalesced into one socket write


def is_write(msg: str, args: dict[str, Any] | None = None) -> bool:
    """True for messages that change VPP state (what a no-op resync must never send)."""
    if msg == "cli_inband":
        return not str((args or {}).get("cmd", "")).lstrip().startswith("show ")
    return not (msg.startswith(READ_ONLY_PREFIXES) or msg.endswith(READ_ONLY_SUFFIXES))


def expected_crcs(messages: tuple[str, ...] = MESSAGES_USED) -> dict[str, str]:
    """``{name: crc}`` for each used request message and the replies/details its service implies."""
    crcs: dict[str, str] = {}
    services: dict[str, dict[str, Any]] = {}
    all_crcs: dict[str, str] = {}
    for api in load_definitions().values():
        services.update(api.get("services", {}))
        for m in api.get("messages", []):
            all_crcs[m[0]] = next(p["crc"] for p in m[1:] if isinstance(p, dict) and "crc" in p)
    for name in messages:
        names = [name]
        svc = services.get(name, {})
        names += [svc[k] for k in ("reply", "stream_msg") if svc.get(k) and svc[k] != "null"]
        for n in names:
            if n not in all_crcs:
                raise ApiMismatchError(f"the agent's own API definitions lack {n!r}")
            crcs[n] = all_crcs[n]
    return crcs


def check_message_table(table: dict[str, int], expected: dict[str, str]) -> list[str]:
    """Compare VPP's ``name_crc -> index`` table with ``expected``; one problem line per mismatch."""
    by_name: dict[str, str] = {}
    for name_crc in table:
        name, _, crc = name_crc.rpartition("_")
        by_name[name] = "0x" + crc
    problems = []
    for name, crc in sorted(expected.items()):
        have = by_name.get(name)
        if have is None:
            problems.append(f"{name}: not offered by VPP (agent expects {crc})")
        elif have.lower() != crc.lower():
            problems.append(f"{name}: VPP has CRC {have}, agent expects {crc}")
    return problems


def _consume(task: asyncio.Task[Any]) -> None:
    """Retrieve a vpp-papi task's exception (a lost socket) so asyncio does not log it at GC time."""
    if not task.cancelled():
        task.exception()


class _Client(VPPApiClient):  # type: ignore[misc]
    """vpp-papi's asyncio client with a reader that survives messages without a ``context`` field.

    vpp-papi 2.4's ``socket_reader`` reads ``item.context`` of every message, so the first
    ``sw_interface_event`` (which has none) kills the reader and with it the connection. This reader
    routes such messages (and replies nobody waits for) to the event queue instead.
    """

    # message ids decoded by agent.vpp.fastdecode (each set once its self-check passed)
    fast_route_id = -1
    fast_interface_id = -1

    def decode_incoming_msg(self, msg: bytes, no_type_conversion: bool = False) -> Any:
        if len(msg) > 2:
            msg_id = msg[0] << 8 | msg[1]
            if msg_id == self.fast_route_id:
                return decode_route_details(msg)
            if msg_id == self.fast_interface_id:
                return decode_interface_details(msg)
        return super().decode_incoming_msg(msg, no_type_conversion)

    async def queue_worker(self, requests: dict[int, Any]) -> None:
        """Write queued requests in batches: one ``write`` and one ``drain`` for everything queued,
        instead of two writes and a drain per message (vpp-papi's worker); same framing, same order."""
        queue = self.message_queue
        while True:
            item = await queue.get()
            chunks: list[bytes] = []
            stop = False
            while True:
                if item is None:
                    stop = True
                    break
                if item.context not in requests:
                    requests[item.context] = (item.future, item.details_msg, item.eof_stream, [])
                chunks.append(self.header_struct.pack(0, len(item.b), 0))
                chunks.append(item.b)
                if queue.empty() or len(chunks) >= 2 * WRITE_BATCH:
                    break
                item = queue.get_nowait()
            if chunks:
                self.writer.write(b"".join(chunks))
                await self.writer.drain()
            if stop:
                return

    async def socket_reader(self, requests: dict[int, Any], event_queue: asyncio.Queue[Any]) -> None:
        while True:
            try:
                item = await self._read()
            except (asyncio.IncompleteReadError, ConnectionError, OSError):
                return
            except asyncio.CancelledError:
                return
            if not item:
                return
            context = getattr(item, "context", None)
            req = requests.get(context) if isinstance(context, int) else None
            if req is None or not isinstance(context, int):
                event_queue.put_nowait(item)
                continue
            future, terminator, detail_name, collected = req
            name = type(item).__name__
            if terminator:  # a dump: details until the terminating reply (control_ping_reply)
                if name == terminator:
                    del requests[context]
                    if not future.done():
                        future.set_result((item, collected))
                elif detail_name is None or name == detail_name:
                    collected.append(item)
                else:
                    event_queue.put_nowait(item)
            else:
                del requests[context]
                if not future.done():
                    future.set_result(item)


class _Timer:
    """Done-callback reporting one call's latency (a small object instead of a closure per call)."""

    __slots__ = ("msg", "observe", "t0")

    def __init__(self, observe: Callable[[str, float], None], msg: str, t0: float) -> None:
        self.observe, self.msg, self.t0 = observe, msg, t0

    def __call__(self, fut: asyncio.Future[Any]) -> None:
        if fut.cancelled() or fut.exception() is not None:
            return  # a lost connection is not a latency
        try:
            self.observe(self.msg, time.perf_counter() - self.t0)
        except Exception:  # an observer bug must not break VPP calls
            log.exception("vpp call observer failed msg=%s", self.msg)


class VppConnection:
    """A connected API client: :meth:`send` returns a future, :meth:`call` and :meth:`dump` await it.

    ``on_lost`` is called once (from the event loop) when the socket closes or a call times out; every
    pending future then fails with :class:`VppConnectError`.
    """

    def __init__(
        self,
        socket_path: str,
        *,
        client_name: str = "bng-agent",
        timeout: float = 10.0,
        on_lost: Callable[[str], None] | None = None,
    ) -> None:
        self.socket_path = socket_path
        self.client_name = client_name
        self.timeout = timeout
        self.on_lost = on_lost
        # called with (message, seconds from queueing the request to its reply) for every call; set by
        # the agent process to feed telemetry's VPP API latency histogram (agent/vpp imports no telemetry)
        self.on_call: Callable[[str, float], None] | None = None
        self.events: asyncio.Queue[Any] = asyncio.Queue()
        self.writes = 0
        self.reads = 0
        self.connected = False
        self.version = ""
        self._client: VPPApiClient | None = None
        self._pending: deque[tuple[float, asyncio.Future[Any]]] = deque()
        self._watchdog: asyncio.Task[None] | None = None
        self._lost_reason: str | None = None

    # ------------------------------------------------------------------ lifecycle

    async def connect(self) -> None:
        """Open the socket, learn VPP's definitions, check the CRCs; raise on any problem."""
        client = _Client(server_address=self.socket_path, read_timeout=self.timeout)
        try:
            rv = await asyncio.wait_for(client.connect(self.client_name, self.events), self.timeout)
        except KeyError as e:
            # vpp-papi looks every learned message up in VPP's table; a missing one is a release mismatch.
            raise ApiMismatchError(f"VPP's definitions and message table disagree on {e}") from e
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as e:
            raise VppConnectError(f"cannot connect to VPP at {self.socket_path}: {e!r}") from e
        if rv != 0:
            raise VppConnectError(f"cannot connect to VPP at {self.socket_path} (no socket)")
        self._client = client
        for name in ("socket_task", "queue_task"):
            task = getattr(client, name, None)
            if task is not None:
                task.add_done_callback(_consume)
        problems = check_message_table(client.message_table, expected_crcs())
        if problems:
            await self._close_client()
            raise ApiMismatchError(
                "VPP API mismatch, refusing to run:\n  " + "\n  ".join(problems),
                info={"mismatches": str(len(problems))},
            )
        self._enable_fast_decode(client)
        self.connected = True
        self._lost_reason = None
        self._watchdog = asyncio.create_task(self._watch(), name="vpp-watchdog")
        reply = await self.call("show_version")
        self.version = str(reply.version)
        log.info("vpp connected socket=%s version=%s", self.socket_path, self.version)

    @staticmethod
    def _enable_fast_decode(client: _Client) -> None:
        checks = (
            ("ip_route_details", self_check, "fast_route_id"),
            ("sw_interface_details", self_check_interface, "fast_interface_id"),
        )
        for name, check, attr in checks:
            msgdef = client.messages.get(name)
            if msgdef is None:
                continue
            msg_id = client.message_table.get(f"{name}_{msgdef.crc[2:]}", 0)
            try:
                ok = msg_id > 0 and check(msgdef, msg_id)
            except Exception:  # any surprise in the layout: stay on vpp-papi's decoder
                log.exception("fast %s decoder self-check raised", name)
                ok = False
            if ok:
                setattr(client, attr, msg_id)
            else:
                log.warning("fast %s decoder disagrees with vpp-papi; using vpp-papi's", name)

    async def close(self) -> None:
        """Disconnect politely (``sockclnt_delete``) if still connected; idempotent."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
            self._watchdog = None
        was = self.connected
        self.connected = False
        if self._client is not None and was:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._client.disconnect(), 2.0)
        await self._close_client()
        self._fail_pending("connection closed")

    async def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        for name in ("socket_task", "queue_task"):
            task = getattr(client, name, None)
            if task is not None and not task.done():
                task.cancel()
        writer = getattr(client, "writer", None)
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _lost(self, reason: str) -> None:
        if not self.connected:
            return
        self.connected = False
        self._lost_reason = reason
        log.warning("vpp connection lost socket=%s reason=%s", self.socket_path, reason)
        self._fail_pending(reason)
        if self.on_lost is not None:
            self.on_lost(reason)

    def _fail_pending(self, reason: str) -> None:
        while self._pending:
            _, fut = self._pending.popleft()
            if not fut.done():
                fut.set_exception(VppConnectError(f"VPP connection lost: {reason}"))

    async def _watch(self) -> None:
        """Fail everything when the reader task ends (socket closed) or the oldest call is overdue.

        VPP answers one client's requests in order, so the oldest pending call being late means the
        connection is hung, not that one request is slow.
        """
        assert self._client is not None
        reader = self._client.socket_task
        while self.connected:
            if reader.done():
                self._lost("socket closed by VPP")
                return
            now = time.monotonic()
            while self._pending and self._pending[0][1].done():
                self._pending.popleft()
            if self._pending and now - self._pending[0][0] > self.timeout:
                self._lost(f"no reply within {self.timeout:g} s")
                await self._close_client()
                return
            await asyncio.sleep(0.05)

    # ------------------------------------------------------------------ calls

    def send(self, msg: str, **args: Any) -> asyncio.Future[Any]:
        """Queue one request; the future resolves to the reply (or ``(ping_reply, [details])``)."""
        client = self._client
        if client is None or not self.connected:
            raise VppConnectError(f"not connected to VPP ({self._lost_reason or 'never connected'})")
        fn = getattr(client.api, msg)
        fut: asyncio.Future[Any] = fn(**args)
        observe = self.on_call
        if observe is not None:
            fut.add_done_callback(_Timer(observe, msg, time.perf_counter()))
        if is_write(msg, args):
            self.writes += 1
        else:
            self.reads += 1
        self._pending.append((time.monotonic(), fut))
        if len(self._pending) > 4096:
            while self._pending and self._pending[0][1].done():
                self._pending.popleft()
        return fut

    async def call(self, msg: str, **args: Any) -> Any:
        """Send one request and wait for its reply (``retval`` is the caller's to check)."""
        return await self.send(msg, **args)

    async def dump(self, msg: str, **args: Any) -> list[Any]:
        """Send a ``*_dump`` and return its details messages."""
        result = await self.send(msg, **args)
        _, details = result
        return list(details)


ConnectionFactory = Callable[[], Awaitable[VppConnection]]
