"""Planning without VPP: what a commit's change list turns into, in which order (a dry run's view)."""

from __future__ import annotations

from typing import Any

from agent.datastore.changes import Change
from agent.vpp.planner import plan_items
from agent.vpp.southbound import VppSouthbound

IF = "/ietf-interfaces:interfaces"
P0 = "GigabitEthernet0/8/0"


def sub(sub_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": f"{P0}.{sub_id}",
        "type": "iana-if-type:l2vlan",
        "bng-interfaces:sub-interface": {
            "parent-interface": P0,
            "sub-id": sub_id,
            "encapsulation": {"single-tagged": {"vlan-id": sub_id}},
        },
        **extra,
    }


def base() -> dict[str, Any]:
    return {
        "ietf-interfaces:interfaces": {
            "interface": [
                {"name": P0, "type": "iana-if-type:ethernetCsmacd", "bng-interfaces:mtu": 9000},
                sub(
                    10,
                    **{
                        "bng-vrf:vrf": "a",
                        "ietf-ip:ipv4": {"address": [{"ip": "10.0.0.1", "prefix-length": 24}]},
                    },
                ),
            ]
        },
        "bng-vrf:vrfs": {"vrf": [{"name": "a", "table-id": 1}, {"name": "b", "table-id": 2}]},
    }


async def plan_lines(changes: list[Change]) -> list[str]:
    sb = VppSouthbound()
    sb.load_config(base())
    # what a first reconcile would have applied
    sb.applied, sb.by_root = sb.intended_items()
    return (await sb.plan(None, changes)).describe()


async def test_a_leaf_change_touches_only_its_item() -> None:
    lines = await plan_lines([Change("modify", f"{IF}/interface[name='{P0}.10']/enabled", True, False)])
    assert lines == [f"delete admin-up/{P0}.10 sw_interface_set_flags(sw_if_index=<{P0}.10>, flags=0)"]


async def test_an_address_change_does_not_recreate_the_interface() -> None:
    path = f"{IF}/interface[name='{P0}.10']/ietf-ip:ipv4/address[ip='10.0.0.1']"
    lines = await plan_lines(
        [
            Change("delete", path, {"ip": "10.0.0.1", "prefix-length": 24}, None),
            Change(
                "create",
                f"{IF}/interface[name='{P0}.10']/ietf-ip:ipv4/address[ip='10.0.0.9']",
                None,
                {"ip": "10.0.0.9", "prefix-length": 24},
            ),
        ]
    )
    assert [line.split(" ")[:2] for line in lines] == [
        ["delete", f"address/{P0}.10/10.0.0.1/24"],
        ["create", f"address/{P0}.10/10.0.0.9/24"],
    ]


async def test_moving_to_another_vrf_removes_addresses_first_and_restores_them_after() -> None:
    lines = await plan_lines([Change("modify", f"{IF}/interface[name='{P0}.10']/bng-vrf:vrf", "a", "b")])
    keys = [" ".join(line.split(" ")[:2]) for line in lines]
    assert keys.index(f"delete address/{P0}.10/10.0.0.1/24") < keys.index(f"delete binding/{P0}.10/ipv4")
    assert keys.index(f"delete binding/{P0}.10/ipv4") < keys.index(f"create binding/{P0}.10/ipv4")
    assert keys.index(f"create binding/{P0}.10/ipv4") < keys.index(f"create address/{P0}.10/10.0.0.1/24")
    assert any("sw_interface_set_table" in line and "vrf_id=2" in line for line in lines)
    assert not any("create_subif" in line or "delete_subif" in line for line in lines)


async def test_deleting_an_interface_sends_one_call_for_it_and_its_children() -> None:
    entry = base()["ietf-interfaces:interfaces"]["interface"][1]
    lines = await plan_lines([Change("delete", f"{IF}/interface[name='{P0}.10']", entry, None)])
    calls = [line for line in lines if "(no call" not in line]
    assert calls == [f"delete interface/{P0}.10 delete_subif(sw_if_index=<{P0}.10>)"]
    assert len(lines) > 1  # address, binding, flags, tag: recorded so a revert can restore them


async def test_lowering_the_parent_mtu_and_adding_a_child_orders_parent_first() -> None:
    lines = await plan_lines(
        [
            Change("modify", f"{IF}/interface[name='{P0}']/bng-interfaces:mtu", 9000, 1500),
            Change(
                "create", f"{IF}/interface[name='{P0}.20']", None, sub(20, **{"bng-interfaces:mtu": 1400})
            ),
        ]
    )
    keys = [" ".join(line.split(" ")[:2]) for line in lines]
    assert keys.index(f"update mtu/{P0}") < keys.index(f"create interface/{P0}.20")
    assert keys.index(f"create interface/{P0}.20") < keys.index(f"create mtu/{P0}.20")


