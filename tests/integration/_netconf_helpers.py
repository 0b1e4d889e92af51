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
        return int(self.server.port)

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


HELLO_10 = (
    b'<?xml version="1.0" encoding="UTF-8"?><hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
    b"<capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>"
)
HELLO_11 = (
    b'<?xml version="1.0" encoding="UTF-8"?><hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
    b"<capabilities><capability>urn:ietf:params:netconf:base:1.1</capability></capabilities></hello>]]>]]>"
)


class RawSession:
    """A byte-level NETCONF client on asyncssh, for framing and hostile-input tests."""

    def __init__(self, port: int, password: str = ADMIN_PASSWORD) -> None:
        self.port = port
        self.password = password
        self.conn: Any = None
        self.writer: Any = None
        self.reader: Any = None
        self.buf = b""

    async def open(self) -> bytes:
        import asyncssh

        self.conn = await asyncssh.connect(
            "127.0.0.1",
            self.port,
            username="admin",
            password=self.password,
            known_hosts=None,
            client_keys=None,
            agent_path=None,
        )
        self.writer, self.reader, _ = await self.conn.open_session(subsystem="netconf", encoding=None)
        return await self.read_until(b"]]>]]>")

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def read_until(self, marker: bytes, timeout: float = 10.0) -> bytes:
        """Bytes up to and including ``marker``; b"" if the server closed the channel first."""
        deadline = asyncio.get_running_loop().time() + timeout
        while marker not in self.buf:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no {marker!r} within {timeout}s; got {self.buf[:200]!r}")
            chunk = await asyncio.wait_for(self.reader.read(65536), remaining)
            if not chunk:
                out, self.buf = self.buf, b""
                return out
            self.buf += chunk
        idx = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:idx], self.buf[idx:]
        return out

    async def read_chunked(self, timeout: float = 10.0) -> bytes:
        """One chunked-framed message body (concatenated chunks)."""
        raw = await self.read_until(b"\n##\n", timeout)
        body, pos = b"", 0
        while pos < len(raw) - 4:
            nl = raw.index(b"\n", pos + 2)
            size = int(raw[pos + 2 : nl])
            body += raw[nl + 1 : nl + 1 + size]
            pos = nl + 1 + size
        return body

    async def closed(self, timeout: float = 10.0) -> bool:
        """True once the server ends the channel (EOF) within ``timeout``."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return False
            try:
                chunk = await asyncio.wait_for(self.reader.read(65536), remaining)
            except TimeoutError:
                return False
            if not chunk:
                return True

    async def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            await self.conn.wait_closed()


def chunk(message: bytes) -> bytes:
    return b"\n#%d\n" % len(message) + message + b"\n##\n"


def rpc(body: str, message_id: int = 1) -> bytes:
    return f'<rpc xmlns="{NC_NS}" message-id="{message_id}">{body}</rpc>'.encode()
