"""``pppoe.api`` control-plane message (``src/plugins/pppoe/pppoe_api.c``, ``pppoe_cp.c``)."""

from __future__ import annotations

from typing import Any

from vppsim.features.pppoe.state import NO_CP
from vppsim.handlers.registry import REGISTRY, Call, Reply


@REGISTRY.handler("pppoe_add_del_cp")
def pppoe_add_del_cp(call: Call, msg: Any) -> Reply:
    # pppoe_cp.c pppoe_add_del_cp: sw_if_index 0 returns ~0 (-1); nothing else is checked (the feature
    # enable on an unknown index fails silently); add sets the one cp_if_index, delete clears it.
    idx = int(msg.sw_if_index)
    if idx == 0:
        return {"retval": -1}
    dp = call.emu.dataplane
    if dp is not None:
        dp.pppoe.cp_if_index = idx if msg.is_add else NO_CP
    return {"retval": 0}
