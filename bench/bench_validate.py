"""Offline/startup validation cost (agent.model.validate.parse_config) on N sub-interfaces; prints JSON.

Run: .venv/bin/python bench/bench_validate.py [--count 10000]

The document is N 802.1Q sub-interfaces (4000 per physical port, so N/4000 ports), each with an IPv4
and an IPv6 address, as JSON-IETF and as NETCONF <config> XML. parse_config does a strict
parse, then full validation (must/when/leafref/mandatory) of the whole model set, exactly as
``bng-agent validate`` and the agent's startup load do.
  json_s / xml_s     wall time of parse_config (best of --rounds)
"""

from __future__ import annotations

import argparse
import json
import time

from agent.model.context import load_model_set
from agent.model.validate import parse_config


def document(count: int) -> dict[str, object]:
    ports = [f"GigabitEthernet0/8/{p}" for p in range((count + 3999) // 4000)]
    interfaces: list[dict[str, object]] = [{"name": p, "type": "iana-if-type:ethernetCsmacd"} for p in ports]
    for i in range(count):
        port, vlan = ports[i // 4000], 1 + i % 4000
        interfaces.append(
            {
                "name": f"{port}.{vlan}",
                "type": "iana-if-type:l2vlan",
                "bng-interfaces:sub-interface": {
                    "parent-interface": port,
                    "sub-id": vlan,
                    "encapsulation": {"single-tagged": {"vlan-id": vlan}},
                },
                "ietf-ip:ipv4": {
                    "address": [{"ip": f"10.{i // 65536}.{(i // 256) % 256}.{i % 256}", "prefix-length": 32}]
                },
                "ietf-ip:ipv6": {"address": [{"ip": f"2001:db8::{i:x}:1", "prefix-length": 128}]},
            }
        )
    return {"ietf-interfaces:interfaces": {"interface": interfaces}}


def best(fn: object, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        tree = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
        tree.free()
    return round(min(times), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ctx = load_model_set().ctx
    doc = document(args.count)
    text = json.dumps(doc)
    tree = parse_config(text, "json", ctx)
    assert tree is not None
    xml = (
        '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
        + tree.print_mem("xml", with_siblings=True)
        + "</config>"
    )
    tree.free()
    result = {
        "count": args.count,
        "json_bytes": len(text),
        "json_s": best(lambda: parse_config(text, "json", ctx), args.rounds),
        "xml_bytes": len(xml),
        "xml_s": best(lambda: parse_config(xml, "xml", ctx), args.rounds),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
