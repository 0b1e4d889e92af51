"""The drift audit: compare VPP with what the agent applied, cheaply, and repair the difference.

A full reconcile (:meth:`VppSouthbound.reconcile`) reads every interface's addresses and table bindings
one call each -- 40,000 reads and about 10 s at 10,000 sub-interfaces -- which is right after a reconnect
but far too much to run every minute. An audit reads VPP with three calls whatever the size:

* ``sw_interface_dump`` of every interface: existence and identity (a sub-interface's parent and id),
  admin state, tag, MTU;
* ``cli_inband "show interface address"`` (``src/vnet/interface_cli.c``, the same text
  :mod:`agent.features.interfaces.retrieve` reads unnumbered settings from): every interface's
  addresses, the table of each address, unnumbered settings;
* ``ip_table_dump`` (only when VRFs are configured): the agent's VRF tables.

It compares them with the southbound's applied items interface by interface, building what VPP holds
("actual") only for interfaces that differ. An interface VPP no longer has takes with it everything VPP
drops with it (its addresses, flags, binding, the unnumbered settings that borrow from it, the bond
membership of its ports); those items are missing too. The planner then turns actual into applied, the
same as for a commit, and the executor runs the steps (all or nothing) under the southbound's lock, so a
repair never interleaves with a commit. With repair turned off the steps are reported instead.

An event-driven audit (:mod:`agent.vpp.events`) dumps only the interfaces named by VPP's events.

Not audited cheaply (left to the reconcile after a reconnect): routes, bond membership, and the table
binding of an interface with no address of that family (``show interface address`` prints a table only
next to an address).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Any

from agent.features.interfaces import keys as if_keys
from agent.features.interfaces.values import (
    AddressValue,
    AdminUpValue,
    MtuValue,
    SubifValue,
    TableBindingValue,
    TagValue,
    UnnumberedValue,
)
from agent.features.registry import DESCRIPTORS
from agent.features.vrfs.values import VrfTableValue
from agent.vpp import keys
from agent.vpp.connection import VppConnection
from agent.vpp.drift import drift_record
from agent.vpp.executor import Executor, paused_gc
from agent.vpp.items import Item, Value
from agent.vpp.planner import Step, plan_items
from agent.vpp.southbound import VppSouthbound

log = logging.getLogger(__name__)

ALL = 0xFFFFFFFF
IF_ADMIN_UP = 1
#: More event-named interfaces than this are audited with one dump of all interfaces instead.
MAX_SCOPED = 64
_IF_HEADER_END = "):"  # "<name> (up):" -- VPP prints a space after it when unnumbered follows


@dataclass
class CliInterface:
    """One interface's block of ``show interface address``."""

    lender: str | None = None  # VPP name after "unnumbered, use"
    addresses: list[tuple[str, bool, int]] = field(default_factory=list)  # (prefix, is_ip6, table_id)


_NORMAL: dict[str, str | None] = {}  # VPP's address text -> the agent's (ipaddress) spelling


def _normal_prefix(text: str) -> str | None:
    """``10.0.0.1/24`` as the agent spells prefixes (``str(ip_interface(...))``), remembered: parsing
    20,000 addresses with :mod:`ipaddress` at every audit would cost more than the rest of it."""
    got = _NORMAL.get(text, _NORMAL)
    if got is not _NORMAL:
        return got  # type: ignore[return-value]
    try:
        norm: str | None = str(ipaddress.ip_interface(text))
    except ValueError:
        norm = None
    if len(_NORMAL) > 1_000_000:
        _NORMAL.clear()
    _NORMAL[text] = norm
    return norm


