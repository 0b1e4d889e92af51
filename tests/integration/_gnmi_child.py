"""A whole agent stack in its own process for the gNMI tests (not a test module).

Runs Datastores + Journal + TransactionManager (RecordingSouthbound: the data-plane mirror) + the
NETCONF server + the gNMI server, all on 127.0.0.1 with ports chosen by the OS, plus an operational
provider that serves per-interface counters and oper-status for every configured interface (standing in
for the telemetry layer). It prints one JSON line with the ports when ready, then answers JSON commands
on stdin, one per line (``mirror``, ``fail_next_apply``, ``oper``, ``running``, ``stats``, ``quit``).

Why a separate process: pygnmi registers its own copy of ``gnmi.proto`` in protobuf's default pool, so
the client and this server cannot share one interpreter -- which is also how they run in production.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from agent.datastore.changes import Change
from agent.datastore.journal import Journal
from agent.datastore.store import Datastores
from agent.gnmi import GnmiServer
from agent.model import load_model_set
from agent.netconf import NetconfServer
from agent.txn import RecordingSouthbound, TransactionManager

ADMIN_PASSWORD = "admin-pw"
ALICE_PASSWORD = "alice-pw"
IFS = "ietf-interfaces:interfaces"


def initial_config() -> dict[str, Any]:
    """Users (admin, and alice who may only read) and the NACM rules that make alice read-only."""
    return {
        "ietf-system:system": {
            "authentication": {
                "user": [
                    {"name": "admin", "password": f"$0${ADMIN_PASSWORD}"},
                    {"name": "alice", "password": f"$0${ALICE_PASSWORD}"},
                ]
            }
        },
        "ietf-netconf-acm:nacm": {
            "enable-nacm": True,
            "read-default": "permit",
            "write-default": "permit",
            "groups": {"group": [{"name": "readers", "user-name": ["alice"]}]},
            "rule-list": [
                {
                    "name": "readers-only-read",
                    "group": ["readers"],
                    "rule": [
                        {
                            "name": "deny-writes",
                            "module-name": "*",
                            "access-operations": "create update delete",
                            "action": "deny",
                        }
                    ],
                }
            ],
        },
    }


class Counters:
    """Operational interface data for every interface in running; counters move with time."""

    def __init__(self, ds: Datastores, extra: int) -> None:
        self.ds = ds
        self.oper: dict[str, str] = {}
        self.extra = extra  # synthetic interfaces (benchmarks): "bench<N>" state-only entries
        self.start = time.monotonic()

    def __call__(self) -> dict[str, Any]:
        tick = int((time.monotonic() - self.start) * 10)
        doc = json.loads(self.ds.read("running", xpath="/ietf-interfaces:interfaces", fmt="json") or "{}")
        names = [e["name"] for e in doc.get(IFS, {}).get("interface", [])]
        entries = []
        for i, name in enumerate(names):
            entries.append(self._entry(name, tick + i))
        return {IFS: {"interface": entries}}

    def _entry(self, name: str, n: int) -> dict[str, Any]:
        return {
            "name": name,
            "oper-status": self.oper.get(name, "up"),
            "statistics": {
                "discontinuity-time": "2026-01-01T00:00:00Z",
                "in-octets": str(1000 * n),
                "in-unicast-pkts": str(10 * n),
                "in-discards": 0,
                "in-errors": 0,
                "out-octets": str(2000 * n),
                "out-unicast-pkts": str(20 * n),
                "out-discards": 0,
                "out-errors": 0,
            },
        }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--insecure", action="store_true")
    parser.add_argument("--queue-limit", type=int, default=4096)
    parser.add_argument("--max-message", type=int, default=4 * 1024 * 1024)
    parser.add_argument(
        "--no-users", action="store_true", help="keep the bootstrap admin (no ietf-system users)"
    )
    parser.add_argument("--tls-cert", type=Path)
    parser.add_argument("--tls-key", type=Path)
    parser.add_argument("--client-ca", type=Path)
    parser.add_argument("--state-change-interval", type=float, default=5.0)
    args = parser.parse_args()
    model = load_model_set()
    ds = Datastores(model, running=None if args.no_users else json.dumps(initial_config()))
    southbound = RecordingSouthbound()
    txn = TransactionManager(ds, Journal(args.data_dir / "journal", model), southbound)
    await txn.start()
    pw = args.data_dir / "admin-password"
    pw.write_text(ADMIN_PASSWORD + "\n")
    counters = Counters(ds, 0)
    ds.operational.register("/ietf-interfaces:interfaces", counters)
    netconf = NetconfServer(
        ds, txn, model, host="127.0.0.1", port=0, data_dir=args.data_dir, admin_password_file=pw
    )
    await netconf.start()
    gnmi = GnmiServer(
        ds,
        txn,
        model,
        host="127.0.0.1",
        port=0,
        data_dir=args.data_dir,
        insecure=args.insecure,
        admin_password_file=pw,
        queue_limit=args.queue_limit,
        max_message_size=args.max_message,
        min_sample_interval=0.05,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        client_ca=args.client_ca,
        state_change_interval=args.state_change_interval,
    )
    await gnmi.start()
    ready = {"gnmi": gnmi.bound_port, "netconf": netconf.port, "cert": str(gnmi.tls_cert or "")}
    print(json.dumps(ready), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = json.loads(line)
        name = cmd.get("cmd")
        reply: Any = None
        if name == "quit":
            break
        if name == "mirror":
            reply = json.loads(southbound.json() or "{}")
        elif name == "running":
            reply = json.loads(ds.read("running", fmt="json") or "{}")
        elif name == "fail_next_apply":
            southbound.fail_at = int(cmd.get("step", 0))
        elif name == "oper":
            counters.oper[cmd["name"]] = cmd["status"]
            path = f"/ietf-interfaces:interfaces/interface[name='{cmd['name']}']/oper-status"
            gnmi.publish_operational([Change("modify", path, None, cmd["status"])])
        elif name == "stats":
            reply = {**gnmi.stats, "streams": len(gnmi.streams)}
        print(json.dumps({"ok": True, "reply": reply}), flush=True)
    await gnmi.stop()
    await netconf.stop()
    await txn.stop()


if __name__ == "__main__":
    asyncio.run(main())
