"""The project's VPP 26.06 API definitions: complete for what the agent calls, loadable by vpp-papi, and
carrying the CRCs vppapigen computes (checked against VPP's own memclnt.api.json and VPP's published
values)."""

from __future__ import annotations

import json
import random

import pytest
from vpp_papi import VPPApiClient

from agent.vpp.api import (
    MESSAGES_USED,
    api_json_files,
    load_definitions,
    message_crcs,
    project_api_json_files,
)
from vppsim.apicrc import message_crc
from vppsim.codec import ApiDefinitions


@pytest.fixture(scope="module")
def papi() -> VPPApiClient:
    return VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address="/nonexistent")


def test_every_used_message_and_its_reply_is_defined(papi: VPPApiClient) -> None:
    for name in MESSAGES_USED:
        assert name in papi.messages, name
        service = papi.services[name]
        assert service["reply"] in papi.messages, name
        if name.endswith("_dump"):
            assert service.get("stream") is True and service["reply"] == name[:-5] + "_details"
    assert papi.services["want_interface_events"]["events"] == ["sw_interface_event"]


def test_files_are_vpp_json_format(papi: VPPApiClient) -> None:
    keys = {
        "types",
        "messages",
        "unions",
        "enums",
        "enumflags",
        "services",
        "options",
        "aliases",
        "vl_api_version",
    }
    for path in project_api_json_files():
        api = json.loads(path.read_text())
        assert keys <= set(api), path.name
        for msg in api["messages"]:
            assert msg[1] == ["u16", "_vl_msg_id"], msg[0]
            assert msg[-1]["crc"].startswith("0x") and len(msg[-1]["crc"]) == 10


def test_loaded_crcs_match_the_files(papi: VPPApiClient) -> None:
    crcs = message_crcs()
    for name, crc in crcs.items():
        assert papi.messages[name].crc == crc


def test_crcs_are_what_vppapigen_computes() -> None:
    """Recompute every CRC, including those in VPP's own memclnt.api.json (bundled with vpp-papi), which
    shows the algorithm reproduces vppapigen."""
    checked = 0
    for api in load_definitions().values():
        for msg in api["messages"]:
            stored = int(msg[-1]["crc"], 16)
            assert message_crc(api, msg) == stored, msg[0]
            checked += 1
    assert checked > 80


@pytest.mark.parametrize(
    ("name", "crc"),
    [
        # values from VPP's generated *.api_types.h (VL_API_<NAME>_CRC) for the 26.06 sources
        ("sw_interface_dump", "0xaa610c27"),
        ("sw_interface_details", "0x6c221fc7"),
        ("sw_interface_set_flags", "0xf5aec1b8"),
        ("create_subif", "0x790ca755"),
        ("create_vlan_subif", "0xaf34ac8b"),
        ("bond_create2", "0x912fda76"),
        ("sw_bond_interface_details", "0x9428a69c"),
        ("ip_route_add_del", "0xb8ecfe0d"),
        ("ip_route_details", "0xbda8f315"),
        ("ip_table_add_del", "0x0ffdaec0"),
        ("cli_inband", "0xf8377302"),
        ("show_version_reply", "0xc919bde1"),
        # from the JSON vppapigen generated in a VPP 26.06 build (punt.api.json, pppoe.api.json)
        ("punt_socket_register", "0x7875badb"),
        ("punt_socket_register_reply", "0xbd30ae90"),
        ("punt_socket_deregister", "0x75afa766"),
        ("punt_socket_dump", "0x916fb004"),
        ("punt_socket_details", "0x330466e4"),
        ("pppoe_add_del_cp", "0xeacd9aaa"),
        ("set_ipfix_exporter", "0x5530c8a0"),
        ("ipfix_exporter_details", "0x0dedbfe4"),
        ("nat_ipfix_enable_disable", "0x9af4a2d2"),
    ],
)
def test_published_crcs(name: str, crc: str) -> None:
    assert message_crcs()[name] == crc


def test_fast_codec_path_produces_vpp_papi_bytes(papi: VPPApiClient) -> None:
    defs = ApiDefinitions(api_json_files())
    rng = random.Random(7)
    assert "create_subif" in defs.fast and "create_subif_reply" in defs.fast
    for name in defs.fast:
        msg = defs.messages[name]
        fields = {}
        for ftype, fname in zip(msg.fieldtypes, msg.fields, strict=True):
            if fname == "_vl_msg_id":
                continue
            fields[fname] = rng.choice([True, False]) if ftype == "bool" else rng.randrange(0, 200)
        frame = defs.encode(name, dict(fields))
        body = frame[16:]
        slow = msg.pack({**fields, "_vl_msg_id": defs.ids[name]})
        assert body == slow, name
        decoded_name, decoded = defs.decode(body)
        assert decoded_name == name
        for k, v in fields.items():
            assert int(getattr(decoded, k)) == int(v), (name, k)


def test_flat_encoder_matches_vpp_papi_for_details() -> None:
    defs = ApiDefinitions(api_json_files())
    assert "sw_interface_details" in defs.flat
    fields = {
        "context": 9,
        "sw_if_index": 5,
        "sup_sw_if_index": 1,
        "l2_address": bytes([0x52, 0x54, 0, 1, 2, 3]),
        "flags": 3,
        "type": 1,
        "link_duplex": 2,
        "link_speed": 1_000_000,
        "link_mtu": 9000,
        "mtu": [1500, 0, 0, 0],
        "sub_id": 100,
        "sub_number_of_tags": 1,
        "sub_outer_vlan_id": 100,
        "sub_if_flags": 18,
        "interface_name": "GigabitEthernet0/8/0.100",
        "interface_dev_type": "dpdk",
        "tag": "",
    }
    # every field given: vpp-papi's default for an omitted interface index is ~0 once any message has
    # declared that default (its alias packer with options replaces the shared one)
    bond = {"sw_if_index": 7, "id": 3, "mode": 5, "lb": 1, "members": 2, "interface_name": "BondEthernet3"}
    for name, sample in (("sw_interface_details", fields), ("sw_bond_interface_details", bond)):
        body = defs.encode(name, dict(sample))[16:]
        assert body == defs.messages[name].pack({**sample, "_vl_msg_id": defs.ids[name]}), name
