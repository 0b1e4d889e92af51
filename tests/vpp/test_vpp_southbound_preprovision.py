"""tests/integration/test_southbound_preprovision.py on real VPP: configuration for a port VPP does not
have is accepted, and programmed when the port appears (``add_port`` creates an af_packet port)."""

from test_southbound_preprovision import (
    test_a_commit_for_an_absent_port_programs_the_rest_and_the_port_when_it_appears,
    test_deleting_the_configuration_of_an_absent_port_sends_nothing_for_it,
)

__all__ = [
    "test_a_commit_for_an_absent_port_programs_the_rest_and_the_port_when_it_appears",
    "test_deleting_the_configuration_of_an_absent_port_sends_nothing_for_it",
]
