"""tests/integration/test_dhcp4_relay_vppsim.py on real VPP 26.06: ISC dhclient on the af_packet port's
veth gets an address from Kea through VPP's punt socket and the agent's relay, and releases it; 802.1Q
and QinQ clients, Option 82 spoofing, an unanswering server and DISCOVER floods -- the integration
tests' own bodies, VPP started by the lane with `punt { socket }` (deploy/vpp-lab.conf.in)."""

from test_dhcp4_relay_vppsim import (
    lab,
    test_a_server_that_never_answers_is_counted_and_nothing_is_bound,
    test_dhclient_gets_an_address_from_kea_through_the_relay_and_release_ends_the_lease,
    test_discover_floods_from_one_mac_and_many_are_counted_and_logs_are_bounded,
    test_option82_from_an_untrusted_port_is_dropped_and_from_a_trusted_one_kept,
    test_tagged_and_qinq_clients_get_addresses_of_their_subnet,
    unix_dgram_qlen,
)

__all__ = [
    "lab",
    "test_a_server_that_never_answers_is_counted_and_nothing_is_bound",
    "test_dhclient_gets_an_address_from_kea_through_the_relay_and_release_ends_the_lease",
    "test_discover_floods_from_one_mac_and_many_are_counted_and_logs_are_bounded",
    "test_option82_from_an_untrusted_port_is_dropped_and_from_a_trusted_one_kept",
    "test_tagged_and_qinq_clients_get_addresses_of_their_subnet",
    "unix_dgram_qlen",
]
