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
* ``prefix.target`` of the SubscriptionList is echoed in the prefix of every notification (spec
  2.2.2.1); ``use_models`` restricts every update and delete to data of those modules (spec 2.6); the
  Depth extension limits the levels sent below each subscribed path (gnmi-depth.md).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import dataclasses
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import grpc

from agent.datastore.changes import Change
from agent.datastore.tree import NULL, find_xpath, node_name
from agent.gnmi import wire
from agent.gnmi.auth import segments
from agent.gnmi.datapath import split_data_path, split_last
from agent.gnmi.errors import GnmiError, invalid, unimplemented
from agent.gnmi.filters import ModelFilter, elem_count, within_depth
from agent.gnmi.flatten import FlatLeaf, schema_of
from agent.gnmi.get import check_models, request_depth
from agent.gnmi.matching import CONTAINS, INSIDE, relation, split_pattern
from agent.gnmi.paths import full_path, to_xpath
from agent.gnmi.pb import gnmi
from agent.model.schema import schema_holds_config, schema_holds_state, schema_state_only

if TYPE_CHECKING:
    from agent.access.nacm import AccessControl
    from agent.gnmi.server import GnmiServer

log = logging.getLogger("agent.gnmi.subscribe")

TARGET_DEFINED_INTERVAL = 10.0
MAX_SUBSCRIPTIONS = 256
MAX_UPDATES = 2000  # updates per notification: keeps messages well under a client's 4 MB limit
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
    state_only: bool = False  # every node the path selects is config false (counters, oper-status)
    parents: set[str] = field(default_factory=set)  # SAMPLE: parents of the leaves last sent
    watcher: bool = False  # checks the state of an ON_CHANGE subscription that no event reports
    leaves: str = ""  # TARGET_DEFINED over config and state: "config" (ON_CHANGE) or "state" (SAMPLE) part


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
        self.target_field = b""  # encoded Path.target echoed in every notification prefix
        self.models: ModelFilter | None = None
        self.depth = 0

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
        self.put(wire.SYNC)

    def send_leaves(self, leaves: list[FlatLeaf], deletes: list[str], ts: int) -> None:
        """Updates in notifications of at most :data:`MAX_UPDATES` (prefix = the top-level container,
        update paths relative to it), then one notification with the deletes."""
        enc = self.encoding
        small, varint = wire.SMALL, wire.varint
        chunk: list[bytes] = []
        prefix: str | None = None
        last_parent: str | None = None
        top = ""
        fields: dict[str, bytes] = {}
        rel = b""
        for parent, name, value, kind, leaflist in leaves:
            if parent != last_parent:  # leaves arrive grouped by parent: per-parent lookups once
                last_parent = parent
                top, rel = _split_top(parent)
                fields = _PATH_FIELDS.get(parent) or _PATH_FIELDS.setdefault(parent, {})
            if top != prefix or len(chunk) >= MAX_UPDATES:
                if chunk:
                    pre = wire.path_bytes(prefix or "") + self.target_field
                    self.put(wire.notification(ts, pre, chunk, []))
                chunk, prefix = [], top
            path_field = fields.get(name)
            if path_field is None:
                path_field = fields[name] = wire.update_path_field(rel, name)
            if enc == wire.ENC_PROTO and kind == wire.K_UINT and not leaflist:
                n = int(value)
                body = b"\x18" + (small[n] if n < 0x80 else varint(n))
            else:
                body = wire.typed(kind, value, leaflist, enc)
            lb = len(body)
            inner = path_field + (b"\x1a" + small[lb] + body if lb < 0x80 else wire.ld(3, body))
            li = len(inner)
            chunk.append(b"\x22" + (small[li] if li < 0x80 else varint(li)) + inner)
        if chunk:
            self.put(wire.notification(ts, wire.path_bytes(prefix or "") + self.target_field, chunk, []))
        if deletes:
            target = self.target_field or None
            self.put(wire.notification(ts, target, [], [wire.path_bytes(p) for p in deletes]))

    # ------------------------------------------------------------------------------------- values

    def _readable(self, leaves: list[FlatLeaf]) -> list[FlatLeaf]:
        if self.acl.unrestricted:
            return leaves
        return [lf for lf in leaves if self.acl.data_access(segments(f"{lf[0]}/{lf[1]}"), "read")]

    def _filtered(self, sub: Sub, leaves: list[FlatLeaf]) -> list[FlatLeaf]:
        """``use_models`` and Depth applied to the leaves of ``sub``."""
        models, depth = self.models, self.depth
        if models is not None:
            leaves = [lf for lf in leaves if models.leaf_ok(lf[0], lf[1])]
        if depth:
            base = len(sub.pattern)
            leaves = [lf for lf in leaves if within_depth(lf[0], base, depth)]
        return leaves

    def _filtered_deletes(self, sub: Sub, deletes: list[str]) -> list[str]:
        models, depth = self.models, self.depth
        if models is not None:
            deletes = [p for p in deletes if models.path_ok(p)]
        if depth:
            base = len(sub.pattern)
            deletes = [p for p in deletes if elem_count(p) - 1 - base < depth]
        return deletes

    def current(self, sub: Sub) -> list[FlatLeaf]:
        """The leaves ``sub`` selects now, from the operational datastore (config and state)."""
        leaves = self._current(sub)
        if self.models is not None or self.depth:
            leaves = self._filtered(sub, leaves)
        if sub.leaves:
            leaves = self._of_class(sub, leaves)
        return leaves

    def _of_class(self, sub: Sub, leaves: list[FlatLeaf]) -> list[FlatLeaf]:
        """The config leaves (``sub.leaves == "config"``) or the state leaves of ``leaves``."""
        want = sub.leaves == "config"
        meta = self.server.flattener.child_meta
        out = []
        for lf in leaves:
            m = meta(schema_of(lf[0]), lf[1])
            if (m.config if m is not None else True) == want:
                out.append(lf)
        return out

    def _current(self, sub: Sub) -> list[FlatLeaf]:
        if sub.state_only:
            fast = self._from_providers(sub)
            if fast is not None:
                return fast
        ds = self.server.datastores
        tree = ds.running.tree.dup()
        try:
            ds.operational.merge_into(tree, [sub.xpath])
            out: list[FlatLeaf] = []
            flat = self.server.flattener
            if tree.root == NULL:
                return out
            if not flat.select(_tops(tree.root, sub.pattern), sub.pattern, out):
                for node in find_xpath(tree.root, sub.xpath):
                    flat.node(node, out)
            return self._readable(out)
        finally:
            tree.close()

    def _from_providers(self, sub: Sub) -> list[FlatLeaf] | None:
        """State-only paths: the providers' JSON-IETF is navigated directly, with no merge into a copy of
        running (configuration cannot be selected by such a path). None when a provider returns a tree
        (the general path handles it) or the pattern has ``...``."""
        if any(name == "//" for name, _ in sub.pattern):
            return None
        regs = self.server.datastores.operational.providers_for([sub.xpath])
        out: list[FlatLeaf] = []
        for reg in regs:
            data = reg.fetch([sub.xpath])
            if data is None:
                continue
            if isinstance(data, str):
                data = json.loads(data) if data.strip() else {}
            if not isinstance(data, dict):
                return None
            self.server.flattener.navigate(data, sub.pattern, out)
        return self._readable(out)

    def send_current(self, subs: list[Sub]) -> None:
        ts = time.time_ns()
        for sub in subs:
            leaves = self.current(sub)
            sub.last = {f"{lf[0]}/{lf[1]}": lf[2] for lf in leaves} if sub.suppress else {}
            if sub.mode == SAMPLE and not sub.suppress:
                sub.parents = {lf[0] for lf in leaves}
            sub.last_full = time.monotonic()
            if not sub.watcher:  # the ON_CHANGE subscription it watches for sent these values
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
        started = time.perf_counter()
        try:
            self._sample(sub)
        finally:
            stats = self.server.stats
            stats["samples"] = stats.get("samples", 0) + 1
            stats["sample-seconds"] = stats.get("sample-seconds", 0.0) + time.perf_counter() - started

    def _sample(self, sub: Sub) -> None:
        ts = time.time_ns()
        leaves = self.current(sub)
        if not sub.suppress:
            # a node that held sampled leaves and is gone (a removed list entry) is sent as a delete
            parents = {lf[0] for lf in leaves}
            gone = _removed(sub.parents - parents, parents) if sub.parents else []
            sub.parents = parents
            self.send_leaves(leaves, gone, ts)
            return
        now = time.monotonic()
        full = sub.heartbeat > 0 and now - sub.last_full >= sub.heartbeat
        values = {f"{lf[0]}/{lf[1]}": lf[2] for lf in leaves}
        last = sub.last
        changed = leaves if full else [lf for lf in leaves if last.get(f"{lf[0]}/{lf[1]}", _END) != lf[2]]
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
            if operational and sub.leaves == "config":
                continue  # the state part of a TARGET_DEFINED subscription is sampled
            leaves: list[FlatLeaf] = []
            deletes: list[str] = []
            for ch in changes:
                rel = relation(ch.path, sub.pattern)
                if rel is None:
                    continue
                if ch.op == "delete":
                    deletes.append(ch.path)
                elif running is None:
                    leaves.extend(_json_leaves(ch.path, ch.new))
                else:
                    leaves.extend(self._changed_leaves(running, ch.path, sub, rel))
            if not self.acl.unrestricted:
                deletes = [p for p in deletes if self.acl.data_access(segments(p), "read")]
            if self.models is not None or self.depth:
                leaves = self._filtered(sub, leaves)
                deletes = self._filtered_deletes(sub, deletes)
            if sub.leaves:
                leaves = self._of_class(sub, leaves)
            if leaves or deletes:
                self.send_leaves(self._readable(leaves), deletes, ts)

    def _changed_leaves(self, running: Any, path: str, sub: Sub, rel: str) -> list[FlatLeaf]:
        root = running.tree.root
        if root == NULL:
            return []
        if rel == INSIDE:
            nodes = find_xpath(root, path)
        else:
            assert rel == CONTAINS
            nodes = [n for n in find_xpath(root, sub.xpath) if _under(n, path)]
        out: list[FlatLeaf] = []
        for node in nodes:
            self.server.flattener.node(node, out)
        merged: dict[tuple[str, str], FlatLeaf] = {}
        for lf in out:  # a leaf-list found entry by entry becomes one leaf
            key = (lf[0], lf[1])
            if key in merged and lf[4]:
                prev = merged[key]
                merged[key] = (prev[0], prev[1], [*prev[2], *lf[2]], prev[3], True)
            else:
                merged[key] = lf
        return list(merged.values())


