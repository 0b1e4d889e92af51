"""The subscriber packet path: control frames from VPP's access interfaces to the services and back.

Services (DHCP, PPPoE, ND) use :class:`PacketIO`: ``subscribe(Protocol.DHCPV4)`` for frames attributed
to their access interface, ``send``/``reply`` to answer out of an interface with its VLAN tags. How each
protocol reaches the agent on VPP is decided in docs/packet-path.md.
"""

from agent.packetio.core import Frame, PacketIO, PacketIOConfig, Subscription, SubscriptionClosed
from agent.packetio.frames import EthernetHeader, Protocol, VlanTag
from agent.packetio.interfaces import AccessInterface, AccessInterfaces
from agent.packetio.punt import DHCPV4_SERVER, DHCPV6_SERVER, ROUTER_SOLICITATION, PuntError, PuntKind

__all__ = [
    "DHCPV4_SERVER",
    "DHCPV6_SERVER",
    "ROUTER_SOLICITATION",
    "AccessInterface",
    "AccessInterfaces",
    "EthernetHeader",
    "Frame",
    "PacketIO",
    "PacketIOConfig",
    "Protocol",
    "PuntError",
    "PuntKind",
    "Subscription",
    "SubscriptionClosed",
    "VlanTag",
]
