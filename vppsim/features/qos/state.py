"""The policer plugin's state as VPP 26.06 keeps it (``src/plugins/policer``): a pool of policers with
their configuration, a name index, the policer of each interface per direction, and three combined
counters (conform / exceed / violate packets and bytes) per policer index.

The software policer's parameters (``scale``, tokens per period, limits) are computed as
``xlate.c`` ``compute_policer_params`` does, for an assumed TSC of :data:`TSC_HZ`, so a dump shows the
same kind of numbers real VPP shows (real VPP's depend on the CPU's TSC frequency).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vppsim.emulator import Emulator

TSC_HZ = 2_000_000_000  # an assumed 2 GHz TSC
TICKS_PER_PERIOD_SHIFT = 17  # policer.h POLICER_TICKS_PER_PERIOD_SHIFT
MAX_RATE_SHIFT = 10
U32 = 0xFFFFFFFF
RX, TX = 0, 1
CONFORM, EXCEED, VIOLATE = 0, 1, 2


@dataclass(slots=True)
class Hw:
    """The ``policer_t`` fields ``policer_details`` reports."""

    single_rate: bool = True
    scale: int = 0
    cir_tokens_per_period: int = 0
    pir_tokens_per_period: int = 0
    current_limit: int = 0
    extended_limit: int = 0


COUNTERS = ("/net/policer/conform", "/net/policer/exceed", "/net/policer/violate")  # policer/plugin.c


@dataclass(slots=True)
class Policer:
    index: int
    name: str
    config: dict[str, Any]  # the vl_api_policer_config_t fields as given
    hw: Hw
    # the buckets (scaled bytes) and the policer period of the last packet (policer.h policer_t)
    current_bucket: int = 0
    extended_bucket: int = 0
    last_update: int = 0

    def refill(self) -> None:
        """``policer_update`` and ``policer_add`` start with full buckets (xlate.c)."""
        self.current_bucket, self.extended_bucket = self.hw.current_limit, self.hw.extended_limit

    def police(self, length: int, period: int) -> int:
        """``vnet_police_packet`` (policer.h) for a colour-blind green arrival: the packet's colour."""
        hw = self.hw
        length <<= hw.scale
        n = max(0, period - self.last_update)
        self.last_update = period
        cur = min(self.current_bucket + n * hw.cir_tokens_per_period, hw.current_limit)
        if hw.single_rate:
            ext = min(self.extended_bucket + n * hw.cir_tokens_per_period, hw.extended_limit)
            if cur >= length:
                # as VPP: the second bucket is not checked here and wraps as a u32 when short
                self.current_bucket, self.extended_bucket = cur - length, (ext - length) & U32
                return CONFORM
            if ext >= length:
                self.current_bucket, self.extended_bucket = cur, ext - length
                return EXCEED
            self.current_bucket, self.extended_bucket = cur, ext
            return VIOLATE
        ext = min(self.extended_bucket + n * hw.pir_tokens_per_period, hw.extended_limit)
        if ext < length:
            self.current_bucket, self.extended_bucket = cur, ext
            return VIOLATE
        if cur < length:
            self.current_bucket, self.extended_bucket = cur, ext - length
            return EXCEED
        self.current_bucket, self.extended_bucket = cur - length, ext - length
        return CONFORM


def _clz32(x: int) -> int:
    return 32 - x.bit_length() if x else 32


def compute_hw(cfg: dict[str, Any]) -> Hw | None:
    """``xlate.c`` ``x86_pol_compute_hw_params`` (kbps rate type): None where it returns -1."""
    kind, cir, eir, cb, eb = cfg["type"], cfg["cir"], cfg["eir"], cfg["cb"], cfg["eb"]
    hw = Hw(current_limit=min(cb, U32), extended_limit=min(eb, U32))
    if cir == 0 and cb == 0 and eb == 0:
        return hw  # an always-violate policer
    if kind in (0, 1):
        if kind == 0 and eb:
            return None
        if cir == 0 or eir != 0 or (cb == 0 and eb == 0):
            return None
        pir_rate = 0
    elif kind in (2, 3):
        hw.single_rate = False
        if cir == 0 or eir == 0 or eir < cir or cb == 0 or eb == 0:
            return None
        pir_rate = eir * 125
    else:
        return None  # "RFC not supported" (MEF5CF1 and beyond)
    period = TSC_HZ / (1 << TICKS_PER_PERIOD_SHIFT)
    cir_bpp, pir_bpp = cir * 125 / period, pir_rate / period
    top = max(hw.current_limit, hw.extended_limit)
    top = max(top, (int(cir_bpp) << MAX_RATE_SHIFT) & U32, (int(pir_bpp) << MAX_RATE_SHIFT) & U32)
    shift = _clz32(top)
    hw.scale = shift
    hw.current_limit = (hw.current_limit << shift) & U32
    hw.extended_limit = (hw.extended_limit << shift) & U32
    hw.cir_tokens_per_period = int(max(cir_bpp * (1 << shift), 1.0)) & U32
    hw.pir_tokens_per_period = int(max(pir_bpp * (1 << shift), 1.0)) & U32
    return hw


class PolicerTable:
    """Policers by pool index (the lowest free slot is reused, as ``pool_get`` does) and by name."""

    def __init__(self) -> None:
        self.pool: dict[int, Policer] = {}
        self.by_name: dict[str, int] = {}
        self.by_interface: tuple[dict[int, int], dict[int, int]] = ({}, {})

    def next_index(self) -> int:
        i = 0
        while i in self.pool:
            i += 1
        return i


_TABLES: weakref.WeakKeyDictionary[Emulator, PolicerTable] = weakref.WeakKeyDictionary()


def table(emu: Emulator) -> PolicerTable:
    """The emulator's policers (a restarted VPP is a new Emulator, with none)."""
    got = _TABLES.get(emu)
    if got is None:
        got = _TABLES[emu] = PolicerTable()
    return got
