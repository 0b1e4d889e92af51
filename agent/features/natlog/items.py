"""``bng-telemetry:telemetry/nat-logging`` -> VPP's exporter 0 and the NAT plugin's logging switch.

VPP exports NAT events to one collector, exporter 0, whose address is the agent's relay
(``nat-logging/relay``): the relay then serves every collector listed in ``nat-logging/collector``
(agent/natlog). The exporter's source address is ``relay/vpp-source-address``, else the first
collector's ``source-address`` (the model says VPP needs one; VPP refuses a collector without a
source, and exporter 0 takes IPv4 only). The exporter lives in the relay's VRF (``relay/vrf``), so it
depends on that VRF's IPv4 table.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agent.features.base import FlattenContext
from agent.features.jsonietf import member
from agent.features.natlog import keys
from agent.features.natlog.values import IpfixExporterValue, NatIpfixLoggingValue
from agent.features.vrfs import keys as vrf_keys
from agent.vpp.config import Entry, RootId
from agent.vpp.items import Item, Value


def _source(entry: Entry, nl: dict[str, Any], relay: dict[str, Any]) -> str:
    src = member(relay, "vpp-source-address")
    if src is not None:
        return str(src)
    names = member(nl, "collector", []) or []
    for c in member(entry, "collector", []) or []:
        if names and c.get("name") == names[0]:
            return str(member(c, "source-address", "0.0.0.0"))
    return "0.0.0.0"


def references(entry: Entry) -> Iterable[RootId]:
    """The exporter's VRF: its table id goes into the item."""
    vrf = member(member(member(entry, "nat-logging"), "relay"), "vrf")
    return (vrf_keys.root(str(vrf)),) if vrf is not None else ()


def telemetry_items(entry: Entry, ctx: FlattenContext) -> list[Item[Value]]:
    nl = member(entry, "nat-logging")
    if nl is None:
        return []
    relay = member(nl, "relay", {}) or {}
    vrf = member(relay, "vrf")
    vrf_id, deps = 0, tuple[str, ...]()
    if vrf is not None:
        vrf_entry = ctx.get(vrf_keys.root(str(vrf)))
        if vrf_entry is None:
            return []
        vrf_id = int(member(vrf_entry, "table-id"))
        deps = (vrf_keys.table(str(vrf), False),)
    exporter = IpfixExporterValue(
        collector=str(member(relay, "address", "127.0.0.1")),
        collector_port=int(member(relay, "port", 4739)),
        src=_source(entry, nl, relay),
        vrf_id=vrf_id,
        path_mtu=int(member(relay, "path-mtu", 1450)),
        template_interval=int(member(relay, "template-interval", 20)),
    )
    logging = NatIpfixLoggingValue(int(member(nl, "domain-id", 1)), int(member(nl, "source-port", 4739)))
    return [
        Item(keys.EXPORTER, exporter, deps),
        Item(keys.NAT_LOGGING, logging, (keys.EXPORTER,)),
    ]
