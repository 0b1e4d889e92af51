"""NAT event logging: the relay between VPP's NAT IPFIX records and the operator's collectors.

VPP's nat44-ed plugin sends one IPFIX record per session event to one collector (its IPFIX exporter,
configured with ``set_ipfix_exporter``). The agent points that exporter at itself and relays:

* :mod:`.templates`: VPP's record layouts (ipfix_logging.c) and the port-block record.
* :mod:`.det44`: a deterministic NAT map's port block per inside host (det44.h).
* :mod:`.spill`: a bounded FIFO of records per collector, in memory then on disk.
* :mod:`.link`: one collector: rate limit, export as IPFIX or NetFlow v9, down detection, resend.
* :mod:`.relay`: the UDP receiver, malformed-input accounting, fan-out, port blocks, counters.
* :mod:`.config`: ``bng-telemetry`` configuration -> relay settings.
* :mod:`.collector`: ``bng-agent nat-collector``, records -> JSON lines.
"""
