"""How VPP's per-interface counters become ``ietf-interfaces`` statistics (RFC 8343 section 5).

VPP keeps one counter vector per kind in the stats segment (``foreach_simple_interface_counter_name`` and
``foreach_combined_interface_counter_name`` in ``src/vnet/interface.h``), indexed ``[thread][sw_if_index]``;
combined counters hold (packets, bytes) pairs. The agent sums the threads and maps them as below. The
mapping is data so that the operational tree, the Prometheus exporter, the docs and the tests use one
definition.

Decisions worth knowing (also in docs/telemetry.md):

* ``in-discards`` = ``/if/drops`` + ``/if/rx-no-buf`` + ``/if/rx-miss``: packets that arrived without an
  error and were dropped (no route, no buffer, receive queue full -- RFC 8343 names "lack of buffer
  space" as the example).
* ``out-discards`` is not reported: VPP has no per-interface transmit-discard counter distinct from
  ``/if/tx-error`` (which counts packets the driver failed to send), so a zero would be a lie.
* ``in-unknown-protos`` is deviated ``not-supported`` in ``bng-deviations``.
* ``/if/punt``, ``/if/ip4``, ``/if/ip6`` and ``/if/mpls`` are read (Prometheus has no use for them yet) and
  not mapped: they count packets by protocol, not by RFC 8343 category.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

#: Simple counters (one u64 per interface) read from the segment.
SIMPLE: Final = ("drops", "rx-no-buf", "rx-miss", "rx-error", "tx-error")
#: Combined counters ((packets, bytes) per interface) read from the segment.
COMBINED: Final = (
    "rx",
    "rx-unicast",
    "rx-multicast",
    "rx-broadcast",
    "tx",
    "tx-unicast",
    "tx-multicast",
    "tx-broadcast",
)

Part = Literal["packets", "bytes", "value"]


@dataclass(frozen=True)
class Mapping:
    """One ``ietf-interfaces`` statistics leaf and the VPP counters (and parts) it sums."""

    leaf: str
    sources: tuple[tuple[str, Part], ...]
    unit: str
    bits: int = 64  # RFC 8343 declares the discard and error counters as yang:counter32

    def yang_value(self, total: int) -> str | int:
        """The leaf's JSON-IETF value: counter64 is a string, counter32 a number that wraps at 2^32."""
        if self.bits == 32:
            return total & 0xFFFF_FFFF
        return str(total & 0xFFFF_FFFF_FFFF_FFFF)


STATISTICS: Final[tuple[Mapping, ...]] = (
    Mapping("in-octets", (("rx", "bytes"),), "bytes"),
    Mapping("in-unicast-pkts", (("rx-unicast", "packets"),), "packets"),
    Mapping("in-broadcast-pkts", (("rx-broadcast", "packets"),), "packets"),
    Mapping("in-multicast-pkts", (("rx-multicast", "packets"),), "packets"),
    Mapping("in-discards", (("drops", "value"), ("rx-no-buf", "value"), ("rx-miss", "value")), "packets", 32),
    Mapping("in-errors", (("rx-error", "value"),), "packets", 32),
    Mapping("out-octets", (("tx", "bytes"),), "bytes"),
    Mapping("out-unicast-pkts", (("tx-unicast", "packets"),), "packets"),
    Mapping("out-broadcast-pkts", (("tx-broadcast", "packets"),), "packets"),
    Mapping("out-multicast-pkts", (("tx-multicast", "packets"),), "packets"),
    Mapping("out-errors", (("tx-error", "value"),), "packets", 32),
)


def column_name(counter: str, part: Part) -> str:
    """The key of one counter column in a :class:`~agent.telemetry.segment.CounterTable`."""
    return counter if part == "value" else f"{counter}:{part}"


def all_columns() -> tuple[str, ...]:
    """Every column a read produces: simple counters by name, combined ones as ``name:packets|bytes``."""
    cols = list(SIMPLE)
    for c in COMBINED:
        cols += [column_name(c, "packets"), column_name(c, "bytes")]
    return tuple(cols)
