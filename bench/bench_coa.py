"""Benchmark CoA: from a CoA-Request leaving the RADIUS server's socket to its CoA-ACK arriving, where the
ACK is sent only after the subscriber manager returned, i.e. after VPP answered the calls that apply the
change (docs/subscribers.md: a mutation returns once it is durable and programmed). JSON on stdout.

Setup as ``bng-agent run`` builds it (SubscriberService with the ACL and QoS session hooks, the listener
on 127.0.0.1), ``--sessions`` 1:1 QinQ sessions with the template's policer and ingress ACL; then
``--requests`` CoAs one after another, each to a random session, alternating between a new QoS profile
(a policer_update in VPP) and a new ingress ACL (acl_interface_set_acl_list), each signed with
Message-Authenticator and carrying an Event-Timestamp. At the end VPP is dumped and every session's
policer rate and ACL compared with what its last CoA asked for.

    .venv/bin/python bench/bench_coa.py [--sessions 200] [--requests 2000] [--vpp-api-socket PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import ipaddress
import json
import random
import socket
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vpp_papi import VPPApiClient  # noqa: E402

from agent.aaa.accounting import acct_session_id  # noqa: E402
from agent.aaa.coa import CoaConfig, CoaHandler, CoaListener  # noqa: E402
from agent.features.acl.session import AclSessionHook  # noqa: E402
from agent.features.qos.session import QOS_HOOK  # noqa: E402
from agent.sessions.api import Session  # noqa: E402
from agent.sessions.service import SubscriberService  # noqa: E402
from agent.vpp.api import api_json_files  # noqa: E402
from agent.vpp.link import VppLink  # noqa: E402
from agent.vpp.southbound import VppSouthbound  # noqa: E402
from bench.bench_sessions import Vpp, config, key, pct  # noqa: E402

SECRET = b"bench-coa"
PROFILES = {"res-10m": 10000, "res-50m": 50000}
ACLS = ("open-in", "walled-in")
ACL_NS = "ietf-access-control-list"
ERX_IN = {"name": "erx-in", "vendor-id": 4874, "type": 10, "target": "qos-input-profile"}


def document(n: int) -> dict[str, Any]:
    doc = config(False, n)
    doc["bng-qos:qos"] = {
        "profile": [
            {"name": name, "type": "1r2c", "cir": str(cir), "cbs": cir * 12} for name, cir in PROFILES.items()
        ]
    }
    doc["ietf-access-control-list:acls"] = {
        "acl": [
            {
                "name": name,
                "aces": {
                    "ace": [{"name": "all", "actions": {"forwarding": f"ietf-access-control-list:{a}"}}]
                },
            }
            for name, a in zip(ACLS, ("accept", "drop"), strict=True)
        ]
    }
    t = doc["bng-subscribers:subscribers"]["session-templates"]["template"][0]
    t["qos-input-profile"], t["acl-ingress"] = "res-10m", "open-in"
    return doc


def attr(t: int, v: bytes) -> bytes:
    return struct.pack("!BB", t, len(v) + 2) + v


def coa(ident: int, s: Session, change: bytes) -> bytes:
    """A CoA-Request signed as radclient signs it (RFC 5176 2.3, 3.3)."""
    body = attr(44, acct_session_id(s).encode()) + change + attr(55, struct.pack("!I", int(time.time())))
    body += struct.pack("!BB", 80, 18) + bytes(16)
    head = struct.pack("!BBH", 43, ident, 20 + len(body))
    body = body[:-16] + hmac.new(SECRET, head + bytes(16) + body, hashlib.md5).digest()
    return head + hashlib.md5(head + bytes(16) + body + SECRET).digest() + body


def qos_change(profile: str) -> bytes:
    """ERX-Ingress-Policy-Name (vendor 4874, type 10), mapped to qos-input-profile."""
    return attr(26, struct.pack("!I", 4874) + attr(10, profile.encode()))


async def run(ns: argparse.Namespace) -> dict[str, Any]:
    tmp = tempfile.mkdtemp(prefix="bench-coa-")
    vpp = Vpp(ns, tmp)
    await vpp.start()
    sb = VppSouthbound()
    sb.load_config(document(ns.sessions))
    service = SubscriberService(Path(tmp) / "data", sb, hooks=[AclSessionHook(), QOS_HOOK], fsync=True)
    service.restore()
    link = VppLink(vpp.api, sb, timeout=60.0, backoff_initial=0.05, backoff_max=0.5)
    await link.start()
    if not await link.wait_ready(600):
        raise RuntimeError(f"VPP link not ready: {link.fatal}")
    await service.start()
    cfg = CoaConfig.from_entry(
        {
            "radius": {
                "dynamic-authorization": {
                    "enabled": True,
                    "client": [{"address": "127.0.0.1", "shared-secret": SECRET.decode()}],
                }
            },
            "attribute-mapping": {
                "attribute": [
                    {"name": "erx-in", "vendor-id": 4874, "type": 10, "target": "qos-input-profile"}
                ]
            },
        }
    )
    cfg = CoaConfig(**{**cfg.__dict__, "address": "127.0.0.1", "port": 0})
    handler = CoaHandler(service.manager, cfg)
    listener = CoaListener(handler)
    await listener.apply(cfg)
    try:
        mgr = service.manager
        sessions = []
        for i in range(ns.sessions):
            s = await mgr.open(key(i, False))
            addr = ipaddress.IPv4Address(f"100.64.{1 + i // 250}.{i % 250 + 2}")
            sessions.append(await mgr.bind_ipv4(s.id, addr, 3600))
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.connect(("127.0.0.1", listener.port or 0))
        rng = random.Random(5176)
        want: dict[int, dict[str, str]] = {}
        lat: list[float] = []
        naks = 0
        for n in range(ns.requests):
            s = rng.choice(sessions)
            if n % 2:
                value = ACLS[(n // 2) % 2 ^ 1]
                change, what = attr(11, value.encode()), ("acl", value)
            else:
                value = ("res-50m", "res-10m")[(n // 2) % 2]
                change, what = qos_change(value), ("qos", value)
            data = coa(n % 256, s, change)
            t0 = time.perf_counter()
            await loop.sock_sendall(sock, data)
            answer = await asyncio.wait_for(loop.sock_recv(sock, 4096), 10)
            lat.append(time.perf_counter() - t0)
            if answer[0] != 44:
                naks += 1
            want.setdefault(s.id, {})[what[0]] = what[1]
        sock.close()
        # every session's VPP state is what its last CoA asked for
        c = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=vpp.api)
        c.connect("bench-coa")
        try:
            pol = {str(p.name): int(p.cir) for p in c.api.policer_dump_v2(policer_index=0xFFFFFFFF)}
            tags = {int(d.acl_index): str(d.tag) for d in c.api.acl_dump(acl_index=0xFFFFFFFF)}
            names = {int(d.sw_if_index): str(d.interface_name) for d in c.api.sw_interface_dump()}
            lists = {
                names[d.sw_if_index]: [tags[a] for a in d.acls[: d.n_input]]
                for d in c.api.acl_interface_list_dump(sw_if_index=0xFFFFFFFF)
            }
        finally:
            c.disconnect()
        mismatched = 0
        for s in sessions:
            w = want.get(s.id, {})
            iface = mgr.get(s.id).interface  # type: ignore[union-attr]
            if "qos" in w and pol.get(f"bng-agent:{iface}/in") != PROFILES[w["qos"]]:
                mismatched += 1
            if "acl" in w and lists.get(iface) != [f"bng-agent:{w['acl']}"]:
                mismatched += 1
        return {
            "vpp": "real VPP at " + ns.vpp_api_socket if ns.vpp_api_socket else "vppsim",
            "sessions": ns.sessions,
            "requests": ns.requests,
            "naks": naks,
            "vpp_state_mismatches": mismatched,
            "coa_to_ack_ms": {"p50": pct(lat, 0.5), "p99": pct(lat, 0.99), "max": pct(lat, 1.0)},
            "targets_ms": {"p50": 20, "p99": 100},
        }
    finally:
        await listener.stop()
        await service.stop()
        await link.stop()
        vpp.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sessions", type=int, default=200)
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--vpp-api-socket", help="run against the real VPP behind this API socket, not vppsim")
    p.add_argument("--vpp-restart-command", help=argparse.SUPPRESS)
    ns = p.parse_args()
    print(json.dumps(asyncio.run(run(ns)), indent=2))


if __name__ == "__main__":
    main()
