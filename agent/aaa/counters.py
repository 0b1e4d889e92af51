"""Per-session traffic counters for accounting, from the telemetry service's last stats-segment read.

A session with an interface of its own (1:1 VLAN: ``<access>.<sub-id>``, PPPoE) is counted by VPP per
sub-interface: ``/if/rx`` is what the subscriber sent (Acct-Input), ``/if/tx`` what it received
(Acct-Output), 64-bit (VPP's ``vlib_combined_counter_t``, src/vlib/counter.h). A session on a shared VLAN
has no counter of its own in VPP: it reports none rather than the whole access interface's traffic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.aaa.accounting import Counters, CounterSource
from agent.sessions.api import Session
from agent.telemetry.counters import column_name


def from_telemetry(snapshot: Callable[[], Any], index_of: Callable[[str], int | None]) -> CounterSource:
    """A counter source over ``snapshot()`` (a telemetry ``Snapshot``) and the name -> sw_if_index map."""

    async def read(session: Session) -> Counters | None:
        if session.interface == session.key.access_interface:
            return None
        idx = index_of(session.interface)
        table = snapshot().counters
        if idx is None or table is None:
            return None
        return Counters(
            in_octets=table.value(column_name("rx", "bytes"), idx),
            out_octets=table.value(column_name("tx", "bytes"), idx),
            in_packets=table.value(column_name("rx", "packets"), idx),
            out_packets=table.value(column_name("tx", "packets"), idx),
        )

    return read
