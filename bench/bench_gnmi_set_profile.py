"""Where a large gNMI Set spends its time, phase by phase, in one process; prints one JSON object.

The request is the one ``bench_gnmi.py set`` sends (M QinQ sub-interfaces with an IPv4 address each, one
``json_ietf_val`` update on ``/ietf-interfaces:interfaces``). Phases, each timed on its own:

* ``proto_parse``: ``SetRequest.FromString`` of the wire bytes (what grpc's deserializer does);
* ``gnmi_paths``: prefix join and gNMI path -> XPath conversion (``agent.gnmi.paths``);
* ``json_decode``: ``decode_value`` (``json.loads`` of the value);
* ``nacm_check``: the per-node write check of :func:`agent.gnmi.auth.check_write` for a user whose rules
  permit everything but updates of interface descriptions (so every node of the value is checked; the
  recovery user skips the check);
* ``set_total``: the whole ``agent.gnmi.setop.set_`` (all of the above plus the transaction: datastore edit,
  validation, plan, the RecordingSouthbound's apply, journal) with an unrestricted session;
* ``profile``: cProfile of one more whole ``set_`` (a fresh agent), self seconds grouped by package and the
  top functions by cumulative time. The transaction manager runs a large edit in a worker thread, which
  cProfile (per thread) would not see, so for this run it is kept on the event loop's thread.

Run: ``.venv/bin/python bench/bench_gnmi_set_profile.py [--subinterfaces 10000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

IFS = "ietf-interfaces:interfaces"
PERMIT_ALL_NACM = {
    "ietf-netconf-acm:nacm": {
        "enable-nacm": True,
        "groups": {"group": [{"name": "ops", "user-name": ["alice"]}]},
        "rule-list": [
            {
                "name": "ops",
                "group": ["ops"],
                "rule": [
                    {
                        "name": "no-descriptions",
                        "module-name": "ietf-interfaces",
                        "path": "/ietf-interfaces:interfaces/interface/description",
                        "access-operations": "update",
                        "action": "deny",
                    },
                    {"name": "all", "module-name": "*", "access-operations": "*", "action": "permit"},
                ],
            }
        ],
    }
}


def request_bytes(count: int) -> bytes:
    """The wire form of the SetRequest bench_gnmi.py sends."""
    from agent.gnmi.pb import gnmi

    parent = "GigabitEthernet0/8/0"
    entries: list[dict[str, Any]] = [{"name": parent, "type": "iana-if-type:ethernetCsmacd"}]
    for n in range(1, count + 1):
        outer, inner = 100 + n // 4000, n % 4000 + 1
        sub_id = outer * 10000 + inner
        entries.append(
            {
                "name": f"{parent}.{sub_id}",
                "type": "iana-if-type:l2vlan",
                "bng-interfaces:sub-interface": {
                    "parent-interface": parent,
                    "sub-id": sub_id,
                    "encapsulation": {"double-tagged": {"outer-vlan-id": outer, "inner-vlan-id": inner}},
                },
                "ietf-ip:ipv4": {
                    "address": [
                        {"ip": f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}", "prefix-length": 32}
                    ]
                },
            }
        )
    body = json.dumps({"interface": entries}).encode()
    path = gnmi.Path(elem=[gnmi.PathElem(name=IFS)])
    up = gnmi.Update(path=path, val=gnmi.TypedValue(json_ietf_val=body))
    return bytes(gnmi.SetRequest(update=[up]).SerializeToString())


class _Stack:
    """Datastores + TransactionManager (RecordingSouthbound) + GnmiServer, not listening."""

    def __init__(self, data_dir: Path) -> None:
        from agent.datastore.journal import Journal
        from agent.datastore.store import Datastores
        from agent.gnmi import GnmiServer
        from agent.model import load_model_set
        from agent.txn import RecordingSouthbound, TransactionManager

        self.model = load_model_set()
        self.ds = Datastores(self.model)
        self.txn = TransactionManager(
            self.ds, Journal(data_dir / "journal", self.model), RecordingSouthbound()
        )
        pw = data_dir / "pw"
        pw.write_text("bench-pw\n")
        self.server = GnmiServer(
            self.ds, self.txn, self.model, port=0, data_dir=data_dir, insecure=True, admin_password_file=pw
        )

    async def set_once(self, raw: bytes) -> float:
        from agent.datastore.session import Session
        from agent.gnmi import setop
        from agent.gnmi.pb import gnmi

        request = gnmi.SetRequest.FromString(raw)
        session = Session.create("admin", "gnmi")
        acl = self.server.auth.access(self.server.auth.recovery_user)
        started = time.perf_counter()
        await setop.set_(self.server, request, session, acl)
        return time.perf_counter() - started


def _group(filename: str, func: str) -> str:
    if filename == "~":  # a builtin: C code, named by what it belongs to
        if "_libyang" in func:
            return "libyang (C, through cffi)"
        if "epoll" in func:
            return "event loop idle (waiting for worker threads, fsync)"
        return "builtins"
    if "/agent/" in filename:
        part = filename.split("/agent/", 1)[1]
        return "agent/" + part.split("/", 1)[0] if "/" in part else "agent"
    for name in ("libyang", "grpc", "google/protobuf", "asyncio", "json"):
        if f"/{name}/" in filename:
            return name
    return "other"


def _profile_summary(prof: cProfile.Profile, top: int) -> dict[str, Any]:
    stats = pstats.Stats(prof)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    by_group: dict[str, float] = {}
    rows = []
    for (filename, line, func), (_cc, _nc, tottime, cumtime, _callers) in raw.items():
        g = _group(filename, func)
        by_group[g] = by_group.get(g, 0.0) + tottime
        where = filename.split("/work/main/", 1)[-1] if "/work/main/" in filename else Path(filename).name
        rows.append((cumtime, tottime, f"{where}:{line}({func})"))
    rows.sort(reverse=True)
    return {
        "self_seconds_by_package": {
            k: round(v, 3) for k, v in sorted(by_group.items(), key=lambda kv: -kv[1])
        },
        "top_cumulative": [
            {"cum_s": round(c, 3), "self_s": round(t, 3), "function": f} for c, t, f in rows[:top]
        ],
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from agent.access.nacm import AccessControl, policy_from_json
    from agent.gnmi import auth
    from agent.gnmi.encode import decode_value
    from agent.gnmi.paths import full_path, to_xpath
    from agent.gnmi.pb import gnmi

    raw = request_bytes(args.subinterfaces)
    out: dict[str, Any] = {"subinterfaces": args.subinterfaces, "request_bytes": len(raw)}

    t = time.perf_counter()
    request = gnmi.SetRequest.FromString(raw)
    out["proto_parse_s"] = round(time.perf_counter() - t, 4)

    with tempfile.TemporaryDirectory() as tmp:
        stack = _Stack(Path(tmp))
        up = request.update[0]
        t = time.perf_counter()
        xpath = to_xpath(full_path(request.prefix, up.path), stack.model.ctx, for_edit=True)
        out["gnmi_paths_s"] = round(time.perf_counter() - t, 4)
        t = time.perf_counter()
        value = decode_value(up.val)
        out["json_decode_s"] = round(time.perf_counter() - t, 4)
        acl = AccessControl(policy_from_json(json.dumps(PERMIT_ALL_NACM)), "alice", recovery=False)
        t = time.perf_counter()
        denied = auth.check_write(acl, auth.segments(xpath), value, "update")
        out["nacm_check_s"] = round(time.perf_counter() - t, 4)
        out["nacm_denied"] = denied

        await stack.txn.start()
        try:
            out["set_total_s"] = round(await stack.set_once(raw), 3)
        finally:
            await stack.txn.stop()

    with tempfile.TemporaryDirectory() as tmp:
        stack = _Stack(Path(tmp))
        await stack.txn.start()
        import agent.txn.manager as manager

        manager.is_large_json = lambda values: False  # type: ignore[attr-defined]
        prof = cProfile.Profile()
        try:
            prof.enable()
            elapsed = await stack.set_once(raw)
            prof.disable()
        finally:
            await stack.txn.stop()
        out["profiled_set_s"] = round(elapsed, 3)
        out["profile"] = _profile_summary(prof, args.top)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subinterfaces", type=int, default=10_000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args)), indent=1))


if __name__ == "__main__":
    main()
