"""Configuration for a NIC VPP does not have yet is accepted and programmed when the NIC appears.

Routers let operators pre-provision line cards; a BNG agent should do the same for a NIC that is not
bound to VPP yet. The commit succeeds, everything not on the absent port is programmed at once, what
needs the port is reported as skipped, and the link programs it as soon as VPP has the port.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

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

P0 = "GigabitEthernet0/8/0"
ABSENT = "GigabitEthernet0/a/0"  # the third NIC; the emulator starts with two


async def test_a_commit_for_an_absent_port_programs_the_rest_and_the_port_when_it_appears(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    st.link.retry_missing_every = 0.2
    await st.start()
    try:
        await st.commit(updates=[(IF, {"interface": [port(P0), subif(P0, 100, **addrs("10.100.0.1/24"))]})])
        assert st.sb.missing_ports == []
        # one commit: a sub-interface on the absent port, and one on a present port
        await st.commit(
            updates=[
                (
                    IF,
                    {
                        "interface": [
                            port(ABSENT, **{"bng-interfaces:mtu": 9000}),
                            subif(ABSENT, 5, **addrs("10.5.0.1/24")),
                            subif(P0, 200, **addrs("10.200.0.1/24")),
                        ]
                    },
                ),
                (VRFS, {"vrf": [{"name": "red", "table-id": 1}]}),
            ]
        )
        snap = await vpp_snapshot(sim.api_socket)
        assert snap["interfaces"][f"{P0}.200"]["addresses"] == ["10.200.0.1/24"]
        assert f"{ABSENT}.5" not in snap["interfaces"]
        assert st.sb.missing_ports == [ABSENT] and not st.sb.in_sync
        assert f"interface/{ABSENT}.5" in st.sb.skipped_items
        # a later commit that adds to the absent port's sub-interface is accepted too
        await st.commit(
            updates=[(f"{IF}/interface[name='{ABSENT}.5']/description", "customer 5, NIC on order")]
        )
        # a route through the absent port's sub-interface waits for it as well, in its VRF
        await st.commit(
            updates=[
                (f"{IF}/interface[name='{ABSENT}.5']/bng-vrf:vrf", "red"),
                (
                    f"{VRFS}/vrf[name='red']/static-routes",
                    {"ipv4-route": [route("192.0.2.0/24", ("10.5.0.254", 1, 0))]},
                ),
            ]
        )
        assert st.sb.missing_ports == [ABSENT]

        assert sim.ctl("add_port")["name"] == ABSENT
        snap = await wait_for_interface(sim.api_socket, f"{ABSENT}.5")
        assert snap["interfaces"][f"{ABSENT}.5"]["addresses"] == ["10.5.0.1/24"]
        for _ in range(200):
            if st.sb.missing_ports == [] and st.sb.in_sync:
                break
            await asyncio.sleep(0.05)
        assert st.sb.missing_ports == [] and st.sb.skipped_items == []
        report = await st.sb.reconcile()
        assert report.write_calls == 0  # everything configured is in VPP now
    finally:
        await st.stop()


async def test_deleting_the_configuration_of_an_absent_port_sends_nothing_for_it(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sim = vppsim_factory(ports=2)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    try:
        await st.commit(
            updates=[(IF, {"interface": [port(ABSENT), subif(ABSENT, 5, **addrs("10.5.0.1/24"))]})]
        )
        assert st.sb.missing_ports == [ABSENT] and not st.sb.in_sync
        await st.commit(deletes=[f"{IF}/interface[name='{ABSENT}.5']", f"{IF}/interface[name='{ABSENT}']"])
        assert st.sb.missing_ports == [] and st.sb.skipped_items == [] and st.sb.in_sync
        assert ABSENT not in (await vpp_snapshot(sim.api_socket))["interfaces"]
    finally:
        await st.stop()
