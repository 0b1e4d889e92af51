"""Drift made while the agent runs: an operator changes VPP behind the agent's back with vpp-papi.

The agent's stack (:class:`AgentStack`) runs with the drift monitor of ``bng-agent run``
(:class:`DriftMonitor`: VPP's interface events and a periodic audit). Another API client -- vpp-papi's
own synchronous client, as an operator's script would use it -- deletes a managed sub-interface, sets
one admin down, removes an address, changes an MTU. Deletes and admin changes are events: repaired in
under 2 s. Addresses and MTU have no event: repaired within one audit interval. With repair turned off
the same drift is reported (in-sync false, a drift record) and VPP is left alone.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from _southbound_helpers import IF, AgentStack, addrs, port, subif, vpp_snapshot
from vpp_papi import VPPApiClient

from agent.vpp.api import api_json_files
from agent.vpp.audit import DriftAuditor
from agent.vpp.drift import DriftRecord
from agent.vpp.events import DriftMonitor

P0, P1 = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"
SUB = f"{P0}.100"
AUDIT = 0.5  # seconds between audits in these tests
EVENT_BOUND = 2.0  # the target: repaired < 2 s after VPP reports it

CONFIG = {
    IF: {
        "interface": [
            port(P0),
            port(P1, **{"bng-interfaces:mtu": 9000}),
            subif(P0, 100, **addrs("10.100.0.1/24", "2001:db8:100::1/64")),
            subif(P0, 101, **addrs("10.101.0.1/24")),
            subif(P1, 7, enabled=False),
        ]
    }
}


@contextmanager
def operator(api_socket: str) -> Iterator[Any]:
    """An API client of its own, as an operator's script would connect (vpp-papi's sync client)."""
    c = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=api_socket)
    c.connect("operator")
    try:
        yield c.api
    finally:
        c.disconnect()


def index_of(api: Any, name: str) -> int:
    for d in api.sw_interface_dump(sw_if_index=0xFFFFFFFF):
        if str(d.interface_name) == name:
            return int(d.sw_if_index)
    raise AssertionError(f"{name} not in VPP")


@asynccontextmanager
async def agent(
    vppsim_factory: Callable[..., Any], tmp_path: Path, *, repair: bool = True, interval: float = AUDIT
) -> AsyncIterator[tuple[Any, AgentStack, DriftMonitor, list[DriftRecord]]]:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    records: list[DriftRecord] = []
    st.sb.drift_observers.append(records.append)
    mon = DriftMonitor(st.link, DriftAuditor(st.sb, repair=repair), interval=interval)
    await mon.start()
    try:
        await st.commit(updates=list(CONFIG.items()))
        yield sim, st, mon, records
    finally:
        await mon.stop()
        await st.stop()


async def until(check: Callable[[], Any], timeout: float) -> float:
    """Seconds until ``check()`` (sync or async) is truthy; fails after ``timeout``."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        got = check()
        if asyncio.iscoroutine(got):
            got = await got
        if got:
            return time.monotonic() - t0
        await asyncio.sleep(0.02)
    raise AssertionError(f"not within {timeout} s")


