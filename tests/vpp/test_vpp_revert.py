"""Revert on failure with errors real VPP itself raises (no fault injection on real VPP): a port already
in a foreign bond (bond_add_member -81) and a VLAN held by a foreign sub-interface (create_subif -1).
Bodies from tests/integration/test_southbound_refusals.py."""

from test_southbound_refusals import (
    stack,
    test_a_port_in_someone_elses_bond_fails_the_commit_and_nothing_stays,
    test_a_vlan_someone_else_holds_fails_the_commit_and_nothing_stays,
)

__all__ = [
    "stack",
    "test_a_port_in_someone_elses_bond_fails_the_commit_and_nothing_stays",
    "test_a_vlan_someone_else_holds_fails_the_commit_and_nothing_stays",
]
