"""The gNMI server with the subscriber API and a real subscriber manager, in its own process, for
tests/integration/test_subscriber_api.py (not a test module).

Why a separate process: the server loads the project's generated gNMI protos into protobuf's default
pool, which other test modules' pygnmi clients also populate; in production client and server are
separate processes too. It prints one JSON line (port, certificate) when ready, then answers JSON
commands on stdin, one per line: ``open``, ``set_policy``, ``release``, ``get``, ``list``,
``slow_teardown`` / ``release_async`` / ``gate`` (a teardown held open), ``no_manager``, ``stop_server``,
``quit``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import sys
from pathlib import Path
from typing import Any

from agent.datastore.store import Datastores
from agent.gnmi import GnmiServer
from agent.model import load_model_set
from agent.sessions.api import PolicyAttr, PolicyOrigin, Session, SessionKey, TerminateCause
from agent.sessions.manager import SessionManager
from agent.sessions.policycheck import running_names
from agent.sessions.templates import AccessConfig
from agent.subapi import subscriber_service
from agent.txn import RecordingSouthbound, TransactionManager

P0, P1 = "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"
PASSWORDS = {"admin": "admin-pw", "alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw"}
SUBSCRIBERS: dict[str, Any] = {
    "access-interfaces": {
        "access-interface": [
            {"interface": P0, "session-template": "gold", "ipoe": {}},
            {"interface": P1, "session-template": "gold", "ipoe": {}},
        ]
    },
    "session-templates": {"template": [{"name": "gold", "vrf": "cust", "qos-input-profile": "up-50m"}]},
}


def running() -> dict[str, Any]:
    """Users, NACM (alice may not change sessions, bob may not read them, carol may not read session 1),
    and the VRFs, QoS profiles and ACLs a policy may name."""

    def deny(name: str, group: str, **rule: Any) -> dict[str, Any]:
        return {"name": name, "group": [group], "rule": [{"name": name, "action": "deny", **rule}]}

    return {
        "ietf-system:system": {
            "authentication": {"user": [{"name": n, "password": f"$0${p}"} for n, p in PASSWORDS.items()]}
        },
        "ietf-netconf-acm:nacm": {
            "enable-nacm": True,
            "read-default": "permit",
            "write-default": "permit",
            "exec-default": "permit",
            "groups": {
                "group": [
                    {"name": "noc", "user-name": ["alice"]},
                    {"name": "outsiders", "user-name": ["bob"]},
                    {"name": "partial", "user-name": ["carol"]},
                ]
            },
            "rule-list": [
                deny("no-clear", "noc", **{"module-name": "bng-subscribers", "rpc-name": "clear-sessions"}),
                deny(
                    "no-policy", "noc", **{"module-name": "bng-subscribers", "rpc-name": "set-session-policy"}
                ),
                deny(
                    "no-sessions",
                    "outsiders",
                    **{"module-name": "bng-subscribers", "path": "/bng-subscribers:subscribers/sessions"},
                ),
                deny(
                    "not-one",
                    "partial",
                    **{
                        "module-name": "bng-subscribers",
                        "path": "/bng-subscribers:subscribers/sessions/session[id='1']",
                        "access-operations": "read",
                    },
                ),
            ],
        },
        "bng-vrf:vrfs": {"vrf": [{"name": "cust", "table-id": 10}, {"name": "blue", "table-id": 20}]},
        "bng-qos:qos": {
            "profile": [{"name": "up-50m", "cir": "50000000"}, {"name": "up-100m", "cir": "100000000"}]
        },
        "ietf-access-control-list:acls": {
            "acl": [{"name": "web-only", "type": "ietf-access-control-list:ipv4-acl-type"}]
        },
    }


class SlowTeardown:
    """Holds a session's teardown (its VPP items being removed) until the test opens the gate."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()

    async def program(self, old: Session | None, new: Session | None) -> None:
        if new is None:
            await self.gate.wait()


def brief(s: Session | None) -> Any:
    if s is None:
        return None
    return {
        "id": s.id,
        "state": s.state.value,
        "policy": {a.value: [v.value, v.origin.value] for a, v in s.policy.items()},
    }


async def main() -> None:
    data_dir = Path(sys.argv[1])
    model = load_model_set()
    ds = Datastores(model, running=json.dumps(running()))
    txn = TransactionManager(ds, None, RecordingSouthbound())
    holder: dict[str, SessionManager | None] = {
        "manager": SessionManager(AccessConfig.from_entry(SUBSCRIBERS), policy_check=running_names(ds))
    }
    server = GnmiServer(ds, txn, model, host="127.0.0.1", port=0, data_dir=data_dir / "gnmi")
    server.add_service(subscriber_service(lambda: holder["manager"]))
    await server.start()
    print(json.dumps({"port": server.bound_port, "cert": str(server.tls_cert)}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    slow = SlowTeardown()
    tasks: list[asyncio.Task[Any]] = []
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = json.loads(line)
        name = cmd.pop("cmd")
        mgr = holder["manager"]
        reply: Any = None
        if name == "quit":
            break
        try:
            if name == "open":
                assert mgr is not None
                s = await mgr.open(SessionKey(cmd["iface"], cmd["vlan"], None, cmd["mac"]), "ipoe")
                if cmd.get("ipv4"):
                    s = await mgr.bind_ipv4(s.id, ipaddress.IPv4Address(cmd["ipv4"]), 3600)
                reply = brief(s)
            elif name == "set_policy":
                assert mgr is not None
                origin = PolicyOrigin(cmd["origin"])
                reply = brief(
                    await mgr.set_policy(cmd["id"], {PolicyAttr(cmd["attr"]): cmd["value"]}, origin)
                )
            elif name == "release":
                assert mgr is not None
                await mgr.release(cmd["id"], TerminateCause(cmd["cause"]))
            elif name == "get":
                assert mgr is not None
                reply = brief(mgr.get(cmd["id"]))
            elif name == "list":
                assert mgr is not None
                reply = [brief(s) for s in mgr.list()]
            elif name == "slow_teardown":
                assert mgr is not None
                mgr.programmer = slow
            elif name == "release_async":
                assert mgr is not None
                tasks.append(asyncio.create_task(mgr.release(cmd["id"], TerminateCause.ADMIN)))
                await asyncio.sleep(0.05)
            elif name == "gate":
                slow.gate.set()
                await asyncio.gather(*tasks)
            elif name == "watchers":
                assert mgr is not None
                reply = len(mgr.hub)
            elif name == "no_manager":
                holder["manager"] = None
            elif name == "stop_server":
                await server.stop(1.0)
            print(json.dumps({"ok": True, "reply": reply}), flush=True)
        except Exception as exc:
            print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}), flush=True)
    await server.stop(0.1)


if __name__ == "__main__":
    asyncio.run(main())