async def test_deleted_subinterface_is_recreated_on_the_event(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    async with agent(vppsim_factory, tmp_path, interval=0) as (sim, st, _mon, records):
        before = await vpp_snapshot(sim.api_socket)
        repairs0 = st.sb.repairs_total

        def delete() -> None:
            with operator(sim.api_socket) as api:
                assert api.delete_subif(sw_if_index=index_of(api, SUB)).retval == 0

        await asyncio.to_thread(delete)
        t0 = time.monotonic()

        async def back() -> bool:
            return SUB in (await vpp_snapshot(sim.api_socket))["interfaces"]

        await until(back, EVENT_BOUND)
        assert time.monotonic() - t0 < EVENT_BOUND
        after = await vpp_snapshot(sim.api_socket)
        assert after["interfaces"][SUB] == before["interfaces"][SUB]  # tag, addresses, admin up again
        assert st.sb.in_sync
        rec = records[-1]
        assert (rec.source, rec.action) == ("event", "repaired")
        keys = {i.key for i in rec.items if i.operation == "create"}
        assert {f"interface/{SUB}", f"tag/{SUB}", f"admin-up/{SUB}", f"address/{SUB}/10.100.0.1/24"} <= keys
        assert st.sb.repairs_total == repairs0 + rec.total
        # the name map follows the new sw_if_index: a commit on the interface works
        await st.commit(updates=[(f"{IF}/interface[name='{SUB}']/enabled", False)])
        assert not (await vpp_snapshot(sim.api_socket))["interfaces"][SUB]["admin_up"]


async def test_admin_down_behind_the_agents_back_is_undone_on_the_event(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    async with agent(vppsim_factory, tmp_path, interval=0) as (sim, _st, _mon, records):

        def admin(name: str, up: bool) -> None:
            with operator(sim.api_socket) as api:
                assert api.sw_interface_set_flags(sw_if_index=index_of(api, name), flags=int(up)).retval == 0

        await asyncio.to_thread(admin, SUB, False)

        async def up() -> bool:
            return bool((await vpp_snapshot(sim.api_socket))["interfaces"][SUB]["admin_up"])

        await until(up, EVENT_BOUND)
        assert [(i.operation, i.key) for i in records[-1].items] == [("create", f"admin-up/{SUB}")]
        # and the converse: a sub-interface configured disabled is set down again
        await asyncio.to_thread(admin, f"{P1}.7", True)

        async def down() -> bool:
            return not (await vpp_snapshot(sim.api_socket))["interfaces"][f"{P1}.7"]["admin_up"]

        await until(down, EVENT_BOUND)
        assert [(i.operation, i.key) for i in records[-1].items] == [("delete", f"admin-up/{P1}.7")]


async def test_address_and_mtu_drift_is_repaired_by_the_audit(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    async with agent(vppsim_factory, tmp_path) as (sim, st, _mon, records):
        before = await vpp_snapshot(sim.api_socket)

        def tamper() -> None:
            with operator(sim.api_socket) as api:
                sub = index_of(api, SUB)
                prefix = ipaddress.ip_interface("10.100.0.1/24")
                assert (
                    api.sw_interface_add_del_address(sw_if_index=sub, is_add=False, prefix=prefix).retval == 0
                )
                extra = ipaddress.ip_interface("192.0.2.1/24")
                other = index_of(api, f"{P0}.101")
                assert (
                    api.sw_interface_add_del_address(sw_if_index=other, is_add=True, prefix=extra).retval == 0
                )
                assert (
                    api.sw_interface_set_mtu(sw_if_index=index_of(api, P1), mtu=[1500, 0, 0, 0]).retval == 0
                )

        await asyncio.to_thread(tamper)

        async def restored() -> bool:
            return (await vpp_snapshot(sim.api_socket))["interfaces"] == before["interfaces"]

        await until(restored, AUDIT + 2.0)
        got = sorted((i.operation, i.key) for r in records for i in r.items)
        assert got == [
            ("create", f"address/{SUB}/10.100.0.1/24"),
            ("delete", f"address/{P0}.101/192.0.2.1/24"),
            ("update", f"mtu/{P1}"),
        ]
        assert {r.source for r in records} == {"audit"}
        assert st.sb.in_sync


async def test_commits_and_quiet_audits_are_not_drift(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    async with agent(vppsim_factory, tmp_path, interval=0.1) as (_sim, st, mon, records):
        await st.commit(deletes=[f"{IF}/interface[name='{P0}.101']"])
        await st.commit(updates=[(f"{IF}/interface[name='{SUB}']/enabled", False)])
        await st.commit(updates=[(IF, {"interface": [subif(P1, 8, **addrs("10.8.0.1/24"))]})])
        audits = mon.auditor.audits
        await until(lambda: mon.auditor.audits >= audits + 3, 5.0)
        assert records == []
        last = mon.auditor.last
        assert last is not None and last.action == "none" and last.checked == 5
        conn = st.sb.conn
        assert conn is not None
        writes = conn.writes
        await until(lambda: mon.auditor.audits >= audits + 6, 5.0)
        assert conn.writes == writes  # audits read, never write, when nothing changed
        assert st.sb.in_sync


async def test_with_repair_off_drift_is_reported_not_repaired(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    async with agent(vppsim_factory, tmp_path, repair=False) as (sim, st, _mon, records):
        prefix = ipaddress.ip_interface("10.100.0.1/24")

        def address(is_add: bool) -> None:
            with operator(sim.api_socket) as api:
                sub = index_of(api, SUB)
                assert (
                    api.sw_interface_add_del_address(sw_if_index=sub, is_add=is_add, prefix=prefix).retval
                    == 0
                )

        await asyncio.to_thread(address, False)
        await until(lambda: records, AUDIT + 2.0)
        assert not st.sb.in_sync
        rec = records[0]
        assert (rec.source, rec.action, rec.total) == ("audit", "reported", 1)
        assert [(i.operation, i.key) for i in rec.items] == [("create", f"address/{SUB}/10.100.0.1/24")]
        await asyncio.sleep(3 * AUDIT)
        assert len(records) == 1  # reported once, not at every audit
        snap = await vpp_snapshot(sim.api_socket)
        assert "10.100.0.1/24" not in snap["interfaces"][SUB]["addresses"]  # left as the operator made it
        # the operator puts it back: in sync again, without a repair
        await asyncio.to_thread(address, True)
        await until(lambda: st.sb.in_sync, AUDIT + 2.0)
        assert len(records) == 1
