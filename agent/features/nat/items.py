"""``ietf-nat:nat`` -> items for VPP's nat44-ed and det44 plugins.

The whole ``ietf-nat:nat`` container is one root: VPP's NAT address table is global (an address may be
in one pool only, whatever its VRF), and the timeouts and the det44 VRF pair are global, so a change to
one instance is checked against all the others here, while the commit is planned and before any VPP
call (:class:`~agent.features.nat.errors.NatConfigError`). What YANG can check (a VRF that exists, the
det44 prefix lengths, /32 static mappings) is checked earlier, at validate time, by bng-nat's and
bng-deviations' ``must`` statements.

An instance (``ietf-nat`` ``instance``) belongs to one VRF (``bng-nat:vrf``, else table 0):

* dynamic: every ``external-ip-address-pool`` becomes one nat44-ed address range with the VRF's table id
  (nat44-ed picks a translation address from the ranges of the VRF a packet arrived in, so the same
  inside address in two VRFs is translated independently), its inside/outside interfaces get the
  nat44-ed features, its static ``mapping-entry``s become static mappings in the VRF, its
  ``session-limit`` the VRF's limit;
* deterministic: every policy maps its ``subscriber-match`` subnet onto its one pool with det44.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from agent.features.base import FlattenContext
from agent.features.interfaces import keys as if_keys
from agent.features.jsonietf import member
from agent.features.nat import keys
from agent.features.nat.errors import NatConfigError
from agent.features.nat.values import (
    DEFAULT_SESSIONS,
    DEFAULT_TIMEOUTS,
    Det44InterfaceValue,
    Det44MapValue,
    Det44PluginValue,
    Nat44InterfaceValue,
    Nat44PluginValue,
    Nat44PoolValue,
    Nat44SessionLimitValue,
    Nat44StaticValue,
    Nat44TimeoutsValue,
)
from agent.features.vrfs import keys as vrf_keys
from agent.features.vrfs.items import table_id
from agent.vpp.config import Entry, RootId
from agent.vpp.items import TAG_PREFIX, Item, Value

_BASE = "/ietf-nat:nat/instances/instance"


def _ipath(inst: int, tail: str = "") -> str:
    return f"{_BASE}[id='{inst}']{tail}"


def instances(nat: Entry | None) -> list[Entry]:
    return list(member(member(nat, "instances"), "instance", []) or [])


def is_enabled(inst: Entry) -> bool:
    return bool(member(inst, "enable", True))


def mode(inst: Entry) -> str:
    return str(member(inst, "mode", "dynamic"))


def references(entry: Entry) -> Iterable[RootId]:
    """VRFs (their table ids) and interfaces (their VRF bindings order the NAT features)."""
    for inst in instances(entry):
        vrf = member(inst, "vrf")
        if vrf:
            yield vrf_keys.root(str(vrf))
        for name in _interfaces(inst, True) | _interfaces(inst, False):
            yield if_keys.root(name)


def _interfaces(inst: Entry, inside: bool) -> set[str]:
    if inside:
        return {str(n) for n in member(inst, "inside-interface", []) or []}
    out = {str(n) for n in member(inst, "outside-interface", []) or []}
    for pol in member(inst, "policy", []) or []:
        ext = member(member(pol, "external-realm"), "external-interface")
        if ext:
            out.add(str(ext))
    return out


@dataclass
class _Flat:
    """Items being built, with what must be unique across instances."""

    ctx: FlattenContext
    items: dict[str, Item[Value]] = field(default_factory=dict)
    outside_nets: list[tuple[ipaddress.IPv4Network, str]] = field(default_factory=list)
    inside_nets: list[tuple[ipaddress.IPv4Network, str]] = field(default_factory=list)
    timeouts: tuple[tuple[int, int, int, int], str] | None = None
    limits: dict[int, tuple[int, str]] = field(default_factory=dict)
    det_vrf: tuple[int, str] | None = None
    sides: dict[str, str] = field(default_factory=dict)  # interface -> "nat44" / "det44"

    def add(self, item: Item[Value]) -> None:
        self.items.setdefault(item.key, item)

    def vrf_table(self, inst: Entry) -> tuple[int, tuple[str, ...]]:
        vrf = member(inst, "vrf")
        if not vrf:
            return 0, ()
        entry = self.ctx.get(vrf_keys.root(str(vrf)))
        if entry is None:  # validation makes this impossible (leafref); keep planning total anyway
            raise NatConfigError(f"VRF {vrf!r} does not exist", path=_ipath(int(inst["id"]), "/bng-nat:vrf"))
        return table_id(entry), (vrf_keys.table(str(vrf), False),)

    def claim_net(
        self, nets: list[tuple[ipaddress.IPv4Network, str]], net: ipaddress.IPv4Network, path: str, what: str
    ) -> None:
        for other, opath in nets:
            if other.overlaps(net):
                raise NatConfigError(f"{what} {net} overlaps {other} ({opath})", path=path)
        nets.append((net, path))

    def interface_deps(self, name: str) -> tuple[str, ...]:
        entry = self.ctx.get(if_keys.root(name))
        deps = [if_keys.interface(name)]
        if entry is not None and member(entry, "vrf"):
            deps.append(if_keys.binding(name, False))  # VPP sizes the per-VRF session pool from the binding
        return tuple(deps)

    def claim_side(self, name: str, plugin: str, path: str) -> None:
        other = self.sides.setdefault(name, plugin)
        if other != plugin:
            raise NatConfigError(
                f"interface {name} is used by both a dynamic and a deterministic instance", path=path
            )


def nat_items(entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
    """Every NAT item of the configuration (raises :class:`NatConfigError` for what VPP cannot hold)."""
    flat = _Flat(ctx)
    active = [i for i in instances(entry) if is_enabled(i)]
    dynamic = [i for i in active if mode(i) == "dynamic"]
    det = [i for i in active if mode(i) == "deterministic"]
    if dynamic:
        sessions = int(member(member(entry, "nat44-ed"), "sessions-per-thread", DEFAULT_SESSIONS))
        flat.add(Item(keys.NAT44_PLUGIN, Nat44PluginValue(sessions)))
        for inst in dynamic:
            _dynamic(flat, inst, sessions)
        t, _ = flat.timeouts or (DEFAULT_TIMEOUTS, "")
        flat.add(Item(keys.NAT44_TIMEOUTS, Nat44TimeoutsValue(*t), (keys.NAT44_PLUGIN,)))
    if det:
        for inst in det:
            _deterministic(flat, inst)
    return list(flat.items.values())


def _dynamic(flat: _Flat, inst: Entry, sessions: int) -> None:
    iid = int(inst["id"])
    vrf_id, vrf_deps = flat.vrf_table(inst)
    base = (keys.NAT44_PLUGIN, *vrf_deps)
    for pol in member(inst, "policy", []) or []:
        pid = int(pol["id"])
        ppath = _ipath(iid, f"/policy[id='{pid}']")
        _timers(flat, member(pol, "timers"), ppath + "/timers")
        for pool in member(pol, "external-ip-address-pool", []) or []:
            net = ipaddress.IPv4Network(str(member(pool, "external-ip-pool")), strict=False)
            path = f"{ppath}/external-ip-address-pool[pool-id='{pool['pool-id']}']/external-ip-pool"
            flat.claim_net(flat.outside_nets, net, path, "external-ip-pool")
            first, last = net.network_address, net.broadcast_address
            flat.add(Item(keys.pool(iid, str(net)), Nat44PoolValue(str(first), str(last), vrf_id), base))
    for inside in (True, False):
        for name in sorted(_interfaces(inst, inside)):
            flat.claim_side(name, "nat44", _ipath(iid))
            deps = (keys.NAT44_PLUGIN, *flat.interface_deps(name))
            value = Nat44InterfaceValue(name, inside)
            flat.add(Item(keys.nat44_interface(name, inside), value, deps, owner=name))
    limit = member(inst, "session-limit")
    if limit is not None:
        have = flat.limits.setdefault(vrf_id, (int(limit), _ipath(iid, "/bng-nat:session-limit")))
        if have[0] != int(limit):
            raise NatConfigError(
                f"two session limits for table {vrf_id}: {have[0]} ({have[1]}) and {limit}",
                path=_ipath(iid, "/bng-nat:session-limit"),
            )
        flat.add(Item(keys.session_limit(vrf_id), Nat44SessionLimitValue(vrf_id, int(limit), sessions), base))
    for m in member(member(inst, "mapping-table"), "mapping-entry", []) or []:
        flat.add(_static(iid, vrf_id, m, base))


def _timers(flat: _Flat, timers: dict[str, Any] | None, path: str) -> None:
    if not timers:
        return
    udp, tcp, trans, icmp = DEFAULT_TIMEOUTS
    t = (
        int(member(timers, "udp-timeout", udp)),
        int(member(timers, "tcp-idle-timeout", tcp)),
        int(member(timers, "tcp-trans-open-timeout", trans)),
        int(member(timers, "icmp-timeout", icmp)),
    )
    if flat.timeouts is None:
        flat.timeouts = (t, path)
    elif flat.timeouts[0] != t:
        raise NatConfigError(
            f"VPP's NAT timeouts are global: these timers differ from those at {flat.timeouts[1]}", path=path
        )


def _static(iid: int, vrf_id: int, m: dict[str, Any], deps: tuple[str, ...]) -> Item[Value]:
    index = int(m["index"])
    local = str(member(m, "internal-src-address")).partition("/")[0]
    external = str(member(m, "external-src-address")).partition("/")[0]
    proto = member(m, "transport-protocol")
    lport = member(member(m, "internal-src-port"), "start-port-number")
    eport = member(member(m, "external-src-port"), "start-port-number")
    addr_only = proto is None and lport is None and eport is None
    if not addr_only and (proto is None or lport is None or eport is None):
        raise NatConfigError(
            "a port mapping needs transport-protocol, internal-src-port and external-src-port "
            "(an address mapping none of them)",
            path=_ipath(iid, f"/mapping-table/mapping-entry[index='{index}']"),
        )
    value = Nat44StaticValue(
        local,
        external,
        0 if addr_only else int(proto),
        0 if addr_only else int(lport),
        0 if addr_only else int(eport),
        vrf_id,
        addr_only,
        f"{TAG_PREFIX}{iid}/{index}",
    )
    return Item(keys.static(iid, index), value, deps)


def _deterministic(flat: _Flat, inst: Entry) -> None:
    iid = int(inst["id"])
    vrf_id, vrf_deps = flat.vrf_table(inst)
    if flat.det_vrf is None:
        flat.det_vrf = (vrf_id, _ipath(iid))
    elif flat.det_vrf[0] != vrf_id:
        raise NatConfigError(
            f"VPP's det44 plugin has one inside VRF: this instance's table {vrf_id} differs from "
            f"table {flat.det_vrf[0]} of {flat.det_vrf[1]}",
            path=_ipath(iid, "/bng-nat:vrf"),
        )
    flat.add(Item(keys.DET44_PLUGIN, Det44PluginValue(vrf_id, 0), vrf_deps))
    for pol in member(inst, "policy", []) or []:
        pid = int(pol["id"])
        ppath = _ipath(iid, f"/policy[id='{pid}']")
        (match,) = member(pol, "subscriber-match")
        (pool,) = member(pol, "external-ip-address-pool")
        inside = ipaddress.IPv4Network(str(member(match, "subnet")), strict=False)
        outside = ipaddress.IPv4Network(str(member(pool, "external-ip-pool")), strict=False)
        flat.claim_net(
            flat.inside_nets,
            inside,
            f"{ppath}/subscriber-match[match-id='{match['match-id']}']/subnet",
            "det44 inside prefix",
        )
        flat.claim_net(
            flat.outside_nets,
            outside,
            f"{ppath}/external-ip-address-pool[pool-id='{pool['pool-id']}']/external-ip-pool",
            "external-ip-pool",
        )
        flat.add(
            Item(keys.det44_map(str(inside)), Det44MapValue(str(inside), str(outside)), (keys.DET44_PLUGIN,))
        )
    for is_inside in (True, False):
        for name in sorted(_interfaces(inst, is_inside)):
            flat.claim_side(name, "det44", _ipath(iid))
            deps = (keys.DET44_PLUGIN, *flat.interface_deps(name))
            flat.add(Item(keys.det44_interface(name, is_inside), Det44InterfaceValue(name, is_inside), deps))


def det_maps(entry: Entry | None) -> Iterator[tuple[int, str, str]]:
    """(instance id, inside prefix, outside prefix) of every enabled deterministic instance's policy."""
    for inst in instances(entry):
        if not is_enabled(inst) or mode(inst) != "deterministic":
            continue
        for pol in member(inst, "policy", []) or []:
            for match in member(pol, "subscriber-match", []) or []:
                for pool in member(pol, "external-ip-address-pool", []) or []:
                    yield int(inst["id"]), str(member(match, "subnet")), str(member(pool, "external-ip-pool"))
