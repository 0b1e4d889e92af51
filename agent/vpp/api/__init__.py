"""The project's VPP API definitions (VPP 26.06) and the messages the agent uses.

The ``*.api.json`` files next to this module are written in the format VPP installs under
``/usr/share/vpp/api`` (``types``, ``messages``, ``unions``, ``enums``, ``enumflags``, ``services``,
``options``, ``aliases``, ``vl_api_version``) and cover only what this project calls. Field names, types
and enum values were taken from FDio/vpp's ``.api`` files (``src/vnet/interface.api``,
``interface_types.api``, ``ethernet/ethernet_types.api``, ``ip/ip.api``, ``ip/ip_types.api``,
``fib/fib_types.api``, ``bonding/bond.api``, ``ip/punt.api``, ``plugins/pppoe/pppoe.api``,
``src/vpp/api/vpe.api``, ``src/vlib/vlib.api``, ``src/vnet/ip6-nd/ip6_nd.api``). Every CRC was computed
with :mod:`vppsim.apicrc` (vppapigen's algorithm) and checked against the CRCs in VPP's generated
``*.api_types.h`` headers (``punt.api.json``, ``pppoe.api.json`` and ``ip6_nd.api.json`` were cut from a
26.06 build's generated JSON). The connection messages (``sockclnt_create``, ``control_ping``,
``get_api_json`` ...) come from vpp-papi's
bundled ``memclnt.api.json``, which is VPP's own file.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

API_DIR = Path(__file__).resolve().parent

#: Every request message the agent sends (its reply / details messages are implied by ``services``).
MESSAGES_USED: tuple[str, ...] = (
    "sockclnt_create",
    "sockclnt_delete",
    "control_ping",
    "get_api_json",
    "show_version",
    "cli_inband",
    "sw_interface_dump",
    "want_interface_events",
    "sw_interface_set_flags",
    "sw_interface_set_mtu",
    "sw_interface_tag_add_del",
    "create_loopback",
    "delete_loopback",
    "create_vlan_subif",
    "create_subif",
    "delete_subif",
    "bond_create2",
    "bond_delete",
    "bond_add_member",
    "bond_detach_member",
    "sw_bond_interface_dump",
    "sw_member_interface_dump",
    "sw_interface_add_del_address",
    "ip_address_dump",
    "ip_table_add_del",
    "ip_table_dump",
    "sw_interface_set_table",
    "sw_interface_get_table",
    "sw_interface_set_unnumbered",
    "ip_route_add_del",
    "ip_route_dump",
    "ip_table_replace_begin",
    "ip_table_replace_end",
    "punt_socket_register",
    "punt_socket_deregister",
    "punt_socket_dump",
    "pppoe_add_del_cp",
    "proxy_arp_add_del",
    "proxy_arp_dump",
    "proxy_arp_intfc_enable_disable",
    "proxy_arp_intfc_dump",
    "ip_neighbor_config",
    "ip_neighbor_config_get",
    "ip_neighbor_dump",
    "ip_neighbor_add_del",
    "sw_interface_ip6_enable_disable",
    "sw_interface_ip6nd_ra_config",
    "sw_interface_ip6nd_ra_prefix",
    "sw_interface_ip6nd_ra_dump",
    "acl_add_replace",
    "acl_del",
    "acl_interface_set_acl_list",
    "acl_dump",
    "acl_interface_list_dump",
    "macip_acl_add_replace",
    "macip_acl_del",
    "macip_acl_interface_add_del",
    "macip_acl_dump",
    "macip_acl_interface_list_dump",
    "acl_stats_intf_counters_enable",
    "policer_add",
    "policer_update",
    "policer_del",
    "policer_input",
    "policer_output",
    "policer_dump",
    "policer_dump_v2",
    "nat44_ed_plugin_enable_disable",
    "nat44_show_running_config",
    "nat_set_timeouts",
    "nat44_set_session_limit",
    "nat44_add_del_address_range",
    "nat44_address_dump",
    "nat44_interface_add_del_feature",
    "nat44_interface_dump",
    "nat44_add_del_static_mapping_v2",
    "nat44_static_mapping_dump",
    "nat44_user_dump",
    "nat44_user_session_v3_dump",
    "det44_plugin_enable_disable",
    "det44_add_del_map",
    "det44_map_dump",
    "det44_interface_add_del_feature",
    "det44_interface_dump",
    "det44_forward",
    "det44_reverse",
    "ip_mroute_add_del",
    "ip_mroute_dump",
    "set_ipfix_exporter",
    "ipfix_exporter_dump",
    "nat_ipfix_enable_disable",
)


def memclnt_api_json() -> Path:
    """vpp-papi's bundled ``memclnt.api.json`` (VPP's connection messages)."""
    return Path(str(resources.files("vpp_papi.data").joinpath("memclnt.api.json")))


def project_api_json_files() -> list[Path]:
    """The project's own definition files, sorted by name."""
    return sorted(API_DIR.glob("*.api.json"))


def api_json_files() -> list[Path]:
    """Everything a client needs: ``memclnt.api.json`` first, then the project's files.

    Pass this to ``vpp_papi.VPPApiClient(apifiles=...)``.
    """
    return [memclnt_api_json(), *project_api_json_files()]


@cache
def _load(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load_definitions() -> dict[str, dict[str, Any]]:
    """Parsed definitions keyed by file name (``"interface.api.json"`` ...), memclnt included.

    Each call returns fresh objects: vpp-papi mutates the lists it is given, so callers may too.
    """
    return {p.name: json.loads(_load(p)) for p in api_json_files()}


def message_crcs() -> dict[str, str]:
    """``{message name: "0x..."}`` for every message defined in :func:`api_json_files`."""
    crcs: dict[str, str] = {}
    for api in load_definitions().values():
        for msg in api.get("messages", []):
            crcs[msg[0]] = next(p["crc"] for p in msg[1:] if isinstance(p, dict) and "crc" in p)
    return crcs
