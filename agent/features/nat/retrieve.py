"""Read VPP's NAT44 state back for reconcile (nat44-ed and det44 dumps).

* ``nat44_show_running_config``: the plugin is enabled when it reports a session count (VPP zeroes its
  running config on disable, ``nat44_ed.c`` nat44_plugin_disable), and the timeouts; VPP has no dump of
  the per-VRF session limits, and disabling the plugin drops them, so the limits the agent set are taken
  as present while the plugin runs with the session count the agent enabled it with;
* ``nat44_address_dump``: single addresses with their VRF; the configured pools are found in them (a pool
  is present when all its addresses are, in its VRF; of a pool partly gone, the rest is retrieved as
  fragments that reconcile removes before adding the pool again), what is left is reported as unmanaged;
* ``nat44_interface_dump``: the inside/outside features by interface;
* ``nat44_static_mapping_dump``: the agent's mappings by their ``bng-agent:`` tag, others reported;
* ``det44_map_dump``, ``det44_interface_dump``: det44 maps and interfaces; VPP has no query of the det44
  plugin itself, so it counts as enabled as programmed when VPP holds det44 state.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from agent.features.base import FlattenContext, RetrieveContext
from agent.features.nat import keys
from agent.features.nat.descriptors import NAT_IS_ADDR_ONLY, NAT_IS_INSIDE, NAT_IS_OUTSIDE
from agent.features.nat.errors import NatConfigError
from agent.features.nat.items import nat_items
from agent.features.nat.values import (
    Det44InterfaceValue,
    Det44MapValue,
    Nat44InterfaceValue,
    Nat44PluginValue,
    Nat44PoolValue,
    Nat44SessionLimitValue,
    Nat44StaticValue,
    Nat44TimeoutsValue,
)
from agent.vpp.items import TAG_PREFIX, Item, Value

ANY_VRF = 0xFFFFFFFF


def _intended(ctx: RetrieveContext) -> dict[str, Item[Value]]:
    entry = ctx.config.get(keys.ROOT)
    if entry is None:
        return {}
    try:
        return {it.key: it for it in nat_items(entry, FlattenContext(ctx.config, {}))}
    except NatConfigError:
        return {}


async def retrieve(ctx: RetrieveContext) -> None:
    intended = _intended(ctx)
    found: list[Item[Value]] = []
    rc = await ctx.conn.send("nat44_show_running_config")
    if int(rc.retval) == 0 and int(rc.sessions):
        found.append(Item(keys.NAT44_PLUGIN, Nat44PluginValue(int(rc.sessions))))
        t = rc.timeouts
        tv = Nat44TimeoutsValue(int(t.udp), int(t.tcp_established), int(t.tcp_transitory), int(t.icmp))
        found.append(Item(keys.NAT44_TIMEOUTS, tv))
        plugin = ctx.applied.get(keys.NAT44_PLUGIN)
        if plugin is not None and plugin.value == Nat44PluginValue(int(rc.sessions)):
            found += [
                Item(k, it.value)
                for k, it in ctx.applied.items()
                if isinstance(it.value, Nat44SessionLimitValue)
            ]
    found += _pools(ctx, intended, await ctx.conn.dump("nat44_address_dump"))
    for d in await ctx.conn.dump("nat44_interface_dump"):
        name = ctx.agent_name.get(int(d.sw_if_index))
        flags = int(d.flags)
        for inside, bit in ((True, NAT_IS_INSIDE), (False, NAT_IS_OUTSIDE)):
            if flags & bit:
                if name is None:
                    ctx.out.unmanaged.append({"kind": "nat44-interface", "sw_if_index": int(d.sw_if_index)})
                else:
                    found.append(Item(keys.nat44_interface(name, inside), Nat44InterfaceValue(name, inside)))
    for d in await ctx.conn.dump("nat44_static_mapping_dump"):
        found.append(_static(ctx, d)) if str(d.tag).startswith(TAG_PREFIX) else ctx.out.unmanaged.append(
            {"kind": "nat44-static-mapping", "local": str(d.local_ip_address), "tag": str(d.tag)}
        )
    maps = await ctx.conn.dump("det44_map_dump")
    dets = await ctx.conn.dump("det44_interface_dump")
    if (maps or dets) and keys.DET44_PLUGIN in ctx.applied:
        found.append(ctx.applied[keys.DET44_PLUGIN])
    for m in maps:
        in_prefix = f"{m.in_addr}/{int(m.in_plen)}"
        found.append(
            Item(keys.det44_map(in_prefix), Det44MapValue(in_prefix, f"{m.out_addr}/{int(m.out_plen)}"))
        )
    for d in dets:
        name = ctx.agent_name.get(int(d.sw_if_index))
        for inside, on in ((True, bool(d.is_inside)), (False, bool(d.is_outside))):
            if on and name is not None:
                found.append(Item(keys.det44_interface(name, inside), Det44InterfaceValue(name, inside)))
    for it in found:
        want = intended.get(it.key)
        if want is not None:
            it.deps = want.deps  # deletes are ordered like the configured items
        ctx.out.items[it.key] = it


def _static(ctx: RetrieveContext, d: Any) -> Item[Value]:
    addr_only = bool(int(d.flags) & NAT_IS_ADDR_ONLY)
    tag = str(d.tag)
    iid, _, index = tag[len(TAG_PREFIX) :].partition("/")
    value = Nat44StaticValue(
        str(d.local_ip_address),
        str(d.external_ip_address),
        0 if addr_only else int(d.protocol),
        0 if addr_only else int(d.local_port),
        0 if addr_only else int(d.external_port),
        int(d.vrf_id),
        addr_only,
        tag,
    )
    key = keys.static(int(iid), int(index)) if iid.isdigit() and index.isdigit() else "nat44-static/" + tag
    return Item(key, value)


def _pools(ctx: RetrieveContext, intended: dict[str, Item[Value]], details: list[Any]) -> list[Item[Value]]:
    have = {int(ipaddress.IPv4Address(str(d.ip_address))): int(d.vrf_id) for d in details}
    out: list[Item[Value]] = []
    for key, it in intended.items():
        v = it.value
        if not isinstance(v, Nat44PoolValue):
            continue
        span = range(int(ipaddress.IPv4Address(v.first)), int(ipaddress.IPv4Address(v.last)) + 1)
        present = [a for a in span if have.get(a) == v.vrf_id]
        if len(present) == len(span):
            out.append(Item(key, v))
        else:
            # part of the pool is gone: VPP's range add stops at the first address it already has, so
            # what is left is removed (one item per run of addresses) and the whole pool added again
            for first, last in _runs(present):
                fragment = Nat44PoolValue(
                    str(ipaddress.IPv4Address(first)), str(ipaddress.IPv4Address(last)), v.vrf_id
                )
                out.append(Item(keys.pool_fragment(key, fragment.first, fragment.last), fragment))
        for a in present:
            del have[a]
    for a, vrf in sorted(have.items()):
        ctx.out.unmanaged.append(
            {"kind": "nat44-address", "address": str(ipaddress.IPv4Address(a)), "vrf_id": vrf}
        )
    return out


def _runs(addresses: list[int]) -> list[tuple[int, int]]:
    """Sorted addresses -> (first, last) of each run of consecutive ones."""
    runs: list[tuple[int, int]] = []
    for a in addresses:
        if runs and runs[-1][1] == a - 1:
            runs[-1] = (runs[-1][0], a)
        else:
            runs.append((a, a))
    return runs
