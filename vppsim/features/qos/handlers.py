"""``policer.api`` messages as VPP 26.06 answers them (``src/plugins/policer/policer_api.c`` over
``policer_op.c`` and ``xlate.c``)."""

from __future__ import annotations

from typing import Any

from vppsim import errno
from vppsim.emulator import Emulator
from vppsim.features.qos.state import COUNTERS, RX, TX, Policer, compute_hw, table
from vppsim.handlers.registry import REGISTRY, Call, Reply

NO_INDEX = 0xFFFFFFFF


def _config(infos: Any) -> dict[str, Any]:
    def act(a: Any) -> dict[str, int]:
        return {"type": int(a.type), "dscp": int(a.dscp)}

    return {
        "cir": int(infos.cir),
        "eir": int(infos.eir),
        "cb": int(infos.cb),
        "eb": int(infos.eb),
        "rate_type": int(infos.rate_type),
        "round_type": int(infos.round_type),
        "type": int(infos.type),
        "color_aware": bool(infos.color_aware),
        "conform_action": act(infos.conform_action),
        "exceed_action": act(infos.exceed_action),
        "violate_action": act(infos.violate_action),
    }


def _vet(cfg: dict[str, Any]) -> Any:
    # xlate.c pol_logical_2_physical: only the kbps and pps rate types; the agent sends kbps
    if cfg["rate_type"] != 0:
        return None
    return compute_hw(cfg)


@REGISTRY.handler("policer_add")
def policer_add(call: Call, msg: Any) -> Reply:
    # policer_op.c policer_add: an existing name is VALUE_EXIST, a configuration xlate.c refuses is
    # INVALID_VALUE; the reply's policer_index is ~0 on any error.
    t = table(call.emu)
    name = str(msg.name)
    if name in t.by_name:
        return {"retval": errno.VALUE_EXIST, "policer_index": NO_INDEX}
    cfg = _config(msg.infos)
    hw = _vet(cfg)
    if hw is None:
        return {"retval": errno.INVALID_VALUE, "policer_index": NO_INDEX}
    idx = t.next_index()
    p = t.pool[idx] = Policer(idx, name, cfg, hw)
    p.refill()
    t.by_name[name] = idx
    _zero_counters(call.emu, idx)
    return {"retval": 0, "policer_index": idx}


def _zero_counters(emu: Emulator, index: int) -> None:
    # policer_op.c: vlib_validate_combined_counter + vlib_zero_combined_counter per colour
    if emu.stats is None:
        return
    for name in COUNTERS:
        emu.stats.validate_combined(name, index + 1)
        emu.stats.zero_combined(name, index)


@REGISTRY.handler("policer_update")
def policer_update(call: Call, msg: Any) -> Reply:
    # policer_op.c policer_update: same vetting; the buckets refill and the counters are zeroed
    t = table(call.emu)
    p = t.pool.get(int(msg.policer_index))
    if p is None:
        return {"retval": errno.NO_SUCH_ENTRY}
    cfg = _config(msg.infos)
    hw = _vet(cfg)
    if hw is None:
        return {"retval": errno.INVALID_VALUE}
    p.config, p.hw = cfg, hw
    p.refill()
    _zero_counters(call.emu, p.index)
    return {"retval": 0}


@REGISTRY.handler("policer_del")
def policer_del(call: Call, msg: Any) -> Reply:
    # policer_op.c policer_del: frees the pool slot and the name; interfaces that still point at the
    # index keep pointing at it (nothing detaches them)
    t = table(call.emu)
    p = t.pool.pop(int(msg.policer_index), None)
    if p is None:
        return {"retval": errno.NO_SUCH_ENTRY}
    t.by_name.pop(p.name, None)
    return {"retval": 0}


def _apply(call: Call, msg: Any, direction: int) -> Reply:
    # policer_api.c: VALIDATE_SW_IF_INDEX first, then the name lookup (NO_SUCH_ENTRY); policer_input
    # records (or clears to ~0) the interface's policer and switches the feature arcs
    sw_if_index = int(msg.sw_if_index)
    if call.emu.interfaces.get(sw_if_index) is None:
        return {"retval": errno.INVALID_SW_IF_INDEX}
    t = table(call.emu)
    idx = t.by_name.get(str(msg.name))
    if idx is None:
        return {"retval": errno.NO_SUCH_ENTRY}
    if msg.apply:
        t.by_interface[direction][sw_if_index] = idx
    else:
        t.by_interface[direction].pop(sw_if_index, None)
    return {"retval": 0}


@REGISTRY.handler("policer_input")
def policer_input(call: Call, msg: Any) -> Reply:
    return _apply(call, msg, RX)


@REGISTRY.handler("policer_output")
def policer_output(call: Call, msg: Any) -> Reply:
    return _apply(call, msg, TX)


def _details(p: Policer) -> dict[str, Any]:
    # policer_api.c send_policer_details: the configuration as given, actions from the policer
    c = p.config
    return {
        "name": p.name,
        "cir": c["cir"],
        "eir": c["eir"],
        "cb": c["cb"],
        "eb": c["eb"],
        "rate_type": c["rate_type"],
        "round_type": c["round_type"],
        "type": c["type"],
        "conform_action": c["conform_action"],
        "exceed_action": c["exceed_action"],
        "violate_action": c["violate_action"],
        "single_rate": p.hw.single_rate,
        "color_aware": c["color_aware"],
        "scale": p.hw.scale,
        "cir_tokens_per_period": p.hw.cir_tokens_per_period,
        "pir_tokens_per_period": p.hw.pir_tokens_per_period,
        "current_limit": p.hw.current_limit,
        "current_bucket": p.hw.current_limit,
        "extended_limit": p.hw.extended_limit,
        "extended_bucket": p.hw.extended_limit,
        "last_update_time": 0,
    }


@REGISTRY.handler("policer_dump")
def policer_dump(call: Call, msg: Any) -> Reply:
    # policer_api.c vl_api_policer_dump_t_handler: by name, or every policer in pool (index) order
    t = table(call.emu)
    if msg.match_name_valid:
        idx = t.by_name.get(str(msg.match_name))
        return [] if idx is None else [_details(t.pool[idx])]
    return [_details(t.pool[i]) for i in sorted(t.pool)]


@REGISTRY.handler("policer_dump_v2")
def policer_dump_v2(call: Call, msg: Any) -> Reply:
    # policer_api.c vl_api_policer_dump_v2_t_handler: ~0 is every policer; a free index answers nothing
    t = table(call.emu)
    idx = int(msg.policer_index)
    if idx == 0xFFFFFFFF:
        return [_details(t.pool[i]) for i in sorted(t.pool)]
    p = t.pool.get(idx)
    return [] if p is None else [_details(p)]
