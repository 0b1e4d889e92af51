"""The NAT record layouts: VPP's (what the relay receives) and the port-block record (what the relay
makes for det44 maps, which VPP does not log).

VPP 26.06 src/plugins/nat/lib/ipfix_logging.c, ``nat_template_rewrite``: each event kind has its own
template, fields in this order (all without enterprise numbers). The relay does not depend on these ids
or on this order (it forwards whatever template VPP sends, keyed by its field list); vppsim uses them
to send what VPP sends, and docs/nat-logging.md lists them.
"""

from __future__ import annotations

from agent.flowexport import Field, Template
from agent.flowexport.ie import NatEvent

_TIME, _EVENT = Field(323, 8), Field(230, 1)

#: NAT44 session create/delete (natEvent 4/5): ipfix_logging.c NAT44_SESSION_CREATE_LEN 26
NAT44_SESSION = (_TIME, _EVENT, Field(8, 4), Field(225, 4), Field(4, 1), Field(7, 2), Field(227, 2),
                 Field(234, 4))  # fmt: skip
#: NAT addresses exhausted (natEvent 3): NAT_ADDRESSES_EXHAUTED_LEN 13
ADDRESSES_EXHAUSTED = (_TIME, _EVENT, Field(283, 4))
#: quota exceeded, max entries per user (natEvent 13, natQuotaExceededEvent 3): MAX_ENTRIES_PER_USER_LEN 21
MAX_ENTRIES_PER_USER = (_TIME, _EVENT, Field(466, 4), Field(473, 4), Field(8, 4))
#: quota exceeded, max sessions (natEvent 13, natQuotaExceededEvent 1): MAX_SESSIONS_LEN 17
MAX_SESSIONS = (_TIME, _EVENT, Field(466, 4), Field(471, 4))
#: quota exceeded, max BIB entries (natEvent 13, natQuotaExceededEvent 2): MAX_BIBS_LEN 17
MAX_BIBS = (_TIME, _EVENT, Field(466, 4), Field(472, 4))

#: RFC 8158 section 4.2.3 (port block allocation and de-allocation), natEvent 16/17, IPv4 with the VRF.
PORT_BLOCK = (_TIME, _EVENT, Field(8, 4), Field(225, 4), Field(361, 2), Field(362, 2), Field(363, 2),
              Field(364, 2), Field(234, 4))  # fmt: skip
PORT_BLOCK_TEMPLATE_ID = 256

#: every layout the relay knows by name (docs and the collector's ``record`` key)
LAYOUTS: dict[str, tuple[Field, ...]] = {
    "nat44-session": NAT44_SESSION,
    "addresses-exhausted": ADDRESSES_EXHAUSTED,
    "max-entries-per-user": MAX_ENTRIES_PER_USER,
    "max-sessions": MAX_SESSIONS,
    "max-bibs": MAX_BIBS,
    "port-block": PORT_BLOCK,
}

#: bng-telemetry nat-logging ``event`` names -> the natEvent values they select
EVENTS: dict[str, frozenset[int]] = {
    "session-create": frozenset({NatEvent.NAT44_SESSION_CREATE, NatEvent.NAT64_SESSION_CREATE}),
    "session-delete": frozenset({NatEvent.NAT44_SESSION_DELETE, NatEvent.NAT64_SESSION_DELETE}),
    "address-exhausted": frozenset({NatEvent.NAT_ADDRESSES_EXHAUSTED}),
    "ports-exhausted": frozenset({NatEvent.NAT_PORTS_EXHAUSTED}),
    "quota-exceeded": frozenset({NatEvent.QUOTA_EXCEEDED}),
    "port-block": frozenset({NatEvent.PORT_BLOCK_ALLOCATION, NatEvent.PORT_BLOCK_DEALLOCATION}),
}


def layout_name(fields: tuple[Field, ...]) -> str | None:
    for name, layout in LAYOUTS.items():
        if layout == fields:
            return name
    return None


def port_block_template() -> Template:
    return Template(PORT_BLOCK_TEMPLATE_ID, PORT_BLOCK)
