"""Session limits: a maximum number of sessions and an idle timeout, both configurable."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from _netconf_helpers import HELLO_11, RawSession, chunk, rpc, running_server


def test_sessions_beyond_the_limit_are_refused_and_others_keep_working(tmp_path: Path) -> None:
    with running_server(tmp_path, max_sessions=2) as fx:
        a, b = fx.connect(), fx.connect()
        try:
            refused = False
            try:
                c = fx.connect()
                c.close_session()
            except Exception:
                refused = True
            assert refused
            assert "<data" in a.get_config("running").xml
        finally:
            a.close_session()
            b.close_session()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the slots free up once the sessions have ended
            try:
                with fx.connect() as d:
                    assert d.connected
                break
            except Exception:
                time.sleep(0.1)
        else:
            raise AssertionError("no session slot was released")


def test_idle_session_is_closed_after_the_timeout(tmp_path: Path) -> None:
    with running_server(tmp_path, idle_timeout=1.0) as fx:

        async def go() -> tuple[bool, bool]:
            busy, idle = RawSession(fx.port), RawSession(fx.port)
            await busy.open()
            await idle.open()
            await busy.send(HELLO_11)
            await idle.send(HELLO_11)
            for i in range(6):  # keep one session busy for ~1.5 s
                await busy.send(chunk(rpc("<get-config><source><running/></source></get-config>", i)))
                await busy.read_chunked()
                await asyncio.sleep(0.25)
            idle_closed = await idle.closed(5)
            busy_closed = await busy.closed(0.2)
            await busy.close()
            await idle.close()
            return idle_closed, busy_closed

        idle_closed, busy_closed = asyncio.run(go())
        assert idle_closed
        assert not busy_closed
