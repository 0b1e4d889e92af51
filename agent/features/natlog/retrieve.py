"""Read NAT event logging back from VPP (``ipfix_exporter_dump``).

Exporter 0 is one VPP-wide setting that other tools (flowprobe from the CLI, a second agent) may set
too: it is the agent's only when the agent configures NAT logging or programmed it itself; any other
exporter VPP has (a collector other than 0.0.0.0) is reported as unmanaged and left alone.

VPP 26.06 has no dump of the NAT plugin's logging switch (``nat44_show_running_config`` reports it, but
inverted, and belongs to the nat feature). It is taken to be on while exporter 0 is still the agent's
and the agent switched it on: a VPP restart resets exporter 0 (collector 0.0.0.0), so both are
programmed again; after an agent restart against a running VPP the switch is sent again, which VPP
answers with 0 and no change.
"""

from __future__ import annotations

from agent.features.base import FlattenContext, RetrieveContext
from agent.features.natlog import keys
from agent.features.natlog.items import telemetry_items
from agent.features.natlog.values import IpfixExporterValue
from agent.vpp.items import Item


async def retrieve(ctx: RetrieveContext) -> None:
    out = ctx.out
    entry = ctx.config.entries(keys.TELEMETRY).get("")
    configured = (
        {it.key: it for it in telemetry_items(entry, FlattenContext(ctx.config, {}))} if entry else {}
    )
    details = await ctx.conn.dump("ipfix_exporter_dump")
    if not details:
        return
    d = details[0]
    collector = str(d.collector_address)
    if collector == "0.0.0.0":
        return
    value = IpfixExporterValue(
        collector, int(d.collector_port), str(d.src_address), int(d.vrf_id), int(d.path_mtu),
        int(d.template_interval), bool(d.udp_checksum),
    )  # fmt: skip
    if keys.EXPORTER not in configured and keys.EXPORTER not in ctx.applied:
        out.unmanaged.append({"kind": "ipfix-exporter", "collector": collector, "port": value.collector_port})
        return
    deps = configured[keys.EXPORTER].deps if keys.EXPORTER in configured else ()
    out.items[keys.EXPORTER] = Item(keys.EXPORTER, value, deps)
    logging = ctx.applied.get(keys.NAT_LOGGING)
    if logging is not None:
        out.items[keys.NAT_LOGGING] = logging
