"""Datastore-side commit costs on 10,000 sub-interfaces (issue #3 targets); prints JSON.

Run: .venv/bin/python bench/bench_datastore.py [--count 10000] [--rounds 50] [--shape bng|ietf]

Measures, with no southbound and no journal (datastore side only); wall-clock and, because the
benchmark machine is shared, process CPU time (``*_cpu_*``):
  bulk_create_s      one <edit-config> creating N sub-interfaces with an IPv4 address each, then
                     prepare_commit + install (target < 1 s)
  one_leaf_commit_ms one-leaf edit (a description: no constraint mentions it, so the commit may
                     skip full validation) + prepare_commit + install, median of rounds (target < 50 ms)
  constrained_leaf_commit_ms  the same for a leaf a `must` depends on (sub-interface MTU): full
                     libyang validation of the whole datastore (bng shape only)
  pending_changes_ms pending_changes() after a one-entry change, median (target < 5 ms)
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from lxml import etree

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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--shape", choices=["bng", "ietf"], default="bng")
    args = ap.parse_args()
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

    # A leaf some `must` depends on (bng-interfaces MTU, checked against the parent's via deref): every
    # such commit runs libyang's full validation.
    constrained: list[float] = []
    constrained_cpu: list[float] = []
    if args.shape == "bng":
        for r in range(max(3, args.rounds // 5)):
            name = f"GigabitEthernet0/8/0.{(r * 53) % min(args.count, 4000) + 1}"
            edit = etree.fromstring(
                f'<config xmlns="{NC_NS}"><interfaces xmlns="{IF_NS}"><interface><name>{name}</name>'
                f'<mtu xmlns="{BNGIF_NS}">{1400 + r}</mtu></interface></interfaces></config>'.encode()
            )
            ca, a = time.process_time(), time.perf_counter()
            ds.edit_config("candidate", edit, session=s)
            p = ds.prepare_commit(s)
            ds.install(p)
            constrained.append(time.perf_counter() - a)
            constrained_cpu.append(time.process_time() - ca)
            del p

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
                "rounds": args.rounds,
            }
        )
    )


if __name__ == "__main__":
    main()
