"""Keys of the NAT event logging feature's items."""

from __future__ import annotations

from agent.vpp import keys
from agent.vpp.config import RootId

#: The root kind of the ``bng-telemetry:telemetry`` container (one root; flow accounting, #20, will
#: add its items from the same root).
TELEMETRY = "telemetry"
TELEMETRY_ROOT = RootId(TELEMETRY)

#: ``ipfix-exporter/0``: VPP's IPFIX exporter 0 (the one ``set_ipfix_exporter`` sets)
EXPORTER = keys.join1("ipfix-exporter", "0")
#: ``nat-ipfix-logging``: the NAT plugin's IPFIX event logging switch
NAT_LOGGING = "nat-ipfix-logging"
