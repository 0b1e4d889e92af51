"""The telemetry service: poll the stats segment, follow VPP events, publish snapshots and events.

Four tasks on the agent's event loop, none of which blocks it:

* **poll** -- every ``interval`` the stats segment is read in bulk in a one-thread executor
  (:class:`~agent.telemetry.segment.SegmentReader`), a ``control_ping`` measures VPP's API latency, and a
  new :class:`~agent.telemetry.snapshot.Snapshot` is swapped in;
* **events** -- ``sw_interface_event`` messages (through :meth:`VppLink.subscribe`) update admin/oper
  state at once (a new snapshot, an :class:`InterfaceStateEvent` on the bus) without waiting for a poll;
  creations and deletions schedule an inventory refresh;
* **link watch** -- the VPP connection going down or coming back (reconciled) becomes a
  :class:`VppConnectionEvent`, re-opens the stats segment (VPP restarted: a new memfd) and re-reads the
  inventory; while disconnected every interface's oper-status is ``unknown``;
* **inventory** -- dumps (interfaces, addresses, VRFs, bonds, routes) at ``inventory_interval`` and when
  events say interfaces appeared or disappeared.

Readers (the operational datastore provider, the Prometheus exporter's HTTP thread) only ever format the
current snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from agent.datastore.changes import Change
from agent.telemetry.agent_state import ROOT as AGENT_STATE_ROOT
from agent.telemetry.agent_state import agent_state_json, agent_state_leaves
from agent.telemetry.events import (
    AgentStateEvent,
    EventBus,
    InterfaceStateEvent,
    VppConnectionEvent,
    VppDriftEvent,
)
from agent.telemetry.exporter import DEFAULT_MAX_INTERFACES, Exporter, Sample
from agent.telemetry.inventory import interface_info, read_interfaces, read_inventory
from agent.telemetry.latency import LatencyHistogram
from agent.telemetry.operational import interfaces_text, requested_interfaces
from agent.telemetry.segment import CounterTable, SegmentReader, StatsReadError
from agent.telemetry.snapshot import EMPTY, AgentCounters, InterfaceInfo, Inventory, Snapshot
from agent.vpp.connection import VppConnection

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 1.0
#: Full inventories (every interface's addresses and VRF, bonds, routes) cost ~4 s of agent CPU at 10,000
#: interfaces (docs/performance.md), so they run at connect and then rarely; new interfaces and interfaces
#: a commit touches are refreshed one by one at once.
DEFAULT_INVENTORY_INTERVAL = 300.0
LINK_WATCH_INTERVAL = 0.05
MIN_INTERVAL = 0.1
_IF_NAME = re.compile(r"^/ietf-interfaces:interfaces/interface\[name=(['\"])(.*?)\1\]")


class Telemetry:
    """Operational state and telemetry for one agent; see the module docstring."""

    def __init__(
        self,
        stats_socket: str,
        *,
        link: Any = None,
        southbound: Any = None,
        txn: Any = None,
        interval: float = DEFAULT_INTERVAL,
        inventory_interval: float = DEFAULT_INVENTORY_INTERVAL,
        metrics_host: str = "127.0.0.1",
        metrics_port: int | None = None,
        max_interfaces: int = DEFAULT_MAX_INTERFACES,
    ) -> None:
        self.stats_socket = stats_socket
        self.link = link
        self.southbound = southbound
        self.txn = txn
        self.interval = max(0.05, interval)
        self.inventory_interval = max(1.0, inventory_interval)
        self.bus = EventBus()
        self.latency = LatencyHistogram()
        self.reader = SegmentReader(stats_socket)
        self.exporter: Exporter | None = None
        if metrics_port is not None:
            self.exporter = Exporter(
                lambda: self.snapshot,
                self.latency,
                host=metrics_host,
                port=metrics_port,
                max_interfaces=max_interfaces,
                commit_phases=getattr(txn, "phase_latency", None),
            )
        self.snapshot: Snapshot = EMPTY
        self.sessions: Callable[[], int] = lambda: 0
        self._counters: CounterTable | None = None
        self._interfaces: dict[int, InterfaceInfo] = {}
        self._inventory = Inventory()
        self._connected = False
        self._connects = 0
        self._disconnects = 0
        self._vpp_version = ""
        self._vpp_state = "disconnected"
        self._vpp_last_change = 0.0
        self._vpp_last_error = ""
        self._seen_conn: Any = None
        self._agent_leaves: dict[str, str] | None = None
        self._polls = 0
        self._poll_errors = 0
        self._last_poll_seconds = 0.0
        self._last_poll_at = 0.0
        self._reader_connects = -1
        self._inventory_wanted = asyncio.Event()
        self._polled = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stats-reader")
        self._tasks: list[asyncio.Task[None]] = []
        self._vpp_events: asyncio.Queue[Any] | None = None
        self.provider_handle: int | None = None
        self.agent_state_handle: int | None = None
        self._datastores: Any = None
        self._text_cache: tuple[Snapshot, str] | None = None
        self._refresh_indices: set[int] = set()
        self._refresh_names: set[str] = set()
        self._full_due = 0.0
        self._wanted: dict[int, float] = {}
        self._want_ids = itertools.count(1)
        self._wake = asyncio.Event()
        observers = getattr(southbound, "drift_observers", None)
        if observers is not None:
            observers.append(self._on_drift)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._publish_agent_state()  # the baseline later changes are published against
        if self.link is not None:
            self._vpp_events = self.link.subscribe()
        for name, coro in (
            ("telemetry-poll", self._poll_loop()),
            ("telemetry-events", self._event_loop()),
            ("telemetry-link", self._link_loop()),
            ("telemetry-inventory", self._inventory_loop()),
            ("telemetry-commits", self._commit_loop()),
        ):
            self._tasks.append(asyncio.create_task(coro, name=name))
        if self.exporter is not None:
            self.exporter.start()

    def serve_operational(self, datastores: Any) -> None:
        """Register the providers of ``/ietf-interfaces:interfaces`` (:meth:`operational_for`, which
        builds only the interfaces a read names) and ``/bng-agent:agent-state`` (:meth:`agent_state`)."""
        self._datastores = datastores
        self.provider_handle = datastores.operational.register_scoped(
            "/ietf-interfaces:interfaces", self.operational_for
        )
        self.agent_state_handle = datastores.operational.register(AGENT_STATE_ROOT, self.agent_state)

    async def stop(self) -> None:
        if self._datastores is not None:
            for handle in (self.provider_handle, self.agent_state_handle):
                if handle is not None:
                    self._datastores.operational.unregister(handle)
            self.provider_handle = self.agent_state_handle = None
        if self.exporter is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.exporter.stop)
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._tasks.clear()
        await asyncio.get_running_loop().run_in_executor(self._executor, self.reader.close)
        self._executor.shutdown(wait=True)

    @property
    def metrics_port(self) -> int | None:
        return self.exporter.port if self.exporter is not None else None

    # ------------------------------------------------------------------ public API

    def operational_json(self) -> str:
        """Provider for the operational datastore under ``/ietf-interfaces:interfaces`` (JSON-IETF text).

        Built once per snapshot and reused by every read until the next poll or event."""
        snap = self.snapshot
        cached = self._text_cache
        if cached is not None and cached[0] is snap:
            return cached[1]
        text = interfaces_text(snap)
        self._text_cache = (snap, text)
        return text

    def operational_for(self, paths: list[str] | None) -> str:
        """Provider for a read of ``paths``: only the interfaces they name (``interface[name='X']``),
        or every interface (cached per snapshot) when they may select any."""
        names = requested_interfaces(paths)
        if names is None:
            return self.operational_json()
        return interfaces_text(self.snapshot, names)

    def agent_state(self) -> dict[str, Any]:
        """Provider for ``/bng-agent:agent-state``: computed at read time, so a commit is visible at once."""
        return agent_state_json(self._agent_counters())

    @property
    def effective_interval(self) -> float:
        """The poll interval now: the configured one, or the fastest a subscriber asked for."""
        return min([self.interval, *self._wanted.values()])

    def want_interval(self, seconds: float) -> Callable[[], None]:
        """Poll at least every ``seconds`` (not below :data:`MIN_INTERVAL`) until the returned function
        is called -- for a gNMI SAMPLE subscription faster than the configured interval, so counters are
        read in bulk at the subscription's interval instead of being re-read per request."""
        key = next(self._want_ids)
        self._wanted[key] = max(MIN_INTERVAL, seconds)
        self._wake.set()

        def release() -> None:
            self._wanted.pop(key, None)

        return release

    def observe_vpp_call(self, msg: str, seconds: float) -> None:
        """Record one VPP API call's latency (for callers outside telemetry that time their calls)."""
        self.latency.observe(msg, seconds)

    def register_source(self, module: str, source: Callable[[], Iterable[Sample]]) -> None:
        """A BNG module's live metric values (see :mod:`agent.telemetry.catalog`)."""
        if self.exporter is not None:
            self.exporter.collector.register_source(module, source)

    async def wait_poll(self, timeout: float) -> bool:
        """Wait for the next completed poll (tests, benchmarks); False on timeout."""
        self._polled.clear()
        try:
            await asyncio.wait_for(self._polled.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def forward(self, publish: Callable[[list[Change], int], None]) -> asyncio.Task[None]:
        """Feed every event to ``publish(changes, timestamp_ns)`` (``GnmiServer.publish_operational``)."""
        sub = self.bus.subscribe()

        async def pump() -> None:
            try:
                async for event in sub:
                    changes = event.changes()
                    if not changes:
                        continue
                    try:
                        publish(changes, int(event.time * 1e9))
                    except Exception:  # a consumer's bug must not stop the events of the others
                        log.exception("telemetry event consumer failed")
            finally:
                sub.close()

        task = asyncio.create_task(pump(), name="telemetry-forward")
        self._tasks.append(task)
        return task

    # ------------------------------------------------------------------ snapshot

    def _agent_counters(self) -> AgentCounters:
        txn_stats = getattr(self.txn, "stats", None)
        sb = self.southbound
        return AgentCounters(
            vpp_connected=self._connected,
            vpp_connects=self._connects,
            vpp_disconnects=self._disconnects,
            vpp_version=self._vpp_version,
            commits=int(getattr(txn_stats, "commits", 0)),
            commit_failures=int(getattr(txn_stats, "failed", 0)),
            resyncs=int(getattr(self.link, "connects", self._connects)),
            resync_repairs=int(getattr(sb, "repairs_total", 0)),
            in_sync=bool(getattr(sb, "in_sync", False)) and self._connected,
            sessions=self.sessions(),
            polls=self._polls,
            poll_errors=self._poll_errors,
            last_poll_seconds=self._last_poll_seconds,
            last_poll_at=self._last_poll_at,
            vpp_state=self._vpp_state,
            vpp_last_change=self._vpp_last_change,
            vpp_last_error=self._vpp_last_error,
            last_commit_id=int(getattr(self.txn, "last_commit_id", 0) or 0),
            unmanaged=len(getattr(sb, "unmanaged", None) or ()),
            missing_ports=tuple(getattr(sb, "missing_ports", None) or ()),
        )

    def _on_drift(self, record: Any) -> None:
        """The southbound found drift (agent.vpp.drift.DriftRecord): the ``bng-agent:vpp-drift``
        notification, and the in-sync / resync-repairs leaves it moved, at once."""
        items = tuple((i.operation, i.key) for i in record.items)
        self.bus.publish(VppDriftEvent(record.source, record.action, items, record.total, record.error))
        self._publish_snapshot()

    def _publish_agent_state(self, counters: AgentCounters | None = None) -> None:
        """Publish the ``agent-state`` leaves that changed since the last call (gNMI ON_CHANGE)."""
        leaves = agent_state_leaves(counters if counters is not None else self._agent_counters())
        before = self._agent_leaves
        self._agent_leaves = leaves
        if before is None:
            return
        changed = tuple((p, before.get(p), v) for p, v in leaves.items() if before.get(p) != v)
        if changed:
            self.bus.publish(AgentStateEvent(changed))

    def _publish_snapshot(self) -> None:
        ifs = dict(self._interfaces)
        members = []
        for m in self._inventory.members:
            bond, port = ifs.get(m.bond_index), ifs.get(m.member_index)
            if bond is not None and port is not None:
                members.append(dataclasses.replace(m, active=port.link_up and bond.admin_up))
        inv = dataclasses.replace(self._inventory, interfaces=ifs, members=tuple(members))
        agent = self._agent_counters()
        self.snapshot = Snapshot(self._counters, inv, agent, time.time())
        self._publish_agent_state(agent)

    # ------------------------------------------------------------------ poll

    async def poll_once(self) -> Snapshot:
        """Read the stats segment now (in the executor) and publish a new snapshot."""
        loop = asyncio.get_running_loop()
        conn = self._conn()
        if self.link is not None and self._reader_connects != self._connects:
            # VPP (re)connected: it may be a new VPP with a new stats segment.
            await loop.run_in_executor(self._executor, self.reader.close)
            self._reader_connects = self._connects
        try:
            table = await loop.run_in_executor(self._executor, self.reader.read)
        except StatsReadError as e:
            self._poll_errors += 1
            log.warning("stats read failed: %s", e.message)
            await loop.run_in_executor(self._executor, self.reader.close)
        else:
            self._counters = table
            self._polls += 1
            self._last_poll_seconds = table.seconds
            self._last_poll_at = table.read_at
        if conn is not None:
            await self._ping(conn)
        self._publish_snapshot()
        self._polled.set()
        return self.snapshot

    def _observe_own_call(self, conn: VppConnection, msg: str, seconds: float) -> None:
        """Time telemetry's own VPP calls, unless the connection already reports every call.

        Under ``bng-agent run`` the link times each call on the connection (``on_call``) and feeds
        :meth:`observe_vpp_call`; observing here too would count telemetry's calls twice.
        """
        if getattr(conn, "on_call", None) is None:
            self.latency.observe(msg, seconds)

    async def _ping(self, conn: VppConnection) -> None:
        t0 = time.perf_counter()
        try:
            await conn.call("control_ping")
        except Exception:  # the link notices a dead connection itself
            return
        self._observe_own_call(conn, "control_ping", time.perf_counter() - t0)

    async def _poll_loop(self) -> None:
        next_at = time.monotonic()
        while True:
            try:
                await self.poll_once()
            except Exception:
                self._poll_errors += 1
                log.exception("telemetry poll failed")
            interval = self.effective_interval
            next_at += interval
            now = time.monotonic()
            if next_at < now:  # a slow read: skip the missed ticks instead of bunching up
                next_at = now + interval
            if next_at - now > interval:  # a faster interval was just requested
                next_at = now + interval
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), next_at - now)

    # ------------------------------------------------------------------ VPP connection

    def _conn(self) -> VppConnection | None:
        conn = getattr(self.link, "conn", None)
        if conn is None or not conn.connected:
            return None
        return conn  # type: ignore[no-any-return]

    def _link_up(self) -> bool:
        if self.link is None:
            return False
        return self._conn() is not None and self.link.ready.is_set() and self.link.fatal is None

    def _link_state(self) -> str:
        """bng-agent ``connection-state``: connected (and reconciled), connecting (socket up, reconcile
        running), disconnected."""
        if self._link_up():
            return "connected"
        if self._conn() is not None and self.link is not None and self.link.fatal is None:
            return "connecting"
        return "disconnected"

    def _lost_reason(self) -> str:
        fatal = getattr(self.link, "fatal", None)
        if fatal is not None:
            return str(getattr(fatal, "message", fatal))
        reason = getattr(self._seen_conn, "_lost_reason", None)
        return f"VPP connection lost: {reason}" if reason else "VPP connection lost"

    async def _link_loop(self) -> None:
        while True:
            await self._link_step()
            await asyncio.sleep(LINK_WATCH_INTERVAL)

    async def _link_step(self) -> None:
        """Look at the VPP link once: track connection-state and publish what changed."""
        conn = self._conn()
        if conn is not None:
            self._seen_conn = conn
        state = self._link_state()
        previous_state = self._vpp_state
        error_before = self._vpp_last_error
        if state != previous_state:
            self._vpp_state = state
            self._vpp_last_change = time.time()
            if state == "disconnected":  # lost, or dropped mid-reconcile
                self._vpp_last_error = self._lost_reason()
        elif getattr(self.link, "fatal", None) is not None:
            self._vpp_last_error = self._lost_reason()  # refused before it ever connected
        up = state == "connected"
        if up != self._connected:
            conn = self._conn()
            self._connected = up
            if up:
                self._connects += 1
                self._vpp_version = str(getattr(conn, "version", ""))
                log.info("telemetry vpp connected connects=%d", self._connects)
                self._full_due = 0.0  # the loop below does a full inventory now
                await self._refresh_inventory()
            else:
                self._disconnects += 1
                log.warning("telemetry vpp disconnected")
            self.bus.publish(
                VppConnectionEvent(
                    up,
                    self._connects,
                    reason="" if up else self._vpp_last_error or "VPP connection lost",
                    vpp_version=self._vpp_version,
                    previous_state=previous_state,
                )
            )
            self._publish_snapshot()
        elif state != previous_state or self._vpp_last_error != error_before:
            self._publish_agent_state()  # connecting <-> disconnected, or a fatal error

    # ------------------------------------------------------------------ interface events

    async def _event_loop(self) -> None:
        if self._vpp_events is None:
            return
        q = self._vpp_events
        while True:
            batch = [await q.get()]
            while not q.empty() and len(batch) < 10_000:
                batch.append(q.get_nowait())
            try:
                await self._interface_events([m for m in batch if type(m).__name__ == "sw_interface_event"])
            except Exception:  # VPP went away mid-way: the link loop reports that
                log.exception("interface event handling failed")

    async def _interface_events(self, events: list[Any]) -> None:
        """Apply a batch of ``sw_interface_event`` messages.

        VPP's flags in these events say which *events* happened since the last message (an admin-up event,
        a link-up event: ``send_sw_interface_event`` in ``src/vnet/interface_api.c``), not the current
        state -- a carrier loss arrives as flags 0, the same as an admin-down. So the event only says
        which interface to look at; its state comes from a ``sw_interface_dump`` of that one interface,
        sent at once (all of a batch pipelined). ``deleted`` is reliable and applied directly.
        """
        if not events:
            return
        changed = False
        wanted: list[int] = []
        for msg in events:
            idx = int(msg.sw_if_index)
            if bool(msg.deleted):
                old = self._interfaces.pop(idx, None)
                if old is not None:
                    self.bus.publish(
                        InterfaceStateEvent(old.name, idx, "down", False, old.oper_status, deleted=True)
                    )
                    self._inventory_wanted.set()
                    changed = True
            elif idx not in self._interfaces:
                self._refresh_indices.add(idx)  # a new interface: name, VRF, addresses from a dump of it
                self._inventory_wanted.set()
            elif idx != 0 and idx not in wanted:
                wanted.append(idx)
        conn = self._conn()
        if wanted and conn is not None:
            t0 = time.perf_counter()
            futs = [
                conn.send("sw_interface_dump", sw_if_index=idx, name_filter_valid=False, name_filter="")
                for idx in wanted
            ]
            replies = await asyncio.gather(*futs)
            self._observe_own_call(conn, "sw_interface_dump", (time.perf_counter() - t0) / len(futs))
            for idx, (_, details) in zip(wanted, replies, strict=True):
                old = self._interfaces.get(idx)
                if old is None or not details:
                    continue
                fresh = interface_info(details[0], old.vrf)
                new = dataclasses.replace(
                    old, admin_up=fresh.admin_up, link_up=fresh.link_up, speed_kbps=fresh.speed_kbps
                )
                if new == old:
                    continue
                self._interfaces[idx] = new
                changed = True
                if new.oper_status != old.oper_status or new.admin_up != old.admin_up:
                    self.bus.publish(
                        InterfaceStateEvent(new.name, idx, new.oper_status, new.admin_up, old.oper_status)
                    )
        if changed:
            self._publish_snapshot()

    # ------------------------------------------------------------------ inventory

    async def _refresh_inventory(self) -> None:
        conn = self._conn()
        if conn is None:
            return
        t0 = time.perf_counter()
        try:
            inv = await read_inventory(conn)
        except Exception as e:  # VPP went away mid-dump; the link loop reports it
            log.warning("inventory read failed: %r", e)
            return
        self._observe_own_call(conn, "sw_interface_dump", time.perf_counter() - t0)
        before = self._interfaces
        for idx, info in inv.interfaces.items():
            old = before.get(idx)
            if old is None or old.name != info.name:
                self.bus.publish(InterfaceStateEvent(info.name, idx, info.oper_status, info.admin_up, None))
            elif old.oper_status != info.oper_status or old.admin_up != info.admin_up:
                self.bus.publish(
                    InterfaceStateEvent(info.name, idx, info.oper_status, info.admin_up, old.oper_status)
                )
        for idx, old in before.items():
            if idx not in inv.interfaces:
                self.bus.publish(
                    InterfaceStateEvent(old.name, idx, "down", False, old.oper_status, deleted=True)
                )
        self._interfaces = dict(inv.interfaces)
        self._inventory = inv
        self._full_due = time.monotonic() + self.inventory_interval
        self._publish_snapshot()

    async def refresh_inventory(self) -> None:
        """Re-read interfaces, addresses, bonds and routes now."""
        await self._refresh_inventory()

    async def _inventory_loop(self) -> None:
        """Full inventories at ``inventory_interval`` (and after every connect); in between, targeted
        reads of interfaces that appeared or that a commit touched."""
        while True:
            timeout = (
                max(0.0, self._full_due - time.monotonic()) if self._full_due else self.inventory_interval
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._inventory_wanted.wait(), timeout)
            if self._inventory_wanted.is_set():
                await asyncio.sleep(0.05)  # coalesce a burst of creations/commits into one round
            self._inventory_wanted.clear()
            if not self._connected:
                continue
            if time.monotonic() >= self._full_due:
                self._refresh_indices.clear()
                self._refresh_names.clear()
                await self._refresh_inventory()
            elif self._refresh_indices or self._refresh_names:
                await self._refresh_some()

    async def _refresh_some(self) -> None:
        conn = self._conn()
        if conn is None:
            return
        by_name = {info.name: idx for idx, info in self._interfaces.items()}
        indices = sorted(self._refresh_indices | {by_name[n] for n in self._refresh_names if n in by_name})
        self._refresh_indices.clear()
        self._refresh_names.clear()
        try:
            infos, addrs = await read_interfaces(conn, indices)
        except Exception as e:  # VPP went away; the link loop reports it
            log.warning("interface refresh failed: %r", e)
            return
        addresses = dict(self._inventory.addresses)
        for idx, info in infos.items():
            old = self._interfaces.get(idx)
            if old is None or old.name != info.name:
                self.bus.publish(InterfaceStateEvent(info.name, idx, info.oper_status, info.admin_up, None))
            elif old.oper_status != info.oper_status or old.admin_up != info.admin_up:
                self.bus.publish(
                    InterfaceStateEvent(info.name, idx, info.oper_status, info.admin_up, old.oper_status)
                )
            self._interfaces[idx] = info
            if addrs.get(idx):
                addresses[idx] = addrs[idx]
            else:
                addresses.pop(idx, None)
        self._inventory = dataclasses.replace(self._inventory, addresses=addresses)
        self._publish_snapshot()

    async def _commit_loop(self) -> None:
        """Interfaces a commit touched (addresses, VRF binding, new sub-interfaces) are re-read at once."""
        subscribe = getattr(self.txn, "subscribe", None)
        if subscribe is None:
            return
        while True:
            sub = subscribe()
            try:
                async for event in sub:
                    for ch in event.changes:
                        m = _IF_NAME.search(ch.path)
                        if m is not None:
                            self._refresh_names.add(m.group(2))
                    if self._refresh_names:
                        self._inventory_wanted.set()
                    self._publish_agent_state()  # commits, last-commit-id
            finally:
                sub.close()
            await asyncio.sleep(0.1)  # dropped for falling behind: subscribe again


async def start_telemetry(
    *,
    stats_socket: str,
    link: Any = None,
    southbound: Any = None,
    txn: Any = None,
    datastores: Any = None,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
    interval: float = DEFAULT_INTERVAL,
) -> Telemetry:
    """Create and start telemetry for the agent process; registers the operational provider when
    ``datastores`` is given and serves ``/metrics`` when ``metrics_port`` is not None (0 = any port)."""
    tel = Telemetry(
        stats_socket,
        link=link,
        southbound=southbound,
        txn=txn,
        interval=interval,
        metrics_host=metrics_host,
        metrics_port=metrics_port,
    )
    await tel.start()
    if datastores is not None:
        tel.serve_operational(datastores)
    return tel
