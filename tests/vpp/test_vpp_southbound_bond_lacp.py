"""tests/integration/test_southbound_bond_lacp.py on real VPP (the LACP plugin's rate handling). The
test that injects a failure with vppsim's fault table is not here: real VPP has no such switch."""

from test_southbound_bond_lacp import (
    stack,
    test_a_non_lacp_bond_ignores_the_rate,
    test_default_rate_is_vpps_short_timeout_and_slow_sets_long,
    test_rate_change_plan_detaches_then_reattaches_each_member,
)

__all__ = [
    "stack",
    "test_a_non_lacp_bond_ignores_the_rate",
    "test_default_rate_is_vpps_short_timeout_and_slow_sets_long",
    "test_rate_change_plan_detaches_then_reattaches_each_member",
]
