"""Bond interfaces and their members (``src/vnet/bonding/cli.c``, ``bond_api.c``)."""

from __future__ import annotations

from dataclasses import dataclass, field

# vl_api_bond_mode_t (src/vnet/bonding/bond.api)
MODE_ROUND_ROBIN = 1
MODE_ACTIVE_BACKUP = 2
MODE_XOR = 3
MODE_BROADCAST = 4
MODE_LACP = 5
VALID_MODES = frozenset({1, 2, 3, 4, 5})
VALID_LB = frozenset({0, 1, 2, 3, 4, 5})


@dataclass(slots=True)
class Member:
    sw_if_index: int
    is_passive: bool
    is_long_timeout: bool
    weight: int = 1


@dataclass(slots=True)
class Bond:
    sw_if_index: int
    instance: int
    mode: int
    lb: int
    numa_only: bool
    custom_mac: bool = False
    members: list[Member] = field(default_factory=list)


class BondTable:
    """Bonds by their interface index, and which bond each member belongs to."""

    def __init__(self) -> None:
        self._bonds: dict[int, Bond] = {}
        self._member_of: dict[int, int] = {}
        self._instances: set[int] = set()

    def get(self, sw_if_index: int) -> Bond | None:
        return self._bonds.get(sw_if_index)

    def all(self) -> list[Bond]:
        return [self._bonds[i] for i in sorted(self._bonds)]

    def instance_in_use(self, instance: int) -> bool:
        return instance in self._instances

    def free_instance(self) -> int:
        """Lowest unused id (``bond_create_if`` allocates from a bitmap, ``clib_bitmap_first_clear``)."""
        i = 0
        while i in self._instances:
            i += 1
        return i

    def add(self, bond: Bond) -> None:
        self._bonds[bond.sw_if_index] = bond
        self._instances.add(bond.instance)

    def remove(self, sw_if_index: int) -> Bond:
        bond = self._bonds.pop(sw_if_index)
        self._instances.discard(bond.instance)
        for m in bond.members:
            self._member_of.pop(m.sw_if_index, None)
        return bond

    def bond_of(self, member_sw_if_index: int) -> Bond | None:
        b = self._member_of.get(member_sw_if_index)
        return None if b is None else self._bonds[b]

    def add_member(self, bond: Bond, member: Member) -> None:
        bond.members.append(member)
        self._member_of[member.sw_if_index] = bond.sw_if_index

    def detach(self, member_sw_if_index: int) -> Bond | None:
        bond = self.bond_of(member_sw_if_index)
        if bond is None:
            return None
        bond.members = [m for m in bond.members if m.sw_if_index != member_sw_if_index]
        del self._member_of[member_sw_if_index]
        return bond
