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
    # bond_api.c sends mif->weight, which stays 0 until sw_interface_set_bond_weight sets it
    weight: int = 0


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
        self._instances: set[int] = set()  # bif->id values in use (bm->id_used)
        self._dev_of: dict[int, int] = {}  # sw_if_index -> dev_instance
        self._dev_free: list[int] = []  # freed dev_instances, most recent last (vppinfra pool)
        self._dev_next = 0

    def get(self, sw_if_index: int) -> Bond | None:
        return self._bonds.get(sw_if_index)

    def all(self) -> list[Bond]:
        """In pool order, as ``bond_dump_ifs`` walks ``bm->interfaces`` (by dev_instance)."""
        return [self._bonds[i] for i in sorted(self._bonds, key=self._dev_of.__getitem__)]

    def instance_in_use(self, instance: int) -> bool:
        return instance in self._instances

    def allocate_dev_instance(self) -> int:
        """``pool_get (bm->interfaces, bif)``: the most recently freed slot, else a new one. A bond
        created without an id takes its dev_instance as id (bonding/cli.c bond_create_if)."""
        if self._dev_free:
            return self._dev_free.pop()
        dev = self._dev_next
        self._dev_next += 1
        return dev

    def release_dev_instance(self, dev: int) -> None:
        """``pool_put``: also what bond_create_if does when the id turns out to be taken."""
        self._dev_free.append(dev)

    def add(self, bond: Bond, dev_instance: int) -> None:
        self._bonds[bond.sw_if_index] = bond
        self._instances.add(bond.instance)
        self._dev_of[bond.sw_if_index] = dev_instance

    def remove(self, sw_if_index: int) -> Bond:
        bond = self._bonds.pop(sw_if_index)
        self._instances.discard(bond.instance)
        self.release_dev_instance(self._dev_of.pop(sw_if_index))
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
