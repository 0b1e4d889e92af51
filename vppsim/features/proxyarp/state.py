"""What VPP keeps for proxy-ARP (src/vnet/arp/arp_proxy.c ``arp_proxy_main``) and for its neighbour
tables (src/vnet/ip-neighbor/ip_neighbor.c ``ip_neighbor_db``), per emulator.

Kept outside :class:`vppsim.emulator.Emulator` (a restart is a new emulator, so a new state): the
feature's state is looked up by emulator in a weak map.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from vppsim.emulator import Emulator


@dataclass
class NeighborConfig:
    """``ip_neighbor_db[af]``: VPP's defaults are 50000 entries, no ageing, no recycling."""

    limit: int = 50000
    age: int = 0
    recycle: bool = False


@dataclass
class ProxyArpState:
    # arp_proxy_main.proxy_arps: (low, high, table id) in the order added (vec_delete keeps the order)
    ranges: list[tuple[str, str, int]] = field(default_factory=list)
    # arp_proxy_main.enabled_by_sw_if_index: nothing clears an entry when its interface is deleted
    enabled: dict[int, bool] = field(default_factory=dict)
    neighbors: dict[int, NeighborConfig] = field(
        default_factory=lambda: {0: NeighborConfig(), 1: NeighborConfig()}
    )


_STATES: weakref.WeakKeyDictionary[Emulator, ProxyArpState] = weakref.WeakKeyDictionary()


def of(emu: Emulator) -> ProxyArpState:
    state = _STATES.get(emu)
    if state is None:
        state = _STATES[emu] = ProxyArpState()
    return state
