"""tests/integration/test_southbound_vrf_move.py on real VPP: moving interfaces between VRFs (VPP refuses
a table change while addresses are configured, so the agent lifts and restores them). The test that
injects failures with vppsim's fault table is not here; tests/vpp/test_vpp_revert.py provokes real ones."""

from test_southbound_vrf_move import (
    stack,
    test_changing_only_the_vrf_leaf_moves_addresses_with_it,
    test_families_move_independently,
    test_moving_an_unnumbered_interface,
)

__all__ = [
    "stack",
    "test_changing_only_the_vrf_leaf_moves_addresses_with_it",
    "test_families_move_independently",
    "test_moving_an_unnumbered_interface",
]
