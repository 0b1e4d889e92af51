"""tests/integration/test_nd_guard.py on real VPP 26.06 (dynamic entries added through the API are what
VPP learns from ND: not static); the body is the integration test's own."""

from test_nd_guard import test_only_the_sessions_own_neighbours_stay_on_an_access_interface

__all__ = ["test_only_the_sessions_own_neighbours_stay_on_an_access_interface"]
