"""How accurately the agent's QoS profiles police on real VPP 26.06 (seed DoD "QoS conforms to CIR/PIR
within 5 %"): for each profile, VPP's packet generator offers ``--factor`` x the peak rate of 1000-byte
frames into a port the agent policed (policer_input), and the rate that left the other port is measured
over a steady-state window (tests/vpp/_qos_rate.py). Prints JSON: per profile the expected and measured
rates and the error, with the machine's load average (the policer cannot pass the tokens of time in which
VPP's thread did not run, so a loaded machine reads low; docs/qos.md).

    .venv/bin/python bench/bench_qos_accuracy.py [--seconds 4] [--factor 2] [--profiles NAME ...]

Needs root and the VPP that `make vpp` installed (as `make test-vpp`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT / "tests" / "vpp"))

from _qos_rate import expected, measure  # noqa: E402
from _realvpp import RealVpp, missing_vpp, remove_tree  # noqa: E402
from _southbound_helpers import AgentStack  # noqa: E402


def _2r3c(name: str, cir: int, pir: int, ms: int = 100) -> dict[str, Any]:
    return {
        "name": name,
        "type": "2r3c",
        "cir": str(cir),
        "cbs": cir * ms // 8,
        "pir": str(pir),
        "pbs": pir * ms // 8,
        "exceed": {"action": "transmit"},
    }


#: Small and large rates, one- and two-rate; bursts of 100 ms of the rate unless named otherwise.
PROFILES: dict[str, dict[str, Any]] = {
    "1r2c-2M": {"name": "p", "type": "1r2c", "cir": "2000", "cbs": 25000},
    "1r2c-100M": {"name": "p", "type": "1r2c", "cir": "100000", "cbs": 1250000},
    "1r2c-100M-cbs125k": {"name": "p", "type": "1r2c", "cir": "100000", "cbs": 125000},
    "1r2c-400M": {"name": "p", "type": "1r2c", "cir": "400000", "cbs": 5000000},
    "1r3c-50M": {"name": "p", "type": "1r3c", "cir": "50000", "cbs": 625000, "pbs": 625000},
    "1r3c-50M-exceed-transmit": {
        "name": "p",
        "type": "1r3c",
        "cir": "50000",
        "cbs": 625000,
        "pbs": 625000,
        "exceed": {"action": "transmit"},
    },
    "2r3c-5M-10M": _2r3c("p", 5000, 10000),
    "2r3c-100M-200M": _2r3c("p", 100000, 200000),
    "2r3c-rfc4115-50M-150M": {**_2r3c("p", 50000, 150000), "type": "2r3c-rfc4115"},
}


async def one(name: str, seconds: float, factor: float) -> dict[str, Any]:
    profile = PROFILES[name]
    directory = tempfile.mkdtemp(prefix="vq-", dir="/tmp")
    vpp = RealVpp(directory, ports=2)
    try:
        st = AgentStack(vpp.api_socket, Path(directory) / "data")
        await st.start()
        try:
            load = os.getloadavg()[0]
            r = await measure(vpp, st, profile, factor=factor, seconds=seconds)
        finally:
            await st.stop()
    finally:
        vpp.destroy()
        remove_tree(directory)
    want = expected(profile)
    return {
        "profile": name,
        "type": profile["type"],
        "cir_bps": int(profile["cir"]) * 1000,
        "pir_bps": int(profile.get("pir", 0)) * 1000,
        "cbs": profile["cbs"],
        "offered_bps": round(r.offered),
        "expected_passed_bps": want["passed"],
        "passed_bps": round(r.passed),
        "passed_error_pct": round(100 * (r.passed - want["passed"]) / want["passed"], 2),
        "conform_bps": round(r.conform),
        "conform_error_pct": round(100 * (r.conform - want["conform"]) / want["conform"], 2),
        "exceed_bps": round(r.exceed),
        "violate_bps": round(r.violate),
        "window_s": round(r.seconds, 3),
        "loadavg_1m": round(load, 2),
    }


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--factor", type=float, default=2.0)
    p.add_argument("--profiles", nargs="*", default=list(PROFILES))
    args = p.parse_args(argv)
    why = missing_vpp()
    if why is not None:
        print(f"bench_qos_accuracy: {why}", file=sys.stderr)
        return 2
    results = [asyncio.run(one(n, args.seconds, args.factor)) for n in args.profiles]
    print(json.dumps({"bench": "qos_accuracy", "factor": args.factor, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
