"""Information elements: IANA's IPFIX registry (https://www.iana.org/assignments/ipfix), the subset the
project exports and understands, with the RFC 8158 NAT elements.

NetFlow v9 field types 1..127 are the same numbers (RFC 3954 section 8), and IANA kept the numbering,
so one table serves both formats. Elements not listed decode as ``octetArray`` under ``ie<N>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class IeType(IntEnum):
    """Abstract data types (RFC 7011 section 6.1) the codecs distinguish."""

    UNSIGNED = 1
    IPV4 = 2
    IPV6 = 3
    MILLISECONDS = 4  # dateTimeMilliseconds: unsigned64, ms since the UNIX epoch
    SECONDS = 5  # dateTimeSeconds
    OCTETS = 6
    MAC = 7
    STRING = 8


@dataclass(frozen=True, slots=True)
class Ie:
    """One information element: number, name (IANA's spelling), type, natural length."""

    id: int
    name: str
    type: IeType
    length: int


_U, _4, _6, _MS = IeType.UNSIGNED, IeType.IPV4, IeType.IPV6, IeType.MILLISECONDS

ELEMENTS: tuple[Ie, ...] = (
    Ie(1, "octetDeltaCount", _U, 8),
    Ie(2, "packetDeltaCount", _U, 8),
    Ie(4, "protocolIdentifier", _U, 1),
    Ie(5, "ipClassOfService", _U, 1),
    Ie(6, "tcpControlBits", _U, 2),
    Ie(7, "sourceTransportPort", _U, 2),
    Ie(8, "sourceIPv4Address", _4, 4),
    Ie(10, "ingressInterface", _U, 4),
    Ie(11, "destinationTransportPort", _U, 2),
    Ie(12, "destinationIPv4Address", _4, 4),
    Ie(14, "egressInterface", _U, 4),
    Ie(27, "sourceIPv6Address", _6, 16),
    Ie(28, "destinationIPv6Address", _6, 16),
    Ie(56, "sourceMacAddress", IeType.MAC, 6),
    Ie(80, "destinationMacAddress", IeType.MAC, 6),
    Ie(61, "flowDirection", _U, 1),
    Ie(144, "exportingProcessId", _U, 4),
    Ie(149, "observationDomainId", _U, 4),
    Ie(150, "flowStartSeconds", IeType.SECONDS, 4),
    Ie(151, "flowEndSeconds", IeType.SECONDS, 4),
    Ie(152, "flowStartMilliseconds", _MS, 8),
    Ie(153, "flowEndMilliseconds", _MS, 8),
    Ie(225, "postNATSourceIPv4Address", _4, 4),
    Ie(226, "postNATDestinationIPv4Address", _4, 4),
    Ie(227, "postNAPTSourceTransportPort", _U, 2),
    Ie(228, "postNAPTDestinationTransportPort", _U, 2),
    Ie(230, "natEvent", _U, 1),
    Ie(234, "ingressVRFID", _U, 4),
    Ie(235, "egressVRFID", _U, 4),
    Ie(281, "postNATSourceIPv6Address", _6, 16),
    Ie(282, "postNATDestinationIPv6Address", _6, 16),
    Ie(283, "natPoolId", _U, 4),
    Ie(323, "observationTimeMilliseconds", _MS, 8),
    Ie(361, "portRangeStart", _U, 2),
    Ie(362, "portRangeEnd", _U, 2),
    Ie(363, "portRangeStepSize", _U, 2),
    Ie(364, "portRangeNumPorts", _U, 2),
    Ie(463, "natInstanceID", _U, 4),
    Ie(466, "natQuotaExceededEvent", _U, 4),
    Ie(467, "natThresholdEvent", _U, 4),
    Ie(471, "maxSessionEntries", _U, 4),
    Ie(472, "maxBIBEntries", _U, 4),
    Ie(473, "maxEntriesPerUser", _U, 4),
)

BY_ID: dict[int, Ie] = {e.id: e for e in ELEMENTS}
BY_NAME: dict[str, Ie] = {e.name: e for e in ELEMENTS}


def lookup(ie_id: int, enterprise: int = 0) -> Ie:
    """The element (an enterprise-specific or unknown one as ``octetArray`` named ``ie<N>``/``ie<E>.<N>``)."""
    if enterprise == 0 and ie_id in BY_ID:
        return BY_ID[ie_id]
    name = f"ie{ie_id}" if enterprise == 0 else f"ie{enterprise}.{ie_id}"
    return Ie(ie_id, name, IeType.OCTETS, 0xFFFF)


class NatEvent(IntEnum):
    """``natEvent`` values (IANA "NAT Event Type" registry, RFC 8158 section 4.1 table 1). VPP 26.06's
    ``nat_event_t`` (src/plugins/nat/lib/ipfix_logging.h) uses the same numbers."""

    NAT_ADDRESSES_EXHAUSTED = 3
    NAT44_SESSION_CREATE = 4
    NAT44_SESSION_DELETE = 5
    NAT64_SESSION_CREATE = 6
    NAT64_SESSION_DELETE = 7
    NAT44_BIB_CREATE = 8
    NAT44_BIB_DELETE = 9
    NAT64_BIB_CREATE = 10
    NAT64_BIB_DELETE = 11
    NAT_PORTS_EXHAUSTED = 12
    QUOTA_EXCEEDED = 13
    ADDRESS_BINDING_CREATE = 14
    ADDRESS_BINDING_DELETE = 15
    PORT_BLOCK_ALLOCATION = 16
    PORT_BLOCK_DEALLOCATION = 17
    THRESHOLD_REACHED = 18


class NatQuotaExceededEvent(IntEnum):
    """``natQuotaExceededEvent`` values (IANA, RFC 8158 section 4.1 table 2)."""

    MAX_SESSION_ENTRIES = 1
    MAX_BIB_ENTRIES = 2
    MAX_ENTRIES_PER_USER = 3
    MAX_ACTIVE_HOSTS = 4
    MAX_FRAGMENTS_PENDING_REASSEMBLY = 5
