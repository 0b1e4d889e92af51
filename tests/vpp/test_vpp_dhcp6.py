"""tests/integration/test_dhcp6_relay_vppsim.py on real VPP 26.06: dhcpcd's SOLICIT to ff02::1:2 reaches
the agent through the relay feature's mroute and VPP's punt socket, Kea's answers go back through
PUNT_L2, and the session's routes are in VPP's FIB; the bodies are the integration tests' own."""

from test_dhcp6_relay_vppsim import lab, test_dhcpcd_gets_an_address_and_a_delegated_prefix_routed_to_it

__all__ = ["lab", "test_dhcpcd_gets_an_address_and_a_delegated_prefix_routed_to_it"]
