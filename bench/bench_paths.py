"""Path conversion cost per call (it runs for every gNMI update and every Subscribe path); prints JSON.

Run: .venv/bin/python bench/bench_paths.py [--rounds 20000]

Measures, on the loaded model set (schema index warm):
  gnmi_to_xpath_us     a 5-element gNMI path with two keyed lists, crossing into ietf-ip
  xpath_to_gnmi_us     the same path the other way (parse + schema check)
  wildcard_to_xpath_us a Subscribe-style path with '*' key and '...'
  iid_parse_us         an instance-identifier (JSON encoding) parse + schema check
  string_round_trip_us str(GnmiPath) + parse_gnmi_string
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from agent.model.paths import (
    GnmiPath,
    PathElem,
    gnmi_to_xpath,
    parse_gnmi_string,
    parse_instance_identifier,
    xpath_to_gnmi,
)

XPATH = (
    "/ietf-interfaces:interfaces/interface[name='GigabitEthernet0/8/0.100']"
    "/ietf-ip:ipv4/address[ip='10.0.0.1']/prefix-length"
)


def per_call_us(fn: Callable[[], object], rounds: int) -> float:
    fn()  # warm caches
    start = time.perf_counter()
    for _ in range(rounds):
        fn()
    return round((time.perf_counter() - start) / rounds * 1e6, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20000)
    args = parser.parse_args()
    path = xpath_to_gnmi(XPATH)
    wildcard = GnmiPath(
        "", [PathElem("ietf-interfaces:interfaces"), PathElem("interface", {"name": "*"}), PathElem("...")]
    )
    text = str(path)
    result = {
        "rounds": args.rounds,
        "gnmi_to_xpath_us": per_call_us(lambda: gnmi_to_xpath(path), args.rounds),
        "xpath_to_gnmi_us": per_call_us(lambda: xpath_to_gnmi(XPATH), args.rounds),
        "wildcard_to_xpath_us": per_call_us(lambda: gnmi_to_xpath(wildcard), args.rounds),
        "iid_parse_us": per_call_us(lambda: parse_instance_identifier(XPATH), args.rounds),
        "string_round_trip_us": per_call_us(lambda: parse_gnmi_string(str(path)), args.rounds),
        "example_gnmi_string": text,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
