"""gNMI Subscribe (specification 3.5): ONCE, POLL and STREAM with SAMPLE, ON_CHANGE and TARGET_DEFINED.

One :class:`StreamSession` per Subscribe RPC. Everything it sends goes through one bounded queue that the
RPC handler drains into gRPC; producers (sample timers, the commit-event fan-out, poll requests) never
wait on the client. When the queue is full the client is not keeping up: the stream is ended with
RESOURCE_EXHAUSTED and its producers stop, so a slow or stalled collector costs bounded memory and never
delays commits, other streams or the agent.

* SAMPLE reads the operational datastore for the subscribed paths every ``sample_interval`` on a fixed
  schedule (the next tick is computed from the first, so the period does not drift; ticks that could
  not run in time are skipped, not queued). ``suppress_redundant`` sends only leaves whose value changed
  (and deletes for leaves that disappeared), ``heartbeat_interval`` forces a full sample at least that
  often.
* ON_CHANGE is driven by commit events (``TransactionManager.subscribe()``) and by operational events
  pushed through :meth:`GnmiServer.publish_operational`; configuration is never polled.
* TARGET_DEFINED: ON_CHANGE when the subscribed subtree is configuration only, SAMPLE (at the requested
  interval, else :data:`TARGET_DEFINED_INTERVAL`) when it holds state such as counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import grpc
from _libyang import ffi, lib

from agent.datastore.changes import Change
from agent.datastore.tree import NULL, find_xpath
from agent.gnmi.auth import segments
from agent.gnmi.encode import Leaf, iter_leaves
from agent.gnmi.errors import GnmiError, invalid, unimplemented
from agent.gnmi.matching import CONTAINS, INSIDE, relation, split_pattern
from agent.gnmi.paths import data_path_to_proto, full_path, to_xpath
from agent.gnmi.pb import gnmi

if TYPE_CHECKING:
    from agent.gnmi.server import GnmiServer
    from agent.netconf.nacm import AccessControl

log = logging.getLogger("agent.gnmi.subscribe")

TARGET_DEFINED_INTERVAL = 10.0
MAX_SUBSCRIPTIONS = 256
_END = object()

STREAM, ONCE, POLL = 0, 1, 2
TARGET_DEFINED, ON_CHANGE, SAMPLE = 0, 1, 2
ENC_JSON, ENC_PROTO, ENC_JSON_IETF = 0, 2, 4


@dataclass
class Sub:
    """One compiled ``Subscription`` of a SubscriptionList."""

    path: str  # gNMI string form, for logs
    xpath: str
    pattern: tuple[Any, ...]
    mode: int  # ON_CHANGE or SAMPLE after TARGET_DEFINED is resolved
    interval: float
    suppress: bool
    heartbeat: float
    last: dict[str, Any] = field(default_factory=dict)
    last_full: float = 0.0


class StreamSession:
    """The state of one Subscribe RPC."""

    def __init__(self, server: GnmiServer, user: str, acl: AccessControl, queue_limit: int) -> None:
        self.server = server
        self.user = user
        self.acl = acl
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=queue_limit)
        self.subs: list[Sub] = []
        self.encoding = ENC_JSON_IETF
        self.tasks: list[asyncio.Task[None]] = []
        self.failed: GnmiError | None = None
        self.closed = False
        self.sent = 0

    # ------------------------------------------------------------------------------------- output

    def put(self, item: Any) -> None:
        """Queue one response; a full queue ends the stream with RESOURCE_EXHAUSTED."""
        if self.closed:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.fail(
                GnmiError(
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                    f"subscriber too slow: more than {self.queue.maxsize} responses queued; stream closed",
                )
            )

    def fail(self, err: GnmiError) -> None:
        if self.closed:
            return
        self.failed = err
        self.close()
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(_END)

    def close(self) -> None:
        self.closed = True
        self.server.stream_ended(self)
        for t in self.tasks:
            t.cancel()

    def sync(self) -> None:
        self.put(gnmi.SubscribeResponse(sync_response=True))

    def _value(self, leaf: Leaf) -> Any:
        if self.encoding == ENC_PROTO:
            return leaf.typed()
        import json

        text = json.dumps(leaf.json_value()).encode()
        if self.encoding == ENC_JSON:
            return gnmi.TypedValue(json_val=text)
        return gnmi.TypedValue(json_ietf_val=text)

    def send_leaves(self, leaves: list[Leaf], deletes: list[str], ts: int) -> None:
        """Updates grouped by parent (the parent is the notification prefix), then deletes."""
        groups: dict[str, list[Leaf]] = {}
        for leaf in leaves:
            groups.setdefault(leaf.parent, []).append(leaf)
        for parent, group in groups.items():
            note = gnmi.Notification(timestamp=ts, prefix=data_path_to_proto(parent))
            for leaf in group:
                up = note.update.add()
                up.path.elem.add(name=leaf.name)
                up.val.CopyFrom(self._value(leaf))
            self.put(gnmi.SubscribeResponse(update=note))
        if deletes:
            note = gnmi.Notification(timestamp=ts)
            for p in deletes:
                note.delete.append(data_path_to_proto(p))
            self.put(gnmi.SubscribeResponse(update=note))

    # ------------------------------------------------------------------------------------- values

    def _readable(self, leaves: list[Leaf]) -> list[Leaf]:
        if self.acl.unrestricted:
            return leaves
        return [lf for lf in leaves if self.acl.data_access(segments(lf.path), "read")]

    def current(self, sub: Sub) -> list[Leaf]:
        """The leaves ``sub`` selects now, from the operational datastore (config and state)."""
        tree = self.server.datastores.read_tree("operational", xpath=sub.xpath, config_only=False)
        try:
            out: list[Leaf] = []
            for node in find_xpath(tree.root, sub.xpath) if tree.root != NULL else []:
                out.extend(iter_leaves(node))
            # values are read out now: the C tree is freed when this returns
            proto = self.encoding == ENC_PROTO
            return [_Frozen(lf, proto) for lf in self._readable(out)]
        finally:
            tree.close()

    def send_current(self, subs: list[Sub]) -> None:
        ts = time.time_ns()
        for sub in subs:
            leaves = self.current(sub)
            sub.last = {lf.path: lf.json_value() for lf in leaves} if sub.suppress else {}
            sub.last_full = time.monotonic()
            self.send_leaves(leaves, [], ts)

    # ------------------------------------------------------------------------------------- sample

    async def run_sample(self, sub: Sub, skip_first: bool) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        tick = 0 if not skip_first else 1
        while not self.closed:
            due = start + tick * sub.interval
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self.sample(sub)
            tick += 1
            late = loop.time() - (start + tick * sub.interval)
            if late > 0:  # skip ticks that could not run in time rather than bunching them up
                tick += int(late // sub.interval) + 1

    def sample(self, sub: Sub) -> None:
        ts = time.time_ns()
        leaves = self.current(sub)
        if not sub.suppress:
            self.send_leaves(leaves, [], ts)
            return
        now = time.monotonic()
        full = sub.heartbeat > 0 and now - sub.last_full >= sub.heartbeat
        values = {lf.path: lf.json_value() for lf in leaves}
        changed = leaves if full else [lf for lf in leaves if sub.last.get(lf.path, _END) != values[lf.path]]
        gone = [p for p in sub.last if p not in values]
        if full:
            sub.last_full = now
        sub.last = values
        if changed or gone:
            self.send_leaves(changed, gone, ts)

    async def run_heartbeat(self, sub: Sub) -> None:
        """ON_CHANGE with heartbeat_interval: resend the current values at least that often."""
        while not self.closed:
            await asyncio.sleep(sub.heartbeat)
            self.send_current([sub])

    # ----------------------------------------------------------------------------------- on change

    def on_changes(self, changes: list[Change], ts: int, *, operational: bool) -> None:
        """Commit or operational events: send what the ON_CHANGE subscriptions select."""
        subs = [s for s in self.subs if s.mode == ON_CHANGE]
        if not subs or self.closed:
            return
        running = self.server.datastores.running if not operational else None
        for sub in subs:
            leaves: list[Leaf] = []
            deletes: list[str] = []
            json_updates: list[tuple[str, Any]] = []
            for ch in changes:
                rel = relation(ch.path, sub.pattern)
                if rel is None:
                    continue
                if ch.op == "delete":
                    deletes.append(ch.path)
                elif operational or running is None:
                    json_updates.append((ch.path, ch.new))
                else:
                    leaves.extend(self._changed_leaves(running, ch.path, sub, rel))
            if not self.acl.unrestricted:
                deletes = [p for p in deletes if self.acl.data_access(segments(p), "read")]
                json_updates = [u for u in json_updates if self.acl.data_access(segments(u[0]), "read")]
            if leaves or deletes:
                self.send_leaves(self._readable(leaves), deletes, ts)
            for path, value in json_updates:
                self._send_json(path, value, ts)

    def _changed_leaves(self, running: Any, path: str, sub: Sub, rel: str) -> list[Leaf]:
        root = running.tree.root
        if root == NULL:
            return []
        if rel == INSIDE:
            nodes = find_xpath(root, path)
        else:
            assert rel == CONTAINS
            nodes = [n for n in find_xpath(root, sub.xpath) if _under(n, path)]
        out: list[Leaf] = []
        for node in nodes:
            out.extend(iter_leaves(node))
        merged: dict[str, Leaf] = {}
        for lf in out:  # a leaf-list found entry by entry becomes one leaf
            if lf.path in merged:
                merged[lf.path].nodes.extend(lf.nodes)
            else:
                merged[lf.path] = lf
        proto = self.encoding == ENC_PROTO
        return [_Frozen(lf, proto) for lf in merged.values()]

    def _send_json(self, path: str, value: Any, ts: int) -> None:
        import json

        note = gnmi.Notification(timestamp=ts)
        up = note.update.add()
        up.path.CopyFrom(data_path_to_proto(path))
        if self.encoding == ENC_PROTO and isinstance(value, bool):
            up.val.bool_val = value
        elif self.encoding == ENC_PROTO and isinstance(value, int):
            up.val.int_val = value
        elif self.encoding == ENC_PROTO and isinstance(value, str):
            up.val.string_val = value
        else:
            up.val.json_ietf_val = json.dumps(value).encode()
        self.put(gnmi.SubscribeResponse(update=note))


class _Frozen(Leaf):
    """A :class:`Leaf` whose values were read out of the C tree, so the tree may be freed."""

    __slots__ = ("_json", "_typed")

    def __init__(self, leaf: Leaf, typed: bool) -> None:
        super().__init__(leaf.parent, leaf.name, [])
        self._json = leaf.json_value()
        self._typed = leaf.typed() if typed else None

    def json_value(self) -> Any:
        return self._json

    def typed(self) -> Any:
        return self._typed


def _under(node: Any, path: str) -> bool:
    from agent.datastore.tree import node_path

    p = node_path(node)
    return p == path or p.startswith(path + "/") or p.startswith(path + "[")


def _has_state(ctx: Any, xpath: str) -> bool:
    """Does any schema node selected by ``xpath`` (or below it) hold state (config false)?"""
    out = ffi.new("struct ly_set **")
    if lib.lys_find_xpath(ctx.cdata, ffi.NULL, xpath.encode(), 0, out) != lib.LY_SUCCESS:
        lib.ly_err_clean(ctx.cdata, ffi.NULL)
        return True
    try:
        s = out[0]
        stack = [s.snodes[i] for i in range(s.count)]
    finally:
        lib.ly_set_free(out[0], ffi.NULL)
    seen = 0
    while stack and seen < 100_000:
        node = stack.pop()
        seen += 1
        if node.flags & lib.LYS_CONFIG_R:
            return True
        child = lib.lys_getnext(ffi.NULL, node, ffi.NULL, 0)
        while child != ffi.NULL:
            stack.append(child)
            child = lib.lys_getnext(child, node, ffi.NULL, 0)
    return False


def compile_subscriptions(server: GnmiServer, slist: Any) -> list[Sub]:
    if len(slist.subscription) > MAX_SUBSCRIPTIONS:
        raise invalid(f"more than {MAX_SUBSCRIPTIONS} subscriptions in one request")
    if slist.encoding not in (ENC_JSON, ENC_JSON_IETF, ENC_PROTO):
        raise unimplemented(f"encoding {gnmi.Encoding.Name(slist.encoding)} is not supported")
    if slist.allow_aggregation:
        pass  # nothing in the model set is marked for aggregation: no effect (spec 3.5.1.2)
    subs: list[Sub] = []
    items = list(slist.subscription) or [gnmi.Subscription()]
    for item in items:
        gp = full_path(slist.prefix, item.path)
        xpath = to_xpath(gp, server.model.ctx)
        mode = item.mode
        interval = item.sample_interval / 1e9
        if mode == TARGET_DEFINED:
            if _has_state(server.model.ctx, xpath):
                mode = SAMPLE
                interval = interval or TARGET_DEFINED_INTERVAL
            else:
                mode = ON_CHANGE
        if mode not in (ON_CHANGE, SAMPLE):
            raise invalid(f"unknown subscription mode {item.mode}")
        if mode == SAMPLE:
            interval = max(interval or server.min_sample_interval, server.min_sample_interval)
        subs.append(
            Sub(
                path=str(gp),
                xpath=xpath,
                pattern=split_pattern(xpath),
                mode=mode,
                interval=interval,
                suppress=item.suppress_redundant,
                heartbeat=item.heartbeat_interval / 1e9,
            )
        )
    return subs


async def serve(
    server: GnmiServer,
    requests: AsyncIterator[Any],
    context: Any,
    user: str,
    acl: AccessControl,
) -> None:
    """Run one Subscribe RPC to completion."""
    try:
        first = await asyncio.wait_for(requests.__anext__(), timeout=server.first_request_timeout)
    except StopAsyncIteration:
        return
    except TimeoutError as exc:
        raise invalid("no SubscriptionList received") from exc
    if first.WhichOneof("request") != "subscribe":
        raise invalid("the first SubscribeRequest must carry a SubscriptionList")
    for ext in first.extension:
        raise unimplemented(f"extension {ext.WhichOneof('ext')} is not supported on Subscribe")
    slist = first.subscribe
    session = StreamSession(server, user, acl, server.queue_limit)
    session.encoding = slist.encoding
    session.subs = compile_subscriptions(server, slist)
    mode = slist.mode
    if mode not in (STREAM, ONCE, POLL):
        raise invalid(f"unknown SubscriptionList mode {mode}")
    server.stream_started(session)
    reader: asyncio.Task[None] | None = None
    try:
        if not slist.updates_only:
            session.send_current(session.subs)
        session.sync()
        if mode == ONCE:
            session.put(_END)
        elif mode == POLL:
            reader = asyncio.create_task(_poll_reader(session, requests))
        else:
            for sub in session.subs:
                if sub.mode == SAMPLE:
                    session.tasks.append(asyncio.create_task(session.run_sample(sub, skip_first=True)))
                elif sub.heartbeat > 0:
                    session.tasks.append(asyncio.create_task(session.run_heartbeat(sub)))
            reader = asyncio.create_task(_stream_reader(session, requests))
        await _drain(session, context)
    finally:
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        if not session.closed:
            session.close()
    if session.failed is not None:
        raise session.failed


async def _drain(session: StreamSession, context: Any) -> None:
    while True:
        item = await session.queue.get()
        if item is _END:
            return
        if isinstance(item, GnmiError):
            session.fail(item)
            return
        await context.write(item)
        session.sent += 1


async def _poll_reader(session: StreamSession, requests: AsyncIterator[Any]) -> None:
    try:
        async for req in requests:
            if req.WhichOneof("request") != "poll":
                session.put(invalid("only Poll requests may follow a POLL SubscriptionList"))
                return
            session.send_current(session.subs)
            session.sync()
    except (asyncio.CancelledError, GnmiError):
        raise
    except Exception:  # the client went away
        pass
    session.put(_END)


async def _stream_reader(session: StreamSession, requests: AsyncIterator[Any]) -> None:
    try:
        async for req in requests:
            kind = req.WhichOneof("request")
            session.put(invalid(f"a STREAM subscription accepts no further {kind or 'empty'} request"))
            return
    except asyncio.CancelledError:
        raise
    except Exception:
        pass
    # The client half-closed: keep streaming until it cancels (spec 3.5.1.5.2).
