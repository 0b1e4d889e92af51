"""CoA and Disconnect on real VPP 26.06: tests/integration/test_coa_radclient.py's bodies with FreeRADIUS's
``radclient`` -- a CoA changes a live 1:1 session's policer rate (policer_update, same policer) and its
ingress ACL (acl_interface_set_acl_list) as VPP's own dumps show, a Disconnect removes the session's
sub-interface and policer, and bad requests are NAKed or dropped as RFC 5176 says."""

from __future__ import annotations

from test_coa_radclient import (
    node,
    test_coa_changes_rate_and_acl_in_vpp_and_disconnect_removes_the_session,
    test_forged_unknown_replayed_and_malformed_requests,
    test_unknown_session_unsupported_attribute_and_bad_values_are_naked,
)

__all__ = [
    "node",
    "test_coa_changes_rate_and_acl_in_vpp_and_disconnect_removes_the_session",
    "test_forged_unknown_replayed_and_malformed_requests",
    "test_unknown_session_unsupported_attribute_and_bad_values_are_naked",
]
