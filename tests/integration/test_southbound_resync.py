"""VPP is kept equal to running: after a VPP restart, after an agent restart, and after drift."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _southbound_helpers import (
    IF,
    VRFS,
    AgentStack,
    addrs,
    port,
    route,
    subif,
    vpp_snapshot,
    wait_for_interface,
)

P0, P1 = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"

CONFIG = {
    IF: {
        "interface": [
            port(P0, **{"bng-interfaces:mtu": 9000}),
            port(P1),
            {"name": "loopback0", "type": "iana-if-type:softwareLoopback", **addrs("100.64.0.1/32")},
            *[
                subif(
                    P0,
                    v,
                    **{"bng-vrf:vrf": "red" if v % 2 else "blue"},
                    **addrs(f"10.{v}.0.1/24", f"2001:db8:{v}::1/64"),
                )
                for v in range(100, 110)
            ],
            subif(P1, 7, **{"ietf-ip:ipv4": {"bng-interfaces:unnumbered": {"use-interface": "loopback0"}}}),
        ]
    },
    VRFS: {
        "vrf": [
            {
                "name": "red",
                "table-id": 1,
                "static-routes": {
                    "ipv4-route": [route("0.0.0.0/0", ("10.101.0.254", 2, 0), ("10.103.0.254", 1, 0))]
                },
            },
            {"name": "blue", "table-id": 2},
        ]
    },
}


async def test_vpp_restart_is_repaired_without_a_manual_step(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    try:
        await st.commit(updates=list(CONFIG.items()))
        before = await vpp_snapshot(sim.api_socket)
        connects = st.link.connects
        sim.crash()
        sim.start()  # an empty VPP, as after a restart (the agent may already be reconnecting)
        await st.wait_reconnected(connects)
        after = await vpp_snapshot(sim.api_socket)
        assert _without_loop_names(after) == _without_loop_names(before)
        report = await st.sb.reconcile()
        assert report.write_calls == 0 and report.steps == []  # a second resync has nothing to do
        # and commits work on the new connection
        await st.commit(updates=[(f"{IF}/interface[name='{P0}.100']/description", "still here")])
        await st.commit(deletes=[f"{IF}/interface[name='{P0}.109']"])
        assert f"{P0}.109" not in (await vpp_snapshot(sim.api_socket))["interfaces"]
    finally:
        await st.stop()


async def test_agent_restart_finds_its_objects_and_changes_nothing(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    await st.commit(updates=list(CONFIG.items()))
    before = await vpp_snapshot(sim.api_socket)
    await st.stop()

    again = AgentStack(sim.api_socket, tmp_path / "data")  # running comes back from the journal
    await again.start()
    try:
        report = again.sb.last_report
        assert report is not None
        assert report.write_calls == 0, report.steps  # loopback found by its tag, routes by their table
        assert await vpp_snapshot(sim.api_socket) == before
        # the name map was rebuilt from the dump: a commit on a loopback VPP named loop0 works
        await again.commit(updates=[(f"{IF}/interface[name='loopback0']/enabled", False)])
        snap = await vpp_snapshot(sim.api_socket)
        loop = next(n for n, e in snap["interfaces"].items() if e["tag"] == "bng-agent:loopback0")
        assert not snap["interfaces"][loop]["admin_up"]
    finally:
        await again.stop()


async def test_drift_while_the_agent_was_down_is_repaired_and_logged_as_drift(
    vppsim_factory: Callable[..., Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    await st.commit(updates=list(CONFIG.items()))
    assert st.sb.repairs_total == 0  # the first reconcile had nothing to do; a commit is no repair
    idx = st.sb.names.index(f"{P0}.100")
    await st.stop()
    c = sim.client("intruder")
    c.api.sw_interface_add_del_address(
        sw_if_index=idx, is_add=False, prefix=ipaddress.ip_interface("10.100.0.1/24")
    )

    again = AgentStack(sim.api_socket, tmp_path / "data")
    with caplog.at_level(logging.INFO, logger="agent.vpp"):
        await again.start()
    try:
        report = again.sb.last_report
        assert report is not None and report.repairs == 1 and again.sb.repairs_total == 1
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any(
            m.startswith(f"vpp drift source=reconcile action=repaired create address/{P0}.100/10.100.0.1/24")
            for m in warnings
        ), warnings
    finally:
        await again.stop()


async def test_drift_is_repaired_and_foreign_objects_are_left_alone(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    try:
        await st.commit(updates=list(CONFIG.items()))
        before = await vpp_snapshot(sim.api_socket)
        idx = {n: i for n, i in st.sb.names.as_dict().items()}
        c = sim.client("intruder")
        # drift on agent-owned objects ...
        c.api.sw_interface_add_del_address(
            sw_if_index=idx[f"{P0}.100"], is_add=False, prefix=ipaddress.ip_interface("10.100.0.1/24")
        )
        c.api.sw_interface_set_flags(sw_if_index=idx[f"{P0}.101"], flags=0)
        c.api.delete_subif(sw_if_index=idx[f"{P0}.102"])
        c.api.sw_interface_set_mtu(sw_if_index=idx[P0], mtu=[1500, 0, 0, 0])
        c.api.ip_route_add_del(
            is_add=True,
            is_multipath=False,
            route={
                "table_id": 1,
                "prefix": ipaddress.ip_network("0.0.0.0/0"),
                "n_paths": 1,
                "paths": [_path("10.101.0.254", 7)],
            },
        )
        # ... and objects someone else made: a loopback and a sub-interface without our tag, a VRF table
        foreign_loop = c.api.create_loopback().sw_if_index
        foreign_sub = c.api.create_subif(
            sw_if_index=idx[P1], sub_id=999, sub_if_flags=2 | 16, outer_vlan_id=999
        ).sw_if_index
        c.api.ip_table_add_del(is_add=True, table={"table_id": 555, "is_ip6": False, "name": "ops-team"})

        report = await st.sb.reconcile()
        assert report.write_calls > 0
        repaired = "\n".join(report.steps)
        for key in (
            f"address/{P0}.100/10.100.0.1/24",
            f"admin-up/{P0}.101",
            f"interface/{P0}.102",
            f"mtu/{P0}",
            "route/vrf:red/0.0.0.0/0",
        ):
            assert key in repaired, key
        after = await vpp_snapshot(sim.api_socket)
        foreign = {n for n in after["interfaces"] if n not in before["interfaces"]}
        assert foreign == {_name_of(foreign_loop, c), f"{P1}.999"}
        assert (555, False, "ops-team") in after["tables"]
        # everything the agent owns is back as it was (the deleted sub-interface got a new index)
        for name in before["interfaces"]:
            assert after["interfaces"][name] == before["interfaces"][name], name
        for prefix, paths in before["routes"].items():
            assert after["routes"].get(prefix) == paths, prefix
        unmanaged = {(u["kind"], u.get("name"), u.get("table_id")) for u in st.sb.unmanaged}
        assert ("interface", f"{P1}.999", None) in unmanaged
        assert ("ip-table", "ops-team", 555) in unmanaged
        assert any(u.get("sw_if_index") == foreign_loop for u in st.sb.unmanaged)
        assert foreign_sub in {u.get("sw_if_index") for u in st.sb.unmanaged}
        assert (await st.sb.reconcile()).write_calls == 0
    finally:
        await st.stop()


def _path(nh: str, weight: int) -> dict[str, Any]:
    return {
        "sw_if_index": 0xFFFFFFFF,
        "table_id": 1,
        "weight": weight,
        "preference": 0,
        "proto": 0,
        "nh": {"address": {"ip4": ipaddress.ip_address(nh)}},
        "label_stack": [{"is_uniform": 0, "label": 0, "ttl": 0, "exp": 0}] * 16,
    }


def _name_of(sw_if_index: int, c: Any) -> str:
    for i in c.api.sw_interface_dump(sw_if_index=0xFFFFFFFF):
        if i.sw_if_index == sw_if_index:
            return str(i.interface_name)
    raise AssertionError(f"no interface {sw_if_index}")


def _without_loop_names(snap: dict[str, Any]) -> dict[str, Any]:
    """A loopback may get another loopN name after a VPP restart; compare it by its tag instead."""
    out = dict(snap)
    out["interfaces"] = {(e["tag"] or n): {**e} for n, e in snap["interfaces"].items()}
    out["routes"] = {
        k: [tuple(x if not str(x).startswith("loop") else "loop" for x in p) for p in v]
        for k, v in snap["routes"].items()
    }
    return out


async def test_a_missing_port_does_not_block_the_rest_and_is_programmed_when_it_appears(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    p2 = "GigabitEthernet0/a/0"
    first = vppsim_factory(ports=3)
    st = AgentStack(first.api_socket, tmp_path / "data")
    await st.start()
    await st.commit(updates=list(CONFIG.items()))
    await st.commit(updates=[(IF, {"interface": [port(p2), subif(p2, 5, **addrs("10.5.0.1/24"))]})])
    await st.stop()

    sim = vppsim_factory(ports=2)  # a box where the third NIC is not (yet) there
    st = AgentStack(sim.api_socket, tmp_path / "data")
    st.link.retry_missing_every = 0.2
    await st.start()
    try:
        report = st.sb.last_report
        assert report is not None and report.missing_ports == [p2]
        assert f"interface/{p2}.5" in report.skipped and f"address/{p2}.5/10.5.0.1/24" in report.skipped
        snap = await vpp_snapshot(sim.api_socket)
        assert f"{P0}.100" in snap["interfaces"] and snap["interfaces"][f"{P0}.100"]["tables"] == [2, 2]
        assert sim.ctl("add_port")["name"] == p2
        snap = await wait_for_interface(sim.api_socket, f"{p2}.5")
        assert snap["interfaces"][f"{p2}.5"]["addresses"] == ["10.5.0.1/24"]
        assert st.sb.missing_ports == [] and st.sb.in_sync
    finally:
        await st.stop()
