"""Packets through an interface's policer (the control channel's ``policer_packet``): what VPP's
``policer-input`` / ``policer-output`` nodes do (``police_inlines.h`` ``policer_police``): police the
frame's length (L2 bytes) at the time it arrives, count it in ``/net/policer/<colour>`` and apply the
colour's action. Arrivals are spaced evenly at ``pps`` in VPP's policer periods (2^17 TSC ticks at the
emulator's assumed TSC), so the token buckets behave as VPP's do for a steady offered load."""

from __future__ import annotations

from typing import Any

from vppsim.emulator import Emulator
from vppsim.features.qos.state import COUNTERS, RX, TICKS_PER_PERIOD_SHIFT, TSC_HZ, TX, table

ACTIONS = {0: "drop", 1: "transmit", 2: "mark-and-transmit"}


def policer_packet(emu: Emulator, sw_if_index: int, args: dict[str, Any]) -> dict[str, Any]:
    t = table(emu)
    direction = TX if str(args.get("direction", "input")) == "output" else RX
    idx = t.by_interface[direction].get(sw_if_index)
    if idx is None or idx not in t.pool:
        return {"policed": False}
    p = t.pool[idx]
    count, size, pps = int(args.get("count", 1)), int(args.get("bytes", 1000)), float(args.get("pps", 1000))
    periods_per_packet = TSC_HZ / (1 << TICKS_PER_PERIOD_SHIFT) / pps
    start = p.last_update
    colours = [0, 0, 0]
    passed = 0
    for i in range(count):
        colour = p.police(size, start + int((i + 1) * periods_per_packet))
        colours[colour] += 1
        action = p.config[("conform_action", "exceed_action", "violate_action")[colour]]["type"]
        if action != 0:
            passed += 1
    if emu.stats is not None:
        for colour, n in enumerate(colours):
            if n:
                emu.stats.add_combined(COUNTERS[colour], idx, n, n * size)
    return {
        "policed": True,
        "conform": colours[0],
        "exceed": colours[1],
        "violate": colours[2],
        "passed": passed,
    }
