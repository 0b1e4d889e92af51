"""tests/integration/test_ra_slaac.py on real VPP 26.06: VPP's own RAs (ip6_ra.c), programmed by the ra
feature, give a Linux host in a namespace on the af_packet port's veth its SLAAC address and default
route; the bodies are the integration tests' own."""

from test_ra_slaac import (
    lab,
    test_a_linux_host_configures_an_address_and_default_route_from_the_ras,
    test_a_stateful_policy_gives_no_slaac_address,
)

__all__ = [
    "lab",
    "test_a_linux_host_configures_an_address_and_default_route_from_the_ras",
    "test_a_stateful_policy_gives_no_slaac_address",
]
