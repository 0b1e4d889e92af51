"""tests/integration/test_nat_vppsim.py on real VPP 26.06: NAT44 drift put back from VPP's own dumps,
foreign NAT objects reported and left alone, a restarted agent sending nothing."""

from test_nat_vppsim import test_reconcile_puts_nat_back_and_leaves_foreign_objects

__all__ = ["test_reconcile_puts_nat_back_and_leaves_foreign_objects"]
