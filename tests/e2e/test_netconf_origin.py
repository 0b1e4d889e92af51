"""RFC 8526 <get-data> origin on the whole node: ports VPP (vppsim) has are ``or:system`` until they are
configured, then ``or:intended``; origin filters and config-filter select them (ncclient, raw RPCs)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from lxml import etree
from test_agent_run import RunningAgent

NMDA = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
DS = "urn:ietf:params:xml:ns:yang:ietf-datastores"
OR = "urn:ietf:params:xml:ns:yang:ietf-origin"
IF = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
ORIGIN = f"{{{OR}}}origin"


def get_data(m: Any, extra: str) -> etree._Element:
    rpc = f'<get-data xmlns="{NMDA}" xmlns:ds="{DS}"><datastore>ds:operational</datastore>{extra}</get-data>'
    return etree.fromstring(m.dispatch(etree.fromstring(rpc)).xml.encode())


def origins(root: etree._Element) -> dict[str, str]:
    """Effective origin of each interface entry (inherited from <interfaces> when not annotated)."""
    out = {}
    for ifs in root.iter(f"{{{IF}}}interfaces"):
        top = ifs.get(ORIGIN, "")
        for entry in ifs.iter(f"{{{IF}}}interface"):
            out[entry.findtext(f"{{{IF}}}name") or ""] = entry.get(ORIGIN, top).split(":")[-1]
    return out


def test_ports_are_system_until_configured(tmp_path: Path) -> None:
    secret = tmp_path / "admin-password"
    secret.write_text("origin-pw-7\n")
    agent = RunningAgent(tmp_path / "data", "--gnmi-insecure", "--admin-password-file", str(secret))
    try:
        with agent.netconf("origin-pw-7") as m:
            before = origins(get_data(m, "<with-origin/><config-filter>true</config-filter>"))
            assert len(before) >= 2 and set(before.values()) == {"system"}, before
            port = sorted(before)[0]
            m.edit_config(
                target="candidate",
                config=(
                    f'<config xmlns="{NC}"><interfaces xmlns="{IF}"><interface><name>{port}</name>'
                    '<type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:ethernetCsmacd'
                    "</type><description>uplink</description></interface></interfaces></config>"
                ),
            )
            m.commit()
            after = origins(get_data(m, "<with-origin/><config-filter>true</config-filter>"))
            assert after == {**before, port: "intended"}
            system_only = get_data(
                m,
                "<config-filter>true</config-filter>"
                f"<origin-filter xmlns:or='{OR}'>or:system</origin-filter>",
            )
            names = [e.text for e in system_only.iter(f"{{{IF}}}name")]
            assert sorted(names) == sorted(set(before) - {port})
            state = get_data(m, "<config-filter>false</config-filter>")
            entries = {e.findtext(f"{{{IF}}}name"): e for e in state.iter(f"{{{IF}}}interface")}
            assert set(entries) == set(before)
            for name, entry in entries.items():
                assert entry.find(f"{{{IF}}}oper-status") is not None, name
                assert entry.find(f"{{{IF}}}description") is None, name
    finally:
        assert agent.stop() == 0, agent.err[-3000:]


def test_a_preprovisioned_port_is_configured_and_not_present(tmp_path: Path) -> None:
    """A commit for a NIC VPP does not have is accepted (pre-provisioning); operational state shows the
    port with RFC 8343 oper-status ``not-present`` and agent-state is not in sync."""
    secret = tmp_path / "admin-password"
    secret.write_text("origin-pw-8\n")
    agent = RunningAgent(tmp_path / "data", "--gnmi-insecure", "--admin-password-file", str(secret))
    absent = "GigabitEthernet0/1f/0"
    try:
        with agent.netconf("origin-pw-8") as m:
            m.edit_config(
                target="candidate",
                config=(
                    f'<config xmlns="{NC}"><interfaces xmlns="{IF}"><interface><name>{absent}</name>'
                    '<type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:ethernetCsmacd'
                    "</type><description>NIC on order</description></interface></interfaces></config>"
                ),
            )
            m.commit()
            flt = (
                f'<subtree-filter><interfaces xmlns="{IF}"><interface><name>{absent}</name>'
                "</interface></interfaces></subtree-filter>"
            )
            status = None
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                reply = get_data(m, flt)
                status = next((e.text for e in reply.iter(f"{{{IF}}}oper-status")), None)
                if status == "not-present":
                    break
                time.sleep(0.2)
            assert status == "not-present"
            assert next(e.text for e in reply.iter(f"{{{IF}}}description")) == "NIC on order"
            agent_state = get_data(
                m, '<subtree-filter><agent-state xmlns="urn:bng-agent:yang:bng-agent"/></subtree-filter>'
            )
            assert [e.text for e in agent_state.iter("{urn:bng-agent:yang:bng-agent}in-sync")] == ["false"]
    finally:
        assert agent.stop() == 0, agent.err[-3000:]
