"""Sessions into VPP through the southbound's second item source (``VppSouthbound.submit``).

Why batching: ``submit`` is all-or-nothing and serialised (one plan, one executor run at a time), and a
DHCP burst brings hundreds of session changes a second. Changes that arrive while a submission is in
flight are merged into the next one (the last change of a key wins), so the executor pipelines their
calls in one window; when a merged submission fails, its changes are retried one by one so only the
change VPP refuses fails (and its caller gets the error), the others go through.

Restore: :meth:`SessionProgrammer.preload` hands the restored sessions' items to the southbound before
its first reconcile, which then compares VPP with configuration *and* sessions and sends only the
difference (nothing at all when VPP kept everything while the agent restarted).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence

from agent.features.subscribers import ROOT_ID
from agent.sessions.api import InvalidRequest, Session, SessionHook
from agent.sessions.items import session_items
from agent.sessions.templates import AccessConfig
from agent.vpp.config import Entry
from agent.vpp.executor import paused_gc
from agent.vpp.items import Item, Value
from agent.vpp.southbound import VppSouthbound

log = logging.getLogger(__name__)

_Change = tuple[dict[str, Item[Value] | None], "asyncio.Future[None]"]


class SessionProgrammer:
    """Implements :class:`agent.sessions.manager.Programmer` on a :class:`VppSouthbound`."""

    def __init__(self, sb: VppSouthbound, hooks: Sequence[SessionHook] = ()) -> None:
        self.sb = sb
        self.hooks = list(hooks)
        self._queue: list[_Change] = []
        self._task: asyncio.Task[None] | None = None
        self._entry: Entry | None = None
        self._access = AccessConfig()
        self.submissions = 0

    def add_hook(self, hook: SessionHook) -> None:
        """A feature's per-session items (QoS, ACL, NAT): sessions changed from now on include them."""
        self.hooks.append(hook)

    def access(self) -> AccessConfig:
        """Access interfaces and templates as the southbound's configuration has them now."""
        entry = self.sb.config.get(ROOT_ID)
        if entry is not self._entry:
            self._entry, self._access = entry, AccessConfig.from_entry(entry)
        return self._access

    def items(self, s: Session | None) -> dict[str, Item[Value]]:
        if s is None:
            return {}
        return {it.key: it for it in session_items(s, self.access(), self.sb.config, self.hooks)}

    def preload(self, sessions: Iterable[Session]) -> int:
        """Register restored sessions' items (as pending) before the southbound's first reconcile."""
        with paused_gc():  # 70,000 items built for 10,000 sessions: no full collections meanwhile
            items = [it for s in sessions for it in self.items(s).values()]
            self.sb.runtime.preload(items)
        return len(items)

    def check(self, old: Session | None, new: Session | None) -> None:
        """Hooks that judge a whole session (``check(session, ctx)``: NAT compares the session's VRF with
        its instance's) refuse a new session or a changed policy or state before anything is programmed;
        an unchanged session is not re-judged (a renewal never fails on configuration edited since)."""
        if new is None or (old is not None and old.policy == new.policy and old.state == new.state):
            return
        for hook in self.hooks:
            judge = getattr(hook, "check", None)
            why = judge(new, self.sb.config) if judge is not None else None
            if why is not None:
                raise InvalidRequest(why)

    async def program(self, old: Session | None, new: Session | None) -> None:
        self.check(old, new)
        before, after = self.items(old), self.items(new)
        change: dict[str, Item[Value] | None] = {k: None for k in before.keys() - after.keys()}
        change.update({k: it for k, it in after.items() if before.get(k) != it})
        if not change:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((change, fut))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name="session-programmer")
        await fut

    async def refresh(self, sessions: Iterable[Session]) -> int:
        """Re-program sessions whose items the configuration changed under them (a QoS profile edited:
        its policers' parameters), in one submission; how many items changed. The session itself did
        not change, so :meth:`program` would see no difference: compare with what the southbound holds."""
        held = self.sb.runtime.entries
        change: dict[str, Item[Value] | None] = {}
        for s in sessions:
            for k, it in self.items(s).items():
                e = held.get(k)
                if e is not None and e.item != it:
                    change[k] = it
        if not change:
            return 0
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((change, fut))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name="session-programmer")
        await fut
        return len(change)

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                await self._submit([c for c, _ in batch])
            except Exception as e:
                if len(batch) == 1:
                    _settle(batch, e)
                    continue
                for change, fut in batch:  # one by one: only the refused change fails
                    try:
                        await self._submit([change])
                    except Exception as e1:
                        _settle([(change, fut)], e1)
                    else:
                        _settle([(change, fut)], None)
                continue
            _settle(batch, None)

    async def _submit(self, changes: list[dict[str, Item[Value] | None]]) -> None:
        merged: dict[str, Item[Value] | None] = {}
        for c in changes:
            merged.update(c)
        put = [it for it in merged.values() if it is not None]
        remove = [k for k, it in merged.items() if it is None]
        self.submissions += 1
        await self.sb.submit(put, remove)


def _settle(batch: list[_Change], error: Exception | None) -> None:
    for _, fut in batch:
        if fut.done():
            continue
        if error is None:
            fut.set_result(None)
        else:
            fut.set_exception(error)
