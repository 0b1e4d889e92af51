"""Which access (sub-)interface a frame belongs to, and which tags a frame sent out of one must carry.

The table is built from VPP's own ``sw_interface_dump`` (parent, number of tags, outer/inner VLAN,
dot1ad and exact-match flags, the port's MAC) with names from the agent's name map, so it agrees with what
VPP classifies. A punted frame already names its sub-interface (the punt descriptor's ``sw_if_index`` is
``sw_if_index[VLIB_RX]`` after ``ethernet-input``); a frame from the PPPoE control-plane link carries only
its tags, and :meth:`AccessInterfaces.match` repeats VPP's classification for it
(``eth_identify_subint`` in ``src/vnet/ethernet/ethernet.h``: the specific QinQ sub-interface, then the
outer VLAN's single-tag one when it is not exact-match, then the port's default sub-interface, then the
port itself for untagged frames).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from agent.packetio.frames import ETH_P_8021AD, ETH_P_8021Q, VlanTag

# vl_api_sub_if_flags_t (src/vnet/interface_types.api)
SUB_IF_NO_TAGS = 1
SUB_IF_ONE_TAG = 2
SUB_IF_TWO_TAGS = 4
SUB_IF_DOT1AD = 8
SUB_IF_EXACT_MATCH = 16
SUB_IF_DEFAULT = 32
SUB_IF_INNER_VLAN_ID_ANY = 128


@dataclass(frozen=True, slots=True)
class AccessInterface:
    """An interface frames arrive on: its name, index, its physical port and the tags it stands for."""

    name: str
    sw_if_index: int
    port: str
    port_sw_if_index: int
    mac: bytes  # the port's MAC: VPP sends from it
    tags: tuple[VlanTag, ...]  # what a frame sent out of it carries (none for a port or default sub-if)
    exact_match: bool = True
    default: bool = False
    inner_any: bool = False


def _tags(flags: int, outer: int, inner: int, n: int) -> tuple[VlanTag, ...]:
    outer_tpid = ETH_P_8021AD if flags & SUB_IF_DOT1AD else ETH_P_8021Q
    if flags & SUB_IF_DEFAULT or n == 0:
        return ()
    if n == 1 or flags & SUB_IF_INNER_VLAN_ID_ANY:
        return (VlanTag(outer_tpid, outer),)
    return (VlanTag(outer_tpid, outer), VlanTag(ETH_P_8021Q, inner))


class AccessInterfaces:
    """The access-interface table; rebuilt whole from a dump (:meth:`load`), never patched."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._by_index: dict[int, AccessInterface] = {}
        # (port, dot1ad, outer, inner) -> QinQ sub-if; (port, dot1ad, outer) -> single-tag or inner-any
        self._qinq: dict[tuple[int, bool, int, int], AccessInterface] = {}
        self._single: dict[tuple[int, bool, int], AccessInterface] = {}
        self._inner_any: dict[tuple[int, bool, int], AccessInterface] = {}
        self._default: dict[int, AccessInterface] = {}

    def load(self, details: Iterable[Any], name_of: Callable[[int], str | None] = lambda i: None) -> None:
        """Fill from ``sw_interface_details`` messages; ``name_of`` gives the agent's name for an index
        (VPP's interface name is used for interfaces the agent did not name)."""
        rows = list(details)
        by_index = {int(d.sw_if_index): d for d in rows}
        self._reset()
        for d in rows:
            idx = int(d.sw_if_index)
            sup = int(d.sup_sw_if_index)
            port = by_index.get(sup, d)
            flags = int(d.sub_if_flags)
            n = int(d.sub_number_of_tags)
            outer, inner = int(d.sub_outer_vlan_id), int(d.sub_inner_vlan_id)
            mac = bytes(getattr(port.l2_address, "packed", port.l2_address) or b"")[:6]
            acc = AccessInterface(
                name=name_of(idx) or str(d.interface_name),
                sw_if_index=idx,
                port=name_of(sup) or str(port.interface_name),
                port_sw_if_index=sup,
                mac=mac.ljust(6, b"\0"),
                tags=_tags(flags, outer, inner, n) if idx != sup else (),
                exact_match=bool(flags & SUB_IF_EXACT_MATCH),
                default=bool(flags & SUB_IF_DEFAULT),
                inner_any=bool(flags & SUB_IF_INNER_VLAN_ID_ANY),
            )
            self._by_index[idx] = acc
            if idx == sup:
                continue
            dot1ad = bool(flags & SUB_IF_DOT1AD)
            if acc.default:
                self._default[sup] = acc
            elif acc.inner_any:
                self._inner_any[(sup, dot1ad, outer)] = acc
            elif n == 2:
                self._qinq[(sup, dot1ad, outer, inner)] = acc
            elif n == 1:
                self._single[(sup, dot1ad, outer)] = acc

    def __len__(self) -> int:
        return len(self._by_index)

    def get(self, sw_if_index: int) -> AccessInterface | None:
        return self._by_index.get(sw_if_index)

    def by_name(self, name: str) -> AccessInterface | None:
        for acc in self._by_index.values():
            if acc.name == name:
                return acc
        return None

    def ports(self) -> list[AccessInterface]:
        return [a for a in self._by_index.values() if a.sw_if_index == a.port_sw_if_index]

    def match(self, port_sw_if_index: int, tags: tuple[VlanTag, ...]) -> AccessInterface | None:
        """The interface VPP's ``ethernet-input`` picks for a frame with ``tags`` on a port."""
        n = len(tags)
        if n == 0:
            return self._by_index.get(port_sw_if_index)
        dot1ad = tags[0].tpid == ETH_P_8021AD
        outer = tags[0].vid
        if n >= 2:
            acc = self._qinq.get((port_sw_if_index, dot1ad, outer, tags[1].vid))
            if acc is not None and (n == 2 or not acc.exact_match):
                return acc
            acc = self._inner_any.get((port_sw_if_index, dot1ad, outer))
            if acc is not None and (n == 2 or not acc.exact_match):
                return acc
        acc = self._single.get((port_sw_if_index, dot1ad, outer))
        if acc is not None and (n == 1 or not acc.exact_match):
            return acc
        return self._default.get(port_sw_if_index)

    def match_any_port(self, ports: Iterable[int], tags: tuple[VlanTag, ...]) -> AccessInterface | None:
        """The one interface on ``ports`` a frame with ``tags`` belongs to; None when none or several
        ports have one (the PPPoE control-plane link does not say which port a frame came from)."""
        found = [a for p in ports if (a := self.match(p, tags)) is not None]
        return found[0] if len(found) == 1 else None
