"""The VPP southbound: :class:`~agent.txn.southbound.Southbound` for a real VPP (or vppsim).

It keeps three things in step: its copy of the configuration it has applied (:class:`ConfigIndex`), the
items that configuration flattens to (``applied``), and the name map. ``plan`` replays a commit's changes
onto copies of the roots they touch and diffs only those roots' items; ``apply`` executes the plan all or
nothing and only then adopts the new roots; ``reconcile`` retrieves VPP's state, diffs the whole
intended configuration against it and applies the difference (nothing at all when they agree).
Commits and reconciles are serialised by one lock, so a resync never interleaves with a commit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from agent.datastore.changes import Change
from agent.features import registry
from agent.features.base import RetrieveContext, Retrieved
from agent.features.registry import DESCRIPTORS, ROOTS, root_items
from agent.txn.southbound import ConfigTree, Plan, PlanStep
from agent.vpp import keys
from agent.vpp.config import ConfigIndex, Overlay, RootId
from agent.vpp.connection import VppConnection
from agent.vpp.descriptor import Ownership
from agent.vpp.drift import DriftRecord, drift_record
from agent.vpp.errors import VppConnectError
from agent.vpp.executor import DEFAULT_WINDOW, Executor, paused_gc, raise_for
from agent.vpp.items import Item, ItemState, Value
from agent.vpp.naming import NameMap
from agent.vpp.planner import Step, plan_items
from agent.vpp.runtime import RuntimeItems

log = logging.getLogger(__name__)

REPORTED_STEPS = 1000


@dataclass
class PlanData:
    overlay: Overlay
    new_items: dict[RootId, list[Item[Value]]]
    steps: list[Step]
    generation: int
    # pre-provisioned configuration: configured ports VPP does not have, and per touched root the items
    # left out because they need one of them
    absent_ports: list[str] | None = None  # None: not known (no reconciled connection)
    skipped: dict[RootId, list[str]] = field(default_factory=dict)
    # run-time items this commit removes from VPP because configuration they need goes away
    runtime_unapplied: list[str] = field(default_factory=list)


@dataclass
class ReconcileReport:
    """What a reconcile found and did; ``steps`` lists the repairs (empty when VPP matched)."""

    steps: list[str] = field(default_factory=list)  # the first REPORTED_STEPS repairs, rendered
    repairs: int = 0
    write_calls: int = 0
    read_calls: int = 0
    unmanaged: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    missing_ports: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def tree_json(running: ConfigTree | str | None) -> dict[str, Any]:
    """JSON-IETF of a running tree (a libyang data node) or of JSON text."""
    if running is None:
        return {}
    text = (
        running if isinstance(running, str) else running.print_mem("json", with_siblings=True, pretty=False)
    )
    doc = json.loads(text or "{}")
    if not isinstance(doc, dict):
        raise TypeError(f"configuration is not a JSON object: {type(doc).__name__}")
    return doc


class VppSouthbound:
    """Programs VPP from committed changes; see the module docstring."""

    def __init__(self, *, window: int = DEFAULT_WINDOW) -> None:
        self.window = window
        self.config = ConfigIndex(ROOTS)
        self.config_loaded = False
        self.applied: dict[str, Item[Value]] = {}
        self.by_root: dict[RootId, list[str]] = {}
        # the roots yielding each item of a ``shared`` kind (see Descriptor.shared)
        self._holders: dict[str, set[RootId]] = {}
        self.names = NameMap()
        self.conn: VppConnection | None = None
        self.unmanaged: list[dict[str, Any]] = []
        self.in_sync = False
        self.generation = 0
        self.last_report: ReconcileReport | None = None
        self._stale = True  # VPP state unknown until a reconcile on the current connection
        self._orphans: dict[str, int] = {}  # created by a failed commit, undo failed too
        # configured ports VPP does not have, and per root the items waiting for them (not in applied)
        self._missing: list[str] = []
        self._skipped: dict[RootId, list[str]] = {}
        self.runtime = RuntimeItems()  # the second item source (sessions), see agent/vpp/runtime.py
        self._lock = asyncio.Lock()
        # repair steps of every reconcile (the first included) and of every drift repair
        self.repairs_total = 0
        # called with each DriftRecord (drift repaired or reported); telemetry turns them into events
        self.drift_observers: list[Callable[[DriftRecord], None]] = []

    # ------------------------------------------------------------------ drift (agent.vpp.audit)

    @property
    def lock(self) -> asyncio.Lock:
        """Held by commits, reconciles and drift repairs: one of them touches VPP at a time."""
        return self._lock

    @property
    def stale(self) -> bool:
        """True until a reconcile on the current connection (VPP's state is not known)."""
        return self._stale

    def repaired(self, steps: int) -> None:
        """A drift repair (:mod:`agent.vpp.audit`) changed VPP by ``steps`` steps: count them, and make
        plans prepared before it plan again (the name map may have changed)."""
        self.repairs_total += steps
        self.generation += 1

    def mark_stale(self) -> None:
        """VPP is in an unknown state (a repair failed half-way): the next commit reconciles first."""
        self._stale = True
        self.in_sync = False
        self.generation += 1

    def report_drift(self, record: DriftRecord) -> None:
        for observer in list(self.drift_observers):
            try:
                observer(record)
            except Exception:  # an observer bug must not break the southbound
                log.exception("drift observer failed")

    # ------------------------------------------------------------------ configuration

    def load_config(self, doc: dict[str, Any] | str | None) -> None:
        """Set the intended configuration (at start-up, before the first reconcile)."""
        self.config = ConfigIndex.from_json(doc, ROOTS)
        self.config_loaded = True
        self.applied = {}
        self.by_root = {}
        self._holders = {}
        self.in_sync = False
        self.generation += 1

    def attach(self, conn: VppConnection | None) -> None:
        """Use ``conn`` for calls (``None`` when the link is down); the next reconcile rebuilds state."""
        self.conn = conn
        self.in_sync = False
        self._stale = True
        self._orphans = {}  # indices mean nothing on another connection (VPP may have restarted)
        self.generation += 1

    # ------------------------------------------------------------------ Southbound protocol

    async def plan(self, running: ConfigTree | None, changes: list[Change]) -> Plan:
        with paused_gc():
            return self._plan(running, changes)

    def _plan(self, running: ConfigTree | None, changes: list[Change]) -> Plan:
        if not self.config_loaded:
            self.load_config(tree_json(running))
        overlay = Overlay(self.config)
        touched: set[RootId] = set()
        for ch in changes:
            touched.update(overlay.apply(ch))
        # roots whose items read a touched one (an interface bound to a changed VRF, the members of a
        # changed bond) are flattened again; the index knows them from the features' references
        touched |= self.config.readers_of(touched)
        old: dict[str, Item[Value]] = {}
        new_items: dict[RootId, list[Item[Value]]] = {}
        new: dict[str, Item[Value]] = {}
        for root in touched:
            for k in self.by_root.get(root, ()):
                old[k] = self.applied[k]
            items = root_items(root, overlay.get(root), overlay)
            new_items[root] = items
            for it in items:
                new[it.key] = it
        if self._holders or any(DESCRIPTORS[it.kind].shared for it in new.values()):
            self._keep_shared(touched, old, new)
        # which ports VPP lacks is known only once the name map comes from the current connection
        absent = None if self._stale else registry.missing_interfaces(overlay, self.names)
        skipped: dict[RootId, list[str]] = {}
        if absent:
            # pre-provisioning: what needs a port VPP does not have waits for it (the link retries)
            waiting = {k for root, keys in self._skipped.items() if root not in touched for k in keys}
            gone = _needing(new, {keys.interface(name) for name in absent} | waiting)
            for root, items in new_items.items():
                kept = [it for it in items if it.key not in gone]
                if len(kept) != len(items):
                    skipped[root] = [it.key for it in items if it.key in gone]
                    new_items[root] = kept
            for k in gone:
                new.pop(k, None)
        outside = self.applied
        unapplied: list[str] = []
        if self.runtime.entries:
            # run-time items (sessions) that need an item this commit removes are removed first and wait
            outside = {**self.applied, **self.runtime.applied()}
            after = {k: v for k, v in self.applied.items() if k not in old}
            after.update(new)
            held = self.runtime.rebase(after).old
            old.update(held)
            unapplied = list(held)
        steps = plan_items(old, new, outside)
        plan_steps = [PlanStep(op=s.op, key=s.key, detail=s.describe()) for s in steps]
        data = PlanData(overlay, new_items, steps, self.generation, absent, skipped, unapplied)
        return Plan(steps=plan_steps, changes=list(changes), data=data)

    def _keep_shared(
        self, touched: set[RootId], old: dict[str, Item[Value]], new: dict[str, Item[Value]]
    ) -> None:
        """A shared item (``Descriptor.shared``) that a root outside this change still yields is neither
        created again nor deleted: it stays as it is in VPP."""
        for k, it in new.items():
            if k not in old and k in self.applied and DESCRIPTORS[it.kind].shared:
                old[k] = self.applied[k]
        for k in [k for k in old if k not in new]:
            if any(r not in touched for r in self._holders.get(k, ())):
                new[k] = old[k]

    async def apply(self, plan: Plan) -> None:
        async with self._lock:
            txn_id = plan.txn_id
            data = plan.data
            if not isinstance(data, PlanData) or data.generation != self.generation:
                # VPP was resynchronised since this plan was made: plan again against the current state.
                plan = self._plan(None, plan.changes)
                data = plan.data
            assert isinstance(data, PlanData)
            connected = self.conn is not None and self.conn.connected
            if not data.steps and not (connected and self._stale):
                # nothing for VPP (users, RADIUS, a description ...): such commits never need VPP up
                self._adopt(data)
                return
            conn = self._require_conn()
            if self._stale:
                # a new connection not reconciled yet (its name map may be from a VPP that is gone) or a
                # failed undo: bring VPP back to running first, then plan this commit against that.
                await self._reconcile()
                plan = self._plan(None, plan.changes)
                data = plan.data
            assert isinstance(data, PlanData)
            t0 = time.perf_counter()
            writes0 = conn.writes
            result = await Executor(conn, self.names, window=self.window).run(data.steps)
            ms = (time.perf_counter() - t0) * 1e3
            log.info(
                "southbound apply txn=%s items=%d steps=%d vpp_calls=%d reverted=%d ok=%s ms=%.1f",
                "-" if txn_id is None else txn_id,
                sum(len(v) for v in data.new_items.values()),
                len(data.steps),
                conn.writes - writes0,
                result.reverted,
                result.failed is None,
                ms,
            )
            if result.failed is not None:
                step = result.failed
                log.warning(
                    "southbound commit refused by VPP txn=%s item=%s vpp_message=%s error=%s reverted=%d",
                    "-" if txn_id is None else txn_id,
                    step.key,
                    step.call.msg if step.call is not None else "(check)",
                    result.error,
                    result.reverted,
                )
                if result.revert_errors:
                    self.in_sync = False
                    self._stale = True
                    self._orphans.update(result.orphans)
                raise_for(result)
            self._adopt(data)
            await self._program_runtime(conn)

    def _adopt(self, data: PlanData) -> None:
        """VPP holds what ``data`` planned: make its roots and items the applied state."""
        data.overlay.commit()
        for root, items in data.new_items.items():
            for k in self.by_root.pop(root, ()):
                holders = self._holders.get(k)
                if holders is not None:
                    holders.discard(root)
                    if holders:
                        continue  # another root still yields this shared item
                    del self._holders[k]
                self.applied.pop(k, None)
            for it in items:
                self.applied[it.key] = it
                if DESCRIPTORS[it.kind].shared:
                    self._holders.setdefault(it.key, set()).add(root)
            if items:
                self.by_root[root] = [it.key for it in items]
            self._skipped.pop(root, None)
        self._skipped.update(data.skipped)
        for k in data.runtime_unapplied:
            if (entry := self.runtime.entries.get(k)) is not None:
                entry.state = "pending"
        if data.absent_ports is not None and data.absent_ports != self._missing:
            if data.absent_ports:
                log.warning(
                    "configured but not in VPP: ports=%s items_waiting=%d (programmed when they appear)",
                    ",".join(data.absent_ports),
                    len(self.skipped_items),
                )
            elif not self._stale:
                self.in_sync = True  # the last missing port's configuration is gone
            self._missing = list(data.absent_ports)
            if self._missing:
                self.in_sync = False  # VPP lacks part of running until the ports appear
        self.generation += 1

    def _require_conn(self) -> VppConnection:
        conn = self.conn
        if conn is None or not conn.connected:
            raise VppConnectError("VPP is not connected; the commit was not applied")
        return conn

    # ------------------------------------------------------------------ reconcile

    def intended_items(self) -> tuple[dict[str, Item[Value]], dict[RootId, list[str]]]:
        items: dict[str, Item[Value]] = {}
        by_root: dict[RootId, list[str]] = {}
        for root in self.config.roots():
            its = root_items(root, self.config.get(root), self.config)
            for it in its:
                items[it.key] = it
            if its:
                by_root[root] = [it.key for it in its]
        return items, by_root

    async def reconcile(self) -> ReconcileReport:
        """Make VPP equal the intended configuration, touching only what differs and only what is ours."""
        async with self._lock:
            with paused_gc():
                return await self._reconcile()

    async def _reconcile(self) -> ReconcileReport:
        conn = self._require_conn()
        t0 = time.perf_counter()
        writes0, reads0 = conn.writes, conn.reads
        previous = self.names.as_dict()
        found = Retrieved(names=NameMap())
        programmed = {**self.applied, **self.runtime.applied()}
        await registry.retrieve(
            RetrieveContext(conn, self.config, programmed, dict(self._orphans), found, previous=self.names)
        )
        intended, by_root = self.intended_items()
        missing, skipped = _without_missing_ports(intended, found.names)
        skipped_set = set(skipped)
        config_keys = set(intended)
        runtime = self.runtime.rebase(intended)
        intended.update({k: runtime.wanted[k] for k, st in runtime.states.items() if st == "applied"})
        ours = Ownership(frozenset(found.owned_interfaces), frozenset(found.managed_interfaces))
        actual = self._comparable(found.items, intended, ours)
        for k, it in found.candidates.items():
            if k in intended:
                actual[k] = it
        for k, it in intended.items():
            if DESCRIPTORS[it.kind].retrievable or it.owner is None:
                continue
            survived = it.owner in previous and previous[it.owner] == found.index_of.get(it.owner)
            if survived and k in programmed:
                actual[k] = programmed[k]
        self.names.replace(found.names.as_dict())
        self.names.replace_handles(found.names.handles)
        steps = plan_items(actual, intended)
        report = ReconcileReport(unmanaged=found.unmanaged, missing_ports=missing, skipped=skipped)
        if missing:
            log.error(
                "reconcile ports_missing=%s items_skipped=%d (configured but not in VPP)",
                ",".join(missing),
                len(skipped),
            )
        report.repairs = len(steps)
        report.steps = [f"{s.op} {s.key}: {s.describe()}" for s in steps[:REPORTED_STEPS]]
        # Differences are drift unless this is the first reconcile of a VPP that holds nothing of the
        # agent's yet (a fresh VPP being programmed); after an agent restart VPP may have drifted
        drift = self.last_report is not None or bool(found.owned_interfaces)
        if steps:
            result = await Executor(conn, self.names, window=self.window).run(steps)
            if result.failed is not None:
                self.in_sync = False
                if drift:
                    self.report_drift(drift_record("reconcile", "repair-failed", steps, error=result.error))
                raise_for(result)
        self.repairs_total += len(steps)
        self.runtime.commit(runtime)
        self.applied = {k: it for k, it in intended.items() if k in config_keys}
        self.by_root = {r: [k for k in keys if k in intended] for r, keys in by_root.items()}
        self._holders = {}
        for r, ks in self.by_root.items():
            for k in ks:
                if DESCRIPTORS[intended[k].kind].shared:
                    self._holders.setdefault(k, set()).add(r)
        self._missing = missing
        self._skipped = {
            r: waiting for r, keys in by_root.items() if (waiting := [k for k in keys if k in skipped_set])
        }
        self.unmanaged = found.unmanaged
        self.in_sync = not missing
        self._stale = False
        self._orphans = {}
        self.generation += 1
        report.write_calls = conn.writes - writes0
        report.read_calls = conn.reads - reads0
        report.seconds = time.perf_counter() - t0
        self.last_report = report
        if steps and drift:
            self.report_drift(drift_record("reconcile", "repaired", steps))
        elif steps:
            for line in report.steps[:50]:
                log.debug("reconcile programs: %s", line)
        log.info(
            "reconcile items=%d repairs=%d vpp_writes=%d vpp_reads=%d unmanaged=%d ms=%.1f",
            len(intended),
            report.repairs,
            report.write_calls,
            report.read_calls,
            len(found.unmanaged),
            report.seconds * 1e3,
        )
        return report

    @staticmethod
    def _comparable(
        found: dict[str, Item[Value]], intended: dict[str, Item[Value]], ours: Ownership
    ) -> dict[str, Item[Value]]:
        """The retrieved items reconcile may act on: configured ones, and what each kind's descriptor
        claims as provably the agent's."""
        return {k: it for k, it in found.items() if k in intended or DESCRIPTORS[it.kind].claims(it, ours)}

    # ------------------------------------------------------------------ run-time items (sessions)

    async def submit(
        self, put: Iterable[Item[Value]] = (), remove: Iterable[str] = ()
    ) -> dict[str, ItemState]:
        """Program run-time items (origin ``session``: never in configuration) and remove others by key.

        All or nothing, like a commit: when VPP refuses a call, what this submission applied is undone and
        :class:`~agent.vpp.errors.StepFailedError` is raised with the run-time items as before. Items whose
        dependencies do not exist yet are kept as ``pending`` and programmed when they appear. Returns the
        state of every submitted key.
        """
        put = list(put)
        # The cyclic collector is paused for the whole submission, not only the executor's run: the
        # run-time index's bookkeeping allocates a set or tuple per item while 10,000 sessions keep
        # millions of objects alive, and the full collections it set off (with the copies the outside
        # view replaced) cost a third of the agent's CPU per attached session (1.13 -> 0.72 ms).
        async with self._lock:
            with paused_gc():
                change = self.runtime.submit(put, remove, self.applied)
                if change.old or change.new:
                    conn = self._require_conn()
                    if self._stale:
                        await self._reconcile()
                        change = self.runtime.submit(put, remove, self.applied)
                    outside = self.runtime.outside(self.applied, change.old)
                    steps = plan_items(change.old, change.new, outside)
                    result = await Executor(conn, self.names, window=self.window).run(steps)
                    if result.failed is not None:
                        if result.revert_errors:
                            self.in_sync = False
                            self._stale = True
                        raise_for(result)
                self.runtime.commit(change)
                if change.old or change.new:
                    self.generation += 1  # a commit planned before this must plan again (its run-time view)
                return {it.key: change.states[it.key] for it in put}

    async def _program_runtime(self, conn: VppConnection) -> None:
        """After a commit: program the pending run-time items whose dependencies now exist. A refusal marks
        them failed (the commit itself is done and stays)."""
        if not self.runtime.entries:
            return
        change = self.runtime.rebase(self.applied)
        if not change.new and not change.old:
            self.runtime.commit(change)
            return
        steps = plan_items(change.old, change.new, self.runtime.outside(self.applied, change.old))
        result = await Executor(conn, self.names, window=self.window).run(steps)
        if result.failed is not None:
            log.error("run-time items not programmed: %s (%s)", ",".join(sorted(change.new)), result.error)
            if result.revert_errors:
                self.in_sync = False
                self._stale = True
            self.runtime.fail(change, result.error)
            self.generation += 1
            return
        self.runtime.commit(change)
        self.generation += 1

    @property
    def programmed(self) -> dict[str, Item[Value]]:
        """Everything the agent has programmed into VPP: configuration's items and the applied run-time
        items (what a drift audit compares VPP with)."""
        if not self.runtime.entries:
            return self.applied
        return {**self.applied, **self.runtime.applied()}

    def runtime_state(self) -> dict[str, ItemState]:
        """Per run-time item key: applied, pending (waiting for a dependency) or failed."""
        return self.runtime.states()

    # ------------------------------------------------------------------ introspection

    @property
    def missing_ports(self) -> list[str]:
        """Configured physical ports VPP does not have (their configuration waits for them)."""
        return list(self._missing)

    @property
    def skipped_items(self) -> list[str]:
        """Items of the configuration not programmed because they need a missing port."""
        return sorted(k for keys in self._skipped.values() for k in keys)

    def interface_state(self) -> dict[str, dict[str, Any]]:
        """Per configured or owned interface: sw_if_index and whether the agent created it."""
        out: dict[str, dict[str, Any]] = {}
        for name, idx in self.names.as_dict().items():
            it = self.applied.get(keys.interface(name))
            out[name] = {
                "sw-if-index": idx,
                "managed": it is not None and DESCRIPTORS[it.kind].creates_interface,
            }
        return out


def _without_missing_ports(intended: dict[str, Item[Value]], names: NameMap) -> tuple[list[str], list[str]]:
    """Drop from ``intended`` every item that needs a configured physical port VPP does not have.

    A missing NIC must not stop the rest of the node from being programmed; what depends on it is
    reported and programmed by a later reconcile once the port shows up.
    """
    missing = sorted(
        keys.rest(k)
        for k, it in intended.items()
        if DESCRIPTORS[it.kind].discovered and DESCRIPTORS[it.kind].check(it, names) is not None
    )
    if not missing:
        return [], []
    gone = _needing(intended, {keys.interface(m) for m in missing})
    for k in gone:
        intended.pop(k, None)
    return missing, sorted(gone)


def _needing(items: dict[str, Item[Value]], unavailable: set[str]) -> set[str]:
    """Keys in ``unavailable`` or in ``items`` that depend on one of them, directly or through other
    items (``deps``), or belong to an unavailable interface (``owner``)."""
    dependants: dict[str, list[str]] = {}
    for it in items.values():
        for d in it.deps:
            dependants.setdefault(d, []).append(it.key)
    gone = set(unavailable)
    todo = list(unavailable)
    while todo:
        k = todo.pop()
        for d in dependants.get(k, ()):
            if d not in gone:
                gone.add(d)
                todo.append(d)
    for it in items.values():
        if it.owner is not None and keys.interface(it.owner) in gone:
            gone.add(it.key)
    return gone
