"""The operational snapshot: what VPP and the agent look like at one moment, immutable once published.

The poller builds a new :class:`Snapshot` at every interval and swaps it in with one assignment, so
readers on the event loop (NETCONF ``get``, gNMI SAMPLE) and on the exporter's HTTP thread always see one
consistent picture without locks, and never trigger a read of VPP themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.telemetry.segment import CounterTable


@dataclass(frozen=True)
class InterfaceInfo:
    """What ``sw_interface_dump`` and ``sw_interface_event`` say about one interface."""

    sw_if_index: int
    name: str  # the agent's name (ietf-interfaces) for it
    vpp_name: str
    admin_up: bool
    link_up: bool
    speed_kbps: int
    mac: str
    link_mtu: int
    sup_sw_if_index: int
    vrf: str = "default"
    managed: bool = False  # created by the agent (carries its tag)

    @property
    def oper_status(self) -> str:
        """RFC 8343 ``oper-status``: ``up`` needs admin up and carrier (VPP's IF_STATUS_API_FLAG_LINK_UP)."""
        return "up" if self.admin_up and self.link_up else "down"


@dataclass(frozen=True)
class BondMember:
    bond: str
    member: str
    active: bool  # carries traffic: member carrier up and bond admin up (recomputed on every event)
    bond_index: int = -1
    member_index: int = -1


@dataclass(frozen=True)
class Route:
    vrf: str
    prefix: str
    next_hops: tuple[str, ...]


@dataclass(frozen=True)
class Inventory:
    """Interfaces, bond members, addresses and routes as VPP reports them (refreshed by dumps)."""

    interfaces: dict[int, InterfaceInfo] = field(default_factory=dict)
    members: tuple[BondMember, ...] = ()
    addresses: dict[int, tuple[str, ...]] = field(default_factory=dict)  # sw_if_index -> prefixes
    routes: tuple[Route, ...] = ()
    read_at: float = 0.0


@dataclass(frozen=True)
class AgentCounters:
    """The agent's own health counters at snapshot time."""

    vpp_connected: bool = False
    vpp_connects: int = 0
    vpp_disconnects: int = 0
    vpp_version: str = ""
    commits: int = 0
    commit_failures: int = 0
    resyncs: int = 0
    resync_repairs: int = 0
    in_sync: bool = False
    sessions: int = 0
    polls: int = 0
    poll_errors: int = 0
    last_poll_seconds: float = 0.0
    last_poll_at: float = 0.0
    vpp_state: str = "disconnected"  # bng-agent connection-state: connected | connecting | disconnected
    vpp_last_change: float = 0.0  # epoch seconds; 0 = never changed
    vpp_last_error: str = ""
    last_commit_id: int = 0
    unmanaged: int = 0  # VPP objects the last reconcile found that the agent did not create
    # configured physical ports VPP does not have (pre-provisioned): RFC 8343 oper-status not-present
    missing_ports: tuple[str, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    counters: CounterTable | None
    inventory: Inventory
    agent: AgentCounters
    taken_at: float

    def interface_rows(self) -> list[InterfaceInfo]:
        """Interfaces known from dumps, in sw_if_index order (``local0`` excluded, as VPP hides it)."""
        return [info for idx, info in sorted(self.inventory.interfaces.items()) if idx != 0]


EMPTY = Snapshot(None, Inventory(), AgentCounters(), 0.0)
