"""Run planned steps against VPP, many calls in flight per wave; on failure undo in reverse and raise.

Within a wave no step depends on another, so the executor keeps up to ``window`` requests outstanding
(VPP answers in order). After the first failure it sends nothing more, waits for what is in flight, then
sends the undo call of every step that succeeded, wave by wave in reverse, and raises
:class:`StepFailedError` naming the item, the VPP message and its ``retval``. Interface names enter and
leave the :class:`NameMap` as create/delete calls (and their undos) succeed, so after a revert the map
names exactly the interfaces it named before.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from agent.features.registry import DESCRIPTORS
from agent.vpp import errno as vpp_errno
from agent.vpp import keys
from agent.vpp.connection import VppConnection
from agent.vpp.errors import RevertFailedError, StepFailedError, VppError
from agent.vpp.items import HandleRef, IfRef, VppCall
from agent.vpp.naming import NameMap
from agent.vpp.planner import Step

log = logging.getLogger(__name__)

DEFAULT_WINDOW = 1024


@dataclass
class ExecResult:
    calls: int = 0
    failed: Step | None = None
    error: str = ""
    retval: int | None = None
    reverted: int = 0
    revert_errors: list[str] = field(default_factory=list)
    # interfaces this plan created whose undo (delete) failed: name -> sw_if_index, so the next reconcile
    # knows them as the agent's even if their tag was never set
    orphans: dict[str, int] = field(default_factory=dict)


class CallFailed(Exception):
    def __init__(self, call: VppCall, retval: int | None, reason: str) -> None:
        super().__init__(reason)
        self.call = call
        self.retval = retval
        self.reason = reason


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bounded burst of work (nesting is fine)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def resolve(value: Any, names: NameMap) -> Any:
    """Replace every :class:`IfRef` in call arguments with the interface's current ``sw_if_index``
    (and every :class:`HandleRef` with the object's current index).

    Only dicts and lists are walked; tuples (fixed arrays such as an MPLS label stack) never hold one.
    """
    kind = type(value)
    if kind is IfRef:
        return names.index(value.name)
    if kind is HandleRef:
        return names.handle(value.key)
    if kind is dict:
        return {k: resolve(v, names) for k, v in value.items()}
    if kind is list:
        return [resolve(v, names) for v in value]
    return value


class Executor:
    def __init__(self, conn: VppConnection, names: NameMap, *, window: int = DEFAULT_WINDOW) -> None:
        self.conn = conn
        self.names = names
        self.window = window

    def _send(self, call: VppCall) -> asyncio.Future[Any]:
        try:
            args = resolve(call.args, self.names)
        except VppError as e:
            fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            fut.set_exception(CallFailed(call, None, e.message))
            return fut
        try:
            return self.conn.send(call.msg, **args)
        except VppError as e:  # the connection is gone: this step (and its undo) fail like any other
            reason = e.message
        except Exception as e:  # vpp-papi refuses to encode the arguments
            reason = f"cannot encode {call.msg}: {e}"
        fut = asyncio.get_running_loop().create_future()
        fut.set_exception(CallFailed(call, None, reason))
        return fut

    def _finish(self, call: VppCall, reply: Any) -> None:
        retval = int(getattr(reply, "retval", 0))
        if retval not in call.ok_retvals:
            raise CallFailed(call, retval, f"{call.msg} returned {vpp_errno.describe(retval)}")
        if call.binds is not None:
            self.names.bind(call.binds, int(reply.sw_if_index))
        if call.unbinds is not None:
            self.names.unbind(call.unbinds)
        if call.binds_handle is not None:
            key, field_name = call.binds_handle
            self.names.handles[key] = int(getattr(reply, field_name))
        if call.unbinds_handle is not None:
            self.names.handles.pop(call.unbinds_handle, None)

    async def _run_wave(
        self, calls: Iterable[tuple[Step, VppCall]], *, stop_on_failure: bool = True
    ) -> tuple[list[Step], list[tuple[Step, CallFailed]]]:
        """Send a wave's calls with a sliding window; by default stop sending at the first failure."""
        done: list[Step] = []
        failures: list[tuple[Step, CallFailed]] = []
        inflight: deque[tuple[Step, VppCall, asyncio.Future[Any]]] = deque()

        async def settle_one() -> None:
            step, call, fut = inflight.popleft()
            try:
                reply = await fut
                self._finish(call, reply)
                done.append(step)
            except CallFailed as e:
                failures.append((step, e))
            except VppError as e:
                failures.append((step, CallFailed(call, None, e.message)))

        for step, call in calls:
            if failures and stop_on_failure:
                break
            inflight.append((step, call, self._send(call)))
            if len(inflight) >= self.window:
                await settle_one()
        while inflight:
            await settle_one()
        return done, failures

    async def run(self, steps: list[Step]) -> ExecResult:
        """Apply ``steps`` (sorted by wave); all or nothing.

        The cyclic garbage collector is paused meanwhile: a large plan holds tens of thousands of live
        objects that every collection would rescan (about a fifth of the CPU of a 70,000-call cold start)
        while the calls themselves create no reference cycles. Other tasks' cycles are collected after.
        """
        with paused_gc():
            return await self._run(steps)

    async def _run(self, steps: list[Step]) -> ExecResult:
        result = ExecResult()
        applied: list[Step] = []
        # Items VPP removes with their interface count as applied only once that delete succeeded,
        # so a failed interface delete does not "restore" children that never went away.
        implied: dict[str, list[Step]] = {}
        waves: dict[int, list[Step]] = {}
        for s in steps:
            waves.setdefault(s.wave, []).append(s)
        for wave in sorted(waves):
            batch = waves[wave]
            silent = [s for s in batch if s.call is None]
            for s in silent:
                reason = DESCRIPTORS[s.kind].check(s.item, self.names) if s.op == "create" else None
                if reason is not None:
                    result.failed, result.error = s, reason
                    break
                if s.implied_by is not None:
                    implied.setdefault(s.implied_by, []).append(s)
                else:
                    applied.append(s)
            if result.failed is not None:
                break
            loud = [(s, s.call) for s in batch if s.call is not None]
            done, failures = await self._run_wave(loud)
            result.calls += len(done) + len(failures)
            applied.extend(done)
            for s in done:
                applied.extend(implied.pop(s.key, ()))
            if failures:
                step, err = failures[0]
                result.failed, result.error, result.retval = step, err.reason, err.retval
                break
        if result.failed is not None:
            await self._revert(applied, result)
        return result

    async def _revert(self, applied: list[Step], result: ExecResult) -> None:
        # Interfaces this plan created are deleted by the undo; what VPP drops with them (tag, flags,
        # addresses ...) needs no undo call of its own. Above all the tag stays until the interface goes:
        # should that delete fail, the leftover is still recognisably the agent's for the next reconcile.
        dying = {
            keys.rest(s.key)
            for s in applied
            if s.op == "create" and keys.is_interface(s.key) and s.call is not None
        }
        waves: dict[int, list[Step]] = {}
        for s in applied:
            if s.op == "create" and s.item.owner in dying and DESCRIPTORS[s.kind].implied_by_owner_delete:
                continue
            waves.setdefault(s.wave, []).append(s)
        for wave in sorted(waves, reverse=True):
            undo = [(s, c) for s in reversed(waves[wave]) if (c := s.undo()) is not None]
            # An undo of a step whose forward call was implied still restores the item.
            done, failures = await self._run_wave(undo, stop_on_failure=False)
            result.reverted += len(done)
            for step, err in failures:
                result.revert_errors.append(f"undo {step.op} {step.key}: {err.reason}")
                if err.call.unbinds is not None and (idx := self.names.get(err.call.unbinds)) is not None:
                    result.orphans[err.call.unbinds] = idx


def raise_for(result: ExecResult) -> None:
    """Turn a failed :class:`ExecResult` into the error a client sees."""
    step = result.failed
    if step is None:
        return
    msg = step.call.msg if step.call is not None else "(check)"
    info = {"item": step.key, "vpp-message": msg}
    if result.retval is not None:
        info["vpp-retval"] = str(result.retval)
        info["vpp-error"] = vpp_errno.name_of(result.retval)
        if (known := vpp_errno.lookup(result.retval)) is not None:
            info["vpp-error-text"] = known.text
    text = f"VPP refused {step.op} of {step.key}: {result.error}"
    if result.revert_errors:
        raise RevertFailedError(
            text + "; undoing the applied steps failed too (" + "; ".join(result.revert_errors) + ")",
            path=step.key,
            info=info,
        )
    raise StepFailedError(text + f"; {result.reverted} applied step(s) were undone", path=step.key, info=info)
