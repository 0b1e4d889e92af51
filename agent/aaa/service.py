"""RADIUS AAA in ``bng-agent run``: follows ``bng-aaa:aaa`` (and the access interfaces' ``authorize-by``)
in running configuration, authorises IPoE sessions for the DHCPv4 relay, and sends accounting for the
subscriber manager's sessions.

A consumer of the subscriber service (``name``, ``start``, ``stop``). The RADIUS client is rebuilt only
when the servers or the dictionary change; requests in flight on the old one finish or fail over as
before. Accounting records go to ``<data-dir>/aaa/accounting.spool`` first (:mod:`agent.aaa.spool`), so
records queued in an outage are sent after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.aaa import dictionary
from agent.aaa.accounting import Accounting, CounterSource, no_counters
from agent.aaa.auth import Authenticator, NasIdentity
from agent.aaa.client import Function, RadiusClient
from agent.aaa.config import AaaSettings
from agent.aaa.errors import AaaConfigError
from agent.aaa.ipoe import IpoeAuthorizer
from agent.aaa.mapping import AttributeMap
from agent.aaa.metrics import Sample, samples
from agent.aaa.packet import Codec
from agent.aaa.spool import Spool
from agent.sessions.api import Session, SessionManagerApi
from agent.sessions.templates import AccessConfig

log = logging.getLogger(__name__)


class AaaService:
    name = "aaa"

    def __init__(
        self,
        running_json: Callable[[], str],
        manager: Callable[[], SessionManagerApi | None],
        data_dir: str | Path | None,
        counters: CounterSource = no_counters,
        txn: Any = None,
    ) -> None:
        self.running_json = running_json
        self.manager = manager
        self.spool_path = Path(data_dir) / "aaa" / "accounting.spool" if data_dir else None
        self.counters = counters
        self.txn = txn
        self.settings: AaaSettings | None = None
        self.access = AccessConfig()
        self.client: RadiusClient | None = None
        self.authn: Authenticator | None = None
        self.amap = AttributeMap()
        self.accounting: Accounting | None = None
        self.ipoe = IpoeAuthorizer(self._current, self._authorize_by)
        self._follow: asyncio.Task[None] | None = None

    # --- what the IPoE authoriser asks -------------------------------------------------------------

    def _current(self) -> tuple[Authenticator, AttributeMap, str, str] | None:
        s = self.settings
        if s is None or self.authn is None or not s.authenticates:
            return None
        return self.authn, self.amap, s.ipoe_username_format, s.ipoe_password

    def _authorize_by(self, interface: str) -> str:
        ai = self.access.interfaces.get(interface)
        return ai.authorize_by if ai is not None else "none"

    def _accounted(self, session: Session) -> bool:
        t = self.access.templates.get(session.template or "")
        return t.accounting if t is not None else True

    def authorizer(self) -> IpoeAuthorizer | None:
        """For the DHCPv4 relay's sink: only while authentication servers are configured."""
        return self.ipoe if self._current() is not None else None

    # --- configuration ----------------------------------------------------------------------------

    async def apply(self) -> None:
        text = self.running_json()
        tree = json.loads(text) if text else {}
        settings = AaaSettings.from_entry(tree.get("bng-aaa:aaa"))
        self.access = AccessConfig.from_entry(tree.get("bng-subscribers:subscribers"))
        old = self.settings
        if (
            old is None
            or old.servers != settings.servers
            or old.dictionary_files != settings.dictionary_files
            or old.round_robin != settings.round_robin
        ):
            try:
                codec = Codec(dictionary.load(settings.dictionary_files))
            except AaaConfigError:
                log.exception("bng-aaa: keeping the previous RADIUS dictionary")
                codec = self.client.codec if self.client is not None else Codec(dictionary.load())
            if self.client is not None:
                self.client.close()
            self.client = RadiusClient(
                codec,
                dict(settings.servers),
                round_robin=dict(settings.round_robin),
            )
        assert self.client is not None
        self.authn = Authenticator(self.client, NasIdentity(settings.nas_identifier, settings.nas_ip_address))
        self.amap = AttributeMap(settings.rules)
        self.settings = settings
        await self._accounting(settings)

    async def _accounting(self, settings: AaaSettings) -> None:
        want = settings.accounting_enabled and bool(settings.servers.get(Function.ACCT))
        if want and self.accounting is None:
            assert self.authn is not None
            self.accounting = Accounting(
                self.authn,
                Spool(self.spool_path),
                self.counters,
                interim_interval=settings.interim_interval,
                wanted=self._accounted,
            )
            self.accounting.start_tasks(self.manager())
        elif self.accounting is not None:
            if not want:
                await self.accounting.stop_tasks()
                self.accounting = None
            else:
                assert self.authn is not None
                self.accounting.auth = self.authn
                self.accounting.client = self.authn.client
                self.accounting.interim_interval = settings.interim_interval

    async def start(self) -> None:
        try:
            await self.apply()
        except Exception:
            log.exception("bng-aaa not applied; retried after the next commit")
        if self.txn is not None:
            self._follow = self.txn.follow_commits(lambda _event: self.apply(), name="aaa-config")

    async def stop(self) -> None:
        if self._follow is not None:
            self._follow.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follow
            self._follow = None
        if self.accounting is not None:
            await self.accounting.stop_tasks()
            self.accounting = None
        if self.client is not None:
            self.client.close()
            self.client = None

    def samples(self) -> list[Sample]:
        return samples(self.client, self.accounting, self.ipoe)
