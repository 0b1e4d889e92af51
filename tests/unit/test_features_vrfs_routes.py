"""The VRF and routes features without VPP: tables and static routes from configuration, and their calls."""

from __future__ import annotations

from _feature_helpers import P0, calls, items_of, value

from agent.datastore.changes import Change
from agent.features.registry import DESCRIPTORS, ROOTS
from agent.features.routes.values import Path, RouteValue
from agent.features.vrfs import keys as vrf_keys
from agent.features.vrfs.values import VrfTableValue
from agent.vpp.config import ConfigIndex, RootId
from agent.vpp.descriptor import Ownership
from agent.vpp.items import Item
from agent.vpp.southbound import VppSouthbound

NOBODY = Ownership(frozenset(), frozenset())


def vrfs(*entries: dict[str, object]) -> dict[str, object]:
    return {"bng-vrf:vrfs": {"vrf": list(entries)}}


def test_a_vrf_is_a_table_per_family_named_for_the_agent() -> None:
    items = items_of(vrfs({"name": "blue", "table-id": 10, "ipv4": False}))
    assert set(items) == {"vrf/blue/ipv6"}
    t = items["vrf/blue/ipv6"]
    assert t.value == VrfTableValue(10, True, "bng-agent:blue")
    assert (
        calls(t)[0] == "ip_table_add_del(is_add=True, table={table_id=10, is_ip6=True, name=bng-agent:blue})"
    )
    d = DESCRIPTORS["vrf-table"]
    assert d.equivalent(t, Item("vrf/blue/ipv6", VrfTableValue(10, True, "")))  # the name is not compared
    assert d.claims(t, NOBODY)  # named bng-agent:...: the agent's, removed when unconfigured
    assert not d.claims(Item("vrf/x/ipv4", VrfTableValue(9, False, "ops-team")), NOBODY)


def test_routes_hold_their_whole_path_set_in_a_canonical_order() -> None:
    doc = {
        **vrfs(
            {
                "name": "blue",
                "table-id": 10,
                "static-routes": {
                    "ipv4-route": [
                        {
                            "prefix": "10.1.0.0/16",
                            "next-hop": [
                                {"id": "b", "address": "192.0.2.9", "weight": 3},
                                {
                                    "id": "a",
                                    "address": "192.0.2.1",
                                    "outgoing-interface": P0,
                                    "preference": 5,
                                },
                            ],
                        },
                        {"prefix": "10.9.0.0/16", "special-next-hop": "blackhole"},
                    ]
                },
            },
            {"name": "red", "table-id": 20},
        ),
        "bng-vrf:global-routing": {
            "static-routes": {
                "ipv4-route": [
                    {
                        "prefix": "0.0.0.0/0",
                        "next-hop": [{"id": "1", "address": "198.51.100.1", "next-hop-vrf": "red"}],
                    }
                ]
            }
        },
    }
    items = items_of(doc)
    r = items["route/vrf:blue/10.1.0.0/16"]
    assert r.value == RouteValue(
        10,
        False,
        "10.1.0.0/16",
        # the next-hop table is only kept for the recursive path: VPP reports 0 for a path with an
        # interface (fib_path.c fib_path_encode), so that is what the agent intends for it
        (Path("192.0.2.1", P0, 1, 5, 0, 0), Path("192.0.2.9", None, 3, 0, 0, 10)),
    )
    assert r.deps == (f"interface/{P0}", "vrf/blue/ipv4")
    assert value(items["route/vrf:blue/10.9.0.0/16"], RouteValue).paths == (Path(None, None, 1, 0, 2, 0),)
    g = items["route/global/0.0.0.0/0"]
    assert value(g, RouteValue).paths[0].nh_table == 20
    assert g.deps == ("vrf/red/ipv4",)
    d = DESCRIPTORS["route"]
    # a new path set replaces the old one in one call (is_multipath=0), so there is no gap
    upd = d.update(
        r, Item(r.key, RouteValue(10, False, "10.1.0.0/16", (Path("192.0.2.1", None, 1, 0, 0, 10),)))
    )
    assert upd is not None and upd.msg == "ip_route_add_del" and upd.args["is_multipath"] is False
    moved = Item(r.key, RouteValue(11, False, "10.1.0.0/16", value(r, RouteValue).paths))
    assert d.update(r, moved) is None  # another table: delete and re-create


def test_a_next_hop_vrf_makes_the_route_a_reader_of_that_vrf() -> None:
    cfg = ConfigIndex.from_json(
        {
            **vrfs({"name": "red", "table-id": 20}),
            "bng-vrf:global-routing": {
                "static-routes": {
                    "ipv4-route": [
                        {
                            "prefix": "0.0.0.0/0",
                            "next-hop": [{"id": "1", "address": "198.51.100.1", "next-hop-vrf": "red"}],
                        }
                    ]
                }
            },
        },
        ROOTS,
    )
    assert cfg.readers_of([RootId("vrf", "red")]) == {RootId("global")}


def test_vrf_table_keys_round_trip() -> None:
    assert vrf_keys.parse_table(vrf_keys.table("blue.1", True)) == ("blue.1", True)
    assert vrf_keys.parse_table(vrf_keys.table("a/b", False)) == ("a/b", False)


async def test_a_next_hop_vrfs_new_table_id_reaches_the_route() -> None:
    """The route reads its next-hop VRF's table id: changing the id re-flattens the route too, so when the
    VRF's tables are re-created (and the route with them: it depends on them) the route comes back with
    the new next-hop table, not the one it was created with."""
    sb = VppSouthbound()
    sb.load_config(
        {
            **vrfs({"name": "red", "table-id": 20}),
            "bng-vrf:global-routing": {
                "static-routes": {
                    "ipv4-route": [
                        {
                            "prefix": "0.0.0.0/0",
                            "next-hop": [{"id": "1", "address": "198.51.100.1", "next-hop-vrf": "red"}],
                        }
                    ]
                }
            },
        }
    )
    sb.applied, sb.by_root = sb.intended_items()
    plan = await sb.plan(None, [Change("modify", "/bng-vrf:vrfs/vrf[name='red']/table-id", 20, 21)])
    keys = [f"{s.op} {s.key}" for s in plan.steps]
    route = "route/global/0.0.0.0/0"
    assert keys.index(f"delete {route}") < keys.index("delete vrf/red/ipv4")
    assert keys.index("create vrf/red/ipv4") < keys.index(f"create {route}")
    create = next(s for s in plan.steps if s.op == "create" and s.key == route)
    # the path's next-hop table (fib_path table_id) is the VRF's new id
    assert "paths=[{sw_if_index=4294967295, table_id=21" in create.detail
