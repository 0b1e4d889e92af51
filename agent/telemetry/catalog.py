"""Every Prometheus metric family the agent exports, grouped by the module it belongs to.

One table serves the exporter (names, types, help, labels), the coverage report (which modules have
counters, which have alert rules) and docs/telemetry.md. Label sets are fixed here: no family takes a
label whose values come from traffic (addresses, MACs, usernames), so the series count is bounded by
configuration (interfaces, VRFs, bonds) and by the small enumerations listed in :data:`BOUNDED_VALUES`.

BNG modules that have not landed yet (NAT, QoS, ACL, subscribers, AAA, VRRP, HA, IPFIX) have their
families defined now and exported with zero values (``zero_series``); when a module lands it registers a
source with :meth:`agent.telemetry.exporter.Exporter.register_source` and its real values replace the zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Kind = Literal["gauge", "counter", "histogram", "info"]


@dataclass(frozen=True)
class Family:
    name: str  # without the ``_total`` suffix for counters (prometheus_client adds it)
    kind: Kind
    help: str
    labels: tuple[str, ...] = ()
    #: Label values exported with 0 while no module provides the family (one tuple per series).
    zero_series: tuple[tuple[str, ...], ...] = ()

    @property
    def sample_name(self) -> str:
        return f"{self.name}_total" if self.kind == "counter" else self.name


@dataclass(frozen=True)
class ModuleTelemetry:
    module: str
    description: str
    families: tuple[Family, ...]
    #: "live": values come from VPP/the agent today; "zero": defined, exported as 0 until the module lands.
    status: Literal["live", "zero"]


IF = ("interface", "vrf")

INTERFACES: Final = ModuleTelemetry(
    "interfaces",
    "ietf-interfaces state and statistics from VPP's stats segment and interface dumps",
    (
        Family("bng_interface_oper_up", "gauge", "1 when the interface is operationally up (RFC 8343)", IF),
        Family("bng_interface_admin_up", "gauge", "1 when the interface is administratively up in VPP", IF),
        Family(
            "bng_interface_speed_bytes_per_second",
            "gauge",
            "Link speed VPP reports, in bytes per second (kbit/s x 125; 0 when unknown)",
            IF,
        ),
        Family("bng_interface_mtu_bytes", "gauge", "Hardware (L2 payload) MTU", IF),
        Family("bng_interface_receive_bytes", "counter", "in-octets: bytes received (VPP /if/rx)", IF),
        Family("bng_interface_transmit_bytes", "counter", "out-octets: bytes sent (VPP /if/tx)", IF),
        Family(
            "bng_interface_receive_packets",
            "counter",
            "Packets received by destination kind (VPP /if/rx-unicast, -multicast, -broadcast)",
            (*IF, "cast"),
        ),
        Family(
            "bng_interface_transmit_packets",
            "counter",
            "Packets sent by destination kind (VPP /if/tx-unicast, -multicast, -broadcast)",
            (*IF, "cast"),
        ),
        Family(
            "bng_interface_receive_discards",
            "counter",
            "in-discards: VPP /if/drops + /if/rx-no-buf + /if/rx-miss",
            IF,
        ),
        Family("bng_interface_receive_errors", "counter", "in-errors: VPP /if/rx-error", IF),
        Family("bng_interface_transmit_errors", "counter", "out-errors: VPP /if/tx-error", IF),
        Family(
            "bng_interface",
            "info",
            "One series per VPP interface with its VPP name and sw_if_index",
            (*IF, "vpp_name", "sw_if_index"),
        ),
        Family(
            "bng_bond_member_active", "gauge", "1 when the bond member carries traffic", ("bond", "member")
        ),
    ),
    "live",
)

ROUTING: Final = ModuleTelemetry(
    "routing",
    "VRFs and routes as VPP's FIB holds them",
    (
        Family(
            "bng_vrf_routes",
            "gauge",
            "Routes in the VRF's FIB (VPP's own entries excluded)",
            ("vrf", "family"),
        ),
    ),
    "live",
)

SOUTHBOUND: Final = ModuleTelemetry(
    "southbound",
    "The connection to VPP, reconcile (resync) and API latency",
    (
        Family("bng_vpp_connected", "gauge", "1 while the agent is connected to VPP and VPP is reconciled"),
        Family("bng_vpp_connects", "counter", "Successful (re)connections to VPP, each followed by a resync"),
        Family("bng_vpp_disconnects", "counter", "Times the VPP connection was lost"),
        Family("bng_agent_resyncs", "counter", "Reconciles of VPP with running configuration"),
        Family(
            "bng_agent_resync_repairs",
            "counter",
            "Repair steps made in VPP by every reconcile (the first included) and drift repair",
        ),
        Family(
            "bng_agent_in_sync", "gauge", "1 when VPP matched running configuration at the last reconcile"
        ),
        Family(
            "bng_commit_phase_duration_seconds",
            "histogram",
            "Time per phase of each durable commit: validate, plan, apply, persist (journal + fsync)",
            ("phase",),
        ),
        Family(
            "bng_vpp_api_latency_seconds",
            "histogram",
            "VPP binary-API request latency (request to reply) by message",
            ("msg",),
        ),
        Family("bng_vpp", "info", "VPP version", ("version",)),
    ),
    "live",
)

TRANSACTIONS: Final = ModuleTelemetry(
    "transactions",
    "Commits through the transaction manager",
    (
        Family("bng_agent_commits", "counter", "Committed transactions"),
        Family("bng_agent_commit_failures", "counter", "Transactions that failed and were reverted"),
    ),
    "live",
)

TELEMETRY: Final = ModuleTelemetry(
    "telemetry",
    "The telemetry poller itself",
    (
        Family("bng_telemetry_last_poll_timestamp_seconds", "gauge", "Unix time of the last good stats read"),
        Family("bng_telemetry_poll_duration_seconds", "gauge", "Duration of the last stats read"),
        Family("bng_telemetry_poll_errors", "counter", "Stats reads that failed"),
        Family(
            "bng_vpp_stats_heartbeat",
            "gauge",
            "VPP's /sys/heartbeat (moves while VPP's stats collector runs)",
        ),
        Family(
            "bng_telemetry_interfaces_omitted", "gauge", "Interfaces left out of /metrics by the series cap"
        ),
    ),
    "live",
)

NAT: Final = ModuleTelemetry(
    "nat",
    "NAT44-ED and det44 (ietf-nat, agent/features/nat/operational.py; nat_instance is the instance's name, "
    "else its id)",
    (
        Family(
            "bng_nat_sessions",
            "gauge",
            "Active NAT sessions of the instance's VRF (nat44_user_dump) or det44 mappings (det44_map_dump)",
            ("nat_instance",),
            (("default",),),
        ),
        Family(
            "bng_nat_session_limit",
            "gauge",
            "Session limit of a dynamic instance's VRF (bng-nat session-limit, else sessions-per-thread)",
            ("nat_instance",),
            (("default",),),
        ),
        Family(
            "bng_nat_pool_ports_used",
            "gauge",
            "Sessions (outside ports in use) on the addresses of one external-ip-address-pool",
            ("nat_instance", "pool"),
            (("default", "1"),),
        ),
        Family(
            "bng_nat_pool_usage_ratio",
            "gauge",
            "Used fraction of the instance's pool ports (64,512 per address)",
            ("nat_instance",),
            (("default",),),
        ),
        Family(
            "bng_nat_translation_failures",
            "counter",
            "Packets nat44-ed dropped, by reason (VPP's error counters of its nodes: out-of-ports, "
            "session-limit, no-translation, translation-failed, unsupported-protocol, non-syn)",
            ("reason",),
            (("out-of-ports",),),
        ),
    ),
    "zero",
)

QOS: Final = ModuleTelemetry(
    "qos",
    "Policers (bng-qos on VPP's policer plugin): per policer and colour, from /net/policer/* "
    "(agent/features/qos/state.py)",
    (
        Family(
            "bng_qos_policer_packets",
            "counter",
            "Packets per policer and colour (the profile's colours; VPP zeroes them on a profile change)",
            ("interface", "direction", "profile", "color"),
        ),
        Family(
            "bng_qos_policer_bytes",
            "counter",
            "Ethernet frame bytes per policer and colour",
            ("interface", "direction", "profile", "color"),
        ),
        Family("bng_qos_policers", "gauge", "Policers the agent programmed (interfaces and sessions)"),
    ),
    "live",
)

ACL: Final = ModuleTelemetry(
    "acl",
    "Access lists (ietf-access-control-list on VPP's acl plugin; agent/features/acl/operational.py): hit "
    "counters from the stats segment (/acl/<index>/matches), reflexive sessions from "
    "`show acl-plugin sessions`; values come from the acl source once ACLs exist",
    (
        Family(
            "bng_acl_matches",
            "counter",
            "Packets matched per ACL and rule action (deny, permit, permit-reflect); zeroed by VPP when "
            "the ACL is replaced",
            ("acl", "action"),
            (("none", "deny"), ("none", "permit")),
        ),
        Family(
            "bng_acl_ace_matched_packets",
            "counter",
            "Packets matched per ACE (ietf-acl matched-packets, all interfaces)",
            ("acl", "ace"),
            (("none", "none"),),
        ),
        Family(
            "bng_acl_ace_matched_bytes",
            "counter",
            "Bytes matched per ACE (ietf-acl matched-octets, all interfaces)",
            ("acl", "ace"),
            (("none", "none"),),
        ),
        Family(
            "bng_acl_sessions",
            "gauge",
            "Reflexive (permit+reflect) sessions active per interface: added - deleted",
            ("interface",),
            (("none",),),
        ),
        Family(
            "bng_acl_sessions_added",
            "counter",
            "Reflexive sessions created per interface",
            ("interface",),
            (("none",),),
        ),
        Family(
            "bng_acl_sessions_deleted",
            "counter",
            "Reflexive sessions removed per interface (idle timeout, policy change, interface deleted)",
            ("interface",),
            (("none",),),
        ),
    ),
    "zero",
)

SUBSCRIBERS: Final = ModuleTelemetry(
    "subscribers",
    "Subscriber sessions (IPoE/PPPoE)",
    (
        Family(
            "bng_subscriber_sessions",
            "gauge",
            "Subscriber sessions by state (init, authenticating, active, closing)",
            ("state",),
            (("init",), ("authenticating",), ("active",), ("closing",)),
        ),
        Family(
            "bng_subscriber_session_setup_seconds",
            "histogram",
            "Time from a session's first frame (DISCOVER, SOLICIT, RS, PADI) to active (address bound, "
            "programmed into VPP)",
        ),
        Family(
            "bng_subscriber_session_failures",
            "counter",
            "Session set-ups that failed",
            ("reason",),
            (("aaa-reject",), ("no-address",)),
        ),
    ),
    "zero",
)

AAA: Final = ModuleTelemetry(
    "aaa",
    "RADIUS authentication, accounting and CoA (docs/aaa.md)",
    (
        Family(
            "bng_radius_requests",
            "counter",
            "RADIUS requests sent by type (first transmissions, every server)",
            ("type",),
            (("access",), ("accounting",)),
        ),
        Family(
            "bng_radius_timeouts",
            "counter",
            "RADIUS requests that got no answer from any server",
            ("type",),
            (("access",), ("accounting",)),
        ),
        Family(
            "bng_radius_server_requests",
            "counter",
            "RADIUS requests sent to one server (first transmissions)",
            ("server", "type"),
            (),
        ),
        Family("bng_radius_retransmits", "counter", "RADIUS retransmissions", ("server", "type"), ()),
        Family(
            "bng_radius_server_timeouts",
            "counter",
            "Requests a server left unanswered through all retransmissions (it is then dead for dead-time)",
            ("server", "type"),
            (),
        ),
        Family(
            "bng_radius_answers",
            "counter",
            "Verified RADIUS answers by code (access-accept, access-reject, accounting-response ...)",
            ("server", "type", "code"),
            (),
        ),
        Family(
            "bng_radius_dropped",
            "counter",
            "RADIUS answers dropped, by reason: no-message-authenticator, bad-message-authenticator "
            "(BlastRADIUS checks), bad-authenticator (wrong secret or forged), unknown-id, malformed",
            ("server", "type", "reason"),
            (),
        ),
        Family(
            "bng_radius_failovers",
            "counter",
            "Requests moved to this server after the one before it did not answer",
            ("server", "type"),
            (),
        ),
        Family(
            "bng_radius_server_up",
            "gauge",
            "1 while the server is not marked dead",
            ("server", "type"),
            (),
        ),
        Family("bng_radius_accounting_queue", "gauge", "Accounting records queued (persisted) and unsent"),
        Family(
            "bng_radius_accounting_dropped",
            "counter",
            "Accounting records dropped because the bounded queue was full",
        ),
        Family(
            "bng_radius_accounting_sent",
            "counter",
            "Accounting records a server acknowledged, by Acct-Status-Type",
            ("status",),
            (),
        ),
        Family(
            "bng_radius_ipoe_auth",
            "counter",
            "IPoE sessions authorised by RADIUS, by result (accept, reject, error)",
            ("result",),
            (),
        ),
    ),
    "zero",
)

COA: Final = ModuleTelemetry(
    "coa",
    "RADIUS CoA and Disconnect listener (RFC 5176, agent/aaa/coa.py, docs/aaa.md)",
    (
        Family(
            "bng_coa_requests",
            "counter",
            "CoA/Disconnect requests answered, by request, result and Error-Cause (none for an ACK)",
            ("request", "result", "error_cause"),
            (("coa", "ack", "none"), ("disconnect", "ack", "none")),
        ),
        Family(
            "bng_coa_dropped",
            "counter",
            "CoA/Disconnect datagrams dropped without an answer, by cause (unknown-client, "
            "bad-authenticator, bad-message-authenticator, stale-event-timestamp, duplicate ...)",
            ("cause",),
            (("unknown-client",), ("bad-authenticator",)),
        ),
        Family("bng_coa_audit_entries", "gauge", "Entries in the dynamic-authorization audit log"),
        Family("bng_coa_listening", "gauge", "1 when dynamic-authorization is enabled"),
    ),
    "zero",
)

VRRP: Final = ModuleTelemetry(
    "vrrp",
    "VRRPv3 (ietf-vrrp on VPP's vrrp plugin)",
    (
        Family(
            "bng_vrrp_master",
            "gauge",
            "1 when this node is master for the virtual router",
            ("interface", "vrid"),
            (),
        ),
        Family("bng_vrrp_transitions", "counter", "VRRP state transitions", ("interface", "vrid"), ()),
        Family("bng_vrrp_instances", "gauge", "Configured virtual routers"),
    ),
    "zero",
)

HA: Final = ModuleTelemetry(
    "ha",
    "Subscriber state synchronisation with the HA peer",
    (
        Family("bng_ha_peer_connected", "gauge", "1 while the state-sync peer is connected"),
        Family(
            "bng_ha_sync_lag_seconds",
            "gauge",
            "Age of the oldest session update not yet acknowledged by the peer",
        ),
    ),
    "zero",
)

IPFIX: Final = ModuleTelemetry(
    "ipfix",
    "IPFIX / NetFlow v9 export (bng-telemetry)",
    (
        Family("bng_ipfix_packets_sent", "counter", "Export packets sent", ("collector",), ()),
        Family(
            "bng_ipfix_export_errors", "counter", "Export packets that could not be sent", ("collector",), ()
        ),
        Family("bng_ipfix_collectors", "gauge", "Configured IPFIX/NetFlow collectors"),
    ),
    "zero",
)

NATLOG: Final = ModuleTelemetry(
    "natlog",
    "NAT event logging relay: VPP's NAT IPFIX records to the collectors (agent/natlog, docs/nat-logging.md)",
    (
        Family("bng_natlog_messages_received", "counter", "IPFIX messages received on the relay's port"),
        Family("bng_natlog_records_received", "counter", "NAT event records received from VPP"),
        Family(
            "bng_natlog_records_filtered",
            "counter",
            "Records of event kinds no collector asked for (bng-telemetry nat-logging event)",
        ),
        Family(
            "bng_natlog_messages_rejected",
            "counter",
            "Datagrams dropped as malformed or from an unknown sender, by reason (a rogue sender)",
            ("reason",),
            (),
        ),
        Family("bng_natlog_port_blocks", "gauge", "det44 port blocks (inside hosts) exported"),
        Family("bng_natlog_records_sent", "counter", "Records delivered to a collector", ("collector",), ()),
        Family(
            "bng_natlog_records_spilled",
            "counter",
            "Records written to the disk spill because the collector was down or slow",
            ("collector",),
            (),
        ),
        Family(
            "bng_natlog_records_dropped",
            "counter",
            "Records lost because memory and spill were full, by collector",
            ("collector", "reason"),
            (),
        ),
        Family("bng_natlog_records_queued", "gauge", "Records waiting for a collector", ("collector",), ()),
        Family("bng_natlog_spill_bytes", "gauge", "Unsent records on disk, in bytes", ("collector",), ()),
        Family(
            "bng_natlog_collector_up", "gauge", "1 while the collector takes messages", ("collector",), ()
        ),
    ),
    "zero",
)

NEIGHBORS: Final = ModuleTelemetry(
    "neighbors",
    "VPP's ARP and IPv6 neighbour caches and their bounds (bng-interfaces:neighbor-limits)",
    (
        Family(
            "bng_neighbor_cache_entries",
            "gauge",
            "Neighbours VPP holds (ARP entries for ipv4, ND for ipv6), per interface",
            ("family", "interface"),
            (),
        ),
        Family(
            "bng_neighbor_cache_limit",
            "gauge",
            "Most neighbours VPP keeps per family on the node (ip_neighbor_config; 0: unbounded)",
            ("family",),
            (("ipv4",), ("ipv6",)),
        ),
    ),
    "zero",
)

PACKETIO: Final = ModuleTelemetry(
    "packetio",
    "Subscriber control frames between VPP's access ports and the agent (docs/packet-path.md)",
    (
        Family(
            "bng_packetio_frames_received",
            "counter",
            "Frames handed to a service, by physical port and protocol",
            ("port", "protocol"),
            (),
        ),
        Family(
            "bng_packetio_frames_dropped",
            "counter",
            "Frames the agent dropped, by physical port and reason (rate-limited, queue-full, ...)",
            ("port", "reason"),
            (),
        ),
        Family("bng_packetio_frames_sent", "counter", "Frames handed to VPP to send, by port", ("port",), ()),
        Family(
            "bng_packetio_send_failures",
            "counter",
            "Frames VPP's socket or the control-plane link did not take, by port",
            ("port",),
            (),
        ),
        Family(
            "bng_packetio_queued_frames",
            "gauge",
            "Frames waiting for a service, by (first) protocol of its subscription",
            ("protocol",),
            (),
        ),
        Family("bng_packetio_subscriptions", "gauge", "Services subscribed to the packet path"),
    ),
    "zero",
)

DHCPV6: Final = ModuleTelemetry(
    "dhcpv6",
    "The DHCPv6 relay with prefix delegation (agent/dhcp6, docs/ipv6-access.md)",
    (
        Family(
            "bng_dhcpv6_messages_received",
            "counter",
            "DHCPv6 messages from clients (solicit, request, renew ...) and servers (relay-repl), by type",
            ("message",),
            (("solicit",), ("request",), ("renew",), ("release",), ("relay-repl",)),
        ),
        Family(
            "bng_dhcpv6_messages_sent",
            "counter",
            "DHCPv6 messages relayed: relay-forw to servers, advertise/reply/reconfigure to clients",
            ("message",),
            (("relay-forw",), ("advertise",), ("reply",)),
        ),
        Family(
            "bng_dhcpv6_dropped",
            "counter",
            "DHCPv6 messages the relay dropped, by reason (truncated-option, unknown-client, "
            "relay-message-from-a-client, server-unreachable, session-refused ...)",
            ("reason",),
            (("truncated-option",), ("unknown-client",), ("server-unreachable",)),
        ),
    ),
    "zero",
)

DHCP4: Final = ModuleTelemetry(
    "dhcp4",
    "DHCPv4 relay on access interfaces (docs/dhcp-relay.md)",
    (
        Family(
            "bng_dhcp4_packets",
            "counter",
            "DHCPv4 messages by direction (from-client, to-server, from-server, to-client) and type",
            ("direction", "message"),
            (),
        ),
        Family(
            "bng_dhcp4_dropped",
            "counter",
            "DHCPv4 messages the relay dropped, by reason (malformed, option82-untrusted, ...)",
            ("reason",),
            (),
        ),
        Family(
            "bng_dhcp4_relay_errors",
            "counter",
            "Relay failures: server-timeout, server-send-failed, client-send-failed, session-refused ...",
            ("reason",),
            (),
        ),
        Family("bng_dhcp4_leases_bound", "counter", "Leases bound through the relay (rate(): leases/s)"),
        Family("bng_dhcp4_leases_renewed", "counter", "Lease renewals relayed"),
        Family(
            "bng_dhcp4_leases_ended",
            "counter",
            "Leases ended, by reason (release, decline, nak, expired, removed)",
            ("reason",),
            (),
        ),
        Family("bng_dhcp4_leases", "gauge", "Leases bound now"),
        Family("bng_dhcp4_pending_transactions", "gauge", "Relayed requests waiting for a server answer"),
    ),
    "zero",
)

NDGUARD: Final = ModuleTelemetry(
    "ndguard",
    "The ND guard: only sessions' own IPv6 neighbours stay on access interfaces (agent/ndguard)",
    (
        Family(
            "bng_nd_guard_removed",
            "counter",
            "Dynamic IPv6 neighbours removed from an access interface: no session there owns the address",
            ("interface",),
            (),
        ),
        Family(
            "bng_nd_guard_neighbors",
            "gauge",
            "IPv6 neighbours left on an access interface after the last sweep (sessions' own and static)",
            ("interface",),
            (),
        ),
        Family("bng_nd_guard_sweeps", "counter", "Sweeps of the access interfaces' neighbours", (), ((),)),
    ),
    "zero",
)

RA: Final = ModuleTelemetry(
    "ra",
    "IPv6 router advertisements VPP sends on access interfaces (agent/features/ra/metrics.py)",
    (
        Family("bng_ra_interfaces", "gauge", "Interfaces VPP sends router advertisements on", (), ((),)),
        Family("bng_ra_advertisements_sent", "counter", "Router advertisements VPP sent", ("interface",), ()),
        Family(
            "bng_ra_solicitations_received",
            "counter",
            "Router solicitations VPP answered or dropped",
            ("interface",),
            (),
        ),
        Family(
            "bng_ra_solicitations_dropped",
            "counter",
            "Router solicitations VPP dropped (at most one solicited RA per 3 s, ip6_ra.c)",
            ("interface",),
            (),
        ),
    ),
    "zero",
)

MODULES: Final[tuple[ModuleTelemetry, ...]] = (
    INTERFACES,
    ROUTING,
    SOUTHBOUND,
    TRANSACTIONS,
    TELEMETRY,
    NAT,
    QOS,
    ACL,
    SUBSCRIBERS,
    AAA,
    COA,
    VRRP,
    HA,
    IPFIX,
    NATLOG,
    PACKETIO,
    NEIGHBORS,
    DHCPV6,
    DHCP4,
    NDGUARD,
    RA,
)

#: Labels whose values come from a small fixed set (the rest are bounded by configuration).
BOUNDED_VALUES: Final[dict[str, tuple[str, ...]]] = {
    "cast": ("unicast", "multicast", "broadcast"),
    "family": ("ipv4", "ipv6"),
    "color": ("conform", "exceed", "violate"),
    "action": ("permit", "deny"),
    "state": ("init", "authenticating", "active", "closing"),
    "type": ("access", "accounting"),
    "result": ("ack", "nak"),
    "request": ("coa", "disconnect"),
    "error_cause": ("none", "401", "402", "403", "404", "405", "501", "503", "504", "506"),
    "cause": (
        "unknown-client",
        "malformed",
        "unsupported-code",
        "bad-authenticator",
        "bad-message-authenticator",
        "duplicate",
        "no-event-timestamp",
        "stale-event-timestamp",
    ),
    "protocol": ("dhcpv4", "dhcpv6", "pppoe-discovery", "pppoe-session", "nd"),
    "message": (
        "solicit",
        "advertise",
        "request",
        "confirm",
        "renew",
        "rebind",
        "reply",
        "release",
        "decline",
        "reconfigure",
        "information-request",
        "relay-forw",
        "relay-repl",
    ),
    "reason": (
        "malformed",
        "unclassified",
        "unknown-interface",
        "rate-limited",
        "no-subscriber",
        "queue-full",
        "aaa-reject",
        "no-address",
    ),
}


def family(name: str) -> Family:
    for m in MODULES:
        for f in m.families:
            if f.name == name:
                return f
    raise KeyError(name)
