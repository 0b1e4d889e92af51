"""``sw_interface_ip6_enable_disable`` (``src/vnet/ip/ip_api.c``) and the RA messages of ``ip6_nd.api``
(``src/vnet/ip6-nd/ip6_nd_api.c`` over ``ip6_ra.c`` ``ip6_ra_config`` / ``ip6_ra_prefix``)."""

from __future__ import annotations

import ipaddress
from typing import Any

from vppsim import errno
from vppsim.features.ra import sender
from vppsim.features.ra.state import (
    DEF_DEF_RTR_LIFETIME,
    DEF_MAX_RADV_INTERVAL,
    DEF_MIN_RADV_INTERVAL,
    INFINITE,
    MAX_DEF_RTR_LIFETIME,
    MAX_INITIAL_RTR_ADVERT_INTERVAL,
    MAX_INITIAL_RTR_ADVERTISEMENTS,
    RaLink,
    RaPrefix,
    now,
)
from vppsim.handlers.registry import REGISTRY, Call, Reply

IP6_NOT_ENABLED = -62
INVALID_VALUE_2 = -8
ALL = 0xFFFFFFFF


def _rv(rv: int) -> Reply:
    return {"retval": rv}


@REGISTRY.handler("sw_interface_ip6_enable_disable")
def sw_interface_ip6_enable_disable(call: Call, msg: Any) -> Reply:
    # ip_api.c: ip6_link_enable / ip6_link_disable (the latter: IP6_NOT_ENABLED without a link)
    emu = call.emu
    intf = emu.interfaces.get(msg.sw_if_index)
    if intf is None:
        return _rv(errno.INVALID_SW_IF_INDEX)
    if msg.enable:
        emu.ip6_enable(intf)
        return _rv(errno.OK)
    return _rv(errno.OK if emu.ip6.disable(intf.sw_if_index) else IP6_NOT_ENABLED)


def _pick(given: int, is_no: bool, default: float, current: float) -> float:
    """ip6_ra_config's rule: a non-zero value is taken (or, with is_no, the default); 0 keeps it."""
    if given == 0:
        return current
    return default if is_no else given


def _flag(given: int, is_no: bool, when_set: bool, current: bool) -> bool:
    """ "if flag is set and is_no is true then restore default value else set value ..." (ip6_ra.c)."""
    if given == 0:
        return current
    return (not when_set) if is_no else when_set


def ra_config(ra: RaLink, msg: Any) -> int:
    """``ip6_ra_config``: validate, then apply (nothing changes on an error, except send_radv)."""
    is_no = msg.is_no == 1
    ra.send_radv = True  # "Start off believing that we're going to send radv's"
    max_i, min_i = int(msg.max_interval), int(msg.min_interval)
    if max_i != 0 and min_i == 0:
        min_i = int(0.75 * max_i)
    max_interval = _pick(max_i, is_no, DEF_MAX_RADV_INTERVAL, ra.max_interval)
    min_interval = _pick(min_i, is_no, DEF_MIN_RADV_INTERVAL, ra.min_interval)
    if msg.default_router == 1:
        lifetime = DEF_DEF_RTR_LIFETIME if is_no else int(msg.lifetime)
    else:
        lifetime = ra.router_lifetime
    if lifetime:
        lifetime = min(lifetime, MAX_DEF_RTR_LIFETIME)
        if lifetime <= max_interval:
            return errno.INVALID_VALUE
    if min_interval != 0 and (min_interval > 0.75 * max_interval or min_interval < 3):
        return errno.INVALID_VALUE
    count, interval = int(msg.initial_count), int(msg.initial_interval)
    if count > MAX_INITIAL_RTR_ADVERTISEMENTS or interval > MAX_INITIAL_RTR_ADVERT_INTERVAL:
        return errno.INVALID_VALUE
    if msg.suppress == 1:
        ra.send_radv = is_no
    ra.managed = _flag(msg.managed, is_no, True, ra.managed)
    ra.other = _flag(msg.other, is_no, True, ra.other)
    ra.ll_option = _flag(msg.ll_option, is_no, False, ra.ll_option)
    ra.send_unicast = _flag(msg.send_unicast, is_no, True, ra.send_unicast)
    ra.cease_radv = _flag(msg.cease, is_no, True, ra.cease_radv)
    ra.min_interval, ra.max_interval, ra.router_lifetime = float(min_interval), float(max_interval), lifetime
    ra.initial_count = int(_pick(count, is_no, MAX_INITIAL_RTR_ADVERTISEMENTS, ra.initial_count))
    ra.initial_interval = _pick(interval, is_no, MAX_INITIAL_RTR_ADVERT_INTERVAL, ra.initial_interval)
    if msg.cease == 1 and is_no:
        ra.send_radv = True
    ra.restart(now())
    return errno.OK


@REGISTRY.handler("sw_interface_ip6nd_ra_config")
def sw_interface_ip6nd_ra_config(call: Call, msg: Any) -> Reply:
    emu = call.emu
    if msg.sw_if_index not in emu.interfaces:
        return _rv(errno.INVALID_SW_IF_INDEX)  # VALIDATE_SW_IF_INDEX
    ra = emu.ip6.get_ra(msg.sw_if_index)
    if ra is None:
        return _rv(IP6_NOT_ENABLED)
    rv = ra_config(ra, msg)
    sender.schedule(emu)
    return _rv(rv)


