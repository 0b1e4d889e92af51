"""A real NETCONF server for the NETCONF tests (not a test module).

:class:`NetconfFixture` runs the whole stack -- Datastores, a Journal in a temp dir, the
TransactionManager with a RecordingSouthbound, and :class:`NetconfServer` on 127.0.0.1 port 0 -- in an
asyncio loop on a background thread, so synchronous clients (ncclient, netconf-console2) can talk to it
from the test thread exactly as they would to a deployed agent.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from ncclient import manager

from agent.datastore.journal import Journal
from agent.datastore.store import Datastores
from agent.model import load_model_set
from agent.netconf import NetconfServer
from agent.txn import RecordingSouthbound, TransactionManager

T = TypeVar("T")
ADMIN_PASSWORD = "s3cret-admin"
START_TIMEOUT = 30.0

IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
IANAIFT = "urn:ietf:params:xml:ns:yang:iana-if-type"


def interface_config(name: str, description: str | None = None, enabled: bool | None = None) -> str:
    desc = f"<description>{description}</description>" if description is not None else ""
    en = f"<enabled>{str(enabled).lower()}</enabled>" if enabled is not None else ""
    return (
        f'<config xmlns="{NC_NS}"><interfaces xmlns="{IF_NS}"><interface><name>{name}</name>'
        f'<type xmlns:ianaift="{IANAIFT}">ianaift:ethernetCsmacd</type>{desc}{en}</interface>'
        "</interfaces></config>"
    )


class NetconfFixture:
    def __init__(self, data_dir: Path, **server_kwargs: Any) -> None:
        self.data_dir = data_dir
        self.server_kwargs = server_kwargs
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="netconf-server", daemon=True)
        self.server: NetconfServer | None = None
        self.txn: TransactionManager | None = None
        self.southbound = RecordingSouthbound()
        self.datastores: Datastores | None = None

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = START_TIMEOUT) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def run_sync(self, fn: Callable[[], T], timeout: float = START_TIMEOUT) -> T:
        async def wrapper() -> T:
            return fn()

        return self.call(wrapper(), timeout)

    def start(self) -> None:
        self.thread.start()
        pw_file = self.data_dir / "admin-password"
        pw_file.write_text(ADMIN_PASSWORD + "\n")

        async def boot() -> None:
            model = load_model_set()
            self.datastores = Datastores(model)
            journal = Journal(self.data_dir / "journal", model)
            self.txn = TransactionManager(self.datastores, journal, self.southbound)
            await self.txn.start()
            kwargs = {"admin_password_file": pw_file, **self.server_kwargs}
            self.server = NetconfServer(
                self.datastores, self.txn, model, host="127.0.0.1", port=0, data_dir=self.data_dir, **kwargs
            )
            await self.server.start()

        self.call(boot())

    def stop(self) -> None:
        async def shutdown() -> None:
            if self.server is not None:
                await self.server.stop()
            if self.txn is not None:
                await self.txn.stop()

        try:
            self.call(shutdown())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.port

    def connect(self, username: str = "admin", password: str = ADMIN_PASSWORD, **kw: Any) -> Any:
        return manager.connect(
            host="127.0.0.1",
            port=self.port,
            username=username,
            password=password,
            hostkey_verify=False,
            look_for_keys=False,
            allow_agent=False,
            timeout=30,
            **kw,
        )


@contextmanager
def running_server(data_dir: Path, **server_kwargs: Any) -> Iterator[NetconfFixture]:
    fx = NetconfFixture(data_dir, **server_kwargs)
    fx.start()
    try:
        yield fx
    finally:
        fx.stop()
