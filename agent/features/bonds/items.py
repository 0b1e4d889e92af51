"""Bond entries (``ietf-interfaces`` type ``ieee8023adLag``) and ports' ``bond-member`` -> items."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from agent.features.bonds import keys
from agent.features.bonds.descriptors import AUTO_ID, LB, MODES
from agent.features.bonds.values import BondMemberValue, BondValue
from agent.features.interfaces import keys as if_keys
from agent.features.interfaces.items import is_port
from agent.features.jsonietf import member
from agent.vpp.config import Entry, RootId
from agent.vpp.items import Item, Value

_BOND_NAME = re.compile(r"^BondEthernet(\d+)$")


def bond_value(name: str, bond: dict[str, Any] | None) -> BondValue:
    mode = MODES[member(bond, "mode", "lacp")]
    m = _BOND_NAME.match(name)
    mac = member(bond, "mac-address")
    return BondValue(
        id=int(m.group(1)) if m else AUTO_ID,
        mode=mode,
        lb=LB[member(bond, "load-balance", "l2")],
        numa_only=bool(member(bond, "numa-only", False)),
        mac=str(mac).lower() if mac else None,
    )


def bond_interface(name: str, entry: Entry) -> Value:
    """The interface item's value of a bond (registered as the ``ieee8023adLag`` interface type)."""
    return bond_value(name, member(entry, "bond"))


def lacp_long_timeout(bond_entry: Entry | None) -> bool:
    """A member's ``is_long_timeout``: the bond's ``lacp-rate`` is slow (VPP's default is the short
    timeout, so ``fast`` is the default rate; a non-LACP bond ignores it and gets the default)."""
    bond = member(bond_entry, "bond")
    if member(bond, "mode", "lacp") != "lacp":
        return False
    return bool(member(bond, "lacp-rate", "fast") == "slow")


def member_of(entry: Entry) -> str | None:
    """The bond a port is a member of (None for anything else)."""
    bm = member(entry, "bond-member")
    if bm is None or not is_port(entry):
        return None
    return str(member(bm, "bond"))


def references(entry: Entry) -> Iterable[RootId]:
    """A member reads its bond's LACP rate (``bond_add_member`` is_long_timeout)."""
    bond = member_of(entry)
    return (if_keys.root(bond),) if bond is not None else ()


def member_items(entry: Entry, bond_entry: Entry | None) -> list[Item[Value]]:
    bond = member_of(entry)
    if bond is None:
        return []
    name = str(entry["name"])
    bm = member(entry, "bond-member")
    value = BondMemberValue(bond, bool(member(bm, "lacp-passive", False)), lacp_long_timeout(bond_entry))
    deps = (if_keys.interface(name), if_keys.interface(bond))
    return [Item(keys.member(name), value, deps, name)]
