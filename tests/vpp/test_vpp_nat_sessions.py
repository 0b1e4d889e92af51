"""tests/integration/test_nat_sessions_vppsim.py on real VPP 26.06: a session's sub-interface in
nat44-ed's and det44's interface dumps as inside, its det44 block in the operational data equal to VPP's
own ``det44_forward``, refusals leaving VPP as it was, and the feature gone with the session."""

from test_nat_sessions_vppsim import (
    test_a_sessions_nat_instance_puts_its_sub_interface_inside,
    test_a_shared_vlan_session_needs_its_access_interface_inside,
)

__all__ = [
    "test_a_sessions_nat_instance_puts_its_sub_interface_inside",
    "test_a_shared_vlan_session_needs_its_access_interface_inside",
]
