"""IP tables (VRFs) and their routes, as ``src/vnet/fib`` keeps them for the API.

Only what the API shows is modelled: tables per address family with id and name, and per prefix the
set of paths the API gave (sources other than the API -- interface addresses and the special entries
VPP puts in every table -- are shown with their own path types). ``ip_table_replace_begin`` marks the
table's API routes stale and ``ip_table_replace_end`` sweeps those not re-added (``fib_table_mark`` /
``fib_table_sweep`` in ``src/vnet/fib/fib_table.c``).
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass, field
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# vl_api_fib_path_type_t (src/vnet/fib/fib_types.api)
PATH_TYPE_NORMAL = 0
PATH_TYPE_LOCAL = 1
PATH_TYPE_DROP = 2
PROTO_IP4 = 0
PROTO_IP6 = 1


class Source(enum.IntEnum):
    """Which client owns a route; a lower value has priority in VPP (``fib_source.h`` ordering)."""

    SPECIAL = 0
    INTERFACE = 1
    API = 2


@dataclass(slots=True)
class Route:
    prefix: Network
    source: Source
    paths: list[dict[str, Any]] = field(default_factory=list)
    stale: bool = False


@dataclass(slots=True)
class Table:
    table_id: int
    is_ip6: bool
    name: str
    routes: dict[Network, Route] = field(default_factory=dict)
    interface_locks: int = 0  # interfaces bound to the table (FIB_SOURCE_INTERFACE locks)
    api_locked: bool = True  # the API's lock, dropped by ip_table_add_del(is_add=0)


def _drop_path(is_ip6: bool) -> dict[str, Any]:
    return {
        "sw_if_index": 0xFFFFFFFF,
        "table_id": 0,
        "weight": 1,
        "type": PATH_TYPE_DROP,
        "proto": PROTO_IP6 if is_ip6 else PROTO_IP4,
    }


# Entries VPP creates in every IPv4 / IPv6 table (ip4_fib.c ip4_specials, ip6_fib.c create_fib_with_table_id)
_SPECIALS_V4 = ("0.0.0.0/0", "0.0.0.0/32", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32")
_SPECIALS_V6 = ("::/0", "fe80::/10")


class Fib:
    """Every table, keyed by (is_ip6, table_id). Table 0 of each family always exists."""

    def __init__(self) -> None:
        self.tables: dict[tuple[bool, int], Table] = {}
        self.create(False, 0, "ipv4-VRF:0")
        self.create(True, 0, "ipv6-VRF:0")

    def get(self, is_ip6: bool, table_id: int) -> Table | None:
        return self.tables.get((is_ip6, table_id))

    def create(self, is_ip6: bool, table_id: int, name: str = "") -> Table:
        """``ip_table_create``: an existing table is left as it is (only an empty name is filled in)."""
        table = self.tables.get((is_ip6, table_id))
        if table is not None:
            if name and not table.name:
                table.name = name
            return table
        default = f"{'ipv6' if is_ip6 else 'ipv4'}-VRF:{table_id}"
        table = Table(table_id, is_ip6, name or default)
        for p in _SPECIALS_V6 if is_ip6 else _SPECIALS_V4:
            net = ipaddress.ip_network(p)
            path = _drop_path(is_ip6)
            if p == "fe80::/10":
                # ip6_fib.c: link-local is looked up in the interface's link-local table, not dropped;
                # ip_route_dump shows it as a normal path with no next hop (recorded: fixtures/vpp/ip.json)
                path["type"] = PATH_TYPE_NORMAL
            table.routes[net] = Route(net, Source.SPECIAL, [path])
        self.tables[(is_ip6, table_id)] = table
        return table

    def delete(self, is_ip6: bool, table_id: int) -> None:
        """``ip_table_delete``: table 0 and unknown tables are ignored; the API's routes go with it."""
        if table_id != 0:
            self.tables.pop((is_ip6, table_id), None)

    def all(self) -> list[Table]:
        return [self.tables[k] for k in sorted(self.tables)]