def parse_interface_addresses(text: str) -> dict[str, CliInterface]:
    """``show interface address`` as printed by ``src/vnet/interface_cli.c`` (show_sw_interfaces with
    ``address``): ``<name> (up|dn):`` headers, then ``  unnumbered, use <lender>`` or ``  L3 <ip>/<len>``
    lines, the latter followed by ``ip4|ip6 table-id <n> fib-idx <m>`` when the table is not 0."""
    out: dict[str, CliInterface] = {}
    current: CliInterface | None = None
    for line in text.split("\n"):
        if line.startswith("  L3 "):
            if current is None:
                continue
            parts = line.split()
            prefix = _normal_prefix(parts[1])
            if prefix is None:
                continue
            # "L3 10.0.0.1/24 ip4 table-id 10 fib-idx 1"
            table = int(parts[4]) if len(parts) >= 5 and parts[3] == "table-id" and parts[4].isdigit() else 0
            current.addresses.append((prefix, ":" in prefix, table))
        elif not line:
            continue
        elif line[0] != " ":
            head = line.rstrip()
            if head.endswith(_IF_HEADER_END) and " (" in head:
                current = out.setdefault(head[: head.rindex(" (")], CliInterface())
            else:
                current = None
        elif current is not None:
            stripped = line.strip()
            if stripped.startswith("unnumbered, use "):
                current.lender = stripped[len("unnumbered, use ") :].strip()
    return out


@dataclass
class AuditResult:
    """What one audit looked at, found and did."""

    source: str
    checked: int = 0  # managed interfaces compared
    steps: list[Step] = field(default_factory=list)  # the repairs (done, or due when not repaired)
    action: str = "none"  # none | repaired | reported | repair-failed | skipped
    reason: str = ""  # why skipped, or the repair's error
    seconds: float = 0.0
    reads: int = 0

    @property
    def drift(self) -> bool:
        return bool(self.steps)


@dataclass
class _Observed:
    details: dict[int, Any]
    cli: dict[str, CliInterface] | None = None
    tables: set[tuple[int, bool]] | None = None
    scope: set[str] | None = None  # agent names to compare; None: every managed interface
    signature: Any = None  # of a full observation: equal signatures, equal VPP state (as audited)


