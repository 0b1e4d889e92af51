"""VPP's refusals as a network engineer reads them, through the agent process (``bng-agent run --sim``).

vppsim's control channel makes VPP refuse the next ``create_subif`` with -80 (the return value of the
issue that asked for this; any refusal reads the same way). A gNMI Set and a NETCONF commit both fail
with VPP's name and text for the number (``-80 BOND_SLAVE_NOT_ALLOWED (Operation not allowed on slave
of BondEthernet)``, from VPP 26.06's ``src/vnet/error.h``) in the gRPC status message and in the NETCONF
error-message and error-info, and the agent logs the refused commit at WARNING with the item and the
error.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import grpc
import pytest
from lxml import etree
from ncclient import manager
from ncclient.operations import RPCError
from pygnmi.client import gNMIclient, gNMIException  # type: ignore[import-untyped]
from test_telemetry_gnmi import PASSWORD, node  # noqa: F401  (node is a fixture)

from vppsim.control import send_command

TEXT = "-80 BOND_SLAVE_NOT_ALLOWED (Operation not allowed on slave of BondEthernet)"
INFO_NS = "urn:bng-agent:error-info"
IFS = "/ietf-interfaces:interfaces"
PARENT = "GigabitEthernet0/b/0"  # a plain port in the demo configuration


def subif(sub_id: int) -> dict[str, Any]:
    return {
        "name": f"{PARENT}.{sub_id}",
        "type": "iana-if-type:l2vlan",
        "bng-interfaces:sub-interface": {
            "parent-interface": PARENT,
            "sub-id": sub_id,
            "encapsulation": {"single-tagged": {"vlan-id": sub_id}},
        },
    }


def test_a_vpp_refusal_names_vpps_error_everywhere(node: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    send_command(node["control"], "fail", message="create_subif", count=1, retval=-80)
    with (
        gNMIclient(
            target=("127.0.0.1", node["gnmi"]),
            username="admin",
            password=PASSWORD,
            path_cert=str(node["cert"]),
        ) as client,
        pytest.raises(gNMIException) as info,
    ):
        client.set(update=[(IFS, {"interface": [subif(3001)]})], encoding="json_ietf")
    status = info.value.orig_exc
    assert status.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert f"create_subif returned {TEXT}" in status.details()

    send_command(node["control"], "fail", message="create_subif", count=1, retval=-80)
    with manager.connect(
        host="127.0.0.1",
        port=node["netconf"],
        username="admin",
        password=PASSWORD,
        hostkey_verify=False,
        look_for_keys=False,
        allow_agent=False,
        timeout=30,
    ) as m:
        config = f"""<config><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface>
          <name>{PARENT}.3002</name>
          <type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:l2vlan</type>
          <sub-interface xmlns="urn:bng-agent:yang:bng-interfaces">
            <parent-interface>{PARENT}</parent-interface><sub-id>3002</sub-id><encapsulation><single-tagged><vlan-id>3002</vlan-id></single-tagged>
            </encapsulation></sub-interface></interface></interfaces></config>"""
        m.edit_config(target="candidate", config=config)
        with pytest.raises(RPCError) as err:
            m.commit()
        m.discard_changes()
    xml = err.value.xml
    assert f"create_subif returned {TEXT}" in (err.value.message or "")
    info_el = xml.find("{urn:ietf:params:xml:ns:netconf:base:1.0}error-info")
    assert info_el is not None, etree.tostring(xml)
    got = {etree.QName(c).localname: c.text for c in info_el}
    assert got["item"] == f"interface/{PARENT}.3002"
    assert (got["vpp-message"], got["vpp-retval"], got["vpp-error"]) == (
        "create_subif",
        "-80",
        "BOND_SLAVE_NOT_ALLOWED",
    )
    assert got["vpp-error-text"] == "Operation not allowed on slave of BondEthernet"

    log = (tmp_path / "agent.log").read_text()
    assert re.search(
        rf"WARNING .*southbound commit refused by VPP txn=\d+ item=interface/{re.escape(PARENT)}\.3002 "
        rf"vpp_message=create_subif error=create_subif returned {re.escape(TEXT)}",
        log,
    ), log[-3000:]
