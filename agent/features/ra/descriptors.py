"""Descriptors of the router-advertisement feature: IPv6 on the access interface, the RA settings,
the M/O flags and the advertised prefixes.

VPP's semantics (``src/vnet/ip6-nd/ip6_ra.c``, ``ip6_ra_config`` and ``ip6_ra_prefix``) shape them:

- every ``sw_interface_ip6nd_ra_config`` call turns sending on, unless it carries ``suppress`` without
  ``is_no``; that call is how an RA item is deleted (VPP keeps the rest of the settings);
- a flag field set to 1 sets the flag, or with ``is_no`` clears it; 0 leaves it as it is. So the M and
  O flags are items of their own: set on create, cleared on delete;
- intervals and the router lifetime are taken when non-zero (``default_router`` says the lifetime is
  given, so 0 can be sent), so an update is one call;
- a prefix is keyed by its address as given: the agent always sends the network address.
"""

from __future__ import annotations

from typing import Any

from agent.features.ra.values import Ip6LinkValue, RaFlagValue, RaPrefixValue, RaValue
from agent.vpp.descriptor import Descriptor
from agent.vpp.items import IfRef, Item, VppCall

_RA_OFF = {
    "suppress": 0,
    "managed": 0,
    "other": 0,
    "ll_option": 0,
    "send_unicast": 0,
    "cease": 0,
    "is_no": False,
    "default_router": 0,
    "max_interval": 0,
    "min_interval": 0,
    "lifetime": 0,
    "initial_count": 0,
    "initial_interval": 0,
}


def ra_config(interface: str, **fields: Any) -> VppCall:
    """``sw_interface_ip6nd_ra_config`` with every field VPP reads as "leave it" unless given."""
    return VppCall("sw_interface_ip6nd_ra_config", {"sw_if_index": IfRef(interface), **_RA_OFF, **fields})


class Ip6LinkDescriptor(Descriptor[Ip6LinkValue]):
    kind = Ip6LinkValue.kind
    implied_by_owner_delete = True
    # VPP enables IPv6 on its own when an IPv6 address is added: never disable a link nobody configured
    retrieve_unconfigured = False

    def _call(self, item: Item[Ip6LinkValue], enable: bool) -> VppCall:
        return VppCall(
            "sw_interface_ip6_enable_disable", {"sw_if_index": IfRef(item.value.interface), "enable": enable}
        )

    def create(self, item: Item[Ip6LinkValue]) -> VppCall:
        return self._call(item, True)

    def delete(self, item: Item[Ip6LinkValue]) -> VppCall:
        return self._call(item, False)


class RaDescriptor(Descriptor[RaValue]):
    kind = RaValue.kind
    implied_by_owner_delete = True

    def _config(self, item: Item[RaValue]) -> VppCall:
        v = item.value
        return ra_config(
            v.interface,
            default_router=1,
            lifetime=v.router_lifetime,
            max_interval=v.max_interval,
            min_interval=v.min_interval,
        )

    def create(self, item: Item[RaValue]) -> VppCall:
        return self._config(item)

    def update(self, old: Item[RaValue], new: Item[RaValue]) -> VppCall:
        return self._config(new)

    def delete(self, item: Item[RaValue]) -> VppCall:
        return ra_config(item.value.interface, suppress=1)


class RaFlagDescriptor(Descriptor[RaFlagValue]):
    kind = RaFlagValue.kind
    implied_by_owner_delete = True

    def create(self, item: Item[RaFlagValue]) -> VppCall:
        return ra_config(item.value.interface, **{item.value.flag: 1})

    def delete(self, item: Item[RaFlagValue]) -> VppCall:
        return ra_config(item.value.interface, **{item.value.flag: 1, "is_no": True})


class RaPrefixDescriptor(Descriptor[RaPrefixValue]):
    kind = RaPrefixValue.kind
    implied_by_owner_delete = True

    def _call(self, v: RaPrefixValue, is_no: bool) -> VppCall:
        return VppCall(
            "sw_interface_ip6nd_ra_prefix",
            {
                "sw_if_index": IfRef(v.interface),
                "prefix": v.prefix,
                "use_default": False,
                "no_advertise": False,
                "off_link": not v.on_link,
                "no_autoconfig": not v.autonomous,
                "no_onlink": not v.on_link,
                "is_no": is_no,
                "val_lifetime": v.valid_lifetime,
                "pref_lifetime": v.preferred_lifetime,
            },
        )

    def create(self, item: Item[RaPrefixValue]) -> VppCall:
        return self._call(item.value, False)

    def update(self, old: Item[RaPrefixValue], new: Item[RaPrefixValue]) -> VppCall:
        return self._call(new.value, False)

    def delete(self, item: Item[RaPrefixValue]) -> VppCall:
        return self._call(item.value, True)


DESCRIPTORS: tuple[Descriptor[Any], ...] = (
    Ip6LinkDescriptor(),
    RaDescriptor(),
    RaFlagDescriptor(),
    RaPrefixDescriptor(),
)
