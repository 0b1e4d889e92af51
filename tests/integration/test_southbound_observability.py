"""What an operator sees of the southbound: every VPP call timed, each commit's log line naming its txn."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from _southbound_helpers import IF, AgentStack, addrs, port, subif

P0 = "GigabitEthernet0/8/0"


@pytest.fixture
async def stack(vppsim_factory: Callable[..., Any], tmp_path: Path) -> AsyncIterator[tuple[AgentStack, Any]]:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    yield st, sim
    await st.stop()


async def test_every_vpp_call_is_timed_across_reconnects(stack: tuple[AgentStack, Any]) -> None:
    st, sim = stack
    seen: list[tuple[str, float]] = []
    st.link.on_call = lambda msg, seconds: seen.append((msg, seconds))
    await st.start()
    msgs = {m for m, _ in seen}
    assert {"show_version", "sw_interface_dump", "want_interface_events"} <= msgs  # connect + reconcile
    seen.clear()
    await st.commit(
        updates=[(IF, {"interface": [port(P0), subif(P0, 7, **addrs("10.7.0.1/24", "2001:db8:7::1/64"))]})]
    )
    sent = [m for m, _ in seen]
    assert sent.count("sw_interface_add_del_address") == 2 and "create_subif" in sent
    assert all(0 <= s < 10 for _, s in seen)
    # a new connection after a VPP restart reports too
    connects = st.link.connects
    await asyncio.to_thread(sim.crash)
    sim.start()
    seen.clear()
    await st.wait_reconnected(connects)
    assert "create_subif" in {m for m, _ in seen}  # the reconcile re-created the sub-interface


async def test_a_failing_observer_does_not_break_commits(stack: tuple[AgentStack, Any]) -> None:
    st, _ = stack

    def broken(msg: str, seconds: float) -> None:
        raise RuntimeError("observer bug")

    st.link.on_call = broken
    await st.start()
    await st.commit(updates=[(IF, {"interface": [port(P0), subif(P0, 8, **addrs("10.8.0.1/24"))]})])


async def test_the_southbound_log_line_names_the_transaction(
    stack: tuple[AgentStack, Any], caplog: pytest.LogCaptureFixture
) -> None:
    st, _ = stack
    await st.start()
    caplog.set_level(logging.INFO)
    ids = []
    for vlan in (9, 10):
        record = await st.commit(updates=[(IF, {"interface": [port(P0), subif(P0, vlan)]})])
        ids.append(record.id)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("southbound apply")]
    got = [int(re.search(r"txn=(\d+)", line).group(1)) for line in lines]  # type: ignore[union-attr]
    assert got == ids and ids[0] != ids[1]
