"""Traffic the control channel says is flowing, turned into counter increments for the stats segment.

A flow has packet and byte rates per direction; the packet size is bytes / packets, so counters always
hold whole packets of that size (as a traffic generator sends them). Increments are computed from the
time since the flow started, not from the ticker's nominal period, so a late tick (a busy machine)
catches up instead of losing traffic.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(slots=True)
class Flow:
    rx_pps: float
    rx_bps: float  # bytes per second
    tx_pps: float
    tx_bps: float
    started: float
    rx_sent: int = 0
    tx_sent: int = 0


def _step(pps: float, bps: float, elapsed: float, sent: int) -> tuple[int, int, int]:
    """(new packets, their bytes, total packets sent) for one direction."""
    if pps <= 0:
        return 0, 0, sent
    total = int(pps * elapsed)
    packets = total - sent
    return packets, round(packets * bps / pps), total


class TrafficTable:
    def __init__(self) -> None:
        self.flows: dict[int, Flow] = {}

    def set(self, sw_if_index: int, rates: tuple[float, float, float, float], now: float) -> None:
        """Start (or change) the flow on an interface; all rates zero stops it."""
        if any(rates):
            self.flows[sw_if_index] = Flow(*rates, started=now)
        else:
            self.flows.pop(sw_if_index, None)

    def discard(self, sw_if_index: int) -> None:
        self.flows.pop(sw_if_index, None)

    def rows(self, now: float) -> Iterator[tuple[int, int, int, int, int]]:
        """``(sw_if_index, rx_packets, rx_bytes, tx_packets, tx_bytes)`` since the previous call."""
        for idx, f in self.flows.items():
            elapsed = now - f.started
            rx_p, rx_b, f.rx_sent = _step(f.rx_pps, f.rx_bps, elapsed, f.rx_sent)
            tx_p, tx_b, f.tx_sent = _step(f.tx_pps, f.tx_bps, elapsed, f.tx_sent)
            if rx_p or tx_p:
                yield idx, rx_p, rx_b, tx_p, tx_b
