"""Benchmark: the YANG model set and a 10,000 sub-interface configuration in libyang.

Prints one JSON document with, for each step, the best and the median of ``--repeat`` runs:

- ``load``: building the model set (every standard and project module, the agent's features and
  bng-deviations) in a fresh libyang context, as the agent does once at start;
- ``parse_validate``: parsing the configuration from JSON-IETF and validating it completely (types,
  keys, leafrefs, ``must``/``when``, ``unique``, mandatory nodes, defaults), one libyang call;
- ``validate``: validating the already parsed tree again (what a commit of an unchanged tree costs);
- ``print_xml``: printing the whole tree back as XML.

The configuration is what a large BNG carries: ``--subifs`` single-tagged sub-interfaces spread
over four ports (at most 4094 per port, sub-id = VLAN as bng-interfaces requires), each bound to one
of two VRFs and holding an IPv4 and an IPv6 address, with an MTU so the parent-MTU rule runs too.

Targets (issue #2): load < 1 s, parse + validate < 0.5 s, print XML < 0.3 s.

Usage: .venv/bin/python bench/bench_model.py [--subifs 10000] [--repeat 5] [--yang-dir DIR]

``--yang-dir`` loads the project modules from a modified copy of ``yang/`` instead, to compare a
model change before making it (the standard modules still come from pyang's directory).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import libyang

from agent.model import context

PORTS = [f"GigabitEthernet0/{slot}/0" for slot in ("8", "9", "a", "b")]
VRFS = [("internet", 10), ("voip", 20)]


def build_config(subifs: int) -> str:
    """A JSON-IETF configuration with ``subifs`` sub-interfaces (plus 4 ports and 2 VRFs)."""
    per_port = -(-subifs // len(PORTS))
    if per_port > 4094:
        raise SystemExit(f"{subifs} sub-interfaces need more than 4094 VLANs per port")
    interfaces: list[dict[str, Any]] = [
        {"name": p, "type": "iana-if-type:ethernetCsmacd", "bng-interfaces:mtu": 9000} for p in PORTS
    ]
    for i in range(subifs):
        port, vlan = PORTS[i // per_port], i % per_port + 1
        interfaces.append(
            {
                "name": f"{port}.{vlan}",
                "type": "iana-if-type:l2vlan",
                "bng-interfaces:sub-interface": {
                    "parent-interface": port,
                    "sub-id": vlan,
                    "encapsulation": {"single-tagged": {"vlan-id": vlan}},
                },
                "bng-interfaces:mtu": 1500,
                "bng-vrf:vrf": VRFS[i % 2][0],
                "ietf-ip:ipv4": {
                    "address": [
                        {"ip": f"10.{i >> 14}.{(i >> 6) & 0xFF}.{(i & 0x3F) << 2 | 1}", "prefix-length": 30}
                    ]
                },
                "ietf-ip:ipv6": {
                    "address": [{"ip": f"2001:db8:{i >> 16:x}:{i & 0xFFFF:x}::1", "prefix-length": 64}]
                },
            }
        )
    config = {
        "ietf-interfaces:interfaces": {"interface": interfaces},
        "bng-vrf:vrfs": {"vrf": [{"name": n, "table-id": t} for n, t in VRFS]},
    }
    return json.dumps(config)


def timed(
    fn: Callable[[], Any], repeat: int, cleanup: Callable[[Any], None] | None = None
) -> dict[str, float]:
    """Best and median wall time of ``repeat`` calls of ``fn``."""
    times: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        if cleanup is not None:
            cleanup(result)
    return {"best_s": round(min(times), 4), "median_s": round(statistics.median(times), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subifs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--yang-dir", type=Path, help="project modules from this folder instead of yang/")
    args = parser.parse_args()
    if args.yang_dir is not None:
        context.PROJECT_YANG_DIR = args.yang_dir.resolve()

    def load() -> context.ModelSet:
        return context._build()

    load_times = timed(load, args.repeat, lambda ms: ms.ctx.destroy())
    ctx = context.load_model_set().ctx
    text = build_config(args.subifs)

    def parse() -> libyang.DNode:
        tree = ctx.parse_data_mem(text, "json", strict=True, no_state=True)
        assert tree is not None
        return tree

    parse_times = timed(parse, args.repeat, lambda t: t.free())
    tree = parse()
    validate_times = timed(lambda: tree.validate(no_state=True), args.repeat)
    print_times = timed(lambda: tree.print_mem("xml", with_siblings=True, pretty=False), args.repeat)
    xml_bytes = len(tree.print_mem("xml", with_siblings=True, pretty=False))
    tree.free()

    result = {
        "benchmark": "model",
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "yang_dir": str(context.PROJECT_YANG_DIR),
        "subinterfaces": args.subifs,
        "json_bytes": len(text),
        "xml_bytes": xml_bytes,
        "load": load_times,
        "parse_validate": parse_times,
        "validate": validate_times,
        "print_xml": print_times,
        "targets_s": {"load": 1.0, "parse_validate": 0.5, "print_xml": 0.3},
        "met": {
            "load": load_times["best_s"] < 1.0,
            "parse_validate": parse_times["best_s"] < 0.5,
            "print_xml": print_times["best_s"] < 0.3,
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
