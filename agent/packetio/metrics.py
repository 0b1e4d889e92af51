"""Counters of the packet path, exported as the ``packetio`` module's Prometheus families.

Labels are bounded by configuration and small enumerations: ``port`` is a physical port name (or
``unknown`` for a frame no port could be found for), ``protocol`` one of :class:`Protocol`, ``reason`` one
of :data:`DROP_REASONS`.
"""

from __future__ import annotations

from collections.abc import Iterator

from agent.packetio.frames import Protocol

#: Why a frame did not reach a service.
DROP_REASONS = (
    "malformed",  # too short or broken L2 header
    "unclassified",  # not a protocol the packet path serves
    "unknown-interface",  # no access interface for its sw_if_index or tags
    "rate-limited",  # over the port's token bucket
    "no-subscriber",  # no service subscribed to its protocol
    "queue-full",  # the subscriber's queue for that port was full
)
UNKNOWN_PORT = "unknown"

Sample = tuple[str, tuple[str, ...], float]


class Counters:
    """Plain dictionaries, bumped on the event loop; read by the scrape thread as a copy."""

    def __init__(self) -> None:
        self.received: dict[tuple[str, str], int] = {}
        self.dropped: dict[tuple[str, str], int] = {}
        self.sent: dict[str, int] = {}
        self.send_failed: dict[str, int] = {}

    def receive(self, port: str, protocol: Protocol) -> None:
        key = (port, protocol.value)
        self.received[key] = self.received.get(key, 0) + 1

    def drop(self, port: str, reason: str) -> None:
        key = (port, reason)
        self.dropped[key] = self.dropped.get(key, 0) + 1

    def send(self, port: str, ok: bool) -> None:
        table = self.sent if ok else self.send_failed
        table[port] = table.get(port, 0) + 1

    def total_dropped(self, reason: str | None = None) -> int:
        return sum(v for (_, r), v in self.dropped.items() if reason is None or r == reason)

    def total_received(self) -> int:
        return sum(self.received.values())

    def samples(self, queued: dict[str, int], subscriptions: int) -> Iterator[Sample]:
        """Values for :meth:`agent.telemetry.service.TelemetryService.register_source`."""
        for (port, proto), v in list(self.received.items()):
            yield ("bng_packetio_frames_received", (port, proto), v)
        for (port, reason), v in list(self.dropped.items()):
            yield ("bng_packetio_frames_dropped", (port, reason), v)
        for port, v in list(self.sent.items()):
            yield ("bng_packetio_frames_sent", (port,), v)
        for port, v in list(self.send_failed.items()):
            yield ("bng_packetio_send_failures", (port,), v)
        for proto, n in queued.items():
            yield ("bng_packetio_queued_frames", (proto,), n)
        yield ("bng_packetio_subscriptions", (), subscriptions)
