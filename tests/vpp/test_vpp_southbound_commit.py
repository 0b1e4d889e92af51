"""tests/integration/test_southbound_commit.py on real VPP: every object kind the agent programs (bond
with LACP members, QinQ/dot1ad sub-interfaces, loopbacks, VRFs, UCMP/backup routes, MTU, admin state),
in-place updates vs re-creates, and dry-run ordering; the bodies are the integration tests' own."""

from test_southbound_commit import (
    stack,
    test_changes_are_applied_in_place_or_by_recreate,
    test_commit_programs_every_object,
    test_dry_run_lists_vpp_calls_in_dependency_order,
)

__all__ = [
    "stack",
    "test_changes_are_applied_in_place_or_by_recreate",
    "test_commit_programs_every_object",
    "test_dry_run_lists_vpp_calls_in_dependency_order",
]
