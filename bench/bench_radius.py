"""Benchmark the agent's RADIUS client against FreeRADIUS's own ``radclient`` (JSON on stdout).

One FreeRADIUS (Debian's, started here with its own configuration in a temp dir on 127.0.0.1, as the
tests do: tests/integration/_freeradius.py) answers both clients in the same run:

* ``radclient -p 256`` sends ``--requests`` PAP Access-Requests (User-Name, User-Password,
  Message-Authenticator) with 256 outstanding: requests/s;
* the agent's client (agent/aaa) sends the same number with at most 256 outstanding: once with the same
  three attributes (``minimal``) and once as the agent sends them for a subscriber (``subscriber``:
  Service-Type, NAS-Identifier, NAS-Port-Type, NAS-Port-Id, Calling-Station-Id, Option 82 VSAs), every
  answer checked (Response Authenticator and the required Message-Authenticator).

Target (issue #15): at least half of radclient's rate and >= 3,000/s.

    .venv/bin/python bench/bench_radius.py [--requests 20000] [--outstanding 256]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from _freeradius import FreeRadius  # noqa: E402

from agent.aaa import dictionary  # noqa: E402
from agent.aaa.auth import Authenticator, NasIdentity, Subscriber  # noqa: E402
from agent.aaa.client import Function, RadiusClient, Server  # noqa: E402
from agent.aaa.packet import ACCESS_ACCEPT, Codec, Credentials, Request  # noqa: E402

USERS = 'bench\tCleartext-Password := "bench-pw"\n\tFilter-Id = "acl-web", Session-Timeout = 3600\n'


def radclient_rate(fr: FreeRadius, n: int, outstanding: int, workdir: Path) -> dict[str, float]:
    req = 'User-Name = "bench", User-Password = "bench-pw", Message-Authenticator = 0x00\n\n'
    f = workdir / "requests.txt"
    f.write_text(req * n)
    radclient = shutil.which("radclient") or "/usr/bin/radclient"
    t0 = time.perf_counter()
    out = subprocess.run(
        [radclient, "-p", str(outstanding), "-q", "-s", "-r", "3", "-t", "1", "-f", str(f),
         f"127.0.0.1:{fr.auth_port}", "auth", fr.secret],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    took = time.perf_counter() - t0
    accepted = 0
    for line in out.stdout.splitlines():
        if "Packets" in line and "received" in line.lower():
            pass
        if line.strip().lower().startswith("accepted"):
            accepted = int(line.split(":")[1].strip())
    return {"requests": n, "seconds": round(took, 3), "per_second": round(n / took), "accepted": accepted}


async def agent_rate(fr: FreeRadius, n: int, outstanding: int, subscriber: bool) -> dict[str, float]:
    codec = Codec(dictionary.load())
    srv = Server("bench", "127.0.0.1", fr.secret.encode(), auth_port=fr.auth_port, timeout=1, retransmits=3)
    client = RadiusClient(codec, {Function.AUTH: [srv]})
    authn = Authenticator(client, NasIdentity("bng-bench"))
    sub = Subscriber("GigabitEthernet0/8/0", 100, 7, "02:00:00:00:00:01", b"port-1/2", b"cpe-9")
    creds = Credentials("bench", "bench-pw")
    sem = asyncio.Semaphore(outstanding)
    accepted = 0

    async def one() -> None:
        nonlocal accepted
        async with sem:
            if subscriber:
                ok = (await authn.authenticate(creds, sub)).accepted
            else:

                def build(s: Server) -> Request:
                    return codec.access_request(s.secret, creds)

                _, reply = await client.request(Function.AUTH, build)
                ok = reply.code == ACCESS_ACCEPT
            accepted += ok

    await asyncio.gather(*(one() for _ in range(200)))  # warm-up: the socket, FreeRADIUS threads
    accepted = 0
    t0 = time.perf_counter()
    c0 = time.process_time()
    await asyncio.gather(*(one() for _ in range(n)))
    took = time.perf_counter() - t0
    cpu = time.process_time() - c0
    stats = client.stats
    client.close()
    return {
        "requests": n,
        "seconds": round(took, 3),
        "per_second": round(n / took),
        "accepted": accepted,
        "client_cpu_us_per_request": round(cpu / n * 1e6),
        "retransmits": sum(stats.retransmits.values()),
        "dropped": sum(stats.dropped.values()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--outstanding", type=int, default=256)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-radius-") as tmp:
        fr = FreeRadius(Path(tmp) / "radius", USERS)
        fr.start()
        try:
            rc = radclient_rate(fr, args.requests, args.outstanding, Path(tmp))
            minimal = asyncio.run(agent_rate(fr, args.requests, args.outstanding, subscriber=False))
            full = asyncio.run(agent_rate(fr, args.requests, args.outstanding, subscriber=True))
            rc2 = radclient_rate(fr, args.requests, args.outstanding, Path(tmp))
        finally:
            fr.stop()
    best_rc = max(rc["per_second"], rc2["per_second"])
    result = {
        "bench": "radius",
        "outstanding": args.outstanding,
        "radclient": [rc, rc2],
        "agent_minimal": minimal,
        "agent_subscriber": full,
        "ratio_to_radclient": round(full["per_second"] / best_rc, 2),
        "target": {"ratio": 0.5, "per_second": 3000},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
