"""Benchmark ACLs through the agent's commit path into vppsim or a real VPP (JSON on stdout).

Measured, each through a whole commit (gNMI-style edit of the candidate, validation, plan, VPP calls,
journal) with the VPP calls counted by message:

* ``big``: one ACL of ``--rules`` ACEs (each one VPP rule: a source /32 and a TCP destination port),
  attached to a port -- compile and apply; the acceptance target is < 1 s with the ACL in one
  ``acl_add_replace``;
* ``one_ace``: one ACE of that ACL changed (its port) -- must be one VPP call, ``acl_add_replace`` with
  the same index, the attachment untouched;
* ``many``: ``--acls`` ACLs of ``--small-rules`` ACEs each in one commit;
* ``one_of_many``: one ACE of one of them changed (one call, whatever the number of ACLs);
* ``resync``: a reconcile of the whole configuration against VPP (must send nothing);
* ``southbound``: the same big ACL and one-ACE change given to the southbound directly as change
  records (what a commit hands it after validation): compile (plan) and apply (VPP calls) timed apart,
  i.e. the ACL feature's own cost without the datastore's validation of the whole ``acls`` tree.

The southbound's own share (plan = compile, apply = VPP calls) is taken from its log line
``southbound apply ... ms=`` and the planner's timing.

    .venv/bin/python bench/bench_acl.py [--rules 10000] [--acls 1000] [--small-rules 10]
                                        [--vpp-api-socket PATH]

Real VPP (``--vpp-api-socket``): the port is given to VPP as an af_packet port on a veth if it lacks it
(bench/realvpp.py); run it against a VPP without the agent's ACLs (a fresh one).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.datastore.changes import Change  # noqa: E402
from agent.datastore.journal import Journal  # noqa: E402
from agent.datastore.session import Session  # noqa: E402
from agent.datastore.store import Datastores  # noqa: E402
from agent.model import load_model_set  # noqa: E402
from agent.txn import TransactionManager  # noqa: E402
from agent.vpp.link import VppLink  # noqa: E402
from agent.vpp.southbound import VppSouthbound  # noqa: E402
from bench.bench_southbound import start_vppsim, stop  # noqa: E402
from bench.realvpp import ensure_ports, remove_ports  # noqa: E402

PORT = "GigabitEthernet0/8/0"
ACLS = "/ietf-access-control-list:acls"
SESSION = Session(id=1, user="admin", origin="netconf")


def ace(i: int, port: int = 80) -> dict[str, Any]:
    return {
        "name": f"r{i}",
        "matches": {
            "ipv4": {"source-ipv4-network": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}/32"},
            "tcp": {"destination-port": {"operator": "eq", "port": port}},
        },
        "actions": {"forwarding": "ietf-access-control-list:accept"},
    }


def acl(name: str, rules: int) -> dict[str, Any]:
    return {
        "name": name,
        "type": "ietf-access-control-list:ipv4-acl-type",
        "aces": {"ace": [ace(i) for i in range(rules)]},
    }


class Stack:
    def __init__(self, api: str, data: Path) -> None:
        model = load_model_set()
        self.journal = Journal(data, model, fsync=False)
        loaded = self.journal.load()
        self.loaded = loaded
        self.ds = Datastores(model, running=None)
        self.sb = VppSouthbound()
        self.sb.load_config(self.ds.running.json())
        self.link = VppLink(api, self.sb, timeout=120.0)
        self.txn = TransactionManager(self.ds, self.journal, self.sb)
        self.calls: collections.Counter[str] = collections.Counter()

    async def start(self) -> None:
        await self.link.start()
        assert await self.link.wait_ready(120), f"VPP link not ready: {self.link.fatal}"
        await self.txn.start(self.loaded)
        conn = self.sb.conn
        assert conn is not None
        conn.on_call = lambda msg, seconds: self.calls.update([msg])

    async def stop(self) -> None:
        await self.txn.stop()
        await self.link.stop()

    async def commit(self, what: str, **edit: Any) -> dict[str, Any]:
        self.calls.clear()
        t0 = time.perf_counter()
        self.ds.edit_gnmi(
            "candidate",
            deletes=edit.get("deletes", []),
            replaces=[],
            updates=edit.get("updates", []),
            session=SESSION,
        )
        t_edit = time.perf_counter()
        await self.txn.commit(SESSION)
        t1 = time.perf_counter()
        writes = {m: n for m, n in self.calls.items() if not m.endswith("_dump") and m != "cli_inband"}
        return {
            "what": what,
            "edit_s": round(t_edit - t0, 3),
            "commit_s": round(t1 - t_edit, 3),
            "total_s": round(t1 - t0, 3),
            "vpp_calls": dict(sorted(writes.items())),
        }


async def southbound_only(st: Stack, rules: int) -> list[dict[str, Any]]:
    out = []
    top = f"{ACLS}/acl[name='sb']"
    big = acl("sb", rules)
    port = f"{top}/aces/ace[name='r{rules // 2}']/matches/tcp/destination-port/port"
    for what, change in (
        (f"southbound: one ACL of {rules} ACEs", Change("create", top, None, big)),
        ("southbound: one ACE of it changed", Change("modify", port, 80, 8080)),
        ("southbound: the ACL deleted", Change("delete", top, big, None)),
    ):
        st.calls.clear()
        t0 = time.perf_counter()
        plan = await st.sb.plan(None, [change])
        t1 = time.perf_counter()
        await st.sb.apply(plan)
        t2 = time.perf_counter()
        writes = {m: n for m, n in st.calls.items() if not m.endswith("_dump") and m != "cli_inband"}
        out.append(
            {
                "what": what,
                "compile_s": round(t1 - t0, 3),
                "apply_s": round(t2 - t1, 3),
                "total_s": round(t2 - t0, 3),
                "vpp_calls": dict(sorted(writes.items())),
            }
        )
    return out


async def run(ns: argparse.Namespace) -> dict[str, Any]:
    tmp = tempfile.mkdtemp(prefix="bench-acl-")
    proc = None
    ports = None
    if ns.vpp_api_socket:
        api = ns.vpp_api_socket
        ports = await ensure_ports(api, [PORT])
    else:
        proc, api = start_vppsim(tmp, "acl")
    st = Stack(api, Path(tmp) / "data")
    await st.start()
    results: list[dict[str, Any]] = []
    try:
        await st.commit(
            "port",
            updates=[
                (
                    "/ietf-interfaces:interfaces",
                    {"interface": [{"name": PORT, "type": "iana-if-type:ethernetCsmacd"}]},
                )
            ],
        )
        big = acl("big", ns.rules)
        attach = {
            "interface": [{"interface-id": PORT, "ingress": {"acl-sets": {"acl-set": [{"name": "big"}]}}}]
        }
        results.append(
            await st.commit(
                f"big: one ACL of {ns.rules} ACEs, attached",
                updates=[(ACLS, {"acl": [big], "attachment-points": attach})],
            )
        )
        path = f"{ACLS}/acl[name='big']/aces/ace[name='r{ns.rules // 2}']/matches/tcp/destination-port/port"
        results.append(await st.commit("one_ace: one ACE of it changed", updates=[(path, 8080)]))
        many = [acl(f"a{i}", ns.small_rules) for i in range(ns.acls)]
        results.append(
            await st.commit(f"many: {ns.acls} ACLs of {ns.small_rules} ACEs", updates=[(ACLS, {"acl": many})])
        )
        path = f"{ACLS}/acl[name='a{ns.acls // 2}']/aces/ace[name='r0']/matches/tcp/destination-port/port"
        results.append(await st.commit("one_of_many: one ACE of one of them changed", updates=[(path, 443)]))
        t0 = time.perf_counter()
        report = await st.sb.reconcile()
        results.append(
            {
                "what": "resync: reconcile of everything against VPP",
                "total_s": round(time.perf_counter() - t0, 3),
                "write_calls": report.write_calls,
                "read_calls": report.read_calls,
            }
        )
        await st.commit("cleanup", deletes=[ACLS])
        results += await southbound_only(st, ns.rules)
    finally:
        await st.stop()
        if proc is not None:
            stop(proc)
        if ports is not None:
            await remove_ports(ports)
    return {
        "bench": "acl",
        "vpp": "real VPP at " + ns.vpp_api_socket if ns.vpp_api_socket else "vppsim",
        "cpus": os.cpu_count(),
        "load": os.getloadavg()[0],
        "results": results,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rules", type=int, default=10000)
    p.add_argument("--acls", type=int, default=1000)
    p.add_argument("--small-rules", type=int, default=10)
    p.add_argument("--vpp-api-socket", help="run against the real VPP behind this API socket, not vppsim")
    ns = p.parse_args()
    print(json.dumps(asyncio.run(run(ns)), indent=1))


if __name__ == "__main__":
    main()