class DriftAuditor:
    """Audits VPP against a :class:`VppSouthbound`'s applied items; see the module docstring."""

    def __init__(self, southbound: VppSouthbound, *, repair: bool = True) -> None:
        self.sb = southbound
        self.repair = repair
        self.audits = 0
        self.drift_found = 0  # items found drifted, over all audits
        self.last: AuditResult | None = None
        self._owned: tuple[int, dict[str, list[Item[Value]]]] | None = None
        self._cli_cache: tuple[str, dict[str, CliInterface]] | None = None
        self._reported: frozenset[str] = frozenset()  # keys last reported (repair off), said once
        # what VPP looked like at the last full audit that found it equal to applied, and the applied
        # generation then: the same again means nothing to compare
        self._clean: tuple[int, Any] | None = None
        # per interface: the inputs of its last comparison that found it clean (see _compare)
        self._memo: dict[str, tuple[Any, ...]] = {}

    # ------------------------------------------------------------------ public

    async def audit(self, *, indices: Collection[int] | None = None, source: str = "audit") -> AuditResult:
        """Audit every managed interface (``indices`` None) or the interfaces with these ``sw_if_index``
        values, and repair or report what differs. Never raises for VPP errors: they are in the result."""
        result = AuditResult(source)
        fallback = False
        async with self.sb.lock:
            conn = self.sb.conn
            if conn is None or not conn.connected or self.sb.stale:
                result.action, result.reason = "skipped", "VPP not connected or not reconciled yet"
                return result
            t0 = time.process_time()
            reads0 = conn.reads
            with paused_gc():
                try:
                    observed = await self._observe(conn, indices)
                    clean = self._unchanged(observed)
                    old, new, fallback = ({}, {}, False) if clean else self._compare(observed)
                    result.checked = (
                        len(observed.scope) if observed.scope is not None else self._managed_count()
                    )
                    result.steps = plan_items(old, new, self.sb.programmed) if (old or new) else []
                    if result.steps:
                        fallback = await self._act(conn, result) or fallback
                    elif observed.scope is None:
                        if self._reported:
                            self._clear_reported()
                        if not fallback:
                            self._clean = (self.sb.generation, observed.signature)
                except Exception as e:  # VPP went away mid-audit: the link reconnects and reconciles
                    result.action, result.reason = "skipped", f"audit failed: {e}"
                    log.warning("vpp drift audit source=%s failed: %s", source, e)
            result.reads = conn.reads - reads0
            result.seconds = time.process_time() - t0
        self.audits += 1
        self.last = result
        if fallback and self.repair:
            # something the audit cannot repair itself (a physical port vanished, an index now names
            # another interface): let a full reconcile sort it out
            log.warning("vpp drift source=%s: a full reconcile is needed", source)
            try:
                await self.sb.reconcile()
            except Exception as e:
                log.warning("vpp drift reconcile failed: %s", e)
        return result

    # ------------------------------------------------------------------ reading VPP

    async def _observe(self, conn: VppConnection, indices: Collection[int] | None) -> _Observed:
        if indices is not None:
            scope = {n for i in indices if (n := self.sb.names.name_of(int(i))) is not None}
            scope &= self._managed_names()
            if not scope:
                return _Observed({}, scope=set())
            if len(indices) <= MAX_SCOPED:
                futs = [
                    conn.send(
                        "sw_interface_dump", sw_if_index=int(i), name_filter_valid=False, name_filter=""
                    )
                    for i in indices
                ]
                details: dict[int, Any] = {}
                for fut in futs:
                    _, ds = await fut
                    for d in ds:
                        details[int(d.sw_if_index)] = d
                return _Observed(details, scope=scope)
            return _Observed(await self._all_interfaces(conn), scope=scope)
        details_fut = conn.send("sw_interface_dump", sw_if_index=ALL, name_filter_valid=False, name_filter="")
        cli_fut = conn.send("cli_inband", cmd="show interface address")
        wants_tables = any(it.kind == "vrf-table" for it in self._owned_items().get("", ()))
        tables_fut = conn.send("ip_table_dump") if wants_tables else None
        _, ds = await details_fut
        details = {int(d.sw_if_index): d for d in ds}
        cli_reply = await cli_fut
        text = str(cli_reply.reply)
        cached = self._cli_cache
        if cached is not None and cached[0] == text:
            cli = cached[1]  # nothing changed since the last audit: no parsing
        else:
            cli = parse_interface_addresses(text)
            self._cli_cache = (text, cli)
        tables: set[tuple[int, bool]] | None = None
        if tables_fut is not None:
            _, ts = await tables_fut
            tables = {(int(t.table.table_id), bool(t.table.is_ip6)) for t in ts}
        signature = (
            [
                (d.sw_if_index, d.sup_sw_if_index, d.sub_id, int(d.flags) & IF_ADMIN_UP, d.mtu[0], d.tag)
                for d in ds
            ],
            text,
            tables,
        )
        return _Observed(details, cli, tables, signature=signature)

    @staticmethod
    async def _all_interfaces(conn: VppConnection) -> dict[int, Any]:
        ds = await conn.dump("sw_interface_dump", sw_if_index=ALL, name_filter_valid=False, name_filter="")
        return {int(d.sw_if_index): d for d in ds}

    # ------------------------------------------------------------------ comparing

    def _unchanged(self, obs: _Observed) -> bool:
        """VPP looks exactly as at the last clean full audit and nothing was applied since."""
        clean = self._clean
        return (
            obs.scope is None
            and clean is not None
            and clean[0] == self.sb.generation
            and clean[1] == obs.signature
        )

    def _owned_items(self) -> dict[str, list[Item[Value]]]:
        """Applied items by owner interface ("" for items without one: VRF tables, routes), kept until
        the southbound's applied state changes (its generation)."""
        gen = self.sb.generation
        if self._owned is None or self._owned[0] != gen:
            owned: dict[str, list[Item[Value]]] = {}
            for it in self.sb.programmed.values():
                owned.setdefault(it.owner or "", []).append(it)
            self._owned = (gen, owned)
        return self._owned[1]

    def _managed_names(self) -> set[str]:
        return {keys.rest(k) for k in self.sb.applied if keys.is_interface(k)}

    def _managed_count(self) -> int:
        return sum(1 for k in self.sb.applied if keys.is_interface(k))

    def _compare(self, obs: _Observed) -> tuple[dict[str, Item[Value]], dict[str, Item[Value]], bool]:
        """(actual, intended) for everything that differs, and whether a full reconcile is needed."""
        applied = self.sb.programmed  # run-time items (sessions) are the agent's as well
        names = self.sb.names
        owned = self._owned_items()
        scope = obs.scope if obs.scope is not None else self._managed_names()
        vpp_to_agent: dict[str, str] = {}
        if obs.cli is not None:
            for name in scope:
                idx = names.get(name)
                d = obs.details.get(idx) if idx is not None else None
                if d is not None:
                    vpp_to_agent[str(d.interface_name)] = name
        old: dict[str, Item[Value]] = {}
        new: dict[str, Item[Value]] = {}
        missing: set[str] = set()
        fallback = False
        memo = self._memo
        if len(memo) > 2 * len(scope) + 1024:
            memo.clear()  # entries of interfaces long gone (a bound, not a cache policy)
        for name in scope:
            idx = names.get(name)
            ikey = if_keys.interface(name)
            iitem = applied.get(ikey)
            if idx is None or iitem is None:
                continue  # a configured port VPP does not have: the link retries those
            d = obs.details.get(idx)
            if d is None or not _same_interface(iitem, d, name, names):
                if not DESCRIPTORS[iitem.kind].creates_interface:
                    fallback = True  # a port vanished or changed: only a reconcile can sort that out
                    continue
                missing.add(ikey)
                continue
            mine = owned.get(name, ())
            entry = obs.cli.get(str(d.interface_name)) if obs.cli is not None else None
            lender = vpp_to_agent.get(entry.lender) if entry is not None and entry.lender else None
            # everything the comparison below reads: the same again means the same (clean) outcome
            key = (
                tuple(mine),
                idx,
                names.get(iitem.value.parent) if isinstance(iitem.value, SubifValue) else None,
                d.sup_sw_if_index,
                d.sub_id,
                int(d.flags) & IF_ADMIN_UP,
                d.mtu[0],
                d.tag,
                d.interface_name,
                obs.cli is None,
                entry,
                lender,
            )
            if memo.get(name) == key:
                continue
            have = {it.key: it for it in mine}
            actual = _observed_items(name, d, have, obs.cli, vpp_to_agent)
            if actual.keys() != have.keys() or any(actual[k] is not have[k] for k in actual):
                old.update(actual)
                new.update(have)
            else:
                memo[name] = key
        if obs.tables is not None:
            for it in owned.get("", ()):
                t = it.value
                if isinstance(t, VrfTableValue) and (t.table_id, t.is_ip6) not in obs.tables:
                    missing.add(it.key)
        if missing:
            gone = _dependants(applied, missing)
            for k in gone:
                old.pop(k, None)
                new[k] = applied[k]
        return old, new, fallback

    # ------------------------------------------------------------------ acting

    async def _act(self, conn: VppConnection, result: AuditResult) -> bool:
        """Repair (or report) ``result.steps``; True when only a full reconcile can help now."""
        steps = result.steps
        self.drift_found += len(steps)
        if not self.repair:
            result.action = "reported"
            self.sb.in_sync = False
            keys = frozenset(s.key for s in steps)
            if keys != self._reported:  # said once per distinct finding, not every interval
                self._reported = keys
                self.sb.report_drift(drift_record(result.source, "reported", steps))
            return False
        run = await Executor(conn, self.sb.names, window=self.sb.window).run(steps)
        if run.failed is not None:
            result.action, result.reason = "repair-failed", run.error
            self.sb.mark_stale()
            self.sb.report_drift(drift_record(result.source, "repair-failed", steps, error=run.error))
            return True
        result.action = "repaired"
        self.sb.repaired(len(steps))
        self.sb.in_sync = not self.sb.missing_ports
        self._reported = frozenset()
        self.sb.report_drift(drift_record(result.source, "repaired", steps))
        return False

    def _clear_reported(self) -> None:
        """Drift reported earlier is gone (someone put it back): in sync again."""
        self._reported = frozenset()
        self.sb.in_sync = not self.sb.missing_ports
        log.warning("vpp drift reported earlier is gone: VPP matches the applied configuration again")