async def test_a_vrf_table_id_change_recreates_what_hangs_off_it() -> None:
    lines = await plan_lines([Change("modify", "/bng-vrf:vrfs/vrf[name='a']/table-id", 1, 7)])
    keys = [" ".join(line.split(" ")[:2]) for line in lines]
    assert "create vrf/a/ipv4" in keys and "delete vrf/a/ipv4" in keys
    assert keys.index(f"delete binding/{P0}.10/ipv4") < keys.index("delete vrf/a/ipv4")
    assert keys.index("create vrf/a/ipv4") < keys.index(f"create binding/{P0}.10/ipv4")
    assert any("vrf_id=7" in line for line in lines)


async def test_binding_an_addressed_interface_to_its_first_vrf_lifts_the_addresses() -> None:
    """Global table -> VRF: the binding is new, yet the address that stays must leave and come back."""
    path = f"{IF}/interface[name='{P0}.10']/bng-vrf:vrf"
    lines = await plan_lines([Change("delete", path, "a", None)])
    keys = [" ".join(line.split(" ")[:2]) for line in lines]
    # VRF -> global table
    assert keys.index(f"delete address/{P0}.10/10.0.0.1/24") < keys.index(f"delete binding/{P0}.10/ipv4")
    assert keys.index(f"delete binding/{P0}.10/ipv4") < keys.index(f"create address/{P0}.10/10.0.0.1/24")
    assert f"create binding/{P0}.10/ipv4" not in keys

    sb = VppSouthbound()
    cfg = base()
    del cfg["ietf-interfaces:interfaces"]["interface"][1]["bng-vrf:vrf"]
    sb.load_config(cfg)
    sb.applied, sb.by_root = sb.intended_items()
    lines = (await sb.plan(None, [Change("create", path, None, "b")])).describe()
    keys = [" ".join(line.split(" ")[:2]) for line in lines]
    assert keys.index(f"delete address/{P0}.10/10.0.0.1/24") < keys.index(f"create binding/{P0}.10/ipv4")
    assert keys.index(f"create binding/{P0}.10/ipv4") < keys.index(f"create address/{P0}.10/10.0.0.1/24")
    assert f"create binding/{P0}.10/ipv6" in keys  # the family without addresses is bound too


async def test_a_new_interface_in_a_vrf_needs_no_removals() -> None:
    entry = sub(
        30, **{"bng-vrf:vrf": "b", "ietf-ip:ipv4": {"address": [{"ip": "10.3.0.1", "prefix-length": 24}]}}
    )
    lines = await plan_lines([Change("create", f"{IF}/interface[name='{P0}.30']", None, entry)])
    assert lines and all(line.startswith("create ") for line in lines)


def test_a_cold_start_adds_addresses_family_by_family_and_table_by_table() -> None:
    """Addresses of one wave go out grouped by (family, table): on real VPP each add walks the IP-enabled
    interfaces of its table, which is several times faster while the previous add walked the same table
    (docs/southbound.md, "Call order within a wave"). Interfaces alternate between two VRFs here, so key
    order alone would alternate tables."""
    interfaces: list[dict[str, Any]] = [{"name": P0, "type": "iana-if-type:ethernetCsmacd"}]
    for i in range(1, 7):
        addresses = {
            "ietf-ip:ipv4": {"address": [{"ip": f"10.0.{i}.1", "prefix-length": 24}]},
            "ietf-ip:ipv6": {"address": [{"ip": f"2001:db8:{i}::1", "prefix-length": 64}]},
        }
        vrf = {"bng-vrf:vrf": "a" if i % 2 else "b"} if i < 6 else {}  # .6 stays in table 0
        interfaces.append(sub(i, **vrf, **addresses))
    config = {
        "ietf-interfaces:interfaces": {"interface": interfaces},
        "bng-vrf:vrfs": {"vrf": [{"name": "a", "table-id": 1}, {"name": "b", "table-id": 2}]},
    }
    sb = VppSouthbound()
    sb.load_config(config)
    items, _ = sb.intended_items()
    steps = plan_items({}, items)
    added = [s.key.rpartition(f"{P0}.")[2] for s in steps if s.kind == "address"]
    assert added == [
        "6/10.0.6.1/24",  # table 0: no binding to wait for, an earlier wave
        "6/2001:db8:6::1/64",
        "1/10.0.1.1/24",  # IPv4, table 1
        "3/10.0.3.1/24",
        "5/10.0.5.1/24",
        "2/10.0.2.1/24",  # IPv4, table 2
        "4/10.0.4.1/24",
        "1/2001:db8:1::1/64",  # IPv6, table 1
        "3/2001:db8:3::1/64",
        "5/2001:db8:5::1/64",
        "2/2001:db8:2::1/64",  # IPv6, table 2
        "4/2001:db8:4::1/64",
    ]
    # the order never crosses a dependency: every address comes after its interface's table binding
    position = {s.key: n for n, s in enumerate(steps)}
    for s in steps:
        for dep in s.item.deps:
            if dep in position:
                assert position[dep] < position[s.key], (dep, s.key)
