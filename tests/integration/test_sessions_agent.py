"""Sessions through the whole agent (``bng-agent run`` in-process on vppsim, the demo node): a session the
subscriber manager opens reaches a gNMI ON_CHANGE subscriber (pygnmi) and a NETCONF notification
subscriber (ncclient), shows in the operational datastore with the origin of its policy, is ended by the
``clear-sessions`` RPC, and survives an agent restart (restored from the log and programmed into a VPP
that restarted too)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _gnmi_streams import subscribe_stream
from _southbound_helpers import vpp_snapshot
from lxml import etree
from ncclient import manager
from pygnmi.client import gNMIclient  # type: ignore[import-untyped]
from test_telemetry_gnmi import PASSWORD, startup

ROOT = Path(__file__).resolve().parents[2]

ACCESS = "GigabitEthernet0/a/0.100"  # shared access interface of the demo node, template residential
SUB_NS = "urn:bng-agent:yang:bng-subscribers"
SESSIONS = "/bng-subscribers:subscribers/sessions"
GET_SESSIONS = f"""
<get-data xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
          xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores">
  <datastore>ds:operational</datastore>
  <xpath-filter xmlns:s="{SUB_NS}">/s:subscribers/s:sessions</xpath-filter>
</get-data>"""


class Node:
    """The agent in a child process (tests/integration/_sessions_child.py) and a line to its manager."""

    def __init__(self, proc: subprocess.Popen[str], ready: dict[str, Any]) -> None:
        self.proc = proc
        self.netconf: int = ready["netconf"]
        self.gnmi: int = ready["gnmi"]
        self.vpp: str = ready["vpp"]

    def ask(self, **cmd: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        out: dict[str, Any] = json.loads(self.proc.stdout.readline())
        assert "error" not in out, out
        return out


@contextmanager
def node(tmp_path: Path, startup_file: Path) -> Iterator[Node]:
    log = (tmp_path / "agent.log").open("a")
    proc = subprocess.Popen(
        [sys.executable, "tests/integration/_sessions_child.py", "--data-dir", str(tmp_path / "data"),
         "--startup", str(startup_file)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, (tmp_path / "agent.log").read_text()[-3000:]
        yield Node(proc, json.loads(line))
        proc.communicate('{"op": "quit"}\n', timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()


def nc(port: int) -> Any:
    return manager.connect(
        host="127.0.0.1",
        port=port,
        username="admin",
        password=PASSWORD,
        hostkey_verify=False,
        look_for_keys=False,
        allow_agent=False,
        timeout=30,
    )


def sessions_of(reply: Any) -> list[dict[str, Any]]:
    root = etree.fromstring(reply.xml.encode())
    out = []
    for s in root.iter(f"{{{SUB_NS}}}session"):
        e: dict[str, Any] = {etree.QName(c).localname: c.text for c in s if not len(c)}
        e["policy"] = {
            p.findtext(f"{{{SUB_NS}}}attribute"): (
                p.findtext(f"{{{SUB_NS}}}value"),
                p.findtext(f"{{{SUB_NS}}}source"),
            )
            for p in s.iter(f"{{{SUB_NS}}}policy")
        }
        out.append(e)
    return out


def next_event(m: Any, timeout: float = 10.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = m.take_notification(block=True, timeout=max(0.1, deadline - time.monotonic()))
        if n is None:
            continue
        body = etree.fromstring(n.notification_xml.encode()).find(f"{{{SUB_NS}}}session-event")
        if body is not None:
            return {etree.QName(c).localname: c.text or "" for c in body}
    raise AssertionError("no session-event notification")


def updates(sub: Any, until: str, timeout: float = 10.0) -> tuple[dict[str, Any], float]:
    """gNMI updates (path -> value, deletes -> None) until a path ends with ``until``; and when that came."""
    got: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = sub.get_update(timeout=max(0.1, deadline - time.monotonic()))
        up = msg.get("update") or {}
        prefix = up.get("prefix") or ""
        for u in up.get("update") or []:
            got[f"{prefix}/{u['path']}" if prefix else u["path"]] = u["val"]
        for d in up.get("delete") or []:
            got[f"{prefix}/{d}" if prefix else d] = None
        if any(k.endswith(until) for k in got):
            return got, time.time()
    raise AssertionError(f"no update ending in {until}: {got}")


def test_session_reaches_gnmi_netconf_and_operational_and_survives_restart(tmp_path: Path) -> None:
    boot = startup(tmp_path)
    with node(tmp_path, boot) as n:
        m = nc(n.netconf)
        client = gNMIclient(target=("127.0.0.1", n.gnmi), username="admin", password=PASSWORD, insecure=True)
        client.__enter__()
        sub = subscribe_stream(
            client,
            {
                "subscription": [{"path": SESSIONS, "mode": "on_change"}],
                "mode": "stream",
                "encoding": "json_ietf",
            },
        )
        try:
            m.create_subscription()
            for _ in range(5):
                if sub.get_update(timeout=10).get("sync_response"):
                    break
            s = n.ask(op="open", interface=ACCESS, mac="02:00:00:00:aa:01", ipv4="100.64.9.1")
            got, at = updates(sub, "/ipv4-address")
            assert at - s["done"] < 1.0  # latency is measured in bench/bench_sessions.py
            base = f"bng-subscribers:subscribers/sessions/session[id={s['id']}]"
            assert got[f"{base}/state"] == "established" and got[f"{base}/ipv4-address"] == "100.64.9.1"
            profile = "residential-100m"  # a profile of the demo configuration (an unknown one is refused)
            n.ask(op="policy", id=s["id"], attr="qos-input-profile", value=profile, origin="radius")
            got, _ = updates(sub, "/source")
            assert got[f"{base}/policy[attribute=qos-input-profile]/source"] == "bng-subscribers:radius"

            events = [next_event(m) for _ in range(3)]
            assert [e["event"] for e in events] == ["appeared", "changed", "changed"]
            assert events[1]["state"] == "established" and events[1]["ipv4-address"] == "100.64.9.1"

            listed = sessions_of(m.dispatch(etree.fromstring(GET_SESSIONS)))
            assert (
                len(listed) == 1
                and listed[0]["id"] == str(s["id"])
                and listed[0]["access-interface"] == ACCESS
            )
            assert listed[0]["policy"]["vrf"] == ("internet", "or:intended")
            assert listed[0]["policy"]["qos-input-profile"][1].endswith(":radius")

            snap = asyncio.run(vpp_snapshot(n.vpp))
            assert snap["routes"]["10/100.64.9.1/32"] == [("100.64.9.1", ACCESS, 1, 0, 0)]
            t = n.ask(op="open", interface=ACCESS, mac="02:00:00:00:aa:02", ipv4="100.64.9.2")
        finally:
            sub.close()
            client.__exit__(None, None, None)
            m.close_session()
    # the agent (and its vppsim) stop; the next start restores the sessions into an empty VPP
    with node(tmp_path, boot) as n:
        assert n.ask(op="list")["sessions"] == [[s["id"], "100.64.9.1"], [t["id"], "100.64.9.2"]]
        snap = asyncio.run(vpp_snapshot(n.vpp))
        assert snap["routes"]["10/100.64.9.2/32"] == [("100.64.9.2", ACCESS, 1, 0, 0)]
        m = nc(n.netconf)
        try:
            m.create_subscription()
            rpc = f'<clear-sessions xmlns="{SUB_NS}"><session-id>{s["id"]}</session-id></clear-sessions>'
            reply = m.dispatch(etree.fromstring(rpc))
            assert etree.fromstring(reply.xml.encode()).findtext(f".//{{{SUB_NS}}}cleared") == "1"
            left = next_event(m)
            assert left["event"] == "left" and left["cause"] == "admin" and left["session-id"] == str(s["id"])
            assert n.ask(op="list")["sessions"] == [[t["id"], "100.64.9.2"]]
            assert "10/100.64.9.1/32" not in asyncio.run(vpp_snapshot(n.vpp))["routes"]
            bad = f'<clear-sessions xmlns="{SUB_NS}"><session-id>x</session-id></clear-sessions>'
            try:
                m.dispatch(etree.fromstring(bad))
                raise AssertionError("a bad session-id was accepted")
            except Exception as e:  # ncclient raises RPCError with the server's rpc-error
                assert "invalid-value" in str(getattr(e, "tag", "")) or "invalid" in str(e), e
        finally:
            m.close_session()
