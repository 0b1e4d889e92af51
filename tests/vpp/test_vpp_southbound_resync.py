"""tests/integration/test_southbound_resync.py on real VPP: resync after a VPP restart (SIGKILL, then an
empty VPP), after an agent restart, drift repair with foreign objects left alone, and a missing port
programmed when it appears (a new af_packet port)."""

from test_southbound_resync import (
    test_a_missing_port_does_not_block_the_rest_and_is_programmed_when_it_appears,
    test_agent_restart_finds_its_objects_and_changes_nothing,
    test_drift_is_repaired_and_foreign_objects_are_left_alone,
    test_vpp_restart_is_repaired_without_a_manual_step,
)

__all__ = [
    "test_a_missing_port_does_not_block_the_rest_and_is_programmed_when_it_appears",
    "test_agent_restart_finds_its_objects_and_changes_nothing",
    "test_drift_is_repaired_and_foreign_objects_are_left_alone",
    "test_vpp_restart_is_repaired_without_a_manual_step",
]
