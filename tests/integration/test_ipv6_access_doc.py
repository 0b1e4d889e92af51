"""docs/ipv6-access.md's worked examples run as shown: the NETCONF ``<config>`` (edit-config to the
candidate) and the gNMI update are accepted, the dry-run plan is the one the page quotes, the commit
programs VPP (vppsim) so, and the ``must`` on router-lifetime fails as the page says."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _southbound_helpers import IF, SESSION, AgentStack, port, subif
from lxml import etree

from agent.errors import AgentError

PAGE = Path(__file__).resolve().parents[2] / "docs" / "ipv6-access.md"
P0 = "GigabitEthernet0/8/0"


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", PAGE.read_text(), flags=re.S)


async def test_the_pages_examples_plan_and_program_as_quoted(
    vppsim_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sim = vppsim_factory(ports=1)
    st = AgentStack(sim.api_socket, tmp_path / "data")
    await st.start()
    try:
        await st.commit(updates=[(IF, {"interface": [port(P0), subif(P0, 100)]})])
        st.ds.edit_config("candidate", etree.fromstring(blocks("xml")[0].encode()), session=SESSION)
        plan = await st.txn.dry_run(SESSION)
        got = [str(s) for s in plan.steps]
        quoted = [ln for ln in blocks("")[0].splitlines() if ln.startswith("create ")]
        assert got == quoted
        await st.txn.commit(SESSION)
        c = sim.client()
        (ra,) = [d for d in c.api.sw_interface_ip6nd_ra_dump(sw_if_index=0xFFFFFFFF) if d.send_radv]
        assert (ra.adv_other_flag, ra.adv_managed_flag, ra.max_radv_interval) == (True, False, 30.0)
        assert [str(p.prefix) for p in ra.prefixes] == ["2001:db8:100::/64"]

        update = json.loads(blocks("json")[0])["update"][0]
        await st.commit(updates=[(update["path"], update["val"])])
        (ra,) = [d for d in c.api.sw_interface_ip6nd_ra_dump(sw_if_index=0xFFFFFFFF) if d.send_radv]
        extra = {str(p.prefix): p for p in ra.prefixes}["2001:db8:ffff::/64"]
        assert (extra.onlink_flag, extra.autonomous_flag, extra.val_lifetime) == (False, False, 7200)

        # the DHCPv6 relay examples: the group and the access interface, then the gNMI update of the group
        st.ds.edit_config("candidate", etree.fromstring(blocks("xml")[1].encode()), session=SESSION)
        await st.txn.commit(SESSION)
        mroutes = c.api.ip_mroute_dump(table={"table_id": 0, "is_ip6": True})
        (entry,) = [m for m in mroutes if str(m.route.prefix.grp_address.ip6) == "ff02::1:2"]
        assert entry.route.n_paths == 1  # SOLICITs reach the local stack, then the punt socket
        update6 = json.loads(blocks("json")[1])["update"][0]
        await st.commit(updates=[(update6["path"], update6["val"])])
        running = json.loads(st.ds.running.json())["bng-subscribers:subscribers"]["dhcpv6-relay"]
        assert running["server-group"][0]["server"] == ["2001:db8:ffff::547"]

        with pytest.raises(AgentError) as err:
            await st.commit(
                updates=[(update["path"], {"ra-policy": [{"name": "stateless", "router-lifetime": 20}]})]
            )
        assert "router-lifetime must be 0 or greater than max-interval" in str(err.value)
        assert err.value.tag == "operation-failed"
    finally:
        await st.stop()
