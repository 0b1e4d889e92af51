"""The commit pipeline: one owner task runs every transaction, in order.

Every change of running -- a candidate commit, a writable-running edit or gNMI Set, a rollback to a
checkpoint, the revert of an unconfirmed confirmed commit -- is a job for the owner task, which runs the
phases validate -> plan -> apply -> swap running -> persist -> publish. Only one job touches running at
a time, so phases never see a running that moves under them; readers are never blocked (running is an
immutable snapshot), and the heavy libyang steps (validation, large edits of running, the journal
record of a large commit, snapshot printing) run in worker threads so the loop keeps serving sessions.

Group commit: the owner takes every job that is already queued as one batch, runs each through
validate .. swap and writes its journal record, then makes the whole batch durable with one fsync before
acknowledging any of it. Commits that queue up behind a slow fsync share the next one, so the disk's
fsync rate does not cap the commit rate (docs/performance.md has the numbers).

Failure handling ("no side effect"):

* validate / plan fail: nothing was touched.
* apply fails: the southbound reverted itself (its contract); nothing else was touched.
* the journal write or the batch fsync fails: every commit of the batch is undone in reverse (inverse
  changes through the southbound, running swapped back), the unsynced journal bytes are cut off and the
  candidate of a candidate commit gets its content back. If an undo itself fails the manager refuses
  further commits (``rollback-failed``): the data plane and running may disagree and need a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agent.datastore.changes import Change
from agent.datastore.diff import apply_changes, changes_for_paths
from agent.datastore.journal import (
    CommitRecord,
    HistoryEntry,
    Journal,
    LoadedState,
    PersistenceError,
    encode_entry,
)
from agent.datastore.session import SYSTEM_SESSION, Session
from agent.datastore.store import Datastores, EditResult, PreparedCommit, is_large_edit, is_large_json
from agent.errors import AgentError
from agent.txn.confirmed import PendingConfirmed, check_may_act
from agent.txn.errors import ConfirmedCommitError, RollbackFailedError, TransactionError
from agent.txn.records import CheckpointInfo, CommitEvent, not_applied
from agent.txn.southbound import Plan, Southbound
from agent.txn.timing import PhaseHistogram

log = logging.getLogger("agent.txn")

MAX_BATCH = 64
LARGE_COMMIT = 1000  # changes from which the journal record is encoded in a worker thread
SUBSCRIBER_QUEUE = 1024


def _settle(future: asyncio.Future[Any], *, result: Any = None, exc: BaseException | None = None) -> None:
    """Resolve a caller's future unless the caller already gave up (cancelled it).

    A NETCONF session that drops mid-commit cancels its await; the commit still completes (or fails)
    for everyone else, and the owner task must not die on ``InvalidStateError``.
    """
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)


@dataclass
class _Done:
    """A job that reached the swap phase and waits for the batch fsync."""

    record: CommitRecord
    changes: list[Change]
    from_candidate: bool = False  # the candidate gets its content back if the batch fails
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase (agent.txn.timing)


@dataclass
class _Job:
    run: Callable[[], Awaitable[_Done | CommitRecord | Plan | None]]
    future: asyncio.Future[Any]
    done: _Done | None = None


@dataclass
class _Saved:
    """Manager state at the start of a batch, restored if the batch cannot be made durable."""

    last_id: int
    history_len: int
    pending: PendingConfirmed | None
    pending_fields: tuple[int, int, str | None, float] | None


class Subscription:
    """An async iterator of :class:`CommitEvent`; a subscriber that falls too far behind is dropped."""

    def __init__(self, owner: TransactionManager) -> None:
        self._owner = owner
        self._queue: asyncio.Queue[CommitEvent | None] = asyncio.Queue(SUBSCRIBER_QUEUE)
        self.overflowed = False

    def _offer(self, event: CommitEvent | None) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            self._owner._subscribers.discard(self)
            with contextlib.suppress(asyncio.QueueEmpty):
                self._queue.get_nowait()
            self._queue.put_nowait(None)

    def __aiter__(self) -> AsyncIterator[CommitEvent]:
        return self

    async def __anext__(self) -> CommitEvent:
        event = await self._queue.get()
        if event is None:
            if self.overflowed:
                raise TransactionError("change subscriber fell behind and was dropped", tag="resource-denied")
            raise StopAsyncIteration
        return event

    def close(self) -> None:
        self._owner._subscribers.discard(self)
        self._offer(None)


@dataclass
class _Stats:
    commits: int = 0
    batches: int = 0
    failed: int = 0
    extra: dict[str, float] = field(default_factory=dict)


class TransactionManager:
    """Serialises commits of one :class:`Datastores` through a :class:`Southbound` into a :class:`Journal`."""

    def __init__(
        self,
        datastores: Datastores,
        journal: Journal,
        southbound: Southbound,
        *,
        checkpoints: int = 50,
    ) -> None:
        self.ds = datastores
        self.journal = journal
        self.southbound = southbound
        self.max_checkpoints = max(1, checkpoints)
        self._history: list[HistoryEntry] = []
        self._last_id = 0
        self._pending: PendingConfirmed | None = None
        self._queue: asyncio.Queue[_Job | None] = asyncio.Queue()
        self._owner: asyncio.Task[None] | None = None
        self._subscribers: set[Subscription] = set()
        self._broken: AgentError | None = None
        self.stats = _Stats()
        self.phase_latency = PhaseHistogram()  # commit latency per phase, for the exporter
        self.loaded: LoadedState | None = None

    # ------------------------------------------------------------------------------------ lifecycle

    async def start(self, loaded: LoadedState | None = None) -> None:
        """Load what was last committed (unless ``loaded`` is given and already in the datastores), start
        the owner task, and roll back a confirmed commit that was pending when the agent stopped."""
        if loaded is None:
            loaded = self.journal.load()
            if loaded.running_json:
                self.ds.set_running(loaded.running_json)
            if loaded.startup_json:
                self.ds.set_startup(loaded.startup_json)
        self.loaded = loaded
        self._last_id = loaded.last_commit_id
        self._history = list(loaded.history)
        self._owner = asyncio.create_task(self._run(), name="txn-owner")
        if loaded.pending_confirmed_base is not None:
            # RFC 6241 8.4.1: a restart before the confirming commit restores the earlier configuration.
            log.warning(
                "txn confirmed-commit pending at shutdown; reverting to commit %d",
                loaded.pending_confirmed_base,
            )
            self._pending = PendingConfirmed(loaded.pending_confirmed_base, 0, None, 0.0)
            await self._submit(lambda: self._revert_job("restart"))
        self._trim_history()

    async def stop(self) -> None:
        """Finish queued jobs, stop the owner task and close the journal. A confirmed commit still pending is
        rolled back at the next start (as after a reboot)."""
        if self._pending is not None:
            self._pending.cancel_timer()
        if self._owner is not None:
            await self._queue.put(None)
            await self._owner
            self._owner = None
        for sub in list(self._subscribers):
            sub.close()
        await self.journal.close()

    # ------------------------------------------------------------------------------------ public API

    @property
    def last_commit_id(self) -> int:
        return self._last_id

    @property
    def confirmed_commit_pending(self) -> bool:
        return self._pending is not None

    @property
    def pending_confirmed(self) -> PendingConfirmed | None:
        return self._pending

    async def commit(
        self,
        session: Session,
        *,
        confirmed: bool = False,
        confirm_timeout: float = 600,
        persist: str | None = None,
        persist_id: str | None = None,
        comment: str | None = None,
    ) -> CommitRecord:
        """RFC 6241 ``<commit>`` of the candidate, optionally confirmed. Returns once durable.

        A plain commit while a confirmed commit is pending is the confirming commit (it must come from
        the same session, or carry ``persist_id`` if the confirmed commit had ``persist``).
        """
        if confirm_timeout <= 0:
            raise TransactionError(
                "confirm-timeout must be positive", tag="invalid-value", error_type="protocol"
            )
        result = await self._submit(
            lambda: self._commit_job(session, confirmed, confirm_timeout, persist, persist_id, comment)
        )
        assert isinstance(result, CommitRecord)
        return result

    async def confirm(self, session: Session, *, persist_id: str | None = None) -> CommitRecord:
        """The confirming commit (same as a plain :meth:`commit`)."""
        return await self.commit(session, persist_id=persist_id)

    async def cancel_commit(self, session: Session, persist_id: str | None = None) -> CommitRecord:
        """RFC 6241 ``<cancel-commit>``: roll back the pending confirmed commit now."""

        async def job() -> _Done | CommitRecord | None:
            if self._pending is None:
                raise ConfirmedCommitError(
                    "cancel-commit: no confirmed commit is pending",
                    tag="operation-failed",
                    error_type="protocol",
                )
            check_may_act(self._pending, session, persist_id, "cancel-commit")
            return await self._revert_job("cancel-commit", session)

        result = await self._submit(job)
        assert isinstance(result, CommitRecord)
        return result

    async def rollback(
        self, checkpoint_id: int, session: Session, *, comment: str | None = None
    ) -> CommitRecord:
        """Make running what it was right after commit ``checkpoint_id`` -- itself a transaction."""

        async def job() -> _Done | CommitRecord | None:
            if self._pending is not None:
                raise ConfirmedCommitError(
                    "a confirmed commit is pending: confirm or cancel it before rolling back",
                    tag="in-use",
                    error_type="protocol",
                )
            self.ds.locks.check_writable("running", session)
            return await self._rollback_to(checkpoint_id, session, "rollback", comment)

        result = await self._submit(job)
        assert isinstance(result, CommitRecord)
        return result

    def list_checkpoints(self) -> list[CheckpointInfo]:
        """The configurations :meth:`rollback` can return to, newest first."""
        return [CheckpointInfo.of(r) for r, _ in reversed(self._history[-self.max_checkpoints :])]

    async def dry_run(self, session: Session) -> Plan:
        """Validate the candidate and return the southbound plan without applying anything."""

        async def job() -> Plan:
            prepared = await self.ds.prepare_commit_async(session)
            return await self.southbound.plan(self.ds.running.dnode, prepared.changes)

        result = await self._submit(job)
        assert isinstance(result, Plan)
        return result

    async def edit_running(
        self,
        session: Session,
        edit: Callable[[Datastores], EditResult],
        *,
        comment: str | None = None,
        persist_id: str | None = None,
        offload: bool = False,
    ) -> tuple[EditResult, CommitRecord | None]:
        """Edit running and commit the edit as one transaction (writable-running, gNMI Set).

        ``edit`` runs inside the owner task (so running cannot move between the edit and its commit) and
        must call ``ds.edit_config("running", ...)`` or ``ds.edit_gnmi("running", ...)``. Returns the edit
        result and the commit record (None for test-only edits or edits that changed nothing).

        While a confirmed commit is pending, running may only be edited by whoever could confirm it (its
        session, or anyone with ``persist_id``); the edit then becomes part of what a timeout or
        cancel-commit rolls back.

        ``offload`` runs ``edit`` in a worker thread (large edits: the loop keeps serving other
        sessions); only for edits that touch nothing but running's private working copy.
        """
        box: list[EditResult] = []

        async def job() -> _Done | CommitRecord | None:
            if self._pending is not None or persist_id is not None:
                check_may_act(self._pending, session, persist_id, "edit of running")
            result = await asyncio.to_thread(edit, self.ds) if offload else edit(self.ds)
            box.append(result)
            if result.running_edit is None or not result.changed:
                return None
            t0 = time.perf_counter()
            prepared = await self.ds.prepare_commit_async(session, edit=result.running_edit)
            if prepared.empty:
                return None
            record = self._new_record(session, comment, "commit", confirmed=self._pending is not None)
            return await self._execute(prepared, record, validate_s=time.perf_counter() - t0)

        done = await self._submit(job)
        record = done.record if isinstance(done, _Done) else done if isinstance(done, CommitRecord) else None
        return box[0], record

    async def edit_running_xml(
        self, session: Session, config: Any, **kwargs: Any
    ) -> tuple[EditResult, CommitRecord | None]:
        """``<edit-config>`` on running (writable-running) as one transaction."""
        comment = kwargs.pop("comment", None)
        persist_id = kwargs.pop("persist_id", None)
        return await self.edit_running(
            session,
            lambda ds: ds.edit_config("running", config, session=session, **kwargs),
            comment=comment,
            persist_id=persist_id,
            offload=is_large_edit(config),
        )

    async def edit_running_gnmi(
        self,
        session: Session,
        *,
        deletes: list[str] | None = None,
        replaces: list[tuple[str, Any]] | None = None,
        updates: list[tuple[str, Any]] | None = None,
        comment: str | None = None,
        persist_id: str | None = None,
    ) -> tuple[EditResult, CommitRecord | None]:
        """gNMI ``Set`` (deletes, replaces, updates; all or nothing) as one transaction."""
        return await self.edit_running(
            session,
            lambda ds: ds.edit_gnmi(
                "running",
                deletes=deletes or [],
                replaces=replaces or [],
                updates=updates or [],
                session=session,
            ),
            comment=comment,
            persist_id=persist_id,
            offload=is_large_json([v for _p, v in (replaces or []) + (updates or [])]),
        )

    async def save_startup(self, session: Session) -> None:
        """``<copy-config>`` running -> startup, durable (the :startup capability)."""
        self.ds.copy_config("running", "startup", session)
        await self.journal.save_startup_async(self.ds.read("startup", fmt="json", with_defaults="explicit"))

    def session_ended(self, session: Session) -> asyncio.Future[Any] | None:
        """A client session ended: roll back its confirmed commit unless it was given ``persist``.

        Returns the future of the revert (or None when there is nothing to do)."""
        pending = self._pending
        if pending is None or pending.persist is not None or pending.session_id != session.id:
            return None

        async def job() -> _Done | CommitRecord | None:
            if self._pending is not pending:
                return None
            return await self._revert_job("session-end")

        return asyncio.ensure_future(self._submit(job))

    def subscribe(self) -> Subscription:
        """Change events of every durable commit from now on (ON_CHANGE telemetry, notifications)."""
        sub = Subscription(self)
        self._subscribers.add(sub)
        return sub

    def follow_commits(
        self, on_commit: Callable[[CommitEvent], Awaitable[None]], *, name: str
    ) -> asyncio.Task[None]:
        """Call ``on_commit`` after every durable commit from now on, in a task called ``name``.

        This is how a service (DHCP relays, AAA, CoA, NAT logging, sessions) follows configuration. It
        subscribes at once, so no commit between this call and the task's first run is missed; a failing
        call is logged and the next commit tries again, so a service never takes the agent down.
        """
        sub = self.subscribe()

        async def run() -> None:
            try:
                async for event in sub:
                    try:
                        await on_commit(event)
                    except Exception:
                        log.exception("%s: following a commit failed", name)
            finally:
                sub.close()

        return asyncio.get_running_loop().create_task(run(), name=name)

    # ------------------------------------------------------------------------------------ owner task

    async def _submit(self, run: Callable[[], Awaitable[Any]]) -> Any:
        if self._owner is None or self._owner.done():
            raise TransactionError("the transaction manager is not running")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Job(run, future))
        return await future

    async def _run(self) -> None:
        while True:
            job = await self._queue.get()
            if job is None:
                return
            batch = [job]
            stop = False
            while len(batch) < MAX_BATCH and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            try:
                await self._run_batch(batch)
            except Exception as exc:  # never let the owner die silently
                log.exception("txn owner: unexpected error")
                for j in batch:
                    _settle(j.future, exc=exc)
            if stop:
                return

    async def _run_batch(self, batch: list[_Job]) -> None:
        saved = self._save_state()
        durable: list[_Job] = []
        for job in batch:
            if self._broken is not None:
                _settle(job.future, exc=self._broken)
                continue
            try:
                result = await job.run()
            except AgentError as exc:
                self.stats.failed += 1
                _settle(job.future, exc=exc)
                continue
            except Exception as exc:
                log.exception("txn job failed unexpectedly")
                self.stats.failed += 1
                _settle(job.future, exc=TransactionError(f"internal error: {exc}"))
                continue
            if isinstance(result, _Done):
                job.done = result
                durable.append(job)
            else:
                _settle(job.future, result=result)
        if not durable:
            return
        t_sync = time.perf_counter()
        try:
            await self.journal.sync()
        except AgentError as exc:
            await self._undo_batch(durable, saved, exc)
            return
        sync_s = time.perf_counter() - t_sync
        self.stats.batches += 1
        for job in durable:
            assert job.done is not None
            if job.done.phases:
                job.done.phases["persist"] += sync_s
                self.phase_latency.observe(job.done.phases)
            self.stats.commits += 1
            event = CommitEvent(job.done.record, job.done.changes)
            for sub in list(self._subscribers):
                sub._offer(event)
            _settle(job.future, result=job.done.record)
        self._trim_history()
        if self.journal.snapshot_due():
            await asyncio.sleep(0)  # let the acknowledged callers run before the snapshot is printed
            try:
                # printing megabytes of JSON in a worker thread keeps the loop serving sessions
                running_json = await asyncio.to_thread(self.ds.running.json)
                await self.journal.snapshot(running_json, self._last_id, list(self._history))
            except (AgentError, OSError) as exc:
                log.error("txn snapshot failed: %s", exc)

    def _save_state(self) -> _Saved:
        p = self._pending
        fields = (p.base_id, p.session_id, p.persist, p.deadline) if p is not None else None
        return _Saved(self._last_id, len(self._history), p, fields)

    async def _undo_batch(self, jobs: list[_Job], saved: _Saved, cause: AgentError) -> None:
        """The batch could not be made durable: undo its commits newest first and fail them all."""
        log.error("txn persist failed, undoing %d commit(s): %s", len(jobs), cause)
        try:
            for job in reversed(jobs):
                assert job.done is not None
                await self._undo_one(job.done)
            self.journal.discard_unsynced(saved.last_id)
        except AgentError as exc:
            self._broken = RollbackFailedError(
                f"persisting a commit failed ({cause}) and undoing it failed too ({exc}); restart required"
            )
            log.critical("txn %s", self._broken)
        self._last_id = saved.last_id
        del self._history[saved.history_len :]
        if self._pending is not None and self._pending is not saved.pending:
            self._pending.cancel_timer()
        self._pending = saved.pending
        if saved.pending is not None and saved.pending_fields is not None:
            p = saved.pending
            p.base_id, p.session_id, p.persist, p.deadline = saved.pending_fields
            self._arm_timer(p)
        first = next((j.done for j in jobs if j.done is not None and j.done.from_candidate), None)
        if first is not None and self._broken is None:
            # give the candidate back the content it had when it was committed
            tree = self.ds.running.tree.dup()
            apply_changes(tree, first.changes)
            self.ds.replace_candidate(tree, session=_sid(first.record))
        for job in jobs:
            self.stats.failed += 1
            _settle(job.future, exc=self._broken or cause)

    async def _undo_one(self, done: _Done) -> None:
        if not done.changes:
            return
        inverse = [c.inverse() for c in reversed(done.changes)]
        prepared = await self._prepare_from_changes(inverse, SYSTEM_SESSION)
        plan = await self.southbound.plan(self.ds.running.dnode, prepared.changes)
        await self.southbound.apply(plan)
        self.ds.install(prepared)

    # ------------------------------------------------------------------------------------ jobs

    async def _commit_job(
        self,
        session: Session,
        confirmed: bool,
        timeout: float,
        persist: str | None,
        persist_id: str | None,
        comment: str | None,
    ) -> _Done | CommitRecord | None:
        pending = self._pending
        check_may_act(pending, session, persist_id, "commit")
        t0 = time.perf_counter()
        prepared = await self.ds.prepare_commit_async(session)
        validate_s = time.perf_counter() - t0
        if prepared.empty and not confirmed and pending is None:
            # Nothing to do: no new id, no checkpoint, no fsync.
            return self._noop_record(session, comment)
        record = self._new_record(session, comment, "commit", confirmed=confirmed)
        if prepared.empty:
            done = self._record_only(record)
        else:
            done = await self._execute(prepared, record, validate_s=validate_s)
        done.from_candidate = prepared.from_candidate and not prepared.empty
        if confirmed:
            if pending is None:
                pending = PendingConfirmed(record.id - 1, session.id, persist, 0.0)
                self._pending = pending
            pending.session_id = session.id
            pending.persist = persist
            pending.deadline = asyncio.get_running_loop().time() + timeout
            self._arm_timer(pending)
        elif pending is not None:
            pending.cancel_timer()
            self._pending = None
        return done

    def _record_only(self, record: CommitRecord) -> _Done:
        """A commit that changes nothing but the confirmed-commit state (still journaled: it matters after
        a crash whether the confirmed commit was confirmed)."""
        self.journal.write(record, [])
        self._last_id = record.id
        self._history.append((record, []))
        return _Done(record, [])

    def _arm_timer(self, pending: PendingConfirmed) -> None:
        pending.cancel_timer()
        loop = asyncio.get_running_loop()

        def fire() -> None:
            pending.timer = None
            if self._pending is not pending or self._owner is None:
                return

            async def job() -> _Done | CommitRecord | None:
                if self._pending is not pending:
                    return None
                return await self._revert_job("timeout")

            fut = asyncio.ensure_future(self._submit(job))
            fut.add_done_callback(_log_revert_result)

        pending.timer = loop.call_at(pending.deadline, fire)

    async def _revert_job(self, reason: str, session: Session | None = None) -> _Done | CommitRecord | None:
        pending = self._pending
        if pending is None:
            return None
        who = session or SYSTEM_SESSION
        done = await self._rollback_to(
            pending.base_id, who, "revert", f"confirmed commit rolled back: {reason}"
        )
        pending.cancel_timer()
        self._pending = None
        log.info("txn confirmed-commit reverted reason=%s to=%d", reason, pending.base_id)
        return done

    async def _rollback_to(self, target_id: int, session: Session, kind: str, comment: str | None) -> _Done:
        later = [(r, ch) for r, ch in self._history if r.id > target_id]
        known = {r.id for r, _ in self._history}
        first_known = self._history[0][0].id if self._history else self._last_id + 1
        if (
            target_id > self._last_id
            or target_id < 0
            or (target_id not in known and target_id != first_known - 1)
        ):
            raise TransactionError(
                f"no checkpoint {target_id}", tag="invalid-value", info={"bad-element": "checkpoint"}
            )
        inverse = [c.inverse() for _r, ch in reversed(later) for c in reversed(ch)]
        record = self._new_record(session, comment, kind, confirmed=False)
        record.rollback_to = target_id
        if not inverse:
            return self._record_only(record)
        t0 = time.perf_counter()
        prepared = await self._prepare_from_changes(inverse, session)
        return await self._execute(prepared, record, validate_s=time.perf_counter() - t0)

    async def _prepare_from_changes(self, changes: list[Change], session: Session) -> PreparedCommit:
        """A prepared commit that applies ``changes`` to running (rollback, revert, undo): validated, with the
        change list recomputed under the touched paths so it describes the net effect. The copy, replay and
        validation run in a worker thread (the tree is private; running is immutable)."""
        return await asyncio.to_thread(self._prepare_from_changes_sync, changes, session)

    def _prepare_from_changes_sync(self, changes: list[Change], session: Session) -> PreparedCommit:
        running = self.ds.running
        tree = running.tree.dup()
        try:
            apply_changes(tree, changes)
            touched = {c.path for c in changes}
            touched.update(path for _op, path in tree.validate_with_diff())
            net = changes_for_paths(running.tree, tree, touched)
        except BaseException:
            tree.close()
            raise
        return PreparedCommit(tree, net, running.generation, session.id, touched, from_candidate=False)

    def _new_record(
        self, session: Session, comment: str | None, kind: str, *, confirmed: bool
    ) -> CommitRecord:
        return CommitRecord(
            id=self._last_id + 1,
            time=time.time(),
            user=session.user,
            origin=session.origin,
            comment=comment,
            confirmed=confirmed,
            kind=kind,
            session_id=session.id,
        )

    def _noop_record(self, session: Session, comment: str | None) -> CommitRecord:
        record = self._new_record(session, comment, "commit", confirmed=False)
        record.id = self._last_id
        record.noop = True
        return record

    async def _execute(self, prepared: PreparedCommit, record: CommitRecord, *, validate_s: float) -> _Done:
        """plan -> apply -> journal write -> swap running. On failure nothing is left changed.

        ``validate_s`` is how long preparing (validating) the commit took; the phase times go on the
        returned job and into :attr:`phase_latency` once the batch is durable."""
        t0 = time.perf_counter()
        if prepared.base_generation != self.ds.generation:
            # cannot happen while every change of running goes through the owner task; checked before
            # anything is applied so that install() below cannot fail after the data plane changed
            raise TransactionError("running changed since this commit was prepared; retry", tag="in-use")
        changes = prepared.changes
        record.change_count = len(changes)
        record.not_applied = not_applied(changes)
        plan = await self.southbound.plan(self.ds.running.dnode, changes)
        plan.txn_id = record.id
        t_plan = time.perf_counter()
        await self.southbound.apply(plan)  # all or nothing by contract
        t_apply = time.perf_counter()
        payload = None
        if len(changes) >= LARGE_COMMIT:
            payload = await asyncio.to_thread(encode_entry, record, changes)
        try:
            self.journal.write(record, changes, payload=payload)
        except AgentError:
            await self._southbound_undo(prepared, changes)
            raise
        t_written = time.perf_counter()
        self.ds.install(prepared)
        self._last_id = record.id
        self._history.append((record, changes))
        log.info(
            "txn id=%d kind=%s user=%s origin=%s changes=%d steps=%d plan_ms=%.1f apply_ms=%.1f ms=%.1f",
            record.id,
            record.kind,
            record.user,
            record.origin,
            len(changes),
            len(plan),
            (t_plan - t0) * 1e3,
            (t_apply - t_plan) * 1e3,
            (time.perf_counter() - t0) * 1e3,
        )
        if record.not_applied:
            shown, rest = record.not_applied[:5], len(record.not_applied) - 5
            log.warning(
                "txn id=%d stored but not applied to VPP: %s%s",
                record.id,
                "; ".join(f"{w['path']} ({w['feature']})" for w in shown),
                f" and {rest} more" if rest > 0 else "",
            )
        phases = {
            "validate": validate_s,
            "plan": t_plan - t0,
            "apply": t_apply - t_plan,
            "persist": t_written - t_apply,  # the batch's fsync is added when it is done
        }
        return _Done(record, changes, phases=phases)

    async def _southbound_undo(self, prepared: PreparedCommit, changes: list[Change]) -> None:
        inverse = [c.inverse() for c in reversed(changes)]
        try:
            plan = await self.southbound.plan(prepared.tree.tree, inverse)
            await self.southbound.apply(plan)
        except AgentError as exc:
            self._broken = RollbackFailedError(f"could not undo a commit on the data plane: {exc}")
            raise self._broken from exc

    def _trim_history(self) -> None:
        keep = self.max_checkpoints
        if self._pending is not None:
            # everything since the confirmed commit's base is needed to revert it
            since = sum(1 for r, _ in self._history if r.id > self._pending.base_id) + 1
            keep = max(keep, since)
        if len(self._history) > keep:
            del self._history[: len(self._history) - keep]
            # the journal caches each record's encoding for the next snapshot's history; what left the
            # history is never needed again (a snapshot that lags under load must not grow the cache)
            self.journal.forget_encoded_before(self._history[0][0].id)


def _sid(record: CommitRecord) -> Session:
    return Session(id=record.session_id or 0, user=record.user, origin=record.origin)


def _log_revert_result(fut: asyncio.Future[Any]) -> None:
    if fut.cancelled():
        return
    exc = fut.exception()
    if exc is not None:
        log.error("txn confirmed-commit timeout revert failed: %s", exc)


__all__ = ["PersistenceError", "Subscription", "TransactionManager"]
