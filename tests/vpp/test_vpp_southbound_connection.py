"""tests/integration/test_southbound_connection.py and test_southbound_observability.py on real VPP:
pipelined calls answered in order, the fast route decoder against VPP's own encoding, call timing across
a VPP restart, the transaction log line."""

from test_southbound_connection import (
    test_fast_route_decoder_reads_what_vpp_papi_reads,
    test_many_calls_in_flight_and_replies_in_order,
)
from test_southbound_observability import (
    stack,
    test_a_failing_observer_does_not_break_commits,
    test_every_vpp_call_is_timed_across_reconnects,
    test_the_southbound_log_line_names_the_transaction,
)

__all__ = [
    "stack",
    "test_a_failing_observer_does_not_break_commits",
    "test_every_vpp_call_is_timed_across_reconnects",
    "test_fast_route_decoder_reads_what_vpp_papi_reads",
    "test_many_calls_in_flight_and_replies_in_order",
    "test_the_southbound_log_line_names_the_transaction",
]
