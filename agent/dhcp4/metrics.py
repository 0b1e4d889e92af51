"""Counters of the DHCPv4 relay, exported as the ``dhcp4`` module's Prometheus families
(:data:`agent.telemetry.catalog.DHCP4`). Labels come from small fixed sets: ``direction`` (from-client,
to-server, from-server, to-client), ``message`` (the DHCP message type, ``unknown`` otherwise),
``reason`` (:data:`DROP_REASONS`, :data:`ERROR_REASONS`, lease end reasons)."""

from __future__ import annotations

from collections.abc import Iterator

from agent.dhcp4.codec import MessageType

Sample = tuple[str, tuple[str, ...], float]

DIRECTIONS = ("from-client", "to-server", "from-server", "to-client")
MESSAGES = (*(t.name.lower() for t in MessageType), "unknown")

#: Why a message was not relayed (bng_dhcp4_dropped_total{reason}).
DROP_REASONS = (
    "truncated",
    "oversized",
    "malformed",  # any other decoding failure (bad cookie, option past the end, bad IP/UDP header)
    "not-relayed",  # the access interface has no DHCPv4 relay configured
    "no-message-type",
    "hops",  # hop count at the limit
    "option82-untrusted",  # Option 82 or giaddr from a client on an untrusted interface (spoofing)
    "option82-received",  # 'received drop' on a trusted interface
    "no-gateway-address",  # the access interface has no IPv4 address to use as giaddr
    "client-rate-limited",  # one client sending faster than the per-client limit (a flood)
    "unknown-transaction",  # a server reply for no request we relayed
    "foreign-giaddr",  # a server reply for another relay
    "not-a-reply",  # a BOOTREQUEST from a server
)
#: Relay failures (bng_dhcp4_relay_errors_total{reason}).
ERROR_REASONS = (
    "server-timeout",
    "server-send-failed",
    "client-send-failed",
    "pending-evicted",
    "session-refused",  # the subscriber manager refused the binding: the ACK was not sent
)


class Dhcp4Counters:
    """Plain dictionaries bumped on the event loop (read by the scrape thread as a copy)."""

    def __init__(self) -> None:
        self.packets: dict[tuple[str, str], int] = {}
        self.dropped: dict[str, int] = {}
        self.errors: dict[str, int] = {}

    def packet(self, direction: str, message: str) -> None:
        key = (direction, message)
        self.packets[key] = self.packets.get(key, 0) + 1

    def drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1

    def error(self, reason: str, n: int = 1) -> None:
        self.errors[reason] = self.errors.get(reason, 0) + n

    def samples(
        self, leases: int, pending: int, bound: int, renewed: int, ended: dict[str, int]
    ) -> Iterator[Sample]:
        for (direction, message), v in list(self.packets.items()):
            yield ("bng_dhcp4_packets", (direction, message), v)
        for reason, v in list(self.dropped.items()):
            yield ("bng_dhcp4_dropped", (reason,), v)
        for reason, v in list(self.errors.items()):
            yield ("bng_dhcp4_relay_errors", (reason,), v)
        yield ("bng_dhcp4_leases_bound", (), bound)
        yield ("bng_dhcp4_leases_renewed", (), renewed)
        for reason, v in list(ended.items()):
            yield ("bng_dhcp4_leases_ended", (reason,), v)
        yield ("bng_dhcp4_leases", (), leases)
        yield ("bng_dhcp4_pending_transactions", (), pending)
