"""The profile compiler: a ``bng-qos:qos/profile`` entry -> the ``policer_config`` VPP is given.

Read against VPP 26.06's software policer (``src/plugins/policer/xlate.c``
``x86_pol_compute_hw_params`` and ``policer.h`` ``vnet_police_packet``); the reasons are in docs/qos.md:

* Rates: VPP takes kbit/s (``BYTES_PER_KBIT = 1000 / 8``), the model's unit; sent unchanged. The
  ``round_type`` matters only to the hardware path VPP no longer uses; the software path keeps the
  configured kbit/s and truncates tokens per period (reported back as the rounding in operational data).
* Bytes: VPP counts the Ethernet frame (header and tags, no FCS) in both directions.
* 1r2c: VPP's one-rate policer has two buckets; with ``eb = 0`` the second one never has tokens, so a
  packet that does not conform is *violate* in VPP, not exceed. The profile's ``exceed`` action is
  therefore sent as both VPP's exceed and violate action.
* 1r3c (RFC 2697) is sent as VPP's two-rate RFC 2698 type with PIR = CIR and ``eb = CBS + EBS``. Both
  buckets then fill at CIR, a green packet takes tokens from both and a yellow one from the second only,
  so the second bucket runs ahead of the first by exactly what overflowed the first (RFC 2697's excess
  bucket) and holds CBS + EBS in all: RFC 2697's behaviour. VPP's own one-rate three-colour code
  (``vnet_police_packet``, ``single_rate``) takes a green packet's length from the second bucket without
  checking it holds that much: after a yellow packet the u32 wraps and the bucket refills to its limit,
  so a 1R3C policer offered 2x CIR marked 40 Mbit/s of a 50 Mbit/s CIR's excess yellow on real VPP
  26.06 where RFC 2697 marks almost none (docs/qos.md).
* 2r3c (RFC 2698): CIR/CBS and PIR/PBS map one to one.
* 2r3c-rfc4115: sent as VPP's RFC 4115 type with the peak rate and burst (CIR + EIR, CBS + EBS), which is
  what its API takes; VPP 26.06 runs it with the RFC 2698 code.
"""

from __future__ import annotations

from typing import Any

from agent.features.jsonietf import member
from agent.features.qos.values import (
    DROP,
    MARK_AND_TRANSMIT,
    TRANSMIT,
    TYPE_1R2C,
    TYPE_2R3C_2698,
    TYPE_2R3C_4115,
    Action,
    PolicerConfig,
)
from agent.vpp.config import Entry

TYPES = {"1r2c": TYPE_1R2C, "1r3c": TYPE_2R3C_2698, "2r3c": TYPE_2R3C_2698, "2r3c-rfc4115": TYPE_2R3C_4115}
ACTIONS = {"drop": DROP, "transmit": TRANSMIT, "mark-and-transmit": MARK_AND_TRANSMIT}
#: VPP keeps bucket limits in u32 (``x86_pol_compute_hw_params`` caps larger values silently).
BUCKET_MAX = 0xFFFFFFFF
# The model's defaults (bng-qos.yang), for entries printed without them.
DEFAULT_CBS, DEFAULT_PBS = 16000, 32000


def _action(colour: Any, default: str) -> Action:
    name = str(member(colour, "action", default))
    dscp = int(member(colour, "dscp", 0)) if name == "mark-and-transmit" else 0
    return Action(ACTIONS[name], dscp)


def compile_profile(profile: Entry) -> PolicerConfig:
    """The VPP policer configuration of one profile (the entry as JSON-IETF)."""
    kind = str(member(profile, "type", "1r2c"))
    cir = int(member(profile, "cir"))
    cbs = int(member(profile, "cbs", DEFAULT_CBS))
    aware = bool(member(profile, "colour-aware", False))
    conform = _action(member(profile, "conform"), "transmit")
    exceed = _action(member(profile, "exceed"), "drop")
    if kind == "1r2c":
        return PolicerConfig(TYPE_1R2C, cir, 0, cbs, 0, aware, conform, exceed, exceed)
    pbs = int(member(profile, "pbs", DEFAULT_PBS))
    violate = _action(member(profile, "violate"), "drop")
    if kind == "1r3c":
        eb = min(cbs + pbs, BUCKET_MAX)
        return PolicerConfig(TYPE_2R3C_2698, cir, cir, cbs, eb, aware, conform, exceed, violate)
    pir = int(member(profile, "pir"))
    return PolicerConfig(TYPES[kind], cir, pir, cbs, pbs, aware, conform, exceed, violate)
