"""Agent state through the agent process (``bng-agent run --sim``): what a controller and a telemetry
collector see when a cable is pulled and when VPP dies.

A gNMI ON_CHANGE subscriber (pygnmi) follows ``/bng-agent:agent-state/vpp/connection-state`` and a NETCONF
client (ncclient) is subscribed to the NETCONF stream; vppsim's control channel pulls a cable and then
crashes the emulator. Both clients must hear about it from the running agent, which proves the telemetry
bus is wired to both northbound servers in ``agent/app/main.py``.
"""

from __future__ import annotations

import time
from typing import Any

from _gnmi_streams import subscribe_stream
from lxml import etree
from ncclient import manager
from pygnmi.client import gNMIclient  # type: ignore[import-untyped]
from test_telemetry_gnmi import MEMBER, PASSWORD, flat, node  # noqa: F401  (node is a fixture)

from vppsim.control import send_command

AGENT_NS = "urn:bng-agent:yang:bng-agent"
STATE = "/bng-agent:agent-state/vpp/connection-state"


def next_notification(m: Any, name: str, timeout: float = 15.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = m.take_notification(block=True, timeout=max(0.1, deadline - time.monotonic()))
        if n is None:
            continue
        body = etree.fromstring(n.notification_xml.encode()).find(f"{{{AGENT_NS}}}{name}")
        if body is not None:
            return {etree.QName(c).localname: c.text or "" for c in body}
    raise AssertionError(f"no {name} notification within {timeout}s")


def test_cable_pull_and_vpp_crash_reach_netconf_and_gnmi(node: dict[str, Any]) -> None:  # noqa: F811
    with (
        manager.connect(
            host="127.0.0.1",
            port=node["netconf"],
            username="admin",
            password=PASSWORD,
            hostkey_verify=False,
            look_for_keys=False,
            allow_agent=False,
            timeout=30,
        ) as m,
        gNMIclient(
            target=("127.0.0.1", node["gnmi"]),
            username="admin",
            password=PASSWORD,
            path_cert=str(node["cert"]),
        ) as client,
    ):
        m.create_subscription()
        sub = subscribe_stream(
            client,
            {
                "subscription": [{"path": STATE, "mode": "on_change"}],
                "mode": "stream",
                "encoding": "json_ietf",
            },
        )
        try:
            initial: dict[str, Any] = {}
            for _ in range(20):  # pygnmi may hand the update and sync_response over as one message
                msg = sub.get_update(timeout=15)
                initial.update(flat(msg))
                if msg.get("sync_response"):
                    break
            assert initial == {STATE.lstrip("/"): "connected"}

            send_command(node["control"], "link", name=MEMBER, up=False)
            got = next_notification(m, "oper-status-change")
            assert got == {
                "name": MEMBER,
                "oper-status": "down",
                "admin-status": "up",
                "previous-oper-status": "up",
            }

            send_command(node["control"], "crash")
            down = next_notification(m, "vpp-connection-change")
            assert down["connection-state"] == "disconnected" and down["previous-state"] == "connected"
            assert down["connects"] == "1" and down["reason"].startswith("VPP connection lost")
            update = flat(sub.get_update(timeout=15))
            assert update == {STATE.lstrip("/"): "disconnected"}
        finally:
            sub.close()
