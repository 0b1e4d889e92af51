"""tests/integration/test_sessions_vppsim.py on real VPP: a QinQ session's own tagged sub-interface in
the template's VRF, unnumbered, with its host route, and a shared-VLAN session's host route; leaving
removes them; an agent restart restores the sessions from the log and reconciles VPP with one repair
(a route deleted behind the agent's back while it was down)."""

from test_sessions_vppsim import (
    test_restart_restores_sessions_and_reconciles_vpp,
    test_sessions_appear_in_vpp_and_leave_it,
)

__all__ = [
    "test_restart_restores_sessions_and_reconciles_vpp",
    "test_sessions_appear_in_vpp_and_leave_it",
]
