"""Packets through the emulated ACL plugin (the control channel's ``acl_packet``): what VPP's
``acl-plugin-{in,out}-ip{4,6}-fa`` nodes decide, and the hit counter they bump (``dataplane_node.c``:
``vlib_increment_combined_counter (am->combined_acl_counters + acl, thread, rule, 1, bytes)`` when
``interface_acl_counters_enabled``)."""

from __future__ import annotations

from typing import Any

from vppsim.emulator import Emulator
from vppsim.features.acl.handlers import counter_name


def acl_packet(emu: Emulator, sw_if_index: int, args: dict[str, Any]) -> dict[str, Any]:
    count = int(args.get("count", 1))
    size = int(args.get("bytes", 64))
    verdict: dict[str, Any] = {}
    for _ in range(count):
        action, acl, rule = emu.acl.classify(
            sw_if_index,
            bool(args.get("is_input", True)),
            str(args["src"]),
            str(args["dst"]),
            int(args.get("proto", 17)),
            int(args.get("sport", 0)),
            int(args.get("dport", 0)),
        )
        if acl is not None and rule is not None and emu.acl.counters_enabled and emu.stats is not None:
            emu.stats.add_combined(counter_name(acl), rule, 1, size)
        verdict = {"action": action, "acl": acl, "rule": rule}
    return verdict
