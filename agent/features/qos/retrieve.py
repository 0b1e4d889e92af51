"""Read VPP's policers back for reconcile.

``policer_dump`` lists every policer with its configuration, but not its index, which the agent needs
(``policer_update``/``policer_del`` and the stats segment's ``/net/policer/*`` counters are by index).
``policer_dump_v2`` answers for one index, so the agent checks the indices it knew first and then probes
the pool from 0 for the rest (VPP allocates the lowest free pool slots, ``pool_get``), in windows.

VPP has no dump of which policer an interface uses (``policer_index_by_sw_if_index`` is not exposed), so
an attachment the agent programmed is taken as still there when both its interface and its policer kept
the index they had (an interface or policer re-created by someone else, or a VPP restart, re-attaches).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from agent.features.base import RetrieveContext
from agent.features.interfaces import keys as if_keys
from agent.features.qos import keys
from agent.features.qos.items import policer_name
from agent.features.qos.values import Action, PolicerAttachValue, PolicerConfig, PolicerValue
from agent.vpp.items import TAG_PREFIX, Item

log = logging.getLogger(__name__)

WINDOW = 256
#: Probing stops this many empty slots past the highest index seen (VPP reuses the lowest free slots).
PROBE_SLACK = 4096


def config_of(d: Any) -> PolicerConfig:
    """A ``policer_details`` as the configuration the agent compares with what it sends."""

    def act(a: Any) -> Action:
        return Action(int(a.type), int(a.dscp))

    return PolicerConfig(
        type=int(d.type),
        cir=int(d.cir),
        eir=int(d.eir),
        cb=int(d.cb),
        eb=int(d.eb),
        color_aware=bool(d.color_aware),
        conform=act(d.conform_action),
        exceed=act(d.exceed_action),
        violate=act(d.violate_action),
    )


async def _probe(ctx: RetrieveContext, indices: list[int]) -> dict[int, str]:
    """policer_dump_v2 for each index: index -> policer name (absent: a free slot)."""
    out: dict[int, str] = {}
    for i in range(0, len(indices), WINDOW):
        chunk = indices[i : i + WINDOW]
        answers = await asyncio.gather(*(ctx.conn.send("policer_dump_v2", policer_index=x) for x in chunk))
        for x, (_, details) in zip(chunk, answers, strict=True):
            if details:
                out[x] = str(details[0].name)
    return out


async def find_indices(ctx: RetrieveContext, names: dict[str, str]) -> dict[str, int]:
    """VPP's index of each policer (``names``: VPP name -> item key; those not found are left out)."""
    found: dict[str, int] = {}
    prev = ctx.previous.handles if ctx.previous is not None else {}
    known = {prev[k]: n for n, k in names.items() if k in prev}
    for idx, name in (await _probe(ctx, sorted(known))).items():
        if name in names:
            found[name] = idx
    start, top = 0, -1
    while len(found) < len(names):
        batch = [x for x in range(start, start + WINDOW) if x not in known]
        start += WINDOW
        for idx, name in (await _probe(ctx, batch)).items():
            top = max(top, idx)
            if name in names:
                found.setdefault(name, idx)
        if start > top + PROBE_SLACK:
            log.warning("qos retrieve: %d policer(s) not found by index", len(names) - len(found))
            break
    return found


def _configured_names(ctx: RetrieveContext) -> dict[str, str]:
    """Policer name -> item key, for what the agent programmed and what the configuration asks for."""
    out = {it.value.name: k for k, it in ctx.applied.items() if isinstance(it.value, PolicerValue)}
    for name in ctx.config.names(if_keys.IF):
        for direction in (keys.INPUT, keys.OUTPUT):
            out.setdefault(policer_name(name, direction), keys.policer(name, direction))
    return out


async def retrieve(ctx: RetrieveContext) -> None:
    out = ctx.out
    _, details = await ctx.conn.send("policer_dump", match_name_valid=False, match_name="")
    ours = {str(d.name): d for d in details if str(d.name).startswith(TAG_PREFIX)}
    for d in details:
        if not str(d.name).startswith(TAG_PREFIX):
            out.unmanaged.append({"kind": "policer", "name": str(d.name)})
    configured = _configured_names(ctx)
    key_of = {name: configured.get(name) or keys.policer("?", name) for name in ours}
    index = await find_indices(ctx, key_of) if ours else {}
    for name, d in ours.items():
        idx = index.get(name)
        if idx is None:
            out.unmanaged.append({"kind": "policer", "name": name, "reason": "index not found"})
            continue
        key = key_of[name]
        out.names.handles[key] = idx
        out.items[key] = Item(key, PolicerValue(name, config_of(d)))
    _attachments(ctx, {key_of[n]: i for n, i in index.items()})


def _attachments(ctx: RetrieveContext, index: dict[str, int]) -> None:
    """``index``: policer item key -> the VPP index found now."""
    prev = ctx.previous
    if prev is None:
        return
    for k, it in ctx.applied.items():
        v = it.value
        if not isinstance(v, PolicerAttachValue):
            continue
        pkey = it.deps[0]  # the policer (items.attachment_items)
        now_if, was_if = ctx.out.names.get(v.interface), prev.get(v.interface)
        now_pol, was_pol = index.get(pkey), prev.handles.get(pkey)
        if now_if is not None and now_if == was_if and now_pol is not None and now_pol == was_pol:
            ctx.out.items[k] = it