def ra_prefix(ra: RaLink, msg: Any) -> int:
    """``ip6_ra_prefix``: add, change or (``is_no``) delete one prefix."""
    t = now()
    net = msg.prefix
    address, length = net.network_address, net.prefixlen
    if isinstance(net, ipaddress.IPv6Interface):
        address, length = net.ip, net.network.prefixlen
    i = ra.find(address)
    prefix = ra.pool[i] if i is not None else None
    if msg.is_no:
        if prefix is None or i is None:
            return errno.INVALID_VALUE
        if prefix.length != length:
            return INVALID_VALUE_2
        ra.remove(i)
        ra.restart(t)
        return errno.OK
    if prefix is None:
        prefix = RaPrefix(address, length)
        ra.add(prefix)
        if msg.use_default:
            _expire(prefix, t)
            ra.restart(t)
            return errno.OK
    elif prefix.length != length:
        return INVALID_VALUE_2
    valid, preferred = int(msg.val_lifetime), int(msg.pref_lifetime)
    if valid == INFINITE or preferred == INFINITE:
        prefix.valid = prefix.preferred = INFINITE
        prefix.decrement = False
    else:
        prefix.valid, prefix.preferred = valid, preferred
    prefix.enabled = not msg.no_advertise
    prefix.on_link = not (msg.off_link or msg.no_onlink)
    prefix.autonomous = not msg.no_autoconfig
    _expire(prefix, t)
    ra.restart(t)
    return errno.OK


def _expire(prefix: RaPrefix, t: float) -> None:
    prefix.valid_expires = t + prefix.valid
    prefix.pref_expires = t + prefix.preferred


@REGISTRY.handler("sw_interface_ip6nd_ra_prefix")
def sw_interface_ip6nd_ra_prefix(call: Call, msg: Any) -> Reply:
    emu = call.emu
    if msg.sw_if_index not in emu.interfaces:
        return _rv(errno.INVALID_SW_IF_INDEX)
    ra = emu.ip6.get_ra(msg.sw_if_index)
    if ra is None:
        return _rv(IP6_NOT_ENABLED)
    return _rv(ra_prefix(ra, msg))


def _details(ra: RaLink) -> dict[str, Any]:
    """``send_sw_interface_ip6nd_ra_details`` / ``ip6_radv_prefix_encode``."""
    t = now()
    prefixes = []
    for p in ra.prefixes():
        prefixes.append(
            {
                "prefix": ipaddress.IPv6Network((p.address, p.length), strict=False)
                if int(p.address) & ((1 << (128 - p.length)) - 1) == 0
                else ipaddress.IPv6Interface((p.address, p.length)),
                "onlink_flag": p.on_link,
                "autonomous_flag": p.autonomous,
                "val_lifetime": p.valid,
                "pref_lifetime": p.preferred,
                "valid_lifetime_expires": p.valid_expires - t if p.valid != INFINITE else 0.0,
                "pref_lifetime_expires": p.pref_expires - t if p.preferred != INFINITE else 0.0,
                "decrement_lifetime_flag": p.decrement,
                "no_advertise": not p.enabled,
            }
        )
    sent_mc = ra.next_multicast_time - ra.last_multicast_time > 0.0
    return {
        "sw_if_index": ra.sw_if_index,
        "cur_hop_limit": ra.hop_limit,
        "adv_managed_flag": ra.managed,
        "adv_other_flag": ra.other,
        "adv_router_lifetime": ra.router_lifetime,
        "adv_neighbor_reachable_time": 0,
        "adv_retransmit_interval": 0,
        "adv_link_mtu": ra.link_mtu,
        "send_radv": ra.send_radv,
        "cease_radv": ra.cease_radv,
        "send_unicast": ra.send_unicast,
        "adv_link_layer_address": ra.ll_option,
        "max_radv_interval": ra.max_interval,
        "min_radv_interval": ra.min_interval,
        "last_radv_time": t - ra.last_radv_time if ra.last_radv_time > 0.0 else 0.0,
        "last_multicast_time": t - ra.last_multicast_time if sent_mc else 0.0,
        "next_multicast_time": ra.next_multicast_time - t if sent_mc else 0.0,
        "initial_adverts_count": ra.initial_count,
        "initial_adverts_interval": ra.initial_interval,
        "initial_adverts_sent": ra.initial_sent == 0,
        "n_advertisements_sent": ra.n_advertisements_sent,
        "n_solicitations_rcvd": ra.n_solicitations_rcvd,
        "n_solicitations_dropped": ra.n_solicitations_dropped,
        "n_prefixes": len(prefixes),
        "prefixes": prefixes,
    }


@REGISTRY.handler("sw_interface_ip6nd_ra_dump")
def sw_interface_ip6nd_ra_dump(call: Call, msg: Any) -> Reply:
    # ip6_nd_api.c: ~0 walks every RA record (ip6_ra_itf_walk: RA pool order); one index gives that
    # interface's record or nothing (no error for a bad index: the dump just has no details)
    if msg.sw_if_index == ALL:
        return [_details(ra) for ra in call.emu.ip6.ra_records()]
    ra = call.emu.ip6.get_ra(msg.sw_if_index)
    return [_details(ra)] if ra is not None else []