def _removed(gone: set[str], present: set[str]) -> list[str]:
    """The topmost of the ``gone`` parent paths that are not ancestors of a ``present`` one."""
    if not gone:
        return []
    ordered = sorted(present)
    out: list[str] = []
    kept: set[str] = set()
    for g in sorted(gone, key=len):
        up = split_last(g)[0]
        while up and up not in kept:
            up = split_last(up)[0]
        if up:
            continue  # below a node already deleted
        i = bisect.bisect_left(ordered, g + "/")
        if i < len(ordered) and ordered[i].startswith(g + "/"):
            continue  # still holds sampled nodes below it
        out.append(g)
        kept.add(g)
    return out


def _tops(root: Any, pattern: tuple[Any, ...]) -> list[Any]:
    """Top-level data nodes the first pattern element can match."""
    name = pattern[0][0] if pattern else "*"
    local = name.rpartition(":")[2]
    out = []
    node = root
    while node != NULL:
        if local in ("*", "//") or node_name(node) == local:
            out.append(node)
        node = node.next
    return out


def _json_leaves(path: str, value: Any) -> list[FlatLeaf]:
    """An operational change's value as one leaf (a subtree value travels as one JSON-IETF update)."""
    parent, name = split_last(path)
    return [(parent, name, value, wire.K_STR, isinstance(value, list))]


