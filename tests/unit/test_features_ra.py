"""The router-advertisement feature's mapping, without VPP: which access interfaces get RAs, the items
and the calls (agent/features/ra)."""

from __future__ import annotations

from typing import Any

from _feature_helpers import P0, calls, interfaces, items_of, port, sub, value

from agent.features import registry
from agent.features.ra import keys
from agent.features.ra.values import INFINITE, RaPrefixValue, RaValue
from agent.vpp.config import ConfigIndex, RootId

ACCESS = f"{P0}.8"


def config(
    policy: dict[str, Any] | None = None,
    *,
    ipoe: bool = True,
    addresses: tuple[str, ...] = ("2001:db8:8::1/64",),
) -> dict[str, Any]:
    v6 = [{"ip": a.split("/")[0], "prefix-length": int(a.split("/")[1])} for a in addresses]
    access: dict[str, Any] = {"interface": ACCESS, "session-template": "t"}
    access["ipoe" if ipoe else "pppoe"] = {}
    return {
        **interfaces(port(P0), sub(8, **{"ietf-ip:ipv6": {"address": v6}})),
        "bng-subscribers:subscribers": {
            "access-interfaces": {"access-interface": [access]},
            "session-templates": {"template": [{"name": "t", "ra-policy": "p"}]},
            "ra-policies": {"ra-policy": [{"name": "p", **(policy or {})}]},
        },
    }


def ra_items(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: it for k, it in items_of(doc).items() if it.kind.startswith(("ip6-ra", "ip6-link"))}


def test_a_slaac_policy_gives_ipv6_ra_settings_and_the_interface_prefix_with_the_a_flag() -> None:
    items = ra_items(config())
    assert set(items) == {
        keys.ip6_link(ACCESS),
        keys.ra(ACCESS),
        keys.ra_prefix(ACCESS, "2001:db8:8::/64"),
    }
    assert value(items[keys.ra(ACCESS)], RaValue) == RaValue(ACCESS, 600, 198, 1800)
    prefix = value(items[keys.ra_prefix(ACCESS, "2001:db8:8::/64")], RaPrefixValue)
    assert (prefix.valid_lifetime, prefix.preferred_lifetime, prefix.on_link, prefix.autonomous) == (
        2592000,
        604800,
        True,
        True,
    )
    # IPv6 first, then RAs on it: VPP refuses RA settings without an IPv6 link (IP6_NOT_ENABLED)
    assert items[keys.ra(ACCESS)].deps == (keys.ip6_link(ACCESS),)
    assert items[keys.ip6_link(ACCESS)].deps == (f"interface/{ACCESS}",)
    assert calls(items[keys.ip6_link(ACCESS)]) == (
        f"sw_interface_ip6_enable_disable(sw_if_index=<{ACCESS}>, enable=True)",
        f"sw_interface_ip6_enable_disable(sw_if_index=<{ACCESS}>, enable=False)",
    )


def test_the_ra_call_sends_intervals_and_lifetime_and_delete_suppresses() -> None:
    items = ra_items(config({"max-interval": 30, "min-interval": 10, "router-lifetime": 0}))
    create, delete = calls(items[keys.ra(ACCESS)])
    assert create is not None and delete is not None
    assert "default_router=1" in create and "lifetime=0" in create
    assert "max_interval=30" in create and "min_interval=10" in create and "suppress=0" in create
    assert "suppress=1" in delete and "is_no=False" in delete


def test_stateful_dhcpv6_sets_m_and_o_as_items_and_clears_the_a_flag() -> None:
    items = ra_items(config({"address-mode": "dhcpv6-stateful"}))
    managed, other = keys.ra_flag(ACCESS, keys.MANAGED), keys.ra_flag(ACCESS, keys.OTHER)
    assert managed in items and other in items
    create, delete = calls(items[managed])
    assert create is not None and "managed=1" in create and "is_no=False" in create
    assert delete is not None and "managed=1" in delete and "is_no=True" in delete  # VPP clears with is_no
    assert items[managed].deps == (keys.ra(ACCESS),)
    assert not value(items[keys.ra_prefix(ACCESS, "2001:db8:8::/64")], RaPrefixValue).autonomous
    create, _ = calls(items[keys.ra_prefix(ACCESS, "2001:db8:8::/64")])
    assert create is not None and "no_autoconfig=True" in create


def test_stateless_dhcpv6_sets_only_o() -> None:
    items = ra_items(config({"address-mode": "slaac-dhcpv6-stateless"}))
    assert keys.ra_flag(ACCESS, keys.OTHER) in items and keys.ra_flag(ACCESS, keys.MANAGED) not in items


def test_policy_prefixes_add_to_or_override_the_interface_prefix_and_infinity_is_both() -> None:
    policy = {
        "prefix": [
            {
                "prefix": "2001:db8:8::/64",
                "valid-lifetime": 7200,
                "preferred-lifetime": 3600,
                "on-link": False,
            },
            {"prefix": "2001:db8:99::5/64", "valid-lifetime": INFINITE},
        ]
    }
    items = ra_items(config(policy, addresses=("2001:db8:8::1/64", "fe80::1/64")))
    own = value(items[keys.ra_prefix(ACCESS, "2001:db8:8::/64")], RaPrefixValue)
    assert (own.valid_lifetime, own.preferred_lifetime, own.on_link, own.autonomous) == (
        7200,
        3600,
        False,
        True,
    )
    extra = value(items[keys.ra_prefix(ACCESS, "2001:db8:99::/64")], RaPrefixValue)
    # ip6_ra_prefix: either lifetime infinite makes both infinite, so the item says so too
    assert (extra.valid_lifetime, extra.preferred_lifetime) == (INFINITE, INFINITE)
    assert not any("fe80" in k for k in items)  # a link-local address is not advertised
    create, delete = calls(items[keys.ra_prefix(ACCESS, "2001:db8:8::/64")])
    assert create is not None and "off_link=True" in create and "no_onlink=True" in create
    assert delete is not None and "is_no=True" in delete


def test_interface_prefixes_can_be_left_out() -> None:
    items = ra_items(config({"advertise-interface-prefixes": False}))
    assert not any(k.startswith("ra-prefix/") for k in items)
    assert keys.ra(ACCESS) in items


def test_no_ra_for_pppoe_only_interfaces_or_templates_without_a_policy() -> None:
    assert ra_items(config(ipoe=False)) == {}
    doc = config()
    doc["bng-subscribers:subscribers"]["session-templates"]["template"][0].pop("ra-policy")
    assert ra_items(doc) == {}


def test_an_access_interface_address_change_reflattens_the_subscribers_root() -> None:
    cfg = ConfigIndex.from_json(config(), registry.ROOTS)
    readers = cfg.readers_of([RootId("if", ACCESS)])
    assert keys.ROOT_ID in readers


def test_ra_updates_in_place_and_prefix_updates_in_place() -> None:
    before = ra_items(config({"max-interval": 600}))
    after = ra_items(config({"max-interval": 900, "valid-lifetime": 86400}))
    ra = registry.DESCRIPTORS["ip6-ra"]
    up = ra.update(before[keys.ra(ACCESS)], after[keys.ra(ACCESS)])
    assert up is not None and "max_interval=900" in up.render()
    pk = keys.ra_prefix(ACCESS, "2001:db8:8::/64")
    up = registry.DESCRIPTORS["ip6-ra-prefix"].update(before[pk], after[pk])
    assert up is not None and "val_lifetime=86400" in up.render()
