"""Planning without VPP: what a commit's change list turns into, in which order (a dry run's view)."""

from __future__ import annotations

from typing import Any

from agent.datastore.changes import Change
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
