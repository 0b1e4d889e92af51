"""CoA and Disconnect through the whole agent (``bng-agent run`` on vppsim, the demo node): the listener
follows ``bng-aaa`` configuration from startup; ``radclient`` changes a live session's QoS profile (the
operational datastore shows the value with origin ``bng-sub:coa``) and disconnects it (gone from the
operational datastore and from VPP); each request is in the audit log read with ``<get-data>``, arrives as
a ``dynamic-authorization-event`` NETCONF notification and as gNMI ON_CHANGE updates."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from _gnmi_streams import subscribe_stream
from _southbound_helpers import vpp_snapshot
from lxml import etree
from pygnmi.client import gNMIclient  # type: ignore[import-untyped]
from test_sessions_agent import ACCESS, GET_SESSIONS, PASSWORD, nc, node, sessions_of, updates
from test_telemetry_gnmi import startup

AAA_NS = "urn:bng-agent:yang:bng-aaa"
SECRET = "agent-coa"
AUDIT = "/bng-aaa:dynamic-authorization-audit"
GET_AUDIT = f"""
<get-data xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
          xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores">
  <datastore>ds:operational</datastore>
  <xpath-filter xmlns:a="{AAA_NS}">/a:dynamic-authorization-audit</xpath-filter>
</get-data>"""


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_coa(path: Path, port: int) -> Path:
    doc = json.loads(path.read_text())
    radius = doc.setdefault("bng-aaa:aaa", {}).setdefault("radius", {})
    radius["dynamic-authorization"] = {
        "enabled": True,
        "address": "127.0.0.1",
        "port": port,
        "client": [{"address": "127.0.0.1", "shared-secret": SECRET}],
    }
    mapping = doc["bng-aaa:aaa"].setdefault("attribute-mapping", {}).setdefault("attribute", [])
    mapping.append({"name": "erx-in", "vendor-id": 4874, "type": 10, "target": "qos-input-profile"})
    path.write_text(json.dumps(doc))
    return path


def radclient(port: int, command: str, attrs: str) -> str:
    r = subprocess.run(
        ["radclient", "-x", "-r", "1", "-t", "2", f"127.0.0.1:{port}", command, SECRET],
        input=f"{attrs}, Event-Timestamp = {int(time.time())}, Message-Authenticator = 0x00",
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    return r.stdout + r.stderr


def audit_event(m: Any, timeout: float = 10.0) -> dict[str, list[str]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = m.take_notification(block=True, timeout=max(0.1, deadline - time.monotonic()))
        if n is None:
            continue
        body = etree.fromstring(n.notification_xml.encode()).find(f"{{{AAA_NS}}}dynamic-authorization-event")
        if body is not None:
            out: dict[str, list[str]] = {}
            for c in body:
                out.setdefault(etree.QName(c).localname, []).append(c.text or "")
            return out
    raise AssertionError("no dynamic-authorization-event notification")


def test_coa_and_disconnect_through_the_agent(tmp_path: Path) -> None:
    port = free_udp_port()
    boot = with_coa(startup(tmp_path), port)
    with node(tmp_path, boot) as n:
        m = nc(n.netconf)
        client = gNMIclient(target=("127.0.0.1", n.gnmi), username="admin", password=PASSWORD, insecure=True)
        client.__enter__()
        sub = subscribe_stream(
            client,
            {
                "subscription": [{"path": AUDIT, "mode": "on_change"}],
                "mode": "stream",
                "encoding": "json_ietf",
            },
        )
        try:
            m.create_subscription()
            for _ in range(5):
                if sub.get_update(timeout=10).get("sync_response"):
                    break
            s = n.ask(op="open", interface=ACCESS, mac="02:00:00:00:cc:01", ipv4="100.64.9.31")

            out = radclient(port, "coa", 'Framed-IP-Address = 100.64.9.31, Filter-Id = "no-such-acl"')
            assert "Received CoA-NAK" in out and "Invalid-Request" in out, out
            ev = audit_event(m)
            assert ev["type"] == ["coa"] and ev["result"] == ["nak"] and ev["error-cause"] == ["404"]
            got, _ = updates(sub, "/result")
            assert "nak" in got.values()

            # a profile of the demo configuration: the session's policy changes, with origin coa
            out = radclient(
                port, "coa", 'Framed-IP-Address = 100.64.9.31, ERX-Ingress-Policy-Name = "residential-100m"'
            )
            assert "Received CoA-ACK" in out, out
            assert audit_event(m)["result"] == ["ack"]
            listed = sessions_of(m.dispatch(etree.fromstring(GET_SESSIONS)))
            assert listed[0]["policy"]["qos-input-profile"] == ("residential-100m", "bng-sub:coa")

            out = radclient(port, "disconnect", "Framed-IP-Address = 100.64.9.31")
            assert "Received Disconnect-ACK" in out, out
            ev = audit_event(m)
            assert ev["type"] == ["disconnect"] and ev["result"] == ["ack"]
            assert ev["session-id"] == [str(s["id"])]
            assert ev["client"] == ["127.0.0.1"]
            assert "Framed-IP-Address=100.64.9.31" in ev["attribute"]

            assert sessions_of(m.dispatch(etree.fromstring(GET_SESSIONS))) == []
            assert "10/100.64.9.31/32" not in asyncio.run(vpp_snapshot(n.vpp))["routes"]
            root = etree.fromstring(m.dispatch(etree.fromstring(GET_AUDIT)).xml.encode())
            results = [r.findtext(f"{{{AAA_NS}}}result") for r in root.iter(f"{{{AAA_NS}}}request")]
            assert results == ["nak", "ack", "ack"]
        finally:
            sub.close()
            client.__exit__(None, None, None)
            m.close_session()