_TOP_CACHE: dict[str, tuple[str, bytes]] = {}


def _split_top(parent: str) -> tuple[str, bytes]:
    """(path of the top-level node, encoded elements of the rest of ``parent``), cached."""
    hit = _TOP_CACHE.get(parent)
    if hit is not None:
        return hit
    elems = split_data_path(parent)
    top = f"/{elems[0][0]}" if elems else ""
    result = (top, wire.elems_bytes(elems[1:]))
    if len(_TOP_CACHE) > 500_000:
        _TOP_CACHE.clear()
        _PATH_FIELDS.clear()
    _TOP_CACHE[parent] = result
    return result


_PATH_FIELDS: dict[str, dict[str, bytes]] = {}  # parent path -> leaf name -> encoded Update.path


def _under(node: Any, path: str) -> bool:
    from agent.datastore.tree import node_path

    p = node_path(node)
    return p == path or p.startswith(path + "/") or p.startswith(path + "[")


def compile_subscriptions(server: GnmiServer, slist: Any, depth: int = 0) -> list[Sub]:
    """The Subscriptions of ``slist``; sample and heartbeat intervals are checked for STREAM lists only
    (ONCE and POLL ignore them, spec 3.5.1.5)."""
    streaming = slist.mode == STREAM
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
        split = False
        if mode == TARGET_DEFINED:
            if schema_holds_state(server.model.ctx, xpath):
                mode = SAMPLE
                interval = interval or TARGET_DEFINED_INTERVAL
                # per leaf (spec 3.5.1.5.2): configuration ON_CHANGE, state sampled
                split = schema_holds_config(server.model.ctx, xpath)
            else:
                mode = ON_CHANGE
        if mode not in (ON_CHANGE, SAMPLE):
            raise invalid(f"unknown subscription mode {item.mode}")
        if mode == SAMPLE:
            # spec 3.5.1.5.2: an interval the target cannot support is INVALID_ARGUMENT; 0 is the lowest
            if streaming and interval and interval < server.min_sample_interval:
                raise invalid(
                    f"sample_interval {item.sample_interval} ns is below the minimum of "
                    f"{int(server.min_sample_interval * 1e9)} ns",
                    path=str(gp),
                )
            interval = interval or server.min_sample_interval
        heartbeat = item.heartbeat_interval / 1e9
        if streaming and heartbeat and heartbeat < server.min_sample_interval:
            raise invalid(
                f"heartbeat_interval {item.heartbeat_interval} ns is below the minimum of "
                f"{int(server.min_sample_interval * 1e9)} ns",
                path=str(gp),
            )
        pattern = split_pattern(xpath)
        if depth and any(name == "//" for name, _ in pattern):
            raise unimplemented("the Depth extension is not supported with the '...' wildcard or the root")
        sub = Sub(
            path=str(gp),
            xpath=xpath,
            pattern=pattern,
            mode=mode,
            interval=interval,
            suppress=item.suppress_redundant,
            heartbeat=heartbeat,
            state_only=schema_state_only(server.model.ctx, xpath),
            leaves="state" if split else "",
        )
        subs.append(sub)
        if split:
            subs.append(dataclasses.replace(sub, mode=ON_CHANGE, leaves="config", suppress=False, last={}))
        elif streaming and item.mode == ON_CHANGE and schema_holds_state(server.model.ctx, xpath):
            # state that changes without an event (counters, most config-false leaves) is checked for
            # changes every state_change_interval and only changed leaves are sent (and deletes)
            watcher = dataclasses.replace(
                sub,
                mode=SAMPLE,
                interval=server.state_change_interval,
                suppress=True,
                heartbeat=0.0,
                leaves="state",
                watcher=True,
                last={},
                parents=set(),
            )
            subs.append(watcher)
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
    depth = request_depth(first, "Subscribe")
    slist = first.subscribe
    session = StreamSession(server, user, acl, server.queue_limit)
    session.encoding = slist.encoding
    session.models = check_models(server, slist.use_models)
    session.depth = depth
    if slist.prefix.target:
        session.target_field = wire.ld(4, slist.prefix.target.encode())
    session.subs = compile_subscriptions(server, slist, depth)
    mode = slist.mode
    if mode not in (STREAM, ONCE, POLL):
        raise invalid(f"unknown SubscriptionList mode {mode}")
    server.stream_started(session)
    reader: asyncio.Task[None] | None = None
    try:
        if not slist.updates_only:
            session.send_current(session.subs)
        else:  # watchers still learn the values they compare with
            session.send_current([s for s in session.subs if s.watcher])
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