def _same_interface(item: Item[Value], d: Any, name: str, names: Any) -> bool:
    """Whether the VPP interface at the mapped index is still the one the agent applied."""
    v = item.value
    if isinstance(v, SubifValue):
        return int(d.sub_id) == v.sub_id and int(d.sup_sw_if_index) == names.get(v.parent)
    if item.kind in ("loopback", "bond"):
        return int(d.sup_sw_if_index) == int(d.sw_if_index)  # a hardware interface, not a sub
    return str(d.interface_name) == name


def _observed_items(
    name: str,
    d: Any,
    have: dict[str, Item[Value]],
    cli: dict[str, CliInterface] | None,
    vpp_to_agent: dict[str, str],
) -> dict[str, Item[Value]]:
    """The items VPP holds for interface ``name`` (from its details and CLI block); an item equal to
    the applied one is the applied object itself, so a caller can compare by identity."""
    ikey = if_keys.interface(name)
    actual = dict(have)
    akey = if_keys.admin_up(name)
    if int(d.flags) & IF_ADMIN_UP:
        if akey not in actual:
            actual[akey] = Item(akey, AdminUpValue(), (ikey,), name)
    else:
        actual.pop(akey, None)
    tkey = if_keys.tag(name)
    tag_item = have.get(tkey)
    if tag_item is not None and isinstance(tag_item.value, TagValue):
        tag = str(d.tag or "")
        if tag != tag_item.value.tag:
            if tag:
                actual[tkey] = replace(tag_item, value=TagValue(tag))
            else:
                del actual[tkey]
    mkey = if_keys.mtu(name)
    mtu_item = have.get(mkey)
    if mtu_item is not None and isinstance(mtu_item.value, MtuValue) and int(d.mtu[0]) != mtu_item.value.mtu:
        actual[mkey] = replace(mtu_item, value=MtuValue(int(d.mtu[0])))
    if cli is not None:
        _cli_items(name, cli.get(str(d.interface_name)) or CliInterface(), have, actual, vpp_to_agent)
    return actual


