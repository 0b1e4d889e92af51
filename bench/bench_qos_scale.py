"""QoS at scale on vppsim (or a real VPP with ``--vpp-api-socket``): commit N sub-interfaces each with an
input and an output policer from one shared profile (2N policers, 2N attachments), change the profile
(2N ``policer_update`` in one commit), reconcile with nothing to do (policer_dump + index probing), and
remove the attachments. Prints JSON (seconds, VPP write calls, per second).

    .venv/bin/python bench/bench_qos_scale.py [--subifs 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from _southbound_helpers import IF, AgentStack  # noqa: E402

from bench.bench_southbound import start_vppsim, stop  # noqa: E402

PORT = "GigabitEthernet0/8/0"
QOS = "/bng-qos:qos"


def subif(i: int, qos: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": f"{PORT}.{i}",
        "type": "iana-if-type:l2vlan",
        "bng-interfaces:sub-interface": {
            "parent-interface": PORT,
            "sub-id": i,
            "encapsulation": {"single-tagged": {"vlan-id": i}},
        },
    }
    if qos:
        entry["bng-qos:qos"] = {"input-profile": "res", "output-profile": "res"}
    return entry


def profile(cir: int) -> dict[str, Any]:
    return {"name": "res", "type": "1r2c", "cir": str(cir), "cbs": cir * 100 // 8}


async def timed(st: AgentStack, label: str, out: dict[str, Any], **change: Any) -> None:
    writes = st.sb.conn.writes
    t0 = time.perf_counter()
    await st.commit(**change)
    dt = time.perf_counter() - t0
    n = st.sb.conn.writes - writes
    out[label] = {
        "seconds": round(dt, 3),
        "vpp_writes": n,
        "writes_per_second": round(n / dt) if dt else None,
    }


async def run(api: str, subifs: int, data: Path) -> dict[str, Any]:
    st = AgentStack(api, data)
    await st.start()
    out: dict[str, Any] = {"subifs": subifs, "policers": 2 * subifs}
    try:
        ifs = [{"name": PORT, "type": "iana-if-type:ethernetCsmacd"}] + [
            subif(i, False) for i in range(1, subifs + 1)
        ]
        await st.commit(updates=[(QOS, {"profile": [profile(10000)]}), (IF, {"interface": ifs})])
        qos_ifs = [subif(i, True) for i in range(1, subifs + 1)]
        await timed(st, "attach_all", out, updates=[(IF, {"interface": qos_ifs})])
        await timed(st, "profile_change", out, updates=[(QOS, {"profile": [profile(20000)]})])
        t0 = time.perf_counter()
        report = await st.sb.reconcile()
        out["reconcile_noop"] = {
            "seconds": round(time.perf_counter() - t0, 3),
            "vpp_writes": report.write_calls,
        }
        deletes = [f"{IF}/interface[name='{PORT}.{i}']/bng-qos:qos" for i in range(1, subifs + 1)]
        await timed(st, "detach_all", out, deletes=deletes)
    finally:
        await st.stop()
    return out


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--subifs", type=int, default=5000)
    p.add_argument("--vpp-api-socket", default=None)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bq-", dir="/tmp") as tmp:
        proc = None
        api = args.vpp_api_socket
        if api is None:
            proc, api = start_vppsim(tmp, "qos")
        try:
            result = asyncio.run(run(api, args.subifs, Path(tmp) / "data"))
        finally:
            if proc is not None:
                stop(proc)
    print(
        json.dumps(
            {"bench": "qos_scale", "vpp": "real" if args.vpp_api_socket else "vppsim", **result}, indent=1
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
