"""What both formats decode into before templates are applied: a header and its raw sets."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.flowexport.template import Template


@dataclass(slots=True)
class DataSet:
    """A data set (IPFIX) / data FlowSet (NetFlow v9): its template id and body (header stripped)."""

    template_id: int
    body: bytes


@dataclass(slots=True)
class Message:
    """One decoded message. ``domain`` is the IPFIX observation domain id or the NetFlow v9 source id;
    ``sequence`` is the header's sequence number (IPFIX: data records sent before this message in the
    domain; NetFlow v9: export packets sent before this one). ``count`` is NetFlow v9's header record
    count (0 for IPFIX); ``uptime_ms`` NetFlow v9's sysUptime."""

    version: int
    export_time: int
    sequence: int
    domain: int
    count: int = 0
    uptime_ms: int = 0
    templates: list[Template] = field(default_factory=list)
    withdrawn: list[int] = field(default_factory=list)
    data: list[DataSet] = field(default_factory=list)
