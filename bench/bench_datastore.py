"""Datastore-side commit costs on 10,000 sub-interfaces (issue #3 targets); prints JSON.

Run: .venv/bin/python bench/bench_datastore.py [--count 10000] [--rounds 50] [--shape bng|ietf]
     [--all-mtus]   (every interface gets an MTU first: the deref must then has 10,000 instances)
     [--full-validation]  (every commit runs libyang's full validation: the baseline to compare with)

Measures, with no southbound and no journal (datastore side only); wall-clock and, because the
benchmark machine is shared, process CPU time (``*_cpu_*``):
  bulk_create_s      one <edit-config> creating N sub-interfaces with an IPv4 address each, then
                     prepare_commit + install (target < 1 s)
  one_leaf_commit_ms one-leaf edit (a description: no constraint mentions it, so the commit may
                     skip full validation) + prepare_commit + install, median of rounds (target < 50 ms)
  constrained_leaf_commit_ms  the same for a leaf a `must` depends on (a sub-interface MTU, which
                     the sub-interface's must compares with its parent's through deref): set where
                     there was none (bng shape only); the commit re-evaluates only the affected musts
                     (agent/datastore/targeted.py)
  constrained_modify_commit_ms  the same MTUs changed again (a modify instead of a create)
  qos_rate_commit_ms one-leaf change of a QoS profile's CIR (bng-qos; the profile's PIR must reads it)
  route_commit_ms    a static route created in a VRF, next hop by outgoing interface (a leafref into
                     the 10,000 interfaces): only bng-vrf's data is validated (lyd_validate_module)
  *_async_ms         the MTU modify and the route through edit_config_async + prepare_commit_async,
                     the path the transaction manager takes
  pending_changes_ms pending_changes() after a one-entry change, median (target < 5 ms)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from lxml import etree

from agent.datastore import store as store_mod
from agent.datastore.session import Session
from agent.datastore.store import Datastores
from agent.model import load_model_set

IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
IP_NS = "urn:ietf:params:xml:ns:yang:ietf-ip"
NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"


BNGIF_NS = "urn:bng-agent:yang:bng-interfaces"
IANA = 'xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type"'


def subif_config(count: int, shape: str = "bng") -> etree._Element:
    """N VLAN sub-interfaces with one IPv4 address each, 4,000 per physical parent.

    shape "bng": bng-interfaces sub-interface container (parent leafref, sub-id, encapsulation);
    shape "ietf": plain ietf-interfaces entries named like sub-interfaces (no leafrefs to resolve).
    """
    if shape == "ietf":
        return _ietf_config(count)
    parts = [f'<config xmlns="{NC_NS}"><interfaces xmlns="{IF_NS}">']
    for p in range((count + 3999) // 4000):
        parts.append(
            f"<interface><name>GigabitEthernet0/8/{p}</name>"
            f"<type {IANA}>ianaift:ethernetCsmacd</type></interface>"
        )
    for i in range(count):
        parent, vlan = divmod(i, 4000)
        parts.append(
            f"<interface><name>GigabitEthernet0/8/{parent}.{vlan + 1}</name>"
            f"<type {IANA}>ianaift:l2vlan</type>"
            f'<sub-interface xmlns="{BNGIF_NS}">'
            f"<parent-interface>GigabitEthernet0/8/{parent}</parent-interface>"
            f"<sub-id>{vlan + 1}</sub-id><encapsulation><single-tagged><vlan-id>{vlan + 1}</vlan-id>"
            f"</single-tagged></encapsulation></sub-interface>"
            f'<ipv4 xmlns="{IP_NS}"><address><ip>10.{i // 250}.{i % 250}.1</ip>'
            f"<prefix-length>24</prefix-length></address></ipv4></interface>"
        )
    parts.append("</interfaces></config>")
    return etree.fromstring("".join(parts).encode())


def _ietf_config(count: int) -> etree._Element:
    parts = [f'<config xmlns="{NC_NS}"><interfaces xmlns="{IF_NS}">']
    for i in range(count):
        parent, vlan = divmod(i, 4000)
        parts.append(
            f"<interface><name>GigabitEthernet0/8/{parent}.{vlan + 1}</name>"
            f"<type {IANA}>ianaift:ethernetCsmacd</type>"
            f'<ipv4 xmlns="{IP_NS}"><address><ip>10.{i // 250}.{i % 250}.1</ip>'
            f"<prefix-length>24</prefix-length></address></ipv4></interface>"
        )
    parts.append("</interfaces></config>")
    return etree.fromstring("".join(parts).encode())


def leaf_edit(name: str, text: str) -> etree._Element:
    return etree.fromstring(
        f'<config xmlns="{NC_NS}"><interfaces xmlns="{IF_NS}"><interface><name>{name}</name>'
        f"<description>{text}</description></interface></interfaces></config>".encode()
    )


QOS_NS = "urn:bng-agent:yang:bng-qos"


def mtu_edit(name: str, mtu: int) -> etree._Element:
    return etree.fromstring(
        f'<config xmlns="{NC_NS}"><interfaces xmlns="{IF_NS}"><interface><name>{name}</name>'
        f'<mtu xmlns="{BNGIF_NS}">{mtu}</mtu></interface></interfaces></config>'.encode()
    )


def all_mtus(count: int) -> etree._Element:
    """Every parent at 9000, every sub-interface at 1500."""
    parts = [f'<config xmlns="{NC_NS}"><interfaces xmlns="{IF_NS}">']
    for p in range((count + 3999) // 4000):
        parts.append(
            f'<interface><name>GigabitEthernet0/8/{p}</name><mtu xmlns="{BNGIF_NS}">9000</mtu></interface>'
        )
    for i in range(count):
        parent, vlan = divmod(i, 4000)
        parts.append(
            f"<interface><name>GigabitEthernet0/8/{parent}.{vlan + 1}</name>"
            f'<mtu xmlns="{BNGIF_NS}">1500</mtu></interface>'
        )
    parts.append("</interfaces></config>")
    return etree.fromstring("".join(parts).encode())


def qos_profile(cir: int, pir: int | None) -> etree._Element:
    body = f"<name>business</name><cir>{cir}</cir>"
    if pir is not None:
        body += f"<type>2r3c</type><pir>{pir}</pir>"
    return etree.fromstring(
        f'<config xmlns="{NC_NS}"><qos xmlns="{QOS_NS}"><profile>{body}</profile></qos></config>'.encode()
    )


VRF_NS = "urn:bng-agent:yang:bng-vrf"


def vrf_edit(body: str) -> etree._Element:
    return etree.fromstring(
        f'<config xmlns="{NC_NS}"><vrfs xmlns="{VRF_NS}"><vrf><name>internet</name>'
        f"<table-id>10</table-id>{body}</vrf></vrfs></config>".encode()
    )


def route(r: int) -> str:
    return (
        f"<static-routes><ipv4-route><prefix>198.{r // 256}.{r % 256}.0/24</prefix><next-hop><id>1</id>"
        "<outgoing-interface>GigabitEthernet0/8/0.1</outgoing-interface></next-hop></ipv4-route>"
        "</static-routes>"
    )


def commit(ds: Datastores, s: Session, edit: etree._Element) -> None:
    ds.edit_config("candidate", edit, session=s)
    ds.install(ds.prepare_commit(s))


async def async_rounds(ds: Datastores, s: Session, n: int) -> tuple[list[float], list[float]]:
    mtu: list[float] = []
    routes: list[float] = []
    for r in range(n):
        for out, edit in (
            (mtu, mtu_edit(f"GigabitEthernet0/8/0.{r * 53 % 4000 + 1}", 1200 + r)),
            (routes, vrf_edit(route(1000 + r))),
        ):
            a = time.perf_counter()
            await ds.edit_config_async("candidate", edit, session=s)
            ds.install(await ds.prepare_commit_async(s))
            out.append(time.perf_counter() - a)
    return mtu, routes


def _median_ms(xs: list[float]) -> float | None:
    return round(statistics.median(xs) * 1000, 2) if xs else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--shape", choices=["bng", "ietf"], default="bng")
    ap.add_argument("--all-mtus", action="store_true")
    ap.add_argument("--full-validation", action="store_true")
    args = ap.parse_args()
    if args.full_validation:
        store_mod._SMALL_CHANGE = -1
        store_mod._MODULE_SCOPE_MAX = -1
    model = load_model_set()
    ds = Datastores(model)
    s = Session.create("bench", "netconf")
    cfg = subif_config(args.count, args.shape)

    c0 = time.process_time()
    t0 = time.perf_counter()
    ds.edit_config("candidate", cfg, session=s)
    t1 = time.perf_counter()
    prepared = ds.prepare_commit(s)
    t2 = time.perf_counter()
    ds.install(prepared)
    t3 = time.perf_counter()
    c3 = time.process_time()
    del prepared

    one_leaf: list[float] = []
    one_leaf_cpu: list[float] = []
    pending: list[float] = []
    for r in range(args.rounds):
        name = f"GigabitEthernet0/8/0.{(r * 37) % min(args.count, 4000) + 1}"
        ca = time.process_time()
        a = time.perf_counter()
        ds.edit_config("candidate", leaf_edit(name, f"round {r}"), session=s)
        b = time.perf_counter()
        changes = ds.pending_changes()
        c = time.perf_counter()
        p = ds.prepare_commit(s)
        ds.install(p)
        d = time.perf_counter()
        cd = time.process_time()
        del p
        assert len(changes) == 1, changes
        one_leaf.append((b - a) + (d - c))
        one_leaf_cpu.append((cd - ca) - (c - b))
        pending.append(c - b)

    # A leaf some `must` depends on (bng-interfaces MTU, checked against the parent's via deref).
    constrained: list[float] = []
    constrained_cpu: list[float] = []
    modified: list[float] = []
    qos: list[float] = []
    routes: list[float] = []
    mtu_async: list[float] = []
    routes_async: list[float] = []
    if args.shape == "bng":
        ds.edit_config("candidate", qos_profile(2000, 4000), session=s)
        ds.install(ds.prepare_commit(s))
        if args.all_mtus:
            ds.edit_config("candidate", all_mtus(args.count), session=s)
            ds.install(ds.prepare_commit(s))
        n_rounds = max(3, args.rounds // 2)
        for r in range(n_rounds):
            name = f"GigabitEthernet0/8/0.{(r * 53) % min(args.count, 4000) + 1}"
            ca, a = time.process_time(), time.perf_counter()
            commit(ds, s, mtu_edit(name, 1400 + r))
            constrained.append(time.perf_counter() - a)
            constrained_cpu.append(time.process_time() - ca)
        for r in range(n_rounds):
            name = f"GigabitEthernet0/8/0.{(r * 53) % min(args.count, 4000) + 1}"
            a = time.perf_counter()
            commit(ds, s, mtu_edit(name, 1300 + r))
            modified.append(time.perf_counter() - a)
        for r in range(n_rounds):
            a = time.perf_counter()
            commit(ds, s, qos_profile(1000 + r, None))
            qos.append(time.perf_counter() - a)
        commit(ds, s, vrf_edit(""))
        for r in range(n_rounds):
            a = time.perf_counter()
            commit(ds, s, vrf_edit(route(r)))
            routes.append(time.perf_counter() - a)
        mtu_async, routes_async = asyncio.run(async_rounds(ds, s, n_rounds))

    print(
        json.dumps(
            {
                "count": args.count,
                "shape": args.shape,
                "bulk_create_s": round(t3 - t0, 4),
                "bulk_create_cpu_s": round(c3 - c0, 4),
                "bulk_edit_s": round(t1 - t0, 4),
                "bulk_prepare_s": round(t2 - t1, 4),
                "bulk_install_s": round(t3 - t2, 4),
                "one_leaf_commit_ms": round(statistics.median(one_leaf) * 1000, 2),
                "one_leaf_commit_cpu_ms": round(statistics.median(one_leaf_cpu) * 1000, 2),
                "one_leaf_commit_p90_ms": round(sorted(one_leaf)[int(len(one_leaf) * 0.9)] * 1000, 2),
                "pending_changes_ms": round(statistics.median(pending) * 1000, 3),
                "constrained_leaf_commit_ms": round(statistics.median(constrained) * 1000, 2)
                if constrained
                else None,
                "constrained_leaf_commit_cpu_ms": (
                    round(statistics.median(constrained_cpu) * 1000, 2) if constrained else None
                ),
                "constrained_modify_commit_ms": _median_ms(modified),
                "qos_rate_commit_ms": _median_ms(qos),
                "route_commit_ms": _median_ms(routes),
                "constrained_modify_commit_async_ms": _median_ms(mtu_async),
                "route_commit_async_ms": _median_ms(routes_async),
                "all_mtus": args.all_mtus,
                "full_validation": args.full_validation,
                "rounds": args.rounds,
            }
        )
    )


if __name__ == "__main__":
    main()