def _cli_items(
    name: str,
    entry: CliInterface,
    have: dict[str, Item[Value]],
    actual: dict[str, Item[Value]],
    vpp_to_agent: dict[str, str],
) -> None:
    ikey = if_keys.interface(name)
    ukey = if_keys.unnumbered(name)
    lender = vpp_to_agent.get(entry.lender, f"#{entry.lender}") if entry.lender is not None else None
    u_item = have.get(ukey)
    if lender is None:
        actual.pop(ukey, None)
    elif u_item is None or not isinstance(u_item.value, UnnumberedValue) or u_item.value.use != lender:
        actual[ukey] = Item(ukey, UnnumberedValue(lender), (ikey, if_keys.interface(lender)), name)
    if entry.lender is not None:
        return  # VPP prints the lender's addresses under a borrower ("honor unnumbered")
    seen = {prefix for prefix, _, _ in entry.addresses}
    for k, it in have.items():
        if isinstance(it.value, AddressValue) and it.value.prefix not in seen:
            del actual[k]
    for prefix, _, _ in entry.addresses:
        akey = if_keys.address(name, prefix)
        if akey not in actual:
            actual[akey] = Item(akey, AddressValue(name, prefix), (ikey,), name)
    for is_ip6 in (False, True):
        tables = {t for _, six, t in entry.addresses if six == is_ip6}
        if len(tables) != 1:
            continue  # no address of this family: VPP's text does not say which table
        table = tables.pop()
        bkey = if_keys.binding(name, is_ip6)
        b_item = have.get(bkey)
        bound = (
            b_item.value.table_id if b_item is not None and isinstance(b_item.value, TableBindingValue) else 0
        )
        if table == bound:
            continue
        if table == 0:
            actual.pop(bkey, None)
        else:
            actual[bkey] = Item(bkey, TableBindingValue(name, table, is_ip6), (ikey,), name)


def _dependants(items: dict[str, Item[Value]], gone: set[str]) -> set[str]:
    """``gone`` and every item that VPP drops with them: items that depend on one of them (directly or
    through others) or whose owner interface is one of them."""
    dependants: dict[str, list[str]] = {}
    by_owner: dict[str, list[str]] = {}
    for it in items.values():
        for dep in it.deps:
            dependants.setdefault(dep, []).append(it.key)
        if it.owner is not None:
            by_owner.setdefault(keys.interface(it.owner), []).append(it.key)
    out = set(gone)
    todo = list(gone)
    while todo:
        k = todo.pop()
        for d in (*dependants.get(k, ()), *by_owner.get(k, ())):
            if d not in out:
                out.add(d)
                todo.append(d)
    return out
