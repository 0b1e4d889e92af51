"""The ND guard (agent/ndguard) against VPP's neighbour table (vppsim here; real VPP 26.06 in the lane,
tests/vpp/test_vpp_nd_guard.py): on an access interface only the session's own IPv6 neighbours stay --
its global address and its MAC's link-local address -- plus static entries; foreign dynamic entries (a
spoofed address, another host's link-local) are removed and counted."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _southbound_helpers import IF, AgentStack, port

from agent.ndguard.guard import NdGuard, link_local
from agent.sessions.api import SessionKey
from agent.sessions.manager import SessionManager
from agent.sessions.program import SessionProgrammer

P0 = "GigabitEthernet0/8/0"
SUBS = "/bng-subscribers:subscribers"
MAC, OTHER = "02:00:00:00:00:10", "02:00:00:00:00:66"
ALL = 0xFFFFFFFF


def neighbors(c: Any, idx: int) -> set[tuple[str, str, int]]:
    return {
        (str(d.neighbor.ip_address), str(d.neighbor.mac_address), int(d.neighbor.flags))
        for d in c.api.ip_neighbor_dump(sw_if_index=idx, af=1)
    }


async def test_only_the_sessions_own_neighbours_stay_on_an_access_interface(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sim = vppsim_factory(ports=1)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    try:
        addr = {"ietf-ip:ipv6": {"address": [{"ip": "2001:db8:a::1", "prefix-length": 64}]}}
        subs = {
            "access-interfaces": {
                "access-interface": [{"interface": P0, "session-template": "t", "ipoe": {}}]
            },
            "session-templates": {"template": [{"name": "t"}]},
        }
        await st.commit(updates=[(IF, {"interface": [port(P0, **addr)]}), (SUBS, subs)])
        prog = SessionProgrammer(st.sb)
        mgr = SessionManager(prog.access, programmer=prog)
        s = await mgr.open(SessionKey(P0, None, None, MAC))
        await mgr.add_ipv6(s.id, ipaddress.IPv6Address("2001:db8:a::10"), 3600)

        c = sim.client()
        idx = st.sb.names.index(P0)
        learnt = [
            ("2001:db8:a::10", MAC, 0),  # the session's address
            (str(link_local(MAC)), MAC, 0),  # the session's link-local
            ("2001:db8:a::66", OTHER, 0),  # a host claiming an address no session has
            ("fe80::66", OTHER, 0),  # another host's link-local
            ("2001:db8:a::20", "02:00:00:00:00:20", 1),  # someone's static entry
        ]
        for ip, mac, flags in learnt:
            nb = {"sw_if_index": idx, "flags": flags, "mac_address": mac, "ip_address": ip}
            assert c.api.ip_neighbor_add_del(is_add=True, neighbor=nb).retval == 0

        guard = NdGuard(lambda: st.sb.conn, mgr.list, lambda: [P0], st.sb.names.get)
        assert await guard.sweep() == 2
        assert neighbors(c, idx) == {
            ("2001:db8:a::10", MAC, 0),
            (str(link_local(MAC)), MAC, 0),
            ("2001:db8:a::20", "02:00:00:00:00:20", 1),
        }
        assert await guard.sweep() == 0  # nothing left to remove
        samples = dict(((n, lbl), v) for n, lbl, v in guard.samples())
        assert samples[("bng_nd_guard_removed", (P0,))] == 2
        assert samples[("bng_nd_guard_neighbors", (P0,))] == 3
        # the session's address is removed too once the session has gone
        await mgr.remove_address(s.id, ipaddress.IPv6Address("2001:db8:a::10"))
        assert await guard.sweep() == 2
        assert neighbors(c, idx) == {("2001:db8:a::20", "02:00:00:00:00:20", 1)}
    finally:
        await st.stop()
