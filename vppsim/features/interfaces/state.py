"""Software interfaces as VPP keeps them: a pool of ``sw_if_index`` values, names, admin and link state.

Index allocation follows vppinfra's pool (``src/vppinfra/pool.h``): ``pool_get`` takes the most recently
freed index from the free list before growing the pool, so a deleted interface's index is reused by the
next interface created (VPP allocates every sw interface from ``im->sw_interfaces`` with ``pool_get``,
``src/vnet/interface.c: vnet_create_sw_interface_no_callbacks``).
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass, field

IpInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface

#: ``vl_api_sub_if_flags_t`` bits (``src/vnet/interface_types.api``).
SUB_IF_NO_TAGS = 1
SUB_IF_ONE_TAG = 2
SUB_IF_TWO_TAGS = 4
SUB_IF_DOT1AD = 8
SUB_IF_EXACT_MATCH = 16
SUB_IF_DEFAULT = 32
SUB_IF_OUTER_VLAN_ID_ANY = 64
SUB_IF_INNER_VLAN_ID_ANY = 128

ADMIN_UP = 1  # IF_STATUS_API_FLAG_ADMIN_UP
LINK_UP = 2  # IF_STATUS_API_FLAG_LINK_UP

DEFAULT_MTU = 9000  # VPP's default L3 MTU and ethernet max frame payload (``show interface``: 9000/0/0/0)


class IfKind(enum.Enum):
    """What created the interface; decides which delete call applies and the ``interface_dev_type``."""

    LOCAL = "local"
    ETHERNET = "dpdk"
    LOOPBACK = "Loopback"
    BOND = "bond"
    SUB = "sub"


@dataclass(slots=True)
class Interface:
    """One ``vnet_sw_interface_t`` with the hardware facts VPP reports for it in ``sw_interface_details``."""

    sw_if_index: int
    name: str
    kind: IfKind
    sup_sw_if_index: int
    mac: bytes = b"\x00" * 6
    dev_type: str = "local"
    link_speed: int = 0  # kbps
    link_mtu: int = DEFAULT_MTU
    mtu: list[int] = field(default_factory=lambda: [DEFAULT_MTU, 0, 0, 0])
    admin_up: bool = False
    hw_link_up: bool = False  # carrier; sub-interfaces take their parent's
    tag: str = ""
    instance: int = 0
    sub_id: int = 0
    sub_flags: int = 0
    number_of_tags: int = 0
    outer_vlan_id: int = 0
    inner_vlan_id: int = 0
    table_v4: int = 0
    table_v6: int = 0
    addresses: list[IpInterface] = field(default_factory=list)
    unnumbered_via: int | None = None
    vlan_key: tuple[object, ...] | None = None  # the ethernet sub-interface slot it occupies
    is_sub: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        # a plain attribute, not a property: it is read on every lookup in hot paths
        self.is_sub = self.kind is IfKind.SUB


class InterfaceTable:
    """All software interfaces, by index and by name, with VPP's index reuse."""

    def __init__(self) -> None:
        self._by_index: dict[int, Interface] = {}
        self._by_name: dict[str, int] = {}
        self._free: list[int] = []
        self._next = 0
        self._subs: dict[tuple[int, int], int] = {}  # (parent sw_if_index, sub_id) -> sw_if_index
        self._children: dict[int, dict[int, None]] = {}  # parent -> its sub-interfaces (ordered set)
        self._vlan_keys: dict[tuple[int, int, int, int], int] = {}  # parent, flags-class, outer, inner

    def __len__(self) -> int:
        return len(self._by_index)

    def __contains__(self, sw_if_index: object) -> bool:
        return sw_if_index in self._by_index

    def get(self, sw_if_index: int) -> Interface | None:
        return self._by_index.get(sw_if_index)

    def by_name(self, name: str) -> Interface | None:
        idx = self._by_name.get(name)
        return None if idx is None else self._by_index[idx]

    def all(self) -> list[Interface]:
        """Interfaces in ``sw_if_index`` order (the order VPP's pool walk in a dump yields)."""
        return [self._by_index[i] for i in sorted(self._by_index)]

    def allocate_index(self) -> int:
        """``pool_get``: reuse the most recently freed index, else grow."""
        if self._free:
            return self._free.pop()
        idx = self._next
        self._next += 1
        return idx

    def peek_index(self) -> int:
        """The index :meth:`allocate_index` would hand out next (nothing is taken)."""
        return self._free[-1] if self._free else self._next

    def add(self, intf: Interface) -> Interface:
        self._by_index[intf.sw_if_index] = intf
        self._by_name[intf.name] = intf.sw_if_index
        if intf.is_sub:
            self._subs[(intf.sup_sw_if_index, intf.sub_id)] = intf.sw_if_index
            self._children.setdefault(intf.sup_sw_if_index, {})[intf.sw_if_index] = None
        return intf

    def remove(self, sw_if_index: int) -> Interface:
        intf = self._by_index.pop(sw_if_index)
        del self._by_name[intf.name]
        if intf.is_sub:
            self._subs.pop((intf.sup_sw_if_index, intf.sub_id), None)
            self._children.get(intf.sup_sw_if_index, {}).pop(sw_if_index, None)
        self._children.pop(sw_if_index, None)
        self._free.append(sw_if_index)
        return intf

    def sub_exists(self, parent: int, sub_id: int) -> bool:
        return (parent, sub_id) in self._subs

    def children(self, parent: int) -> list[Interface]:
        return [self._by_index[i] for i in sorted(self._children.get(parent, ()))]

    def link_up(self, intf: Interface) -> bool:
        """Link (carrier) state as ``sw_interface_details`` reports it: a sub-interface shares its parent's
        hardware interface, so it shows the parent's carrier (``vnet_sw_interface_is_link_up``)."""
        if intf.is_sub:
            parent = self._by_index.get(intf.sup_sw_if_index)
            return parent is not None and parent.hw_link_up
        return intf.hw_link_up

    def flags(self, intf: Interface) -> int:
        return (ADMIN_UP if intf.admin_up else 0) | (LINK_UP if self.link_up(intf) else 0)
