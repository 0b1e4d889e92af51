"""tests/integration/test_southbound_acl.py on real VPP 26.06: ACLs, MAC/IP ACLs and interface lists as
VPP dumps them, a one-ACE change as one acl_add_replace with the same index, reconcile of an ACL changed
behind the agent's back, refused input leaving VPP untouched."""

from test_southbound_acl import (
    stack,
    test_ace_inserted_first_is_first_in_vpp,
    test_an_acl_removed_from_a_list_and_deleted_in_one_commit,
    test_bad_aces_are_refused_and_nothing_is_applied,
    test_configured_acls_and_attachments_are_what_vpp_dumps,
    test_deleting_acls_detaches_then_deletes,
    test_macip_acl_for_an_ethernet_acl_type,
    test_neq_port_is_two_rules,
    test_one_ace_change_is_one_replace_in_place,
    test_reconcile_puts_back_an_acl_changed_behind_the_agents_back,
)

__all__ = [
    "stack",
    "test_ace_inserted_first_is_first_in_vpp",
    "test_an_acl_removed_from_a_list_and_deleted_in_one_commit",
    "test_bad_aces_are_refused_and_nothing_is_applied",
    "test_configured_acls_and_attachments_are_what_vpp_dumps",
    "test_deleting_acls_detaches_then_deletes",
    "test_macip_acl_for_an_ethernet_acl_type",
    "test_neq_port_is_two_rules",
    "test_one_ace_change_is_one_replace_in_place",
    "test_reconcile_puts_back_an_acl_changed_behind_the_agents_back",
]
