"""VPP API return values used by the emulator (``src/vnet/api_errno.h``, ``foreach_vnet_api_error``).

vpp-papi does not raise on a non-zero ``retval``; callers compare against these numbers, so they must be
VPP's exact values.
"""

from __future__ import annotations

OK = 0
UNSPECIFIED = -1
INVALID_SW_IF_INDEX = -2
NO_SUCH_FIB = -3
NO_SUCH_ENTRY = -6
INVALID_VALUE = -7
UNIMPLEMENTED = -9
INVALID_SW_IF_INDEX_2 = -10
INVALID_REGISTRATION = -31
NO_PATHS_IN_ROUTE = -52
INVALID_VLAN = -55
VLAN_ALREADY_EXISTS = -56
ADDRESS_NOT_FOUND_FOR_INTERFACE = -60
SUBIF_ALREADY_EXISTS = -68
INVALID_INTERFACE = -71
INVALID_ARGUMENT = -73
UNEXPECTED_INTF_STATE = -74
BOND_SLAVE_NOT_ALLOWED = -80
VALUE_EXIST = -81
INVALID_SUB_SW_IF_INDEX = -98
ADDRESS_IN_USE = -105
ADDRESS_FOUND_FOR_INTERFACE = -114
DUPLICATE_IF_ADDRESS = -127
INSTANCE_IN_USE = -147
