"""tests/integration/test_southbound_faults.py's tests whose failure is real on real VPP: the k-th address
of a wave overlapping a foreign one (sw_interface_add_del_address -105) and a commit while VPP is down.
The others inject failures with vppsim's fault table, which real VPP does not have."""

from test_southbound_faults import (
    stack,
    test_commit_without_vpp_fails_cleanly,
    test_vpp_refusing_the_kth_address_of_a_wave_reverts_the_others,
)

__all__ = [
    "stack",
    "test_commit_without_vpp_fails_cleanly",
    "test_vpp_refusing_the_kth_address_of_a_wave_reverts_the_others",
]
